"""Writes of mobilization tasks: issuing (with the split per building), sign-ups, check reports,
closing.

Who may take part (the rule, in :func:`participant_capacity`): portal users only. Staff whose role
scope holds the building (grid workers, community and street staff, party officers) take part in
their capacity; a user posted on the building or above it (a building team leader, a part-time grid
member with a portal login) as that post; anybody else signed in — a dual-reported party member or
a volunteer, who may hold no role at all — only when the task welcomes volunteers, in the capacity
they declare, for at most :data:`MAX_SELF_DECLARED_BUILDINGS` buildings of a task. Party membership
is the party-building app's record; the grids app cannot read it (dependencies point the other
way), so here it is declared, and shown as declared.

Concurrency: a sign-up and a report lock the building's target row; a report also holds the task
row (``FOR NO KEY UPDATE``), so that closing the task (an UPDATE of that row) waits for reports in
flight and no report lands after the close. A report is unique per building and household.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.models import Role
from governance.scopes import scope_of
from grids.checkforms import clean_answers, clean_questions
from grids.field_common import clean_text, prepare_one_photo
from grids.models import (
    Area,
    AreaKind,
    Capacity,
    CheckUnit,
    GridStaff,
    MobilizationKind,
    MobilizationReport,
    MobilizationSignup,
    MobilizationTarget,
    MobilizationTask,
    TargetStatus,
    TaskStatus,
)
from grids.models.mobilization import SELF_DECLARED
from grids.models.photos import discard_files

# Who issues and closes tasks: the street (its administrators and the grid center).
ISSUER_ROLES = frozenset({Role.STREET_ADMIN, Role.CENTER_SUPERVISOR})
# Roles that take part in their own capacity inside their scope.
STAFF_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.COMMUNITY_DISPATCHER,
        Role.CENTER_SUPERVISOR,
        Role.STREET_ADMIN,
        Role.PARTY_OFFICER,
    }
)
TASK_AREA_KINDS = frozenset(
    {AreaKind.DISTRICT, AreaKind.STREET, AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.MICRO_GRID}
)
MAX_PER_BUILDING = 20
MAX_SELF_DECLARED_BUILDINGS = 20
BULK_BATCH = 2000
_BUILDING_POSTS = {
    GridStaff.Position.BUILDING_LEADER,
    GridStaff.Position.SECOND_BUILDING_LEADER,
}


def task_issue(*, actor, now: datetime | None = None, **fields) -> MobilizationTask:
    """Issue a task and split it: one target per building of its area's subtree, each with its
    grid and community, inserted in bulk in the same transaction (a district's 30,000 buildings
    take a few inserts, not 30,000). ``fields`` are :func:`clean_issue`'s; the actor is a street
    admin or the center with the area in scope. Raises ValidationError naming the field (also
    when the area has no building); nothing is written then."""
    values = clean_issue(actor=actor, now=now, **fields)
    with transaction.atomic():
        task = MobilizationTask.objects.create(issued_by=actor, **values)
        count = split_targets(task)
        if not count:
            raise ValidationError(
                {"area": _("There are no buildings in %(area)s.") % {"area": task.area.name}}
            )
        MobilizationTask.objects.filter(pk=task.pk).update(building_count=count)
        task.building_count = count
    return task


def clean_issue(
    *,
    actor,
    title: str,
    kind: str,
    area: Area | None,
    questions,
    unit: str = CheckUnit.BUILDING,
    description: str = "",
    photo_required: bool = False,
    volunteers_welcome: bool = True,
    max_per_building: int = 3,
    due_on: date | None = None,
    now: datetime | None = None,
) -> dict:
    """The checked fields of a new task (the questions numbered), or ValidationError naming
    each wrong field, or PermissionDenied when ``actor`` may not issue tasks for ``area``.
    Writes nothing: the admin's form asks it before saving."""
    errors: dict[str, list] = {}
    title = clean_text(title, field="title", limit=100, errors=errors, required=True)
    description = clean_text(description, field="description", limit=2000, errors=errors)
    if kind not in MobilizationKind.values:
        errors.setdefault("kind", []).append(_("Choose the kind of task."))
    if unit not in CheckUnit.values:
        errors.setdefault("unit", []).append(_("Choose what is reported."))
    if area is None:
        errors.setdefault("area", []).append(_("Choose the area to check."))
    elif area.kind not in TASK_AREA_KINDS:
        errors.setdefault("area", []).append(
            _("Choose a street, community, grid or micro-grid, not a %(kind)s.")
            % {"kind": area.get_kind_display()}
        )
    try:
        max_per_building = int(max_per_building)
    except (TypeError, ValueError):
        max_per_building = 0
    if not 1 <= max_per_building <= MAX_PER_BUILDING:
        errors.setdefault("max_per_building", []).append(
            _("Between 1 and %(n)d participants per building.") % {"n": MAX_PER_BUILDING}
        )
    now = now or timezone.now()
    if due_on is not None and due_on < timezone.localdate(now):
        errors.setdefault("due_on", []).append(_("The date has passed."))
    try:
        questions = clean_questions(questions)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if not _may_issue(actor, area):
        raise PermissionDenied(_("You may not issue tasks for %(area)s.") % {"area": area.name})
    return {
        "title": title,
        "kind": kind,
        "description": description,
        "area": area,
        "unit": unit,
        "questions": questions,
        "photo_required": bool(photo_required),
        "volunteers_welcome": bool(volunteers_welcome),
        "max_per_building": max_per_building,
        "due_on": due_on,
    }


