"""Endpoints of units, agreements, the three lists, projects and micro-wishes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.api.errors import service_errors
from governance.api.privacy import reveal_action
from partybuilding import filters, selectors, services
from partybuilding.api.serializers.cogovernance import (
    AgreementSerializer,
    ClaimSerializer,
    DemandSerializer,
    FulfilSerializer,
    MatchSerializer,
    ProjectSerializer,
    ProjectStatusSerializer,
    ProjectUpdateSerializer,
    ResourceSerializer,
    UnitSerializer,
    WishSerializer,
)
from partybuilding.api.views.common import PartyViewSet, status_step_action, step_input
from partybuilding.models import CoConstructionUnit, MicroWish, PairingAgreement


class UnitViewSet(PartyViewSet):
    """Co-construction units. The contact phone is masked for every caller; ``reveal`` reads it
    in full for a party officer or street administrator in scope (with a reason, logged)."""

    serializer_class = UnitSerializer
    filterset_class = filters.UnitFilterSet
    list_for = staticmethod(selectors.unit_list_for)
    reveal = reveal_action(CoConstructionUnit, ("contact_phone",))


class AgreementViewSet(PartyViewSet):
    serializer_class = AgreementSerializer
    filterset_class = filters.AgreementFilterSet
    list_for = staticmethod(selectors.agreement_list_for)
    status_step = status_step_action(
        PairingAgreement, services.agreement_set_status, "agreement", AgreementSerializer
    )


class DemandViewSet(PartyViewSet):
    serializer_class = DemandSerializer
    filterset_class = filters.DemandFilterSet
    list_for = staticmethod(selectors.demand_list_for)

    @extend_schema(responses=ResourceSerializer(many=True))
    @action(detail=True)
    def suggestions(self, request, pk=None):
        demand = self.get_object()
        return Response(
            ResourceSerializer(selectors.suggest_resources(request.user, demand), many=True).data
        )

    @extend_schema(request=MatchSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def match(self, request, pk=None):
        demand = self.get_object()
        data = step_input(MatchSerializer, request)
        resources = list(selectors.resource_list_for(request.user).filter(pk__in=data["resources"]))
        if len(resources) != len(set(data["resources"])):
            raise exceptions.ValidationError({"resources": ["Unknown resource."]})
        with service_errors():
            project = services.demand_match(
                actor=request.user, demand=demand, resources=resources, name=data["name"]
            )
        project = selectors.project_list_for(request.user).get(pk=project.pk)
        return Response(
            ProjectSerializer(project, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ResourceViewSet(PartyViewSet):
    serializer_class = ResourceSerializer
    filterset_class = filters.ResourceFilterSet
    list_for = staticmethod(selectors.resource_list_for)


class ProjectViewSet(PartyViewSet):
    serializer_class = ProjectSerializer
    filterset_class = filters.ProjectFilterSet
    list_for = staticmethod(selectors.project_list_for)

    def save_service(self, instance, related):
        return services.project_save(
            actor=self.request.user, project=instance, units=related.get("units")
        )

    def delete_service(self, instance):
        services.project_delete(actor=self.request.user, project=instance)

    @extend_schema(request=ProjectStatusSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        project = self.get_object()
        data = step_input(ProjectStatusSerializer, request)
        with service_errors():
            services.project_set_status(actor=request.user, project=project, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=project.pk)).data)

    @extend_schema(responses=ProjectUpdateSerializer(many=True))
    @action(detail=True)
    def timeline(self, request, pk=None):
        project = self.get_object()
        page = self.paginate_queryset(project.updates.order_by("-happened_on", "-pk"))
        return self.get_paginated_response(ProjectUpdateSerializer(page, many=True).data)


class WishViewSet(PartyViewSet):
    """Micro-wishes. The resident's phone is masked for every caller; ``reveal`` reads it in full
    for a party officer or street administrator in scope (with a reason, logged)."""

    serializer_class = WishSerializer
    filterset_class = filters.WishFilterSet
    list_for = staticmethod(selectors.wish_list_for)
    reveal = reveal_action(MicroWish, ("resident_phone",))

    def _step(self, request, fn, serializer_class=None):
        wish = self.get_object()
        data = step_input(serializer_class, request) if serializer_class else {}
        with service_errors():
            wish = fn(actor=request.user, wish=wish, **data)
        return Response(self.get_serializer(wish).data)

    @extend_schema(request=ClaimSerializer, responses=WishSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        return self._step(request, services.wish_claim, ClaimSerializer)

    @extend_schema(request=FulfilSerializer, responses=WishSerializer)
    @action(detail=True, methods=["post"])
    def fulfil(self, request, pk=None):
        return self._step(request, services.wish_fulfil, FulfilSerializer)

    @extend_schema(request=None, responses=WishSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        return self._step(request, services.wish_release)

    @extend_schema(request=None, responses=WishSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._step(request, services.wish_withdraw)
