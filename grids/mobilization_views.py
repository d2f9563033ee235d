"""The mobilization pages: tasks, issuing one, the live coverage board, taking part (sign up for
buildings, check them in a few taps on a phone), closing and the Excel export.

The board updates itself: its script polls :func:`board_data` every few seconds with the stamp it
last saw; the answer is a few hundred bytes of counts (or only "unchanged"). Polling works the
same on the embedded SQLite default and behind any number of web processes, where server-sent
events would hold a worker per open board.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from governance.forms import apply_service_errors
from governance.pagination import CappedPaginator
from governance.scopes import scope_of, visible
from grids import checkforms, field_exports
from grids import field_selectors as selectors
from grids import mobilization_services as services
from grids.field_forms import CheckReportForm, SignupForm, TaskIssueForm
from grids.field_pages import (
    PAGE_SIZE,
    geometry,
    int_or_none,
    map_settings,
    photo_response,
    say_refusal,
)
from grids.models import (
    Area,
    AreaKind,
    MobilizationKind,
    MobilizationReport,
    MobilizationSignup,
    MobilizationTask,
    TargetStatus,
)

# Seconds between two polls of the live board.
BOARD_POLL_SECONDS = 5
# Buildings listed at once on the participant page and on the board's building table.
TARGET_PAGE_SIZE = 30


def _task_or_404(user, pk: int) -> MobilizationTask:
    task = selectors.task_detail_for(user, pk)
    if task is None:
        raise Http404
    return task


def _may_issue(user) -> bool:
    return scope_of(user).has_role(*services.ISSUER_ROLES)


@login_required
@require_GET
def task_list(request):
    """Tasks the user works in or is called to (open first), and their own buildings."""
    qs = selectors.task_list_for(request.user)
    page = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    tasks = list(page.object_list)
    for task in tasks:
        task.percent = selectors.percent(task.done_count, task.building_count)
        task.reaches = selectors.reaches_task(request.user, task)
    signups = list(selectors.signups_of(request.user)[:50])
    return render(
        request,
        "grids/field/tasks.html",
        {
            "tasks": tasks,
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "signups": signups,
            "can_issue": _may_issue(request.user),
            "kinds": MobilizationKind.choices,
        },
    )


@login_required
def task_new(request):
    if not _may_issue(request.user):
        raise PermissionDenied(_("Tasks are issued by the street administrators and the center."))
    kind = request.GET.get("kind", MobilizationKind.FLOOD)
    if kind not in MobilizationKind.values:
        kind = MobilizationKind.FLOOD
    form = TaskIssueForm(
        request.POST or None, user=request.user, initial=TaskIssueForm.initial_for(kind)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                task = services.task_issue(
                    actor=request.user,
                    title=data["title"],
                    kind=data["kind"],
                    area=data["area"],
                    unit=data["unit"],
                    questions=form.questions(),
                    description=data["description"],
                    photo_required=data["photo_required"],
                    volunteers_welcome=data["volunteers_welcome"],
                    max_per_building=data["max_per_building"],
                    due_on=data["due_on"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Task issued: %(n)d buildings to check.") % {"n": task.building_count},
                )
                return redirect("field:task", pk=task.pk)
        status = 400
    return render(
        request,
        "grids/field/task_new.html",
        {"form": form, "kinds": MobilizationKind.choices, "kind": kind},
        status=status,
    )


# -- the board ------------------------------------------------------------------------------
def _focus(request, task: MobilizationTask) -> Area:
    """The area the board looks at: the task's area, or a community or grid inside it."""
    pk = int_or_none(request.GET.get("focus"))
    if pk and pk != task.area_id:
        area = visible(request.user, Area.objects.within(task.area).filter(pk=pk)).first()
        if area is not None and area.kind != AreaKind.BUILDING:
            return area
    return task.area


