"""Writes to hidden dangers. Reporting is :func:`danger_report`; every later step goes through
:func:`danger_transition`, which follows the table in :mod:`grids.danger_workflow`.

Guarantees of every step: the danger row is locked (``SELECT ... FOR UPDATE``) for the whole
step; a step taken on a stale copy (another step came first) raises :class:`DangerConflict`; the
actor's role and scope and the danger's state are checked against the table; exactly one
:class:`HiddenDangerEvent` is written, with its photo; a step that starts a stage sets its
deadline in working time (:mod:`governance.workclock`) and counts a new stage entry, so that the
reminders of :mod:`grids.danger_reminders` run again once. When anything is refused, nothing is
written.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.workclock import add_working_time, working_periods_for
from grids import danger_workflow as workflow
from grids.field_common import (
    FIELD_AREA_KINDS,
    MAX_COMMENT,
    actor_name,
    clean_coordinates,
    clean_text,
    prepare_one_photo,
)
from grids.models import (
    OPEN_DANGER_STATES,
    Area,
    DangerCategory,
    DangerStage,
    DangerState,
    HiddenDanger,
    HiddenDangerEvent,
)
from grids.models.photos import discard_files

MAX_REQUIREMENT = 1000


class DangerConflict(Exception):
    """The danger changed between the moment the actor saw it and their step (HTTP 409)."""

    def __init__(self, message: str, *, danger: HiddenDanger | None = None):
        super().__init__(message)
        self.message = message
        self.danger = danger


def danger_report(
    *,
    actor,
    title: str,
    category: str,
    area: Area,
    description: str = "",
    address: str = "",
    latitude=None,
    longitude=None,
    responsible_party: str = "",
    photo=None,
    now: datetime | None = None,
) -> HiddenDanger:
    """Record a hidden danger (state found) with its photo and one "report" event.

    The reporter must hold a role of the table's "report" step with ``area`` in scope. A grid
    worker who reports it follows it up (the reminders go to them).
    """
    step = workflow.STEPS["report"]
    errors: dict[str, list] = {}
    title = clean_text(title, field="title", limit=100, errors=errors, required=True)
    if category not in DangerCategory.values:
        errors.setdefault("category", []).append(_("Choose the kind of danger."))
    if area is None:
        errors.setdefault("area", []).append(_("Choose where the danger is."))
    elif area.kind not in FIELD_AREA_KINDS:
        errors.setdefault("area", []).append(
            _("Choose a community, grid, micro-grid or building, not a %(kind)s.")
            % {"kind": area.get_kind_display()}
        )
    description = clean_text(description, field="description", limit=MAX_COMMENT, errors=errors)
    address = clean_text(address, field="address", limit=200, errors=errors)
    responsible_party = clean_text(
        responsible_party, field="responsible_party", limit=100, errors=errors
    )
    latitude, longitude = clean_coordinates(latitude, longitude, errors)
    if latitude is None and not address and "latitude" not in errors:
        errors.setdefault("address", []).append(
            _("Give the location: your position or an address.")
        )
    if errors:
        raise ValidationError(errors)
    role = workflow.role_for(actor, step, area)
    if role is None:
        raise PermissionDenied(
            _("You may not report hidden dangers in %(area)s.") % {"area": area.name}
        )
    prepared = prepare_one_photo(photo)
    now = now or timezone.now()
    danger = HiddenDanger(
        title=title,
        category=category,
        area=area,
        description=description,
        address=address,
        latitude=latitude,
        longitude=longitude,
        responsible_party=responsible_party,
        state=DangerState.FOUND,
        reported_by=actor,
        assignee=actor if role == "grid_worker" else None,
        found_at=now,
        version=1,
    )
    saved: list[str] = []
    try:
        with transaction.atomic():
            danger.save()
            event = HiddenDangerEvent(
                danger=danger,
                step=step.name,
                actor=actor,
                actor_name=actor_name(actor),
                role=role,
                from_state="",
                to_state=DangerState.FOUND,
                comment=description,
                created_at=now,
            )
            event.attach_photo(prepared, saved=saved)
            event.save()
    except BaseException:
        discard_files(saved)
        raise
    return danger


def danger_transition(
    *,
    danger: HiddenDanger,
    actor,
    step: str,
    version: int | None = None,
    now: datetime | None = None,
    **inputs,
) -> HiddenDanger:
    """Take ``step`` on ``danger`` with the step's ``inputs`` (see danger_workflow.INPUTS).

    ``version`` is the version the actor saw (default ``danger.version``); if another step came
    in between, :class:`DangerConflict` names who took it. Refusals: ValidationError on ``step``
    or on an input field; PermissionDenied (role or scope). The "escalate" step needs the
    ``case`` casework filed for it (casework's escalation service passes it).
    """
    spec = workflow.STEPS.get(step)
    if spec is None or spec.creates:
        raise ValidationError({"step": _("Unknown step: %(step)s.") % {"step": step}})
    unexpected = sorted(
        name for name, value in inputs.items() if name not in spec.inputs and _given(value)
    )
    if unexpected:
        raise ValidationError(
            {name: _("This step does not take this field.") for name in unexpected}
        )
    expected = danger.version if version is None else version
    _check_step(actor, danger, spec)
    prepared = prepare_one_photo(inputs.get("photo")) if "photo" in spec.inputs else None
    now = now or timezone.now()
    saved: list[str] = []
    try:
        with transaction.atomic():
            locked = (
                HiddenDanger.objects.select_for_update(of=("self",))
                .select_related("area")
                .get(pk=danger.pk)
            )
            if locked.version != expected:
                raise DangerConflict(conflict_message(locked), danger=locked)
            role = _check_step(actor, locked, spec)
            values = _clean_inputs(spec, inputs, prepared)
            event = _apply(spec, locked, actor=actor, role=role, values=values, now=now)
            locked.save()
            event.attach_photo(prepared, saved=saved)
            event.save()
    except BaseException:
        discard_files(saved)
        raise
    return locked


def _check_step(actor, danger: HiddenDanger, spec: workflow.Step) -> str:
    if danger.state not in spec.sources:
        raise ValidationError(
            {
                "step": _("%(step)s is not possible while the danger is %(state)s.")
                % {"step": spec.label, "state": danger.get_state_display()}
            }
        )
    role = workflow.role_for(actor, spec, danger.area)
    if role is None:
        raise PermissionDenied(
            _("You may not take this step on this hidden danger: %(step)s.") % {"step": spec.label}
        )
    return role


def _given(value) -> bool:
    return value not in (None, "", [], ())


def _clean_inputs(spec: workflow.Step, inputs: dict, prepared) -> dict:
    errors: dict[str, list] = {}
    values: dict = {}
    values["comment"] = clean_text(
        inputs.get("comment"),
        field="comment",
        limit=MAX_COMMENT,
        errors=errors,
        required="comment" in spec.required,
    )
    if "requirement" in spec.inputs:
        values["requirement"] = clean_text(
            inputs.get("requirement"),
            field="requirement",
            limit=MAX_REQUIREMENT,
            errors=errors,
            required="requirement" in spec.required,
        )
    if "responsible_party" in spec.inputs:
        values["responsible_party"] = clean_text(
            inputs.get("responsible_party"), field="responsible_party", limit=100, errors=errors
        )
    if "limit_days" in spec.inputs:
        days = inputs.get("limit_days")
        try:
            days = int(days)
        except (TypeError, ValueError):
            days = None
        if days not in workflow.LIMIT_DAY_CHOICES:
            errors.setdefault("limit_days", []).append(
                _("Choose how many working days: %(days)s.")
                % {"days": "、".join(str(d) for d in workflow.LIMIT_DAY_CHOICES)}
            )
        values["limit_days"] = days
    if "photo" in spec.required and prepared is None:
        errors.setdefault("photo", []).append(_("Add a photo."))
    if "case" in spec.inputs:
        case = inputs.get("case")
        if case is None or getattr(case, "pk", None) is None:
            errors.setdefault("case", []).append(
                _("A hidden danger is escalated by filing its case.")
            )
        values["case"] = case
    if errors:
        raise ValidationError(errors)
    return values


def _apply(spec, danger: HiddenDanger, *, actor, role, values, now) -> HiddenDangerEvent:
    """Move ``danger`` (in memory) through ``spec`` and return its unsaved event."""
    from_state = danger.state
    danger.state = spec.target
    if values.get("requirement"):
        danger.requirement = values["requirement"]
    if values.get("responsible_party"):
        danger.responsible_party = values["responsible_party"]
    if values.get("limit_days"):
        danger.limit_days = values["limit_days"]
    if values.get("case") is not None:
        danger.case = values["case"]
    if role == "grid_worker" and danger.assignee_id is None:
        danger.assignee = actor
    if spec.stage is not None:
        hours = (
            danger.limit_days * working_day_hours(danger.area)
            if spec.stage == DangerStage.RECTIFY
            else workflow.REINSPECT_HOURS
        )
        danger.stage_entry += 1
        danger.stage_started_at = now
        danger.due_at = add_working_time(now, hours, area=danger.area)
        danger.remind_at = add_working_time(now, hours * workflow.NEAR_DUE_SHARE, area=danger.area)
    else:
        danger.stage_started_at = danger.due_at = danger.remind_at = None
    if danger.state not in OPEN_DANGER_STATES:
        danger.closed_at = now
    danger.version += 1
    comment = values.get("comment") or values.get("requirement", "")
    return HiddenDangerEvent(
        danger=danger,
        step=spec.name,
        actor=actor,
        actor_name=actor_name(actor),
        role=role,
        from_state=from_state,
        to_state=danger.state,
        comment=comment,
        due_at=danger.due_at,
        created_at=now,
    )


def working_day_hours(area) -> float:
    """The working hours of one working day in the street of ``area`` (the clock's periods)."""
    periods = working_periods_for(area)
    total = sum(
        (
            datetime.combine(datetime.min, end) - datetime.combine(datetime.min, begin)
            for begin, end in periods
        ),
        timedelta(),
    )
    return total.total_seconds() / 3600


def conflict_message(danger: HiddenDanger) -> str:
    """Who changed ``danger`` last, and when: the message of a conflict."""
    last = danger.events.order_by("-created_at", "-pk").first()
    if last is None:
        return _("This hidden danger has just been changed; reload it and try again.")
    return _(
        "This hidden danger was already changed by %(name)s (%(step)s at %(time)s); reload it "
        "and try again."
    ) % {
        "name": last.actor_name or _("someone"),
        "step": workflow.step_label(last.step),
        "time": timezone.localtime(last.created_at).strftime("%H:%M:%S"),
    }