def split_targets(task: MobilizationTask) -> int:
    """One target per building below the task's area, with its grid and community (found by
    tree ranges in bulk, see ``TreeModel.enclosing``). Returns how many were written."""
    area = task.area
    buildings = Area.objects.within(area).filter(kind=AreaKind.BUILDING)
    # A micro-grid's grid and community lie above it; a street's lie below.
    around = Area.ancestors_q(area, include_self=True) | Area.subtree_q(area)
    grid_of = Area.enclosing(buildings, Area.objects.filter(around, kind=AreaKind.GRID))
    community_of = Area.enclosing(buildings, Area.objects.filter(around, kind=AreaKind.COMMUNITY))
    rows = (
        MobilizationTarget(
            task=task,
            building_id=pk,
            grid_id=grid_of.get(pk),
            community_id=community_of.get(pk),
            households=households,
        )
        for pk, households in buildings.order_by("code").values_list("pk", "households")
    )
    count = 0
    batch: list[MobilizationTarget] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BULK_BATCH:
            MobilizationTarget.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    MobilizationTarget.objects.bulk_create(batch)
    return count + len(batch)


def _may_issue(actor, area: Area) -> bool:
    scope = scope_of(actor)
    return scope.is_superuser or any(area.is_within(a) for a in scope.areas(ISSUER_ROLES))


def may_manage(actor, task: MobilizationTask) -> bool:
    """May ``actor`` close the task and export its reports (the street that issued it)?"""
    return _may_issue(actor, task.area)


def task_close(*, actor, task: MobilizationTask, now: datetime | None = None) -> MobilizationTask:
    """Close ``task``: no more sign-ups or reports. A conditional update, so closing twice is
    refused with a message and a report in flight either commits before it or is refused."""
    if not may_manage(actor, task):
        raise PermissionDenied(_("You may not close this task."))
    now = now or timezone.now()
    closed = MobilizationTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
        status=TaskStatus.CLOSED, closed_at=now, closed_by=actor, updated_at=now
    )
    if not closed:
        raise ValidationError({"status": _("This task is closed already.")})
    task.refresh_from_db()
    return task