@login_required
@require_GET
def task_board(request, pk: int):
    task = _task_or_404(request.user, pk)
    if not selectors.reaches_task(request.user, task):
        return redirect("field:take_part", pk=task.pk)
    focus = _focus(request, task)
    data = selectors.board_payload(request.user, task, focus)
    level = selectors.group_level(task, focus)
    # The map shows the finest level the board lists: grids under a street, buildings in a grid.
    map_rows = "grids" if data.get("grids") else ("groups" if level else "buildings")
    if map_rows == "buildings":
        area_of = {b["id"]: b["area"] for b in data["buildings"]}
    else:
        area_of = {g["id"]: g["id"] for g in data[map_rows]}
    row_of = {area: row for row, area in area_of.items()}
    shapes = Area.objects.filter(pk__in=list(area_of.values())).only("pk", "name", "boundary")
    features = [
        {
            "type": "Feature",
            "geometry": geometry(shape.boundary),
            "properties": {"id": row_of[shape.pk], "name": shape.name},
        }
        for shape in shapes
        if shape.boundary
    ]
    ancestors = [
        a
        for a in Area.objects.filter(Area.ancestors_q(focus, include_self=False)).order_by("lft")
        if a.is_within(task.area)
    ]
    return render(
        request,
        "grids/field/task_board.html",
        {
            "task": task,
            "focus": focus,
            "trail": ancestors,
            "level": level,
            "board": data,
            "board_config": {
                **map_settings(),
                "url": reverse("field:task_data", args=[task.pk]) + f"?focus={focus.pk}",
                "every": BOARD_POLL_SECONDS,
                "features": features,
                "mapRows": map_rows,
            },
            "may_manage": services.may_manage(request.user, task),
            "questions": task.questions,
        },
    )


@login_required
@require_GET
def board_data(request, pk: int):
    """The live board's figures as JSON; ``since`` (the last stamp seen) answers only
    "unchanged" when nothing moved."""
    task = _task_or_404(request.user, pk)
    if not selectors.reaches_task(request.user, task):
        raise Http404
    stamp = selectors.coverage_stamp(task)
    if request.GET.get("since", "") == stamp:
        response = JsonResponse({"changed": False, "stamp": stamp})
    else:
        payload = selectors.board_payload(request.user, task, _focus(request, task), stamp=stamp)
        response = JsonResponse({"changed": True, **payload})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def task_close(request, pk: int):
    task = _task_or_404(request.user, pk)
    try:
        services.task_close(actor=request.user, task=task)
    except (ValidationError, PermissionDenied) as exc:
        say_refusal(request, exc)
    else:
        messages.success(request, _("Task closed: no more reports are taken."))
    return redirect("field:task", pk=task.pk)


@login_required
@require_GET
def task_export(request, pk: int):
    task = _task_or_404(request.user, pk)
    if not services.may_manage(request.user, task):
        raise PermissionDenied(_("The reports are exported by the street that issued the task."))
    handle = field_exports.write_reports(task)
    name = f"mobilization-{task.pk}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return FileResponse(
        handle, as_attachment=True, filename=name, content_type=field_exports.CONTENT_TYPE
    )


# -- taking part ----------------------------------------------------------------------------
@login_required
@require_GET
def take_part(request, pk: int):
    """A participant's page of one task: their buildings (check, withdraw) and the buildings
    still to take, grid by grid."""
    task = _task_or_404(request.user, pk)
    # Buildings still to check first: the next tap is at the top of the list.
    mine = sorted(
        selectors.signups_of(request.user, open_only=False).filter(target__task=task),
        key=lambda s: (s.target.status == TargetStatus.DONE, s.target.building.code),
    )
    grids = selectors.open_grids_for(request.user, task) if task.is_open else []
    offered = {g["id"] for g in grids}
    grid_pk = int_or_none(request.GET.get("grid"))
    if grid_pk not in offered:
        # The user's own grid when they work in one of the task's grids, else none chosen yet.
        own = [a.pk for a in scope_of(request.user).areas() if a.pk in offered]
        grid_pk = own[0] if own else (grids[0]["id"] if len(grids) == 1 else None)
    grid = Area.objects.filter(pk=grid_pk).first() if grid_pk else None
    page = None
    if grid is not None:
        page = CappedPaginator(
            selectors.open_targets_for(request.user, task, grid), TARGET_PAGE_SIZE
        ).get_page(request.GET.get("page"))
    first_target = page.object_list[0] if page is not None and page.object_list else None
    capacity = services.participant_capacity(request.user, first_target) if first_target else None
    return render(
        request,
        "grids/field/take_part.html",
        {
            "task": task,
            "mine": mine,
            "grids": grids,
            "grid": grid,
            "page_obj": page,
            "is_paginated": bool(page and page.has_other_pages()),
            "targets": page.object_list if page is not None else [],
            "signup_form": SignupForm() if capacity is None else None,
            "reaches": selectors.reaches_task(request.user, task),
        },
    )


