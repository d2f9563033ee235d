"""The hidden-danger pages: the list with its due and overdue ones, reporting (made for a phone),
and the danger page with its timeline and exactly the steps the user may take now (drawn from
:mod:`grids.danger_workflow`). Escalating as a case is casework's page (it files the case)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from governance.forms import apply_service_errors
from governance.models import Role
from governance.pagination import CappedPaginator
from governance.scopes import scope_of, visible
from governance.workclock import describe_remaining
from grids import danger_services as services
from grids import danger_workflow as workflow
from grids import field_selectors as selectors
from grids.field_forms import DangerReportForm, DangerStepForm, areas_under
from grids.field_pages import PAGE_SIZE, geometry, int_or_none, map_settings, photo_response
from grids.field_registry import FIELD_ROLES
from grids.models import (
    OPEN_DANGER_STATES,
    Area,
    AreaKind,
    DangerCategory,
    DangerState,
    HiddenDanger,
)

SHOWS = ("open", "due_soon", "overdue", "mine", "closed", "all")


@login_required
@require_GET
def danger_list(request):
    """Hidden dangers of the user's scope: open ones by default, soonest deadline first."""
    user = request.user
    now = timezone.now()
    base = selectors.danger_list_for(user)
    show = request.GET.get("show", "open")
    if show not in SHOWS:
        show = "open"
    qs = base
    if show == "open":
        qs = qs.filter(state__in=list(OPEN_DANGER_STATES))
    elif show == "due_soon":
        qs = qs.filter(selectors.due_soon_q(now))
    elif show == "overdue":
        qs = qs.filter(selectors.overdue_q(now))
    elif show == "mine":
        qs = qs.filter(assignee=user, state__in=list(OPEN_DANGER_STATES))
    elif show == "closed":
        qs = qs.exclude(state__in=list(OPEN_DANGER_STATES))
    category = request.GET.get("category", "")
    if category in DangerCategory.values:
        qs = qs.filter(category=category)
    area_pk = int_or_none(request.GET.get("area"))
    area = visible(user, Area.objects.filter(pk=area_pk)).first() if area_pk else None
    if area is not None:
        qs = qs.filter(Area.subtree_q(area, prefix="area__"))
    if show in ("open", "due_soon", "overdue", "mine"):
        qs = qs.order_by(F("due_at").asc(nulls_last=True), "-found_at", "-pk")
    page = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    dangers = list(page.object_list)
    for danger in dangers:
        danger.remaining = (
            describe_remaining(danger.due_at, now, area=danger.area) if danger.due_at else ""
        )
        danger.is_overdue = danger.is_overdue(now)
    context = {
        "counts": selectors.danger_counts(base, now),
        "show": show,
        "shows": [
            ("open", pgettext("hidden dangers", "Open")),
            ("due_soon", _("Due within a day")),
            ("overdue", _("Overdue")),
            ("mine", _("Followed up by me")),
            ("closed", pgettext("hidden dangers", "Closed")),
            ("all", _("All")),
        ],
        "category": category,
        "categories": DangerCategory.choices,
        "areas": areas_under(user, FIELD_ROLES, (AreaKind.COMMUNITY, AreaKind.GRID)),
        "selected_area": area,
        "dangers": dangers,
        "page_obj": page,
        "is_paginated": page.has_other_pages(),
        "can_report": _can_report(user),
    }
    return render(request, "grids/field/dangers.html", context)


def _can_report(user) -> bool:
    return scope_of(user).has_role(*workflow.STEPS["report"].roles)


@login_required
def danger_new(request):
    if not _can_report(request.user):
        raise PermissionDenied(_("Your roles do not include reporting hidden dangers."))
    form = DangerReportForm(request.POST or None, request.FILES or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                danger = services.danger_report(actor=request.user, **data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Hidden danger recorded."))
                return redirect("field:danger", pk=danger.pk)
        status = 400
    return render(
        request,
        "grids/field/danger_new.html",
        {"form": form, "photos_dropped": status == 400 and bool(request.FILES)},
        status=status,
    )


def _danger_or_404(user, pk: int) -> HiddenDanger:
    danger = selectors.danger_detail_for(user, pk)
    if danger is None:
        raise Http404
    return danger


@login_required
@require_GET
def danger_detail(request, pk: int):
    return _render_detail(request, _danger_or_404(request.user, pk))


def _render_detail(request, danger, *, bound: DangerStepForm | None = None, status: int = 200):
    now = timezone.now()
    events = list(selectors.danger_events(danger))
    role_labels = dict(Role.choices)
    for event in events:
        event.step_label = workflow.step_label(event.step)
        event.role_label = role_labels.get(event.role, _("Administrator") if event.role else "")
    steps = workflow.available_steps(request.user, danger)
    forms = []
    for step in steps:
        if step.via_case:
            continue
        forms.append(
            bound
            if bound is not None and bound.step.name == step.name
            else DangerStepForm(step=step, danger=danger)
        )
    point = (
        [float(danger.latitude), float(danger.longitude)] if danger.latitude is not None else None
    )
    context = {
        "danger": danger,
        "events": events,
        "step_forms": forms,
        "may_escalate": any(step.via_case for step in steps),
        "refused": bound if bound is not None and bound not in forms else None,
        "remaining": describe_remaining(danger.due_at, now, area=danger.area)
        if danger.due_at
        else "",
        "is_overdue": danger.is_overdue(now),
        "map_data": {
            **map_settings(),
            "point": point,
            "boundary": geometry(danger.area.boundary),
        },
        "states": [
            (DangerState.FOUND, DangerState.FOUND.label),
            (DangerState.RECTIFYING, DangerState.RECTIFYING.label),
            (DangerState.REINSPECTING, DangerState.REINSPECTING.label),
            (DangerState.CLEARED, DangerState.CLEARED.label),
        ],
    }
    return render(request, "grids/field/danger_detail.html", context, status=status)


@login_required
@require_POST
def danger_step(request, pk: int, step: str):
    danger = _danger_or_404(request.user, pk)
    spec = workflow.STEPS.get(step)
    if spec is None or spec.creates or spec.via_case:
        raise Http404
    seen = request.POST.get(f"{spec.name}-version", "")
    if seen.isdigit() and int(seen) != danger.version:
        # Checked before the inputs: what was typed was meant for a danger that has moved on.
        messages.error(request, services.conflict_message(danger))
        return redirect("field:danger", pk=danger.pk)
    form = DangerStepForm(request.POST, request.FILES, step=spec, danger=danger)
    if not form.is_valid():
        return _render_detail(request, danger, bound=form, status=400)
    try:
        services.danger_transition(
            danger=danger,
            actor=request.user,
            step=spec.name,
            version=form.cleaned_data["version"],
            **form.step_inputs(),
        )
    except services.DangerConflict as exc:
        messages.error(request, exc.message)
        return redirect("field:danger", pk=danger.pk)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _render_detail(request, danger, bound=form, status=400)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return _render_detail(request, danger, bound=form, status=403)
    messages.success(request, _("%(step)s: done.") % {"step": spec.label})
    return redirect("field:danger", pk=danger.pk)


@login_required
@require_GET
def danger_photo(request, pk: int, event: int, size: str):
    danger = _danger_or_404(request.user, pk)
    record = danger.events.filter(pk=event).first()
    if record is None:
        raise Http404
    return photo_response(record, size)
