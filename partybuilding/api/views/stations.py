"""Endpoints of the deputies' contact station: stations, deputies, reception days and
residents' opinions, with the three steps that turn an opinion into a demand, a case or a
reply."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from governance.api.errors import service_errors
from governance.api.permissions import ScopedObjectPermission
from governance.api.privacy import reveal_action
from partybuilding import services
from partybuilding import station_selectors as selectors
from partybuilding.api.serializers.stations import (
    ContactStationSerializer,
    DeputySerializer,
    OpinionCaseSerializer,
    OpinionDemandSerializer,
    OpinionReplySerializer,
    OpinionSerializer,
    ReceptionSerializer,
)
from partybuilding.api.views.common import PartyViewSet, status_step_action, step_input
from partybuilding.models import Opinion, Reception


class ContactStationViewSet(PartyViewSet):
    serializer_class = ContactStationSerializer

    @staticmethod
    def list_for(user):
        return selectors.station_list_for(user)


class DeputyViewSet(PartyViewSet):
    serializer_class = DeputySerializer
    filterset_fields = ("kind", "level", "stations")

    @staticmethod
    def list_for(user):
        return selectors.deputy_list_for(user)

    def save_service(self, instance, related):
        return services.deputy_save(
            actor=self.request.user, deputy=instance, stations=related.get("stations", [])
        )


class ReceptionViewSet(PartyViewSet):
    serializer_class = ReceptionSerializer
    filterset_fields = ("station", "status", "day")
    status_step = status_step_action(
        Reception, services.reception_set_status, "reception", ReceptionSerializer
    )

    @staticmethod
    def list_for(user):
        return selectors.reception_list_for(user).order_by("-day", "-starts")

    def save_service(self, instance, related):
        return services.reception_save(
            actor=self.request.user, reception=instance, deputies=related.get("deputies", [])
        )


class OpinionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Opinions are recorded and then handled by their steps; they are not edited. The
    resident's name and phone are masked for every caller; ``reveal`` reads one in full for a
    party officer in scope (a reason is required and the read is logged)."""

    serializer_class = OpinionSerializer
    filterset_fields = ("reception", "deputy", "outcome")
    permission_classes = [IsAuthenticated, ScopedObjectPermission]
    reveal = reveal_action(Opinion, ("resident_name", "resident_phone"))

    def get_queryset(self):
        return selectors.opinion_list_for(self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        with service_errors():
            serializer.instance = services.opinion_record(
                actor=self.request.user,
                reception=data["reception"],
                deputy=data["deputy"],
                area=data["area"],
                resident_name=data["resident_name"],
                resident_phone=data.get("resident_phone", ""),
                content=data["content"],
            )

    def _answer(self, request, opinion):
        opinion = self.get_queryset().get(pk=opinion.pk)
        return Response(self.get_serializer(opinion).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OpinionDemandSerializer, responses={201: OpinionSerializer})
    @action(detail=True, methods=["post"], url_path="to-demand")
    def to_demand(self, request, pk=None):
        """Turn the opinion into a demand of the three lists (once)."""
        opinion = self.get_object()
        data = step_input(OpinionDemandSerializer, request)
        with service_errors():
            services.opinion_to_demand(actor=request.user, opinion=opinion, **data)
        return self._answer(request, opinion)

    @extend_schema(request=OpinionCaseSerializer, responses={201: OpinionSerializer})
    @action(detail=True, methods=["post"], url_path="to-case")
    def to_case(self, request, pk=None):
        """Open a case from the opinion (once); the resident is its reporter."""
        opinion = self.get_object()
        data = step_input(OpinionCaseSerializer, request)
        with service_errors():
            services.opinion_to_case(actor=request.user, opinion=opinion, **data)
        return self._answer(request, opinion)

    @extend_schema(request=OpinionReplySerializer, responses={201: OpinionSerializer})
    @action(detail=True, methods=["post"], url_path="reply")
    def reply(self, request, pk=None):
        """Answer the opinion directly (once)."""
        opinion = self.get_object()
        data = step_input(OpinionReplySerializer, request)
        with service_errors():
            services.opinion_reply(actor=request.user, opinion=opinion, **data)
        return self._answer(request, opinion)
