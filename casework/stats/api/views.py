"""``/api/v1/stats/``: the dashboard's figures for programs (a district platform collecting
them). The same definitions, the same scope: a user reads the areas of their dashboard only."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from casework.stats import compute, periods, selectors
from casework.stats.api.serializers import (
    AreaTableSerializer,
    DepartmentTableSerializer,
    SummarySerializer,
)

PARAMETERS = [
    OpenApiParameter(
        "area", OpenApiTypes.INT, description="Area id (default: the first of your scope)."
    ),
    OpenApiParameter(
        "period",
        OpenApiTypes.STR,
        enum=list(periods.PRESETS),
        description="today, week, month (default) or custom (with from and to).",
    ),
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day of a custom period."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day of a custom period."),
]


def _area_ref(area) -> dict:
    return {"id": area.pk, "name": area.name, "kind": area.kind, "code": area.code}


def _period_ref(period) -> dict:
    return {"first": period.first, "last": period.last}


class StatsViewSet(viewsets.ViewSet):
    """Figures of a period for an area of your scope, and its tables by child area and by
    department. Rates are percentages with one decimal, null when there is nothing to count."""

    def _context(self, request):
        user = request.user
        if not selectors.can_see_dashboard(user):
            raise exceptions.PermissionDenied(
                _("The statistics are for leaders, the street and the center.")
            )
        pk = request.query_params.get("area", "")
        if pk and not pk.isdigit():
            raise exceptions.ValidationError({"area": [_("Give an area id.")]})
        area = selectors.dashboard_area(user, pk)
        if area is None:
            raise exceptions.NotFound(_("No such area, or it is outside your scope."))
        period, errors = periods.from_params(request.query_params)
        if errors:
            raise exceptions.ValidationError({k: [v] for k, v in errors.items()})
        return area, period, selectors.stats_source(user, area), timezone.now()

    @extend_schema(parameters=PARAMETERS, responses=SummarySerializer)
    @action(detail=False)
    def summary(self, request):
        area, period, cases, now = self._context(request)
        comparison = selectors.key_figures(cases, period, now)
        return Response(
            {
                "area": _area_ref(area),
                "period": _period_ref(period),
                "previous_period": _period_ref(period.previous()),
                "figures": comparison.current.as_dict(),
                "previous_figures": comparison.previous.as_dict(),
            }
        )

    @extend_schema(parameters=PARAMETERS, responses=AreaTableSerializer)
    @action(detail=False)
    def areas(self, request):
        area, period, cases, now = self._context(request)
        rows = compute.by_children(cases, area, period, now)
        return Response(
            {
                "area": _area_ref(area),
                "period": _period_ref(period),
                "rows": [
                    {"area": _area_ref(child), "figures": figures.as_dict()}
                    for child, figures in rows
                ],
            }
        )

    @extend_schema(parameters=PARAMETERS, responses=DepartmentTableSerializer)
    @action(detail=False)
    def departments(self, request):
        area, period, cases, now = self._context(request)
        rows = selectors.by_department(cases, period, now)
        return Response(
            {
                "area": _area_ref(area),
                "period": _period_ref(period),
                "rows": [
                    {
                        "department": {"id": department.pk, "name": department.name},
                        "figures": figures.as_dict(),
                    }
                    for department, figures in rows
                ],
            }
        )
