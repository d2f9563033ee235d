"""Writes around deadlines that people take: extension (延期) and suspension (挂起/缓办) requests
and their decisions, resuming a suspended case, and supervision orders (督办单) and their answers.

Every write locks the case row (``SELECT ... FOR UPDATE``) for its transaction, writes one
internal :class:`~casework.models.CaseEvent` (these are steps in the case's log), and tells the
other side through :func:`governance.notifications.notify` (deliveries enqueued on commit). A
write that changes the due time raises the case version, so a step taken on a stale copy of the
case is refused as a conflict. When anything is refused, nothing is written. Who may do what is
:mod:`casework.deadlines.permissions`' answer; whom to tell, :mod:`casework.deadlines.selectors`'.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import clock
from casework.deadlines import permissions
from casework.deadlines.models import DeadlineRequest, SupervisionOrder
from casework.deadlines.selectors import center_people, holder_people
from casework.models import Case, CaseEvent, Holder
from casework.selectors import center_role, holder_role
from casework.workflow import step_label
from governance.notifications import notify

MAX_TEXT = 2000
MAX_EXTENSION_HOURS = Decimal("400")
DEFAULT_REPLY_HOURS = 8


class DeadlineConflict(ValidationError):
    """Somebody acted on the request, the order or the case first (a second decision, a second
    answer, a second request waiting). Still a ValidationError on a field, so forms show it
    where it belongs; the API answers it with 409."""


# -- extension and suspension ---------------------------------------------------------------
def deadline_request_create(
    *,
    case: Case,
    actor,
    kind: str,
    reason: str,
    hours: Decimal | str | float | None = None,
    now: datetime | None = None,
) -> DeadlineRequest:
    """The holder asks for more time (``kind="extension"`` with ``hours`` of working time) or to
    stop the clock (``"suspension"``). One request may wait per case (a partial unique
    constraint). Writes the request and a ``request_*`` event; tells the center."""
    now = now or timezone.now()
    errors: dict[str, list] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Give the reason.")]
    elif len(reason) > MAX_TEXT:
        errors["reason"] = [_("At most %(n)d characters.") % {"n": MAX_TEXT}]
    if kind not in DeadlineRequest.Kind.values:
        errors["kind"] = [_("Choose extension or suspension.")]
    extra = None
    if kind == DeadlineRequest.Kind.EXTENSION:
        extra = _hours(hours, errors)
    elif hours not in (None, ""):
        errors["hours"] = [_("A suspension stops the clock; it takes no hours.")]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        locked = _lock(case)
        if holder_role(actor, locked) is None:
            raise PermissionDenied(_("Only whoever holds the case may ask for more time."))
        if not permissions.limit_runs(locked):
            raise ValidationError(
                {"kind": _("No time limit runs on this case now (closed, or suspended).")}
            )
        request = DeadlineRequest(
            case=locked,
            kind=kind,
            stage=locked.stage,
            reason=reason,
            hours=extra,
            requested_by=actor,
            due_before=locked.due_at,
        )
        try:
            with transaction.atomic():
                request.save()
        except IntegrityError:
            raise DeadlineConflict(
                {"kind": _("This case already has a request waiting for the center.")}
            ) from None
        step = f"request_{kind}"
        comment = reason
        if extra is not None:
            comment = _("%(hours)s more working hours: %(reason)s") % {
                "hours": _format_hours(extra),
                "reason": reason,
            }
        _event(locked, step, actor, comment, now)
        notify(
            recipients=center_people(locked),
            kind=f"case.{step}",
            title=_("%(what)s: %(number)s %(title)s")
            % {"what": step_label(step), "number": locked.number, "title": locked.title},
            body=comment,
            url=reverse("deadlines:case", args=[locked.pk]),
            key=f"deadline-request:{request.pk}",
            now=now,
        )
    return request


def deadline_request_decide(
    *,
    request: DeadlineRequest,
    actor,
    approve: bool,
    comment: str = "",
    now: datetime | None = None,
) -> DeadlineRequest:
    """The center approves or refuses a waiting request.

    An approved extension moves the due time by the hours asked, counted in working time from
    the current due time. An approved suspension keeps the working time left (nothing when
    already overdue) and clears the due time: the scan skips the case until it is resumed. The
    case must still be in the stage the request was made in. Writes an ``approve_*`` or
    ``refuse_*`` event and tells whoever asked.
    """
    now = now or timezone.now()
    comment = (comment or "").strip()
    if len(comment) > MAX_TEXT:
        raise ValidationError({"comment": _("At most %(n)d characters.") % {"n": MAX_TEXT}})
    if not approve and not comment:
        raise ValidationError({"comment": _("Say why the request is refused.")})
    with transaction.atomic():
        case = _lock(request.case)
        if not permissions.may_decide(actor, case):
            raise PermissionDenied(_("Only the grid management center decides on requests."))
        request = DeadlineRequest.objects.select_for_update().get(pk=request.pk)
        request.case = case  # its save names the case's street to the menu's badges
        if request.status != DeadlineRequest.Status.PENDING:
            raise DeadlineConflict({"status": _("This request has been decided already.")})
        if approve and (case.stage != request.stage or case.due_at is None):
            raise DeadlineConflict(
                {"status": _("The case has moved on since the request; it no longer applies.")}
            )
        request.status = (
            DeadlineRequest.Status.APPROVED if approve else DeadlineRequest.Status.REFUSED
        )
        request.decided_by = actor
        request.decided_at = now
        request.decision_comment = comment
        if approve and request.kind == DeadlineRequest.Kind.EXTENSION:
            case.due_at = clock.add(case, case.due_at, request.hours)
            request.due_after = case.due_at
        elif approve:
            left = clock.between(case, now, case.due_at)
            request.remaining_seconds = max(0, int(left.total_seconds()))
            case.due_at = None
        if approve:
            case.version += 1
            case.save(update_fields=["due_at", "version", "updated_at"])
        request.save()
        verb = "approve" if approve else "refuse"
        step = f"{verb}_{request.kind}"
        _event(case, step, actor, comment, now)
        notify(
            recipients=[request.requested_by],
            kind=f"case.{step}",
            title=_("%(what)s: %(number)s %(title)s")
            % {"what": step_label(step), "number": case.number, "title": case.title},
            body=comment,
            url=reverse("deadlines:case", args=[case.pk]),
            key=f"deadline-decision:{request.pk}",
            now=now,
        )
    return request


def case_resume(*, case: Case, actor, comment: str = "", now: datetime | None = None) -> Case:
    """End the case's suspension: the working time that was left runs again from ``now``.

    The holder or the center may resume (a step that starts a new stage ends the suspension by
    itself: :func:`suspension_end_for_new_stage`). Writes a ``resume`` event.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(case)
        if holder_role(actor, locked) is None and center_role(actor, locked) is None:
            raise PermissionDenied(_("Only the holder or the center may resume this case."))
        suspension = (
            DeadlineRequest.objects.select_for_update()
            .active_suspensions()
            .filter(case=locked)
            .first()
        )
        if suspension is None:
            raise ValidationError({"case": _("This case is not suspended.")})
        suspension.case = locked  # its save names the case's street to the menu's badges
        suspension.resumed_at = now
        if locked.due_at is None and locked.is_open and locked.stage == suspension.stage:
            locked.due_at = clock.add(locked, now, (suspension.remaining_seconds or 0) / 3600)
            locked.version += 1
            locked.save(update_fields=["due_at", "version", "updated_at"])
        suspension.due_after = locked.due_at
        suspension.save(update_fields=["resumed_at", "due_after", "updated_at"])
        _event(locked, "resume", actor, (comment or "").strip()[:MAX_TEXT], now)
    return locked


