"""Writes and reads around deadlines that people take: extension (延期) and suspension
(挂起/缓办) requests and their decisions, resuming a suspended case, and supervision orders
(督办单) and their answers.

Every write locks the case row (``SELECT ... FOR UPDATE``) for its transaction, writes one
internal :class:`~casework.models.CaseEvent` (these are steps in the case's log), and tells the
other side through :func:`governance.notifications.notify` (deliveries enqueued on commit). A
write that changes the due time raises the case version, so a step taken on a stale copy of the
case is refused as a conflict. When anything is refused, nothing is written.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.deadline_models import DeadlineRequest, Reminder, SupervisionOrder
from casework.models import Case, CaseEvent, Holder
from casework.workflow import step_label
from governance.models import Role, RoleAssignment
from governance.notifications import notify
from governance.scopes import scope_of, visible
from governance.workclock import add_working_time, working_time_between

CENTER_ROLES = (Role.CENTER_SUPERVISOR, Role.STREET_ADMIN)
MAX_TEXT = 2000
MAX_EXTENSION_HOURS = Decimal("400")
DEFAULT_REPLY_HOURS = 8


class DeadlineConflict(ValidationError):
    """Somebody acted on the request, the order or the case first (a second decision, a second
    answer, a second request waiting). Still a ValidationError on a field, so forms show it
    where it belongs; the API answers it with 409."""


# -- who ------------------------------------------------------------------------------------
def holder_role(user, case: Case) -> str | None:
    """The role in which ``user`` holds ``case`` now, or None (reads cached assignments)."""
    scope = scope_of(user)
    if scope.is_superuser:
        return "superuser"
    if case.holder == Holder.DEPARTMENT:
        if any(d.pk == case.department_id for d in scope.departments([Role.DEPARTMENT_HANDLER])):
            return Role.DEPARTMENT_HANDLER
        return None
    roles = {Holder.COMMUNITY: (Role.COMMUNITY_DISPATCHER,), Holder.CENTER: CENTER_ROLES}.get(
        case.holder, ()
    )
    for role in roles:
        if any(case.area.is_within(a) for a in scope.areas([role])):
            return role
    return None


def center_role(user, case: Case) -> str | None:
    """The center role in which ``user`` supervises ``case`` (its area in their scope)."""
    scope = scope_of(user)
    if scope.is_superuser:
        return "superuser"
    for role in CENTER_ROLES:
        if any(case.area.is_within(a) for a in scope.areas([role])):
            return role
    return None


def _center_people(case: Case) -> list:
    area = case.area
    return [
        a.user
        for a in RoleAssignment.objects.filter(
            role=Role.CENTER_SUPERVISOR,
            area__tree_id=area.tree_id,
            area__lft__lte=area.lft,
            area__rght__gte=area.rght,
        ).select_related("user")
    ]


def _holder_people(case: Case) -> list:
    if case.holder == Holder.DEPARTMENT:
        qs = RoleAssignment.objects.filter(
            role=Role.DEPARTMENT_HANDLER, department_id=case.department_id
        )
    else:
        role = Role.COMMUNITY_DISPATCHER if case.holder == Holder.COMMUNITY else CENTER_ROLES[0]
        area = case.area
        qs = RoleAssignment.objects.filter(
            role=role,
            area__tree_id=area.tree_id,
            area__lft__lte=area.lft,
            area__rght__gte=area.rght,
        )
    return [a.user for a in qs.select_related("user")]


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
        if not locked.is_open or locked.due_at is None or locked.stage is None:
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
            recipients=_center_people(locked),
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
        if center_role(actor, case) is None:
            raise PermissionDenied(_("Only the grid management center decides on requests."))
        request = DeadlineRequest.objects.select_for_update().get(pk=request.pk)
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
        clock = {"area": case.street, "around_the_clock": case.category.around_the_clock}
        if approve and request.kind == DeadlineRequest.Kind.EXTENSION:
            case.due_at = add_working_time(case.due_at, float(request.hours), **clock)
            request.due_after = case.due_at
        elif approve:
            left = working_time_between(now, case.due_at, **clock)
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
    itself: see casework.services). Writes a ``resume`` event.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(case)
        if holder_role(actor, locked) is None and center_role(actor, locked) is None:
            raise PermissionDenied(_("Only the holder or the center may resume this case."))
        suspension = (
            DeadlineRequest.objects.select_for_update()
            .filter(
                case=locked,
                kind=DeadlineRequest.Kind.SUSPENSION,
                status=DeadlineRequest.Status.APPROVED,
                resumed_at__isnull=True,
            )
            .first()
        )
        if suspension is None:
            raise ValidationError({"case": _("This case is not suspended.")})
        suspension.resumed_at = now
        if locked.due_at is None and locked.is_open and locked.stage == suspension.stage:
            locked.due_at = add_working_time(
                now,
                (suspension.remaining_seconds or 0) / 3600,
                area=locked.street,
                around_the_clock=locked.category.around_the_clock,
            )
            locked.version += 1
            locked.save(update_fields=["due_at", "version", "updated_at"])
        suspension.due_after = locked.due_at
        suspension.save(update_fields=["resumed_at", "due_after", "updated_at"])
        _event(locked, "resume", actor, (comment or "").strip()[:MAX_TEXT], now)
    return locked


def active_suspension(case: Case) -> DeadlineRequest | None:
    return DeadlineRequest.objects.filter(
        case=case,
        kind=DeadlineRequest.Kind.SUSPENSION,
        status=DeadlineRequest.Status.APPROVED,
        resumed_at__isnull=True,
    ).first()


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
            reply_due_at=add_working_time(
                now,
                float(hours),
                area=locked.street,
                around_the_clock=locked.category.around_the_clock,
            ),
        )
        _event(locked, "supervise", actor, demand, now)
        _tell_about_order(order, now)
    return order


def _tell_about_order(order: SupervisionOrder, now: datetime) -> None:
    case = order.case
    notify(
        recipients=_holder_people(case),
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
        if not may_answer(actor, order, case):
            raise PermissionDenied(_("Only the holder of the case answers its supervision order."))
        if order.status != SupervisionOrder.Status.ISSUED:
            raise DeadlineConflict({"reply": _("This order has been answered already.")})
        order.status = SupervisionOrder.Status.ANSWERED
        order.reply = reply
        order.replied_by = actor
        order.replied_at = now
        order.save(update_fields=["status", "reply", "replied_by", "replied_at", "updated_at"])
        _event(case, "answer_supervision", actor, reply, now)
        recipients = _center_people(case)
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


def may_answer(user, order: SupervisionOrder, case: Case) -> bool:
    """Whoever holds the case now may answer its order; so may the department the order went
    to, after the case has moved on."""
    if holder_role(user, case) is not None:
        return True
    if order.holder != Holder.DEPARTMENT or order.department_id is None:
        return False
    return any(
        d.pk == order.department_id for d in scope_of(user).departments([Role.DEPARTMENT_HANDLER])
    )


# -- reads ----------------------------------------------------------------------------------
def orders_for(user, *, status: str = "") -> QuerySet[SupervisionOrder]:
    """Supervision orders on cases ``user`` may see, open ones first by answer due time."""
    cases = visible(user, Case.objects.all()).values("pk")
    qs = SupervisionOrder.objects.filter(case__in=cases).select_related(
        "case", "case__area", "department", "issued_by", "replied_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-status", "reply_due_at", "pk")


def order_detail_for(user, pk: int) -> SupervisionOrder | None:
    return orders_for(user).select_related("case__street", "case__category").filter(pk=pk).first()


def requests_for(user, *, status: str = "") -> QuerySet[DeadlineRequest]:
    """Extension and suspension requests on cases ``user`` may see, newest first."""
    cases = visible(user, Case.objects.all()).values("pk")
    qs = DeadlineRequest.objects.filter(case__in=cases).select_related(
        "case", "requested_by", "decided_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def pending_requests_for(user) -> QuerySet[DeadlineRequest]:
    """Waiting requests on cases in the user's center scope, oldest first."""
    from grids.models import Area

    areas = scope_of(user).areas(CENTER_ROLES)
    if scope_of(user).is_superuser:
        cases = Case.objects.all()
    elif areas:
        cases = Case.objects.filter(Area.subtrees_q(areas, prefix="area__"))
    else:
        return DeadlineRequest.objects.none()
    return (
        DeadlineRequest.objects.filter(status=DeadlineRequest.Status.PENDING, case__in=cases)
        .select_related("case", "case__area", "requested_by")
        .order_by("created_at", "pk")
    )


