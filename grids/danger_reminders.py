"""The hidden-danger deadline scan: a reminder near the deadline, a notice once it has passed.

:func:`scan_danger_deadlines` runs every minute (Celery beat). It reads dangers by their due time
through the partial indexes ``danger_open_due`` and ``danger_remind``, so its cost follows the
number of dangers near or past their deadline. Two passes:

* overdue — the stage's deadline has passed: recorded in the danger's log, and the holder (the
  grid worker following it up) and their superiors (community dispatcher, center supervisor)
  are told;
* near due — 75 % of the stage's working time is used (``remind_at``): the holder is reminded.

Exactly once, as for cases (:mod:`casework.deadlines.reminders`): a :class:`DangerReminder` is unique per
(danger, stage, entry, kind), where the entry counts how often the danger entered a stage with a
deadline. A pass works in batches, each one transaction that locks its dangers with
``SELECT ... FOR UPDATE SKIP LOCKED``, re-reads which reminders exist and inserts the missing
ones; the unique constraint has the last word (a batch that loses a race rolls back and is
retried next run). People are told by :func:`notify_danger_reminder`, run by a task enqueued
after the batch commits, which claims the reminder (``notified_at``) in the transaction that
writes the notifications.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case as SqlCase
from django.db.models import Exists, OuterRef, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.models import Role, RoleAssignment
from governance.notifications import notify
from governance.queue import send_later
from grids.models import (
    STATE_STAGE,
    Area,
    DangerReminder,
    DangerStage,
    HiddenDanger,
    HiddenDangerEvent,
)

logger = logging.getLogger(__name__)

# Reminders told by one task; each is claimed in its own transaction.
NOTIFY_CHUNK = 50
# The stage of a danger, computed in SQL from its state (matches STATE_STAGE).
STAGE_SQL = SqlCase(
    *[When(state=state, then=Value(stage.value)) for state, stage in STATE_STAGE.items()],
    default=Value(""),
)


@dataclass
class DangerScanResult:
    near_due: int = 0
    overdue: int = 0
    skipped_batches: int = 0
    reminder_ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.near_due + self.overdue


def scan_danger_deadlines(
    *, now: datetime | None = None, batch_size: int | None = None
) -> DangerScanResult:
    """Record every danger past or near its deadline once (see the module docstring) and
    enqueue the notifications after each batch commits."""
    now = now or timezone.now()
    batch_size = batch_size or settings.DEADLINE_SCAN_BATCH
    result = DangerScanResult()
    # Overdue first, so that a danger found late by both passes is reported as overdue.
    _run_pass(
        result, Q(due_at__lte=now), kind=DangerReminder.Kind.OVERDUE, now=now, size=batch_size
    )
    _run_pass(
        result,
        Q(remind_at__lte=now, due_at__gt=now),
        kind=DangerReminder.Kind.NEAR_DUE,
        now=now,
        size=batch_size,
    )
    _renotify_lost(now)
    return result


def candidates(due: Q, *, kind: str) -> QuerySet[HiddenDanger]:
    """Dangers with a deadline running that match ``due`` and whose current stage entry has no
    reminder of ``kind`` yet, by due time."""
    done = DangerReminder.objects.filter(
        danger=OuterRef("pk"),
        stage=OuterRef("current_stage"),
        entry=OuterRef("stage_entry"),
        kind=kind,
    )
    return (
        HiddenDanger.objects.filter(due, due_at__isnull=False)
        .annotate(current_stage=STAGE_SQL)
        .exclude(current_stage="")
        .filter(~Exists(done))
        .order_by("due_at", "pk")
    )


def _run_pass(result: DangerScanResult, due: Q, *, kind: str, now: datetime, size: int) -> None:
    after: tuple[datetime, int] | None = None
    while True:
        qs = candidates(due, kind=kind)
        if after is not None:
            qs = qs.filter(Q(due_at__gt=after[0]) | Q(due_at=after[0], pk__gt=after[1]))
        try:
            with transaction.atomic():
                batch = list(_locked(qs)[:size])
                if not batch:
                    return
                after = (batch[-1].due_at, batch[-1].pk)
                written = _write_batch(batch, kind=kind, now=now)
        except IntegrityError:
            logger.warning("Hidden-danger scan: a batch lost a race and was rolled back")
            result.skipped_batches += 1
            continue
        for reminder in written:
            if kind == DangerReminder.Kind.NEAR_DUE:
                result.near_due += 1
            else:
                result.overdue += 1
            result.reminder_ids.append(reminder.pk)
        if len(batch) < size:
            return


def _locked(qs: QuerySet[HiddenDanger]) -> QuerySet[HiddenDanger]:
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True, of=("self",))
    return qs


def _write_batch(batch: list[HiddenDanger], *, kind: str, now: datetime) -> list[DangerReminder]:
    # Under the row locks nobody else writes reminders for these dangers: read what exists now.
    existing = set(
        DangerReminder.objects.filter(danger__in=batch, kind=kind).values_list(
            "danger_id", "stage", "entry"
        )
    )
    reminders = [
        DangerReminder(
            danger=danger,
            stage=danger.stage,
            entry=danger.stage_entry,
            kind=kind,
            due_at=danger.due_at,
            created_at=now,
        )
        for danger in batch
        if (danger.pk, danger.stage, danger.stage_entry) not in existing
    ]
    if not reminders:
        return []
    DangerReminder.objects.bulk_create(reminders)
    if kind == DangerReminder.Kind.OVERDUE:
        HiddenDangerEvent.objects.bulk_create(
            [
                HiddenDangerEvent(
                    danger=reminder.danger,
                    step="overdue",
                    actor=None,
                    actor_name=_("Deadline monitor"),
                    from_state=reminder.danger.state,
                    to_state=reminder.danger.state,
                    comment=_("The %(stage)s deadline has passed.")
                    % {"stage": DangerStage(reminder.stage).label},
                    due_at=reminder.due_at,
                    created_at=now,
                )
                for reminder in reminders
            ]
        )
    ids = [r.pk for r in reminders]
    transaction.on_commit(lambda: _enqueue_notifications(ids))
    return reminders


def _enqueue_notifications(ids: Iterable[int]) -> None:
    from grids.tasks import notify_danger_reminders

    ids = list(ids)
    for start in range(0, len(ids), NOTIFY_CHUNK):
        if not send_later(notify_danger_reminders, ids[start : start + NOTIFY_CHUNK]):
            break


def _renotify_lost(now: datetime) -> None:
    lost = list(
        DangerReminder.objects.filter(
            notified_at__isnull=True,
            created_at__lt=now - timedelta(seconds=settings.DEADLINE_RENOTIFY_SECONDS),
        ).values_list("pk", flat=True)[:1000]
    )
    if lost:
        transaction.on_commit(lambda: _enqueue_notifications(lost))


# -- telling people -------------------------------------------------------------------------
def notify_danger_reminder(*, reminder_id: int, now: datetime | None = None) -> int:
    """Tell the people a reminder concerns, once: claims the reminder (``notified_at``) in the
    transaction that writes the notifications. Returns how many people were told now."""
    now = now or timezone.now()
    with transaction.atomic():
        qs = DangerReminder.objects.filter(pk=reminder_id, notified_at__isnull=True).select_related(
            "danger__area", "danger__assignee"
        )
        if connection.features.has_select_for_update:
            qs = qs.select_for_update(of=("self",))
        reminder = qs.first()
        if reminder is None:
            return 0
        danger = reminder.danger
        values = {
            "title": danger.title,
            "stage": DangerStage(reminder.stage).label,
            "due": timezone.localtime(reminder.due_at).strftime("%Y-%m-%d %H:%M"),
        }
        if reminder.kind == DangerReminder.Kind.NEAR_DUE:
            title = _("Hidden danger near due: %(title)s") % values
            body = _("The %(stage)s deadline is %(due)s; 75%% of its time is used.") % values
        else:
            title = _("Hidden danger overdue: %(title)s") % values
            body = _("The %(stage)s deadline was %(due)s and has passed.") % values
        told = notify(
            recipients=recipients_for(reminder),
            kind=f"danger.{reminder.kind}",
            title=title,
            body=body,
            url=reverse("field:danger", args=[danger.pk]),
            key=f"danger-reminder:{reminder.pk}",
            now=now,
        )
        reminder.notified_at = now
        reminder.save(update_fields=["notified_at"])
    return len(told)


def recipients_for(reminder: DangerReminder) -> list:
    """Who hears of ``reminder``: the holder (the grid worker following the danger up, or the
    grid workers of its area when nobody does) when near due; the holder and the community
    dispatchers and center supervisors above the danger when overdue. One query."""
    danger = reminder.danger
    roles: set[str] = set()
    if danger.assignee_id is None:
        roles.add(Role.GRID_WORKER)
    if reminder.kind == DangerReminder.Kind.OVERDUE:
        roles |= {Role.COMMUNITY_DISPATCHER, Role.CENTER_SUPERVISOR}
    users = {danger.assignee} if danger.assignee_id else set()
    if roles:
        users |= {
            a.user
            for a in RoleAssignment.objects.filter(
                Area.ancestors_q(danger.area, include_self=True, prefix="area__"),
                role__in=sorted(roles),
            ).select_related("user")
        }
    return sorted(users, key=lambda u: u.pk)