def suspension_end_for_new_stage(*, case: Case, now: datetime) -> None:
    """A step that starts a new stage ends a suspension of the old one: the new stage's own
    time limit runs from now, so nothing is left to resume (called by the step service inside
    its transaction, under its row lock)."""
    DeadlineRequest.objects.active_suspensions().filter(case=case).update(
        resumed_at=now, due_after=case.due_at, updated_at=now
    )


# -- supervision orders ---------------------------------------------------------------------
def supervision_issue(
    *,
    case: Case,
    actor,
    demand: str,
    reply_hours: Decimal | str | float | None = DEFAULT_REPLY_HOURS,
    now: datetime | None = None,
) -> SupervisionOrder:
    """The center orders the holder of an open case to act and to answer within
    ``reply_hours`` working hours. Writes the order and a ``supervise`` event; tells the
    holder's people."""
    now = now or timezone.now()
    errors: dict[str, list] = {}
    demand = (demand or "").strip()
    if not demand:
        errors["demand"] = [_("Say what is required.")]
    elif len(demand) > MAX_TEXT:
        errors["demand"] = [_("At most %(n)d characters.") % {"n": MAX_TEXT}]
    hours = _hours(reply_hours, errors, field="reply_hours")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock(case)
        if center_role(actor, locked) is None:
            raise PermissionDenied(_("Only the grid management center issues supervision orders."))
        if not locked.is_open:
            raise ValidationError(
                {"case": _("The case is finished; there is nothing to supervise.")}
            )
        order = SupervisionOrder.objects.create(
            case=locked,
            stage=locked.stage or "",
            holder=locked.holder,
            department=locked.department if locked.holder == Holder.DEPARTMENT else None,
            issued_by=actor,
            demand=demand,
            reply_due_at=clock.add(locked, now, hours),
        )
        _event(locked, "supervise", actor, demand, now)
        _tell_about_order(order, now)
    return order