# -- taking part ----------------------------------------------------------------------------
def participant_capacity(user, target: MobilizationTarget) -> str | None:
    """The capacity ``user`` has for ``target``'s building by role or post, or None (then they
    may only volunteer, when the task welcomes it). At most one query (their posts)."""
    scope = scope_of(user)
    if scope.is_superuser:
        return Capacity.STAFF
    building = target.building
    roles = {a.role for a in scope.assignments if a.area_id and building.is_within(a.area)}
    if Role.GRID_WORKER in roles:
        return Capacity.GRID_WORKER
    if roles & STAFF_ROLES:
        return Capacity.STAFF
    posts = set(
        GridStaff.objects.filter(
            Area.ancestors_q(building, include_self=True, prefix="area__"),
            user=user,
            ended_on__isnull=True,
        ).values_list("position", flat=True)
    )
    if posts & _BUILDING_POSTS:
        return Capacity.BUILDING_LEADER
    if posts:
        return Capacity.GRID_WORKER
    return None


def signup(
    *, actor, target: MobilizationTarget, capacity: str = "", now: datetime | None = None
) -> MobilizationSignup:
    """Sign ``actor`` up for ``target``'s building (see the module for who may). Refused when the
    task is closed, the building has its participants, or the actor is signed up already."""
    own = participant_capacity(actor, target)
    task = target.task
    if own is None:
        if not task.volunteers_welcome:
            raise PermissionDenied(
                _("This task is for grid staff only; volunteers are not called for it.")
            )
        capacity = capacity or Capacity.VOLUNTEER
        if capacity not in SELF_DECLARED:
            raise ValidationError({"capacity": _("Sign up as a party member or as a volunteer.")})
    else:
        capacity = own
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(target)
        if not locked.task.is_open:
            raise ValidationError({"task": _("This task is closed.")})
        if own is None and (
            MobilizationSignup.objects.filter(user=actor, target__task=locked.task).count()
            >= MAX_SELF_DECLARED_BUILDINGS
        ):
            raise ValidationError(
                {
                    "target": _("A volunteer takes at most %(n)d buildings of a task.")
                    % {"n": MAX_SELF_DECLARED_BUILDINGS}
                }
            )
        return _add_signup(locked, actor, capacity, now, enforce_room=own is None)


def _add_signup(target, actor, capacity, now, *, enforce_room: bool) -> MobilizationSignup:
    if MobilizationSignup.objects.filter(target=target, user=actor).exists():
        raise ValidationError({"target": _("You have signed up for this building already.")})
    if enforce_room and target.signup_count >= target.task.max_per_building:
        raise ValidationError(
            {
                "target": _("%(building)s has its %(n)d participants already.")
                % {"building": target.building.name, "n": target.task.max_per_building}
            }
        )
    try:
        with transaction.atomic():
            created = MobilizationSignup.objects.create(
                target=target, user=actor, capacity=capacity, created_at=now
            )
    except IntegrityError:
        raise ValidationError(
            {"target": _("You have signed up for this building already.")}
        ) from None
    MobilizationTarget.objects.filter(pk=target.pk).update(signup_count=F("signup_count") + 1)
    return created


def signup_withdraw(*, actor, signup: MobilizationSignup) -> None:
    """Withdraw ``actor``'s own sign-up, while the task is open and before they report on it."""
    if signup.user_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("You may withdraw only your own sign-up."))
    with transaction.atomic():
        locked = _lock(signup.target)
        if not locked.task.is_open:
            raise ValidationError({"task": _("This task is closed.")})
        if MobilizationReport.objects.filter(target=locked, reporter=actor).exists():
            raise ValidationError(
                {"target": _("You have reported on this building: your sign-up stays.")}
            )
        deleted, _rows = MobilizationSignup.objects.filter(pk=signup.pk).delete()
        if deleted:
            MobilizationTarget.objects.filter(pk=locked.pk).update(
                signup_count=F("signup_count") - 1
            )


