"""Party building's visit endpoint: the need found on a home visit listed as a party-building
demand (partybuilding → grids), the step the visit's page takes, through
``services.visit_raise_demand``."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.api.errors import service_errors
from governance.api.schema import CONFLICT
from grids import resident_selectors
from grids.api.resident_views import need_taken_conflict
from partybuilding import selectors, services
from partybuilding.api.serializers.cogovernance import DemandSerializer
from partybuilding.models import ServiceType
from partybuilding.services.visits import TITLE_LENGTH, can_raise_demand


class VisitDemandInputSerializer(serializers.Serializer):
    service_type = serializers.ChoiceField(choices=ServiceType.choices)
    title = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=TITLE_LENGTH,
        help_text="Empty: the need is the title.",
    )


class VisitDemandView(APIView):
    """List the need found on a home visit as an open party-building demand of the resident's
    building, linked both ways (``Visit.demand`` / ``Demand.visit``). The register's keepers and
    the party officers over the visit's building may (403 otherwise; 404 for a visit out of
    scope); a need listed once answers 409 the second time."""

    @extend_schema(
        request=VisitDemandInputSerializer,
        responses={201: DemandSerializer, 409: CONFLICT},
    )
    def post(self, request, pk: int):
        visit = resident_selectors.visit_list_for(request.user).filter(pk=pk).first()
        if visit is None:
            raise Http404
        if not can_raise_demand(request.user, visit):
            raise exceptions.PermissionDenied(_("You may not raise this visit's need as a demand."))
        serializer = VisitDemandInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors(), need_taken_conflict():
            demand = services.visit_raise_demand(
                actor=request.user,
                visit=visit,
                service_type=data["service_type"],
                title=data.get("title", ""),
            )
        # A grid worker may raise a demand without reading the party-building lists.
        demand = selectors.demand_list_for(request.user).filter(pk=demand.pk).first() or demand
        return Response(
            DemandSerializer(demand, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