def _tell_about_order(order: SupervisionOrder, now: datetime) -> None:
    case = order.case
    notify(
        recipients=holder_people(case),
        kind="case.supervision",
        title=_("Supervision order %(order)s: %(number)s %(title)s")
        % {"order": order.number, "number": case.number, "title": case.title},
        body=_("%(demand)s\nAnswer by %(due)s.")
        % {
            "demand": order.demand,
            "due": timezone.localtime(order.reply_due_at).strftime("%Y-%m-%d %H:%M"),
        },
        url=reverse("deadlines:order", args=[order.pk]),
        key=f"supervision:{order.pk}",
        now=now,
    )


def supervision_answer(
    *, order: SupervisionOrder, actor, reply: str, now: datetime | None = None
) -> SupervisionOrder:
    """Whoever holds the case answers an issued order (once). Writes an ``answer_supervision``
    event and tells the center."""
    now = now or timezone.now()
    reply = (reply or "").strip()
    if not reply:
        raise ValidationError({"reply": _("Write the answer: what was done, and when it ends.")})
    if len(reply) > MAX_TEXT:
        raise ValidationError({"reply": _("At most %(n)d characters.") % {"n": MAX_TEXT}})
    with transaction.atomic():
        case = _lock(order.case)
        order = SupervisionOrder.objects.select_for_update().get(pk=order.pk)
        order.case = case  # its save names the case's street to the menu's badges
        if not permissions.may_answer(actor, order, case):
            raise PermissionDenied(_("Only the holder of the case answers its supervision order."))
        if order.status != SupervisionOrder.Status.ISSUED:
            raise DeadlineConflict({"reply": _("This order has been answered already.")})
        order.status = SupervisionOrder.Status.ANSWERED
        order.reply = reply
        order.replied_by = actor
        order.replied_at = now
        order.save(update_fields=["status", "reply", "replied_by", "replied_at", "updated_at"])
        _event(case, "answer_supervision", actor, reply, now)
        recipients = center_people(case)
        if order.issued_by_id:
            recipients.append(order.issued_by)
        notify(
            recipients=recipients,
            kind="case.supervision_answer",
            title=_("Supervision order %(order)s answered: %(number)s")
            % {"order": order.number, "number": case.number},
            body=reply,
            url=reverse("deadlines:order", args=[order.pk]),
            key=f"supervision-answer:{order.pk}",
            now=now,
        )
    return order


# -- helpers --------------------------------------------------------------------------------
def _lock(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("area", "street", "category", "department")
        .get(pk=case.pk)
    )


def _hours(value, errors: dict, *, field: str = "hours") -> Decimal | None:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.01")) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        hours = None
    if hours is not None and not hours.is_finite():
        # "nan" quantizes to NaN, which cannot be compared: it is no number of hours.
        hours = None
    if hours is None or hours <= 0:
        errors[field] = [_("Give a number of working hours, more than zero.")]
        return None
    if hours > MAX_EXTENSION_HOURS:
        errors[field] = [_("At most %(n)s working hours.") % {"n": MAX_EXTENSION_HOURS}]
        return None
    return hours


def _format_hours(hours: Decimal) -> str:
    return f"{hours.normalize():f}"


def _event(case: Case, step: str, actor, comment: str, now: datetime) -> CaseEvent:
    event = CaseEvent.note(
        case,
        step=step,
        actor=actor,
        actor_name=str(actor)[:150] if actor is not None else "",
        role=holder_role(actor, case) or center_role(actor, case) or "",
        comment=comment,
        now=now,
    )
    event.save()
    return event