def report_submit(
    *,
    actor,
    target: MobilizationTarget,
    answers,
    household: str = "",
    note: str = "",
    photo=None,
    now: datetime | None = None,
) -> MobilizationReport:
    """File the check of ``target``'s building (or of one household of it).

    The answers are checked against the task's questions; a household task needs the household,
    a building task takes one report per building. The reporter is signed up for the building,
    or is staff in scope (then they are signed up by this report). The building is checked
    (done) with its first report, or, by household, once every household has one. Raises
    ValidationError naming the field (a question's key for an answer), PermissionDenied.
    """
    task = target.task
    errors: dict[str, list] = {}
    household = clean_text(
        household, field="household", limit=30, errors=errors, required=task.by_household
    )
    if not task.by_household:
        household = ""
    note = clean_text(note, field="note", limit=500, errors=errors)
    try:
        answers = clean_answers(task.questions, answers)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if task.photo_required and not photo:
        errors.setdefault("photo", []).append(_("This task asks for a photo."))
    if errors:
        raise ValidationError(errors)
    own = participant_capacity(actor, target)
    prepared = prepare_one_photo(photo)
    now = now or timezone.now()
    saved: list[str] = []
    try:
        with transaction.atomic():
            locked = _lock(target)
            if not locked.task.is_open:
                raise ValidationError({"task": _("This task is closed: no more reports.")})
            signed_up = MobilizationSignup.objects.filter(target=locked, user=actor).exists()
            if not signed_up:
                if own is None:
                    raise PermissionDenied(_("Sign up for this building before you report on it."))
                _add_signup(locked, actor, own, now, enforce_room=False)
            report = MobilizationReport(
                target=locked,
                reporter=actor,
                household=household,
                answers=answers,
                note=note,
                created_at=now,
            )
            report.attach_photo(prepared, saved=saved)
            try:
                with transaction.atomic():
                    report.save()
            except IntegrityError:
                raise ValidationError(
                    {"household": _("This household has been checked already.")}
                    if task.by_household
                    else {"target": _("This building has been checked already.")}
                ) from None
            _count_report(locked, actor, now)
    except BaseException:
        discard_files(saved)
        raise
    return report


def _count_report(target: MobilizationTarget, actor, now: datetime) -> None:
    target.report_count += 1
    target.last_report_at = now
    done = not target.task.by_household or (
        target.households and target.report_count >= target.households
    )
    if done and target.status != TargetStatus.DONE:
        target.status = TargetStatus.DONE
        target.done_at, target.done_by = now, actor
    elif target.status == TargetStatus.PENDING:
        target.status = TargetStatus.STARTED
    target.save(update_fields=["report_count", "last_report_at", "status", "done_at", "done_by"])


def target_complete(*, actor, target: MobilizationTarget, now: datetime | None = None) -> None:
    """Mark a building of a household task checked although not every household has a report
    (nobody home, rooms vacant): by a participant of the building who has reported on it."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(target)
        if not locked.task.is_open:
            raise ValidationError({"task": _("This task is closed.")})
        if not locked.task.by_household or locked.status == TargetStatus.DONE:
            raise ValidationError({"target": _("This building is checked already.")})
        if not MobilizationSignup.objects.filter(target=locked, user=actor).exists():
            raise PermissionDenied(_("Only a participant of this building marks it checked."))
        if not locked.report_count:
            raise ValidationError({"target": _("Report at least one household first.")})
        locked.status = TargetStatus.DONE
        locked.done_at, locked.done_by = now, actor
        locked.save(update_fields=["status", "done_at", "done_by"])


def _lock(target: MobilizationTarget) -> MobilizationTarget:
    """The target row locked, with its task held against a concurrent close."""
    task_qs = MobilizationTask.objects.filter(pk=target.task_id)
    if connection.features.has_select_for_update:
        task_qs = task_qs.select_for_update(no_key=connection.vendor == "postgresql")
    task = task_qs.get()
    locked = (
        MobilizationTarget.objects.select_for_update(of=("self",))
        .select_related("building")
        .get(pk=target.pk)
    )
    locked.task = task
    return locked
