"""The hidden-danger deadline scan against real Redis and two real worker processes: overlapping
scans on two workers still write and tell each reminder exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.celery import app as celery_app
from governance.models import Notification
from grids.models import DangerReminder, DangerState, HiddenDanger, HiddenDangerEvent
from tests.casework.deadlines.test_tasks_redis import (
    WAIT,
    Workers,
    _broker_url,
    _wait_for,
    _wait_until_drained,
)
from tests.grids.field_factories import danger

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def worker_pool(tmp_path_factory):
    w = Workers(tmp_path_factory.mktemp("danger-workers"))
    try:
        w.start("w1")
        w.start("w2")
        yield w
    finally:
        w.stop_all()


@pytest.fixture
def workers(worker_pool, transactional_db):
    return worker_pool


def _overdue_dangers(field, tree, n: int) -> None:
    """``n`` dangers whose rectification deadline passed five minutes ago."""
    first = danger(field.worker_a, tree.building_a1)
    fields = {
        f.attname: getattr(first, f.attname)
        for f in HiddenDanger._meta.concrete_fields
        if not f.primary_key
    }
    due = timezone.now() - timedelta(minutes=5)
    fields.update(state=DangerState.RECTIFYING, due_at=due, remind_at=due, stage_entry=1)
    HiddenDanger.objects.filter(pk=first.pk).update(
        state=DangerState.RECTIFYING, due_at=due, remind_at=due, stage_entry=1
    )
    HiddenDanger.objects.bulk_create([HiddenDanger(**fields) for _ in range(n - 1)])


def _scan(workers: Workers) -> None:
    from grids.tasks import scan_danger_deadlines

    with celery_app.connection_for_write(_broker_url()) as connection_:
        scan_danger_deadlines.apply_async(connection=connection_, queue=workers.queue)


def _all_told(n: int):
    def check() -> bool:
        return (
            DangerReminder.objects.count() == n
            and not DangerReminder.objects.filter(notified_at__isnull=True).exists()
        )

    return check


def test_two_workers_and_overlapping_scans_remind_each_danger_once(field, tree, workers):
    n = 60
    _overdue_dangers(field, tree, n)

    for _ in range(4):
        _scan(workers)
    _wait_for(_all_told(n), timeout=WAIT, what=f"{n} reminders told", workers=workers)
    _scan(workers)
    _wait_until_drained(workers)

    assert DangerReminder.objects.filter(kind="overdue", stage="rectify", entry=1).count() == n
    assert HiddenDangerEvent.objects.filter(step="overdue").count() == n
    for user in (field.worker_a, field.dispatcher_a, field.center):
        keys = list(Notification.objects.filter(recipient=user).values_list("key", flat=True))
        assert len(keys) == n and len(set(keys)) == n, user
    assert not Notification.objects.filter(
        recipient__in=[field.dispatcher_b, field.worker_b]
    ).exists()