def requests_of(case: Case) -> QuerySet[DeadlineRequest]:
    return (
        DeadlineRequest.objects.filter(case=case)
        .select_related("requested_by", "decided_by")
        .order_by("-created_at", "-pk")
    )


def deadline_stats(user, *, since: datetime | None = None) -> dict:
    """The share of cases (reported since ``since``, default the last 30 days) extended or
    suspended, overdue and escalated, over the cases ``user`` may see. One query."""
    since = since or timezone.now() - timedelta(days=30)

    def approved(kind: str):
        return Exists(
            DeadlineRequest.objects.filter(
                case=OuterRef("pk"), kind=kind, status=DeadlineRequest.Status.APPROVED
            )
        )

    def reminded(tier: int):
        return Exists(
            Reminder.objects.filter(case=OuterRef("pk"), kind=Reminder.Kind.OVERDUE, tier=tier)
        )

    counts = visible(user, Case.objects.filter(reported_at__gte=since)).aggregate(
        total=Count("pk"),
        extended=Count("pk", filter=Q(approved(DeadlineRequest.Kind.EXTENSION))),
        suspended=Count("pk", filter=Q(approved(DeadlineRequest.Kind.SUSPENSION))),
        overdue=Count("pk", filter=Q(reminded(1))),
        escalated=Count("pk", filter=Q(reminded(2))),
    )
    total = counts["total"]
    for key in ("extended", "suspended", "overdue", "escalated"):
        counts[f"{key}_share"] = round(100 * counts[key] / total, 1) if total else 0.0
    counts["since"] = since
    return counts


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
    role = holder_role(actor, case) or center_role(actor, case) or ""
    return CaseEvent.objects.create(
        case=case,
        step=step,
        actor=actor,
        actor_name=str(actor)[:150] if actor is not None else "",
        role=role,
        from_status=case.status,
        to_status=case.status,
        to_holder=case.holder,
        comment=comment,
        is_public=False,
        due_at=case.due_at,
        created_at=now,
    )


def desk_badge(user) -> int | None:
    """The number on the supervision menu: requests waiting for the center, or orders waiting
    for the user's answer."""
    if scope_of(user).has_role(*CENTER_ROLES):
        return pending_requests_for(user).count() or None
    return orders_for(user, status=SupervisionOrder.Status.ISSUED).count() or None