def _target_or_404(user, task, target_pk: int):
    target = selectors.target_detail_for(user, task, target_pk)
    if target is None:
        raise Http404
    return target


@login_required
@require_POST
def target_signup(request, pk: int, target: int):
    task = _task_or_404(request.user, pk)
    target = _target_or_404(request.user, task, target)
    form = SignupForm(request.POST)
    capacity = form.cleaned_data["capacity"] if form.is_valid() else ""
    try:
        services.signup(actor=request.user, target=target, capacity=capacity)
    except (ValidationError, PermissionDenied) as exc:
        say_refusal(request, exc)
    else:
        messages.success(
            request, _("You signed up for %(building)s.") % {"building": target.building.name}
        )
    return redirect(f"{reverse('field:take_part', args=[task.pk])}?grid={target.grid_id or ''}")


@login_required
@require_POST
def signup_withdraw(request, pk: int, signup: int):
    task = _task_or_404(request.user, pk)
    found = (
        MobilizationSignup.objects.filter(pk=signup, user=request.user, target__task=task)
        .select_related("target")
        .first()
    )
    if found is None:
        raise Http404
    try:
        services.signup_withdraw(actor=request.user, signup=found)
    except (ValidationError, PermissionDenied) as exc:
        say_refusal(request, exc)
    else:
        messages.success(request, _("Your sign-up is withdrawn."))
    return redirect("field:take_part", pk=task.pk)


@login_required
def target_check(request, pk: int, target: int):
    """The check report of one building (or household): the task's questions, a photo."""
    task = _task_or_404(request.user, pk)
    target = _target_or_404(request.user, task, target)
    form = CheckReportForm(request.POST or None, request.FILES or None, task=task)
    status = 200
    if request.method == "POST":
        if not task.is_open:
            form.add_error(None, _("This task is closed: no more reports."))
        elif form.is_valid():
            try:
                services.report_submit(
                    actor=request.user,
                    target=target,
                    answers=form.answers(),
                    household=form.cleaned_data.get("household", ""),
                    note=form.cleaned_data.get("note", ""),
                    photo=form.cleaned_data.get("photo"),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Check of %(building)s recorded.") % {"building": target.building.name},
                )
                if task.by_household:
                    return redirect("field:target_check", pk=task.pk, target=target.pk)
                return redirect("field:take_part", pk=task.pk)
        status = 400
    reports = list(selectors.reports_of(request.user, target)[:20]) if task.by_household else []
    return render(
        request,
        "grids/field/target_check.html",
        {
            "task": task,
            "target": target,
            "form": form,
            "reports": reports,
            "is_participant": MobilizationSignup.objects.filter(
                target=target, user=request.user
            ).exists(),
            "photos_dropped": status == 400 and bool(request.FILES),
        },
        status=status,
    )


@login_required
@require_POST
def target_complete(request, pk: int, target: int):
    task = _task_or_404(request.user, pk)
    target = _target_or_404(request.user, task, target)
    try:
        services.target_complete(actor=request.user, target=target)
    except (ValidationError, PermissionDenied) as exc:
        say_refusal(request, exc)
    else:
        messages.success(
            request, _("%(building)s is checked.") % {"building": target.building.name}
        )
    return redirect("field:take_part", pk=task.pk)


@login_required
@require_GET
def target_detail(request, pk: int, target: int):
    """A building of the task as the board sees it: participants and every report."""
    task = _task_or_404(request.user, pk)
    if not selectors.reaches_task(request.user, task):
        raise Http404
    target = _target_or_404(request.user, task, target)
    # Who checked a building and what they answered is for the staff of its area.
    if not visible(request.user, Area.objects.filter(pk=target.building_id)).exists():
        raise Http404
    reports = list(selectors.reports_of(request.user, target))
    for report in reports:
        report.rows = [
            (q["label"], checkforms.answer_text(q, report.answers.get(q["key"])))
            for q in task.questions
        ]
    signups = list(target.signups.select_related("user").order_by("created_at"))
    return render(
        request,
        "grids/field/target_detail.html",
        {
            "task": task,
            "target": target,
            "reports": reports,
            "signups": signups,
            "TargetStatus": TargetStatus,
        },
    )


@login_required
@require_GET
def report_photo(request, pk: int, size: str):
    report = visible(request.user, MobilizationReport.objects.filter(pk=pk)).first()
    if report is None:
        raise Http404
    return photo_response(report, size)
