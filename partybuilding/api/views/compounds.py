"""Endpoints of the three carriages and of units' points."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.api.errors import service_errors
from governance.scopes import visible
from grids.models import Area
from partybuilding import cogov_selectors as selectors
from partybuilding import services
from partybuilding.api.serializers.compounds import (
    CompoundSerializer,
    ConsortiumMemberSerializer,
    ConsortiumSerializer,
    OwnersCommitteeMemberSerializer,
    OwnersCommitteeSerializer,
    PropertyCompanySerializer,
    PropertyContractSerializer,
    SettleSerializer,
    UnitPointEntrySerializer,
    UnitPointRuleSerializer,
    UnitRankSerializer,
)
from partybuilding.api.views.common import PartyViewSet, step_input
from partybuilding.models import (
    Compound,
    Consortium,
    ConsortiumMember,
    OwnersCommittee,
    OwnersCommitteeMember,
    PropertyCompany,
    PropertyContract,
    UnitPointEntry,
    UnitPointRule,
)


class CompoundViewSet(PartyViewSet):
    serializer_class = CompoundSerializer
    filterset_fields = ("kind",)

    @staticmethod
    def list_for(user):
        return visible(user, Compound.objects.select_related("area")).order_by("name")


class OwnersCommitteeViewSet(PartyViewSet):
    serializer_class = OwnersCommitteeSerializer
    filterset_fields = ("compound",)

    @staticmethod
    def list_for(user):
        return visible(user, OwnersCommittee.objects.select_related("compound__area")).order_by(
            "name"
        )


class OwnersCommitteeMemberViewSet(PartyViewSet):
    serializer_class = OwnersCommitteeMemberSerializer
    filterset_fields = ("committee",)

    @staticmethod
    def list_for(user):
        return visible(
            user, OwnersCommitteeMember.objects.select_related("committee__compound__area")
        ).order_by("committee", "post", "name")


class PropertyCompanyViewSet(PartyViewSet):
    serializer_class = PropertyCompanySerializer
    filterset_fields = ("is_red",)

    @staticmethod
    def list_for(user):
        return visible(user, PropertyCompany.objects.select_related("area", "department")).order_by(
            "department__name"
        )


class PropertyContractViewSet(PartyViewSet):
    serializer_class = PropertyContractSerializer
    filterset_fields = ("compound", "company")

    @staticmethod
    def list_for(user):
        return visible(
            user,
            PropertyContract.objects.select_related("compound__area", "company__department"),
        ).order_by("compound", "-starts_on")

    def save_service(self, instance, related):
        return services.contract_save(actor=self.request.user, contract=instance)


class UnitPointRuleViewSet(PartyViewSet):
    serializer_class = UnitPointRuleSerializer
    filterset_fields = ("area", "item")

    @staticmethod
    def list_for(user):
        return visible(user, UnitPointRule.objects.select_related("area")).order_by("area", "item")


class UnitPointEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The units' points ledger (append-only: lines are written by settling a year)."""

    serializer_class = UnitPointEntrySerializer
    filterset_fields = ("unit", "year", "item")

    def get_queryset(self):
        return visible(self.request.user, UnitPointEntry.objects.all()).order_by("-year", "-pk")

    @extend_schema(request=SettleSerializer, responses={200: dict})
    @action(detail=False, methods=["post"])
    def settle(self, request):
        """Credit a year's events of the units of a street along its scheme (idempotent)."""
        data = step_input(SettleSerializer, request)
        street = visible(request.user, Area.objects.filter(pk=data["street"])).first()
        if street is None:
            raise exceptions.ValidationError({"street": ["Unknown street."]})
        with service_errors():
            created = services.unit_points_settle(
                actor=request.user, street=street, year=data["year"]
            )
        return Response({"created": created})


class UnitRankingView(generics.ListAPIView):
    """The units in scope that earned points in ``year`` (this year by default), most first."""

    serializer_class = UnitRankSerializer

    @extend_schema(parameters=[OpenApiParameter("year", int)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        try:
            year = int(self.request.query_params.get("year") or timezone.localdate().year)
        except ValueError:
            raise exceptions.ValidationError({"year": ["Give a year."]}) from None
        return selectors.unit_ranking(self.request.user, year)


class ConsortiumViewSet(PartyViewSet):
    serializer_class = ConsortiumSerializer

    @staticmethod
    def list_for(user):
        return (
            visible(user, Consortium.objects.select_related("area"))
            .prefetch_related("covered_areas", "compounds", "units")
            .order_by("name")
        )

    def save_service(self, instance, related):
        return services.consortium_save(
            actor=self.request.user, consortium=instance, related=related
        )


class ConsortiumMemberViewSet(PartyViewSet):
    serializer_class = ConsortiumMemberSerializer
    filterset_fields = ("consortium", "side")

    @staticmethod
    def list_for(user):
        return visible(user, ConsortiumMember.objects.select_related("consortium__area")).order_by(
            "consortium", "side", "name"
        )
