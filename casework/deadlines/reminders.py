"""The deadline scan: reminders near the limit, overdue records, escalation of long-overdue cases.

:func:`scan_deadlines` runs every 30 s (Celery beat). It reads open cases by their due time
through the partial index ``case_open_due``, so its cost follows the number of cases near or past
their due time, not the number of cases. Three passes:

* overdue — the current stage is past its due time: recorded, the holder and the holder's
  superiors (community dispatcher, department head, center supervisor) are told;
* tier 2 — overdue by a whole limit again: escalated to the street (street admins and the center)
  and a supervision order is issued by rule;
* near due — 75 % of the stage's limit (working time) is used: the holder is reminded.

Exactly once: a :class:`~casework.deadlines.models.Reminder` is unique per (case, stage, entry,
kind, tier), where the entry counts how often the case has entered a stage (``Case.stage_entry``),
so a stage entered again after a return or a rework is reminded again, once. A pass works in batches; each batch is one transaction that locks its cases with
``SELECT ... FOR UPDATE SKIP LOCKED`` (cases another scan or a user's step holds are left for the
next run), re-reads which reminders exist and inserts the missing ones. SQLite has no row locks;
there every write transaction takes the database lock first, and in every case the unique
constraint has the last word (a batch that loses a race rolls back and is retried next run).
People are told by :func:`notify_reminder`, run by a task enqueued after the batch commits;
it claims the reminder (``notified_at``) in the transaction that writes the notifications, so a
worker killed half-way leaves either nothing or everything.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case as SqlCase
from django.db.models import Exists, OuterRef, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import clock
from casework.deadlines.models import Reminder, SupervisionOrder
from casework.deadlines.selectors import people_in_roles
from casework.models import (
    OPEN_STATUSES,
    STATUS_STAGE,
    Case,
    CaseEvent,
    Holder,
    Stage,
    TimeLimit,
)
from casework.signals import case_events_recorded
from casework.workflow import HOLDER_ROLES
from governance.models import Role, WorkingHours
from governance.notifications import notify
from governance.queue import send_later
from governance.workclock import add_working_time

logger = logging.getLogger(__name__)

# Share of a stage's limit after which the holder is reminded.
NEAR_DUE_SHARE = Decimal("0.75")
# Working hours the holder has to answer a supervision order issued by rule.
AUTO_ORDER_REPLY_HOURS = 8

# Reminders told by one task; each is claimed in its own transaction.
NOTIFY_CHUNK = 50
# Who is told, besides the holder, when a case is overdue; and, on escalation, the street.
OVERDUE_SUPERIORS = frozenset({Role.COMMUNITY_DISPATCHER, Role.CENTER_SUPERVISOR})
ESCALATION_ROLES = frozenset({Role.STREET_ADMIN})

_OPEN = sorted(OPEN_STATUSES)
_HOURS_FIELDS = ("accept_hours", "dispatch_hours", "acknowledge_hours", "handle_hours")
# The stage of a case, computed in SQL from its status (matches STATUS_STAGE).
STAGE_SQL = SqlCase(
    *[When(status=status, then=Value(stage.value)) for status, stage in STATUS_STAGE.items()],
    default=Value(""),
)


@dataclass
class ScanResult:
    near_due: int = 0
    overdue: int = 0
    escalated: int = 0
    skipped_batches: int = 0
    reminder_ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.near_due + self.overdue + self.escalated


def scan_deadlines(*, now: datetime | None = None, batch_size: int | None = None) -> ScanResult:
    """Find every open case that is overdue, overdue by a second limit, or near due, and record
    each once (see the module docstring for the guarantees). Enqueues :func:`notify_reminder`
    for every reminder written, after its batch commits, and again for reminders whose
    notification was lost."""
    now = now or timezone.now()
    batch_size = batch_size or settings.DEADLINE_SCAN_BATCH
    result = ScanResult()
    limits = clock.TimeLimits()

    # Overdue first, so that a case found late by both passes is reported as overdue.
    _run_pass(
        result,
        Q(due_at__lte=now),
        kind=Reminder.Kind.OVERDUE,
        tier=1,
        now=now,
        batch_size=batch_size,
        wanted=lambda case, stage: True,
    )
    rows = list(TimeLimit.objects.order_by().values_list(*_HOURS_FIELDS).distinct())
    if rows:
        smallest = min(min(row) for row in rows)
        longest = max(max(row) for row in rows)
        # Overdue by a limit of working time means at least that much calendar time.
        _run_pass(
            result,
            Q(due_at__lte=now - timedelta(hours=float(smallest))),
            kind=Reminder.Kind.OVERDUE,
            tier=2,
            now=now,
            batch_size=batch_size,
            wanted=lambda case, stage: _overdue_by_a_limit(case, stage, limits, now),
        )
        _run_pass(
            result,
            Q(due_at__gt=now, due_at__lte=_near_due_horizon(now, longest)),
            kind=Reminder.Kind.NEAR_DUE,
            tier=1,
            now=now,
            batch_size=batch_size,
            wanted=lambda case, stage: _near_due(case, stage, limits, now),
        )
    _renotify_lost(now)
    return result


def _near_due_horizon(now: datetime, longest: Decimal) -> datetime:
    """No case due later than this can have used 75 % of its limit: the last quarter of the
    longest limit, in working time from now, with the default hours and every street's own.
    (Around-the-clock categories count calendar hours, which always end sooner.)"""
    hours = float(longest * (1 - NEAR_DUE_SHARE))
    horizons = [add_working_time(now, hours)]
    for street_hours in WorkingHours.objects.select_related("area"):
        horizons.append(add_working_time(now, hours, area=street_hours.area))
    return max(horizons)


def _near_due(case: Case, stage: str, limits: clock.TimeLimits, now: datetime) -> bool:
    hours = limits.hours(case, stage)
    if hours is None:
        return False
    left = clock.between(case, now, case.due_at)
    return Decimal(left.total_seconds()) <= hours * 3600 * (1 - NEAR_DUE_SHARE)


def _overdue_by_a_limit(case: Case, stage: str, limits: clock.TimeLimits, now: datetime) -> bool:
    hours = limits.hours(case, stage)
    if hours is None or now - case.due_at < timedelta(hours=float(hours)):
        return False
    late = clock.between(case, case.due_at, now)
    return Decimal(late.total_seconds()) >= hours * 3600


def candidates(due: Q, *, kind: str, tier: int) -> QuerySet[Case]:
    """Open cases matching ``due`` (a condition on ``due_at``) whose current entry of their
    current stage has no reminder of ``kind``/``tier`` yet, by due time."""
    done = Reminder.objects.filter(
        case=OuterRef("pk"),
        stage=OuterRef("current_stage"),
        entry=OuterRef("stage_entry"),
        kind=kind,
        tier=tier,
    )
    return (
        Case.objects.filter(due, status__in=_OPEN)
        .annotate(current_stage=STAGE_SQL)
        .exclude(current_stage="")
        .filter(~Exists(done))
        .order_by("due_at", "pk")
    )


def _run_pass(result: ScanResult, due: Q, *, kind, tier, now, batch_size, wanted) -> None:
    after: tuple[datetime, int] | None = None
    while True:
        qs = candidates(due, kind=kind, tier=tier)
        if after is not None:
            qs = qs.filter(Q(due_at__gt=after[0]) | Q(due_at=after[0], pk__gt=after[1]))
        try:
            with transaction.atomic():
                batch = list(_locked(qs).select_related("category", "street")[:batch_size])
                if not batch:
                    return
                after = (batch[-1].due_at, batch[-1].pk)
                written = _write_batch(batch, kind=kind, tier=tier, now=now, wanted=wanted)
        except IntegrityError:
            # Another scan wrote some of these reminders first; the next run sees them.
            logger.warning("Deadline scan: a batch lost a race and was rolled back")
            result.skipped_batches += 1
            continue
        for reminder in written:
            if kind == Reminder.Kind.NEAR_DUE:
                result.near_due += 1
            elif tier == 1:
                result.overdue += 1
            else:
                result.escalated += 1
            result.reminder_ids.append(reminder.pk)
        if len(batch) < batch_size:
            return


def _locked(qs: QuerySet[Case]) -> QuerySet[Case]:
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True, of=("self",))
    return qs


def _write_batch(batch: list[Case], *, kind, tier, now, wanted) -> list[Reminder]:
    # Under the row locks nobody else writes reminders for these cases: read what exists now.
    existing = set(
        Reminder.objects.filter(case__in=batch, kind=kind, tier=tier).values_list(
            "case_id", "stage", "entry"
        )
    )
    reminders = [
        Reminder(
            case=case,
            stage=case.stage,
            entry=case.stage_entry,
            kind=kind,
            tier=tier,
            holder=case.holder,
            department_id=case.department_id,
            due_at=case.due_at,
            created_at=now,
        )
        for case in batch
        if (case.pk, case.stage, case.stage_entry) not in existing and wanted(case, case.stage)
    ]
    if not reminders:
        return []
    Reminder.objects.bulk_create(reminders)
    if kind == Reminder.Kind.OVERDUE:
        _record_overdue(reminders, now)
    if kind == Reminder.Kind.OVERDUE:
        # The case has a new event: it changed (the incremental feed and the statistics
        # rollups, which count "went overdue" from these reminders, read ``updated_at``).
        Case.objects.filter(pk__in=[r.case_id for r in reminders]).update(updated_at=timezone.now())
    ids = [r.pk for r in reminders]
    transaction.on_commit(lambda: _enqueue_notifications(ids))
    return reminders


def _record_overdue(reminders: list[Reminder], now: datetime) -> None:
    """An internal event per overdue case, and a supervision order per escalation."""
    events = []
    orders = []
    for reminder in reminders:
        case = reminder.case
        if reminder.is_escalation:
            step = "escalate_overdue"
            comment = _("Overdue by a second time limit: escalated to the street.")
            orders.append(
                SupervisionOrder(
                    case=case,
                    reminder=reminder,
                    stage=reminder.stage,
                    holder=case.holder,
                    department_id=case.department_id if case.holder == Holder.DEPARTMENT else None,
                    demand=_(
                        "Case %(number)s is overdue by more than a whole time limit. Act on it "
                        "at once and answer this order with what was done and when it will be "
                        "finished."
                    )
                    % {"number": case.number},
                    reply_due_at=clock.add(case, now, AUTO_ORDER_REPLY_HOURS),
                )
            )
        else:
            step = "overdue"
            comment = _("The %(stage)s stage passed its due time.") % {
                "stage": Stage(reminder.stage).label
            }
        events.append(
            CaseEvent.note(
                case,
                step=step,
                actor=None,
                actor_name=_("Deadline monitor"),
                role="",
                comment=comment,
                now=now,
            )
        )
    CaseEvent.objects.bulk_create(events)
    case_events_recorded.send(sender=CaseEvent, events=events)
    for order in orders:
        order.save()


def _enqueue_notifications(ids: Iterable[int]) -> None:
    """One task per batch: a broker message per reminder would cost more than the scan."""
    from casework.tasks import notify_reminders  # the tasks call this module

    ids = list(ids)
    for start in range(0, len(ids), NOTIFY_CHUNK):
        if not send_later(notify_reminders, ids[start : start + NOTIFY_CHUNK]):
            break


def _renotify_lost(now: datetime) -> None:
    lost = list(
        Reminder.objects.filter(
            notified_at__isnull=True,
            created_at__lt=now - timedelta(seconds=settings.DEADLINE_RENOTIFY_SECONDS),
        ).values_list("pk", flat=True)[:1000]
    )
    if lost:
        transaction.on_commit(lambda: _enqueue_notifications(lost))


# -- telling people -------------------------------------------------------------------------
def notify_reminder(*, reminder_id: int, now: datetime | None = None) -> int:
    """Tell the people a reminder concerns, once: claims the reminder (``notified_at``) in the
    transaction that writes the notifications. Returns how many people were told now."""
    now = now or timezone.now()
    with transaction.atomic():
        qs = Reminder.objects.filter(pk=reminder_id, notified_at__isnull=True).select_related(
            "case__area", "case__street", "case__category", "department__head"
        )
        if connection.features.has_select_for_update:
            qs = qs.select_for_update(of=("self",))
        reminder = qs.first()
        if reminder is None:
            return 0
        case = reminder.case
        title, body = _message(reminder)
        told = notify(
            recipients=recipients_for(reminder),
            kind=f"case.{'escalation' if reminder.is_escalation else reminder.kind}",
            title=title,
            body=body,
            url=reverse("casework:detail", args=[case.pk]),
            key=f"reminder:{reminder.pk}",
            now=now,
        )
        reminder.notified_at = now
        reminder.save(update_fields=["notified_at"])
    return len(told)


def _message(reminder: Reminder) -> tuple[str, str]:
    case = reminder.case
    values = {
        "number": case.number,
        "title": case.title,
        "stage": Stage(reminder.stage).label,
        "due": timezone.localtime(reminder.due_at).strftime("%Y-%m-%d %H:%M"),
    }
    if reminder.kind == Reminder.Kind.NEAR_DUE:
        title = _("Near due: %(number)s %(title)s") % values
        body = _("The %(stage)s stage is due at %(due)s; 75%% of its time limit is used.") % values
    elif reminder.is_escalation:
        title = _("Escalated: %(number)s %(title)s") % values
        body = (
            _(
                "The %(stage)s stage was due at %(due)s and is overdue by more than a whole time "
                "limit. The case is escalated to the street and a supervision order was issued."
            )
            % values
        )
    else:
        title = _("Overdue: %(number)s %(title)s") % values
        body = _("The %(stage)s stage was due at %(due)s and is overdue.") % values
    return title, body


def recipients_for(reminder: Reminder) -> list:
    """Who hears of ``reminder``: whoever acts for the holder (``workflow.HOLDER_ROLES``) when
    near due; the holder and their superiors when overdue (and a department's head); the street
    on escalation. One query for the area roles, one for the department's handlers."""
    roles = set(HOLDER_ROLES.get(reminder.holder, ()))
    if reminder.kind == Reminder.Kind.OVERDUE:
        roles |= OVERDUE_SUPERIORS
    if reminder.is_escalation:
        roles |= ESCALATION_ROLES
    department_id = reminder.department_id if reminder.holder == Holder.DEPARTMENT else None
    users = people_in_roles(area=reminder.case.area, department_id=department_id, roles=roles)
    head = reminder.department.head if department_id is not None else None
    if reminder.kind == Reminder.Kind.OVERDUE and head is not None and head not in users:
        users.append(head)
    return sorted(users, key=lambda u: u.pk)
