"""The patrol pages: a grid worker's patrol on the phone (start, route, end), the list and the
route map. The route points come from the page's script through the API (``patrols/<id>/points/``);
findings are recorded on casework's finding page, which can file them as cases at once."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from governance.pagination import CappedPaginator
from governance.scopes import visible
from grids import field_selectors as selectors
from grids import patrol_services as services
from grids.field_forms import PatrolEndForm, PatrolStartForm, areas_under
from grids.field_pages import (
    PAGE_SIZE,
    geometry,
    int_or_none,
    map_settings,
    photo_response,
    say_refusal,
)
from grids.field_registry import FIELD_ROLES
from grids.models import Area, AreaKind
from grids.models.patrols import MAX_POINTS, MIN_POINT_SECONDS

# Seconds between two positions sent by the phone (the server refuses closer ones).
SEND_EVERY_SECONDS = 20
FILTER_KINDS = (AreaKind.STREET, AreaKind.COMMUNITY, AreaKind.GRID)


@login_required
@require_GET
def patrol_list(request):
    """A grid worker's patrol page (the open patrol or a start button, and their last patrols);
    for the other roles the patrols of their scope, filtered by area and dates."""
    user = request.user
    own_areas = services.patrol_areas_for(user)
    qs = selectors.patrol_list_for(user)
    area_pk = int_or_none(request.GET.get("area"))
    area = visible(user, Area.objects.filter(pk=area_pk)).first() if area_pk else None
    if area is not None:
        qs = qs.filter(Area.subtree_q(area, prefix="area__"))
    date_from = parse_date(request.GET.get("from") or "") if request.GET.get("from") else None
    date_to = parse_date(request.GET.get("to") or "") if request.GET.get("to") else None
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(started_at__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to:
        qs = qs.filter(
            started_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
        )
    if own_areas and not request.GET.get("all"):
        qs = qs.filter(worker=user)
    page = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    open_patrol = selectors.open_patrol_for(user) if own_areas else None
    context = {
        "is_worker": bool(own_areas),
        "open_patrol": open_patrol,
        "start_form": PatrolStartForm(areas=own_areas) if own_areas and not open_patrol else None,
        "end_form": PatrolEndForm() if open_patrol else None,
        "page_obj": page,
        "is_paginated": page.has_other_pages(),
        "patrols": page.object_list,
        "filter_areas": areas_under(user, FIELD_ROLES, FILTER_KINDS) if not own_areas else [],
        "selected_area": area,
        "date_from": date_from,
        "date_to": date_to,
    }
    if open_patrol is not None:
        context["tracker"] = _tracker_data(open_patrol)
    return render(request, "grids/field/patrols.html", context)


def _tracker_data(patrol) -> dict:
    """What the phone's tracker script needs: where to send, how often, the route so far."""
    return {
        **map_settings(),
        "pointsUrl": reverse("patrol-points", args=[patrol.pk]),
        "everySeconds": SEND_EVERY_SECONDS,
        "minSeconds": MIN_POINT_SECONDS,
        "maxPoints": MAX_POINTS,
        "pointCount": patrol.point_count,
        "distance": patrol.distance_m,
        "startedAt": patrol.started_at.isoformat(),
        "route": [[float(lat), float(lng)] for lat, lng in selectors.route_of(patrol)],
        "boundary": geometry(patrol.area.boundary),
    }


@login_required
@require_POST
def patrol_start(request):
    areas = services.patrol_areas_for(request.user)
    form = PatrolStartForm(request.POST, areas=areas)
    if not form.is_valid():
        messages.error(request, _("Choose the area to patrol."))
        return redirect("field:patrols")
    try:
        services.patrol_start(actor=request.user, area=form.cleaned_data["area"])
    except (ValidationError, PermissionDenied) as exc:
        say_refusal(request, exc)
    else:
        messages.success(request, _("Patrol started. Keep this page open to record the route."))
    return redirect("field:patrols")


@login_required
@require_POST
def patrol_end(request, pk: int):
    patrol = _patrol_or_404(request.user, pk)
    form = PatrolEndForm(request.POST)
    summary = form.cleaned_data["summary"] if form.is_valid() else ""
    try:
        patrol = services.patrol_end(actor=request.user, patrol=patrol, summary=summary)
    except (ValidationError, PermissionDenied) as exc:
        say_refusal(request, exc)
        return redirect("field:patrols")
    messages.success(
        request,
        _("Patrol ended: %(points)d positions, %(km).1f km.")
        % {"points": patrol.point_count, "km": patrol.distance_m / 1000},
    )
    return redirect("field:patrol", pk=patrol.pk)


def _patrol_or_404(user, pk: int):
    patrol = selectors.patrol_detail_for(user, pk)
    if patrol is None:
        raise Http404
    return patrol


@login_required
@require_GET
def patrol_detail(request, pk: int):
    patrol = _patrol_or_404(request.user, pk)
    findings = list(selectors.findings_for(request.user, patrol))
    route = selectors.route_of(patrol)
    map_data = {
        **map_settings(),
        "route": [[float(lat), float(lng)] for lat, lng in route],
        "boundary": geometry(patrol.area.boundary),
        "findings": [
            {
                "point": [float(f.latitude), float(f.longitude)],
                "label": f.description[:60],
            }
            for f in findings
            if f.latitude is not None
        ],
    }
    context = {
        "patrol": patrol,
        "findings": findings,
        "map_data": map_data,
        "is_mine": patrol.worker_id == request.user.pk,
        "end_form": PatrolEndForm()
        if patrol.is_open and patrol.worker_id == request.user.pk
        else None,
    }
    return render(request, "grids/field/patrol_detail.html", context)


@login_required
@require_GET
def finding_photo(request, pk: int, size: str):
    finding = selectors.finding_detail_for(request.user, pk)
    if finding is None:
        raise Http404
    return photo_response(finding, size)
