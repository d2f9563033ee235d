"""The deadline scan: 75 % reminders, overdue records, the second tier, exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from casework.deadlines import reminders
from casework.deadlines.digest import send_daily_digest
from casework.deadlines.models import Reminder, SupervisionOrder
from casework.models import CaseEvent, Holder, Status
from governance.models import Notification
from tests.casework.factories import CaseFactory
from tests.factories import UserFactory

TZ = ZoneInfo("Asia/Shanghai")
# A Wednesday without holidays: working time 9:00–12:00, 13:30–18:00.
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=TZ)


@pytest.fixture
def make_case(tree, categories):
    def make(*, due_at, status=Status.REPORTED, holder=Holder.COMMUNITY, **kwargs):
        kwargs.setdefault("area", tree.building_a1)
        kwargs.setdefault("category", categories.garbage)
        return CaseFactory(status=status, holder=holder, due_at=due_at, **kwargs)

    return make


def _notify_all():
    for reminder in Reminder.objects.filter(notified_at__isnull=True):
        reminders.notify_reminder(reminder_id=reminder.pk, now=NOW)


def _told(user):
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


# -- 75 % -----------------------------------------------------------------------------------
def test_it_reminds_the_holder_once_when_75_percent_of_the_limit_is_used(crew, make_case):
    # Accept stage: 2 working hours; 25 working minutes left means 79 % used.
    case = make_case(due_at=NOW + timedelta(minutes=25))

    first = reminders.scan_deadlines(now=NOW)
    second = reminders.scan_deadlines(now=NOW + timedelta(seconds=30))
    _notify_all()
    _notify_all()

    assert (first.near_due, second.near_due) == (1, 0)
    reminder = Reminder.objects.get(case=case)
    assert (reminder.stage, reminder.kind, reminder.tier) == ("accept", "near_due", 1)
    assert _told(crew.dispatcher_a) == ["case.near_due"]
    assert _told(crew.dispatcher_b) == []
    assert _told(crew.center) == []  # near due concerns only the holder


def test_it_does_not_remind_before_75_percent(crew, make_case):
    make_case(due_at=NOW + timedelta(minutes=40))  # 67 % used

    assert reminders.scan_deadlines(now=NOW).total == 0
    assert not Reminder.objects.exists()


def test_75_percent_counts_working_time_not_the_lunch_break(crew, make_case):
    # Due 13:50: only 2h of calendar time left but 20 working minutes (lunch 12:00–13:30 off).
    case = make_case(due_at=datetime(2026, 11, 18, 13, 50, tzinfo=TZ))

    reminders.scan_deadlines(now=datetime(2026, 11, 18, 11, 50, tzinfo=TZ))

    assert Reminder.objects.filter(case=case, kind="near_due").count() == 1


def test_a_new_stage_gets_its_own_reminder(crew, make_case):
    case = make_case(due_at=NOW + timedelta(minutes=10))
    reminders.scan_deadlines(now=NOW)
    case.status = Status.ACCEPTED
    case.due_at = NOW + timedelta(minutes=20)
    case.save()

    reminders.scan_deadlines(now=NOW + timedelta(minutes=1))

    assert sorted(Reminder.objects.values_list("stage", flat=True)) == ["accept", "dispatch"]


# -- overdue and the second tier ------------------------------------------------------------
def test_overdue_tells_the_holder_and_superiors_only(crew, make_case, departments):
    departments.a.head = UserFactory(username="head_a")
    departments.a.save()
    case = make_case(
        due_at=NOW - timedelta(minutes=5),
        status=Status.DISPATCHED,
        holder=Holder.DEPARTMENT,
        department=departments.a,
    )

    result = reminders.scan_deadlines(now=NOW)
    _notify_all()

    assert (result.overdue, result.escalated) == (1, 0)
    assert Reminder.objects.get(case=case).stage == "acknowledge"
    for user in (crew.handler_a, departments.a.head, crew.dispatcher_a, crew.center):
        assert _told(user) == ["case.overdue"], user
    for user in (crew.handler_b, crew.dispatcher_b, crew.street_admin, crew.worker_a):
        assert _told(user) == [], user
    event = CaseEvent.objects.get(case=case, step="overdue")
    assert event.is_public is False


def test_overdue_by_a_second_limit_escalates_to_the_street_with_an_order(crew, make_case):
    # Due yesterday 15:00: 4 working hours late, twice the 2-hour accept limit.
    case = make_case(due_at=datetime(2026, 11, 17, 15, 0, tzinfo=TZ))

    result = reminders.scan_deadlines(now=NOW)
    _notify_all()

    assert (result.overdue, result.escalated) == (1, 1)
    assert sorted(Reminder.objects.filter(case=case).values_list("tier", flat=True)) == [1, 2]
    order = SupervisionOrder.objects.get(case=case)
    assert order.issued_by is None and order.reminder.tier == 2
    assert order.reply_due_at == datetime(2026, 11, 19, 10, 30, tzinfo=TZ)  # 8 working hours
    assert "case.escalation" in _told(crew.street_admin)
    assert CaseEvent.objects.filter(case=case, step="escalate_overdue").count() == 1
    reminders.scan_deadlines(now=NOW + timedelta(hours=1))
    assert SupervisionOrder.objects.filter(case=case).count() == 1


def test_second_tier_waits_for_a_whole_limit_of_working_time(crew, make_case):
    # Due 17:30 yesterday: 15 hours of calendar time, but 1.5 working hours late.
    case = make_case(due_at=datetime(2026, 11, 17, 17, 30, tzinfo=TZ))

    reminders.scan_deadlines(now=NOW)

    assert list(Reminder.objects.filter(case=case).values_list("tier", flat=True)) == [1]


def test_closed_and_suspended_cases_are_skipped(crew, make_case):
    make_case(due_at=NOW - timedelta(hours=1), status=Status.CLOSED, holder=Holder.NONE)
    make_case(due_at=None)  # a suspended case has no due time

    assert reminders.scan_deadlines(now=NOW).total == 0


# -- exactly once ---------------------------------------------------------------------------
def test_the_database_refuses_a_second_reminder_for_the_same_stage(crew, make_case):
    case = make_case(due_at=NOW)
    Reminder.objects.create(case=case, stage="accept", kind="overdue", tier=1, due_at=NOW)

    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(case=case, stage="accept", kind="overdue", tier=1, due_at=NOW)


def test_notifying_twice_tells_people_once(crew, make_case):
    make_case(due_at=NOW - timedelta(minutes=1))
    reminders.scan_deadlines(now=NOW)
    reminder = Reminder.objects.get()

    assert reminders.notify_reminder(reminder_id=reminder.pk, now=NOW) == 2
    assert reminders.notify_reminder(reminder_id=reminder.pk, now=NOW) == 0
    assert Notification.objects.filter(key=f"reminder:{reminder.pk}").count() == 2


def test_a_reminder_whose_notification_was_lost_is_enqueued_again(
    crew, make_case, monkeypatch, django_capture_on_commit_callbacks
):
    make_case(due_at=NOW - timedelta(minutes=1))
    enqueued = []
    monkeypatch.setattr(reminders, "_enqueue_notifications", lambda ids: enqueued.append(list(ids)))

    for moment in (NOW, NOW + timedelta(seconds=30), NOW + timedelta(minutes=2)):
        with django_capture_on_commit_callbacks(execute=True):
            reminders.scan_deadlines(now=moment)

    pk = Reminder.objects.get().pk
    # Written and enqueued at NOW; not yet called lost at +30 s; enqueued again at +2 min.
    assert enqueued == [[pk], [pk]]


def test_a_worker_and_beat_restart_lose_no_reminder_and_send_none_twice(
    crew, make_case, monkeypatch, django_capture_on_commit_callbacks
):
    """Service level (the process-level kill is in test_tasks_redis.py): the worker dies before
    it runs the notification tasks of the first scan (lost), beat restarts and runs the scan at
    once and again later, and the restarted worker gets the re-sent tasks twice (acks_late
    redelivery on top of the sweep's resend)."""
    for minutes in range(1, 6):
        make_case(due_at=NOW - timedelta(minutes=minutes))
    queue: list[list[int]] = []
    monkeypatch.setattr(reminders, "_enqueue_notifications", lambda ids: queue.append(list(ids)))

    with django_capture_on_commit_callbacks(execute=True):
        reminders.scan_deadlines(now=NOW)
    assert Reminder.objects.count() == 5
    queue.clear()  # the worker was killed: the broker's messages for it are gone
    for moment in (NOW + timedelta(seconds=5), NOW + timedelta(minutes=2)):
        with django_capture_on_commit_callbacks(execute=True):
            reminders.scan_deadlines(now=moment)  # beat, restarted, then on its schedule
    assert sorted(pk for batch in queue for pk in batch) == sorted(
        Reminder.objects.values_list("pk", flat=True)
    )
    for batch in queue + queue:  # every message delivered twice
        for pk in batch:
            reminders.notify_reminder(reminder_id=pk, now=NOW + timedelta(minutes=2))

    assert Reminder.objects.count() == 5
    assert not Reminder.objects.filter(notified_at__isnull=True).exists()
    keys = list(Notification.objects.values_list("key", "recipient_id"))
    assert len(keys) == len(set(keys)) > 0
    assert _told(crew.dispatcher_a).count("case.overdue") == 5


def test_the_scan_works_in_batches_with_a_fixed_number_of_queries(
    crew, make_case, django_assert_max_num_queries
):
    for i in range(30):
        make_case(due_at=NOW - timedelta(minutes=i + 1))

    with django_assert_max_num_queries(40):
        result = reminders.scan_deadlines(now=NOW, batch_size=10)

    assert result.overdue == 30
    assert Reminder.objects.count() == 30


# -- daily digest ---------------------------------------------------------------------------
def test_the_daily_digest_goes_to_dispatchers_and_departments_once_a_working_day(
    crew, make_case, departments, in_english
):
    make_case(due_at=NOW - timedelta(hours=1))
    make_case(due_at=NOW + timedelta(hours=1))
    make_case(
        due_at=NOW + timedelta(days=2),
        status=Status.DISPATCHED,
        holder=Holder.DEPARTMENT,
        department=departments.a,
    )

    told = send_daily_digest(now=NOW)
    again = send_daily_digest(now=NOW + timedelta(minutes=1))

    assert told == 4  # dispatcher_a, dispatcher_b, handler_a, handler_b
    assert again == 0
    digest = Notification.objects.get(recipient=crew.dispatcher_a)
    assert "2 waiting, 1 near due, 1 overdue" in digest.body
    handler = Notification.objects.get(recipient=crew.handler_a)
    assert "1 waiting, 0 near due, 0 overdue" in handler.body


def test_the_daily_digest_speaks_the_portals_language(crew, make_case):
    make_case(due_at=NOW - timedelta(hours=1))

    send_daily_digest(now=NOW)

    digest = Notification.objects.get(recipient=crew.dispatcher_a)
    assert "超期 1 件" in digest.body


def test_no_digest_on_a_day_off(crew):
    saturday = datetime(2026, 11, 21, 8, 30, tzinfo=TZ)

    assert send_daily_digest(now=saturday) == 0
    assert not Notification.objects.exists()
