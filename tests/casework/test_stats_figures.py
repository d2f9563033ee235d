"""The figures of the statistics against a hand-computed month.

October 2026 has the National Day break (Oct 1–7 off), so working hours skip a week. The cases,
each taken through the real steps at fixed moments (working day 9:00–12:00, 13:30–18:00):

1. filed Sep 30 17:00, accepted 17:30, dispatched Oct 8 9:30, acknowledged 10:00 (in time),
   completed Oct 9 10:00, closed 11:00, evaluated satisfied: 1 + 7.5 + 2 = 10.5 working hours.
2. filed Oct 12 9:00, dispatched 10:00, returned 15:00 (late: due 12:00), dispatched again
   15:30, acknowledged 16:00 (in time), completed, reworked, completed, closed Oct 14 11:00, never
   evaluated: 7.5 + 7.5 + 2 = 17 hours; not closed in time (the late return).
3. filed Oct 12 9:10, merged into 2.  4. filed Oct 15, rejected.
5. filed Oct 26 9:00, dispatched 10:00, acknowledged 14:00 (late: due 12:00), suspended
   Oct 27 10:00, resumed Nov 2 10:00, completed, closed Nov 3 10:00: 46 hours minus 30 suspended
   = 16 hours, in November.
6. filed Oct 20 14:00 in community B, whose building then moves into community A; overdue.
7. filed Oct 20 10:00, resolved on the spot 10:30, evaluated dissatisfied: 0.5 hours.
8. filed Oct 22 9:00, escalated to the street 9:30; overdue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from casework.deadlines.models import DeadlineRequest
from casework.deadlines.reminders import scan_deadlines
from casework.deadlines.services import (
    case_resume,
    deadline_request_create,
    deadline_request_decide,
)
from casework.models import Case, Source
from casework.services import case_report, case_step
from casework.stats import compute
from casework.stats.figures import FIGURE_LIST, RATE_LIST, cases_q
from casework.stats.periods import Period, from_params, month
from governance import workclock
from governance.scopes import visible
from governance.workclock import calendar_load_from_package
from tests.casework.factories import jpeg_upload

TZ = ZoneInfo("Asia/Shanghai")
OCTOBER = month(2026, 10)
NOVEMBER = month(2026, 11)
NOW = datetime(2026, 11, 3, 12, 0, tzinfo=TZ)


def at(month_, day, hour, minute=0):
    return datetime(2026, month_, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def calendar(db):
    """The published holiday calendar in the database (a transactional test run before may
    have emptied it) read afresh."""
    calendar_load_from_package()
    workclock._cache.clear()
    yield workclock._cache


@pytest.fixture
def october(calendar, tree, categories, crew, departments):
    c = crew

    def report(when, *, area=tree.building_a1, actor=c.worker_a, **kwargs):
        return case_report(
            actor=actor,
            title="垃圾堆放",
            category=categories.garbage,
            area=area,
            source=Source.PATROL,
            address="青松里1号楼东侧",
            now=when,
            **kwargs,
        )

    def step(case, actor, name, when, **inputs):
        return case_step(case=case, actor=actor, step=name, now=when, **inputs)

    def photo():
        return [jpeg_upload()]

    cases = {}
    one = report(at(9, 30, 17))
    one = step(one, c.dispatcher_a, "accept", at(9, 30, 17, 30))
    one = step(one, c.dispatcher_a, "dispatch", at(10, 8, 9, 30))
    one = step(one, c.handler_a, "acknowledge", at(10, 8, 10))
    one = step(one, c.handler_a, "complete", at(10, 9, 10), result="已清运", photos=photo())
    one = step(one, c.worker_a, "verify_pass", at(10, 9, 11))
    cases[1] = step(one, c.dispatcher_a, "evaluate", at(10, 9, 15), satisfaction="satisfied")

    two = report(at(10, 12, 9))
    two = step(two, c.dispatcher_a, "accept", at(10, 12, 9, 30))
    two = step(two, c.dispatcher_a, "dispatch", at(10, 12, 10))
    two = step(two, c.handler_a, "return", at(10, 12, 15), comment="不属本部门")
    two = step(two, c.dispatcher_a, "dispatch", at(10, 12, 15, 30))
    two = step(two, c.handler_a, "acknowledge", at(10, 12, 16))
    two = step(two, c.handler_a, "complete", at(10, 13, 10), result="已清运", photos=photo())
    two = step(two, c.worker_a, "verify_fail", at(10, 13, 11), comment="仍有残留")
    two = step(two, c.handler_a, "complete", at(10, 14, 10), result="已彻底清运", photos=photo())
    cases[2] = step(two, c.worker_a, "verify_pass", at(10, 14, 11))

    three = report(at(10, 12, 9, 10))
    cases[3] = step(three, c.dispatcher_a, "merge", at(10, 12, 9, 40), duplicate_of=cases[2].pk)
    four = report(at(10, 15, 9))
    cases[4] = step(four, c.dispatcher_a, "reject", at(10, 15, 9, 30), comment="非本辖区")

    five = report(at(10, 26, 9))
    five = step(five, c.dispatcher_a, "accept", at(10, 26, 9, 30))
    five = step(five, c.dispatcher_a, "dispatch", at(10, 26, 10))
    five = step(five, c.handler_a, "acknowledge", at(10, 26, 14))
    request = deadline_request_create(
        case=five, actor=c.handler_a, kind="suspension", reason="等待配件", now=at(10, 27, 9)
    )
    deadline_request_decide(request=request, actor=c.center, approve=True, now=at(10, 27, 10))
    five = case_resume(case=Case.objects.get(pk=five.pk), actor=c.center, now=at(11, 2, 10))
    five = Case.objects.get(pk=five.pk)
    five = step(five, c.handler_a, "complete", at(11, 3, 9), result="已修复", photos=photo())
    cases[5] = step(five, c.worker_a, "verify_pass", at(11, 3, 10))

    cases[6] = report(at(10, 20, 14), area=tree.building_b1, actor=c.worker_b)
    seven = report(at(10, 20, 10))
    seven = step(
        seven, c.worker_a, "resolve_on_spot", at(10, 20, 10, 30), result="已清理", photos=photo()
    )
    cases[7] = step(seven, c.dispatcher_a, "evaluate", at(10, 21, 9), satisfaction="dissatisfied")
    eight = report(at(10, 22, 9))
    cases[8] = step(eight, c.dispatcher_a, "escalate", at(10, 22, 9, 30), comment="需多部门")
    # The deadline scan finds 6 and 8 overdue on Oct 23.
    scan_deadlines(now=at(10, 23, 12))
    # Community B's building moves into community A (a boundary change during the month).
    tree.micro_b1.refresh_from_db()
    tree.grid_a2.refresh_from_db()
    tree.micro_b1.move_to(tree.grid_a2, "last-child")
    return cases


def test_october_figures_match_the_hand_count(october):
    figures = compute.total(Case.objects.all(), OCTOBER, NOW)
    assert figures.counts == {
        "reported": 7,  # 2–8
        "accepted": 2,  # 2, 5 (1 was accepted in September; 8 went to the street)
        "closed": 3,  # 1, 2, 7
        "open": 2,  # 6, 8
        "near_due": 0,
        "overdue": 2,  # 6, 8
        "suspended_now": 0,  # 5 was resumed
        "went_overdue": 2,  # 6, 8
        "escalated": 1,  # 8
        "returned": 1,  # 2
        "reworked": 1,  # 2
        "taken_on": 5,  # 2, 5, 6, 7, 8 (not the merged 3 nor the rejected 4)
        "resolved": 3,  # 2, 5, 7 closed since
        "evaluated": 2,  # 1, 7 (2 never evaluated: not in the denominator)
        "satisfied": 1,
        "acknowledged": 3,  # 1, 2, 5
        "acknowledged_on_time": 2,  # 5 was late
        "closed_on_time": 2,  # 1, 7 (2 had a late return)
        "on_spot": 1,  # 7
        "extended": 0,
        "suspended": 1,  # 5
    }
    assert figures.rates == {
        "response_rate": 66.7,
        "resolution_rate": 60.0,
        "satisfaction_rate": 50.0,
        "on_time_rate": 66.7,
        "on_spot_share": 33.3,
        "extension_share": 0.0,
        "suspension_share": 14.3,
    }
    # (10.5 + 17 + 0.5) / 3 working hours; the National Day week does not count.
    assert figures.handling_hours == 9.3


def test_a_suspension_across_the_months_end_is_left_out_of_the_handling_time(october):
    figures = compute.total(Case.objects.all(), NOVEMBER, NOW)
    assert figures["closed"] == 1
    assert figures.handling_hours == 16.0
    assert DeadlineRequest.objects.active_suspensions().count() == 0


def test_a_month_without_cases_has_zeros_and_no_rates(db):
    figures = compute.total(Case.objects.all(), OCTOBER, NOW)
    assert set(figures.counts.values()) == {0}
    assert set(figures.rates.values()) == {None}
    assert figures.handling_hours is None


def test_all_overdue(tree, categories, crew):
    for hour in (9, 10, 11):
        case_report(
            actor=crew.worker_a,
            title="井盖缺失",
            category=categories.lamp,
            area=tree.building_a1,
            source=Source.PATROL,
            address="青松里",
            now=at(10, 12, hour),
        )
    figures = compute.total(Case.objects.all(), OCTOBER, NOW)
    assert figures["reported"] == figures["open"] == figures["overdue"] == 3
    assert figures["resolution_rate"] == 0.0
    assert figures["on_time_rate"] is None


def test_a_moved_building_counts_in_its_new_community(october, tree):
    rows = dict(compute.by_children(Case.objects.all(), tree.street, OCTOBER, NOW))
    assert rows[tree.community_a]["reported"] == 7
    assert rows[tree.community_b]["reported"] == 0
    # The rows add up to the whole street.
    whole = compute.total(Case.objects.all(), OCTOBER, NOW)
    for figure in FIGURE_LIST:
        assert sum(r[figure.key] for r in rows.values()) == whole[figure.key], figure.key


def test_scope_narrows_every_figure(october, crew, django_user_model):
    # Fresh users, as in a new request: the fixture's ones cached their scope before the move.
    dispatcher_a = django_user_model.objects.get(pk=crew.dispatcher_a.pk)
    dispatcher_b = django_user_model.objects.get(pk=crew.dispatcher_b.pk)
    mine = compute.total(visible(dispatcher_b, Case.objects.all()), OCTOBER, NOW)
    assert mine["reported"] == 0
    theirs = compute.total(visible(dispatcher_a, Case.objects.all()), OCTOBER, NOW)
    assert theirs["reported"] == 7


def test_each_figure_names_the_cases_it_counts(october):
    figures = compute.total(Case.objects.all(), OCTOBER, NOW)
    for figure in FIGURE_LIST:
        counted = Case.objects.filter(cases_q(figure.key, OCTOBER, NOW)).count()
        assert counted == figures[figure.key], figure.key
    for rate in RATE_LIST:
        counted = Case.objects.filter(cases_q(rate.key, OCTOBER, NOW)).count()
        assert counted == figures[rate.denominator], rate.key


def test_by_department_and_by_source(october, departments):
    rows = compute.count(Case.objects.all(), OCTOBER, NOW, group_by="department_id")
    assert rows[departments.a.pk]["acknowledged"] == 3
    by_source = compute.count(Case.objects.all(), OCTOBER, NOW, group_by="source")
    assert by_source[Source.PATROL]["reported"] == 7


def test_periods_from_parameters():
    period, errors = from_params({"from": "2026-10-01", "to": "2026-10-31"})
    assert period == Period(OCTOBER.first, OCTOBER.last, "custom") and not errors
    assert period.previous() == Period(month(2026, 9).first, month(2026, 9).last, "custom")
    _, errors = from_params({"from": "2026-10-31", "to": "2026-10-01"})
    assert "to" in errors
    _, errors = from_params({"period": "custom", "from": "x"})
    assert "from" in errors
    _, errors = from_params({"period": "year"})
    assert "period" in errors
    week = Period(at(11, 2, 0).date(), at(11, 4, 0).date())
    assert week.previous() == Period(at(10, 30, 0).date(), at(11, 1, 0).date())


def test_the_working_time_meter_counts_as_the_clock(calendar):
    import itertools
    import random

    from governance.workclock import WorkingTimeMeter, working_time_between

    meter = WorkingTimeMeter(at(9, 25, 0).date(), at(11, 10, 0).date())
    moments = sorted(
        at(9, 25, 0) + timedelta(minutes=random.Random(seed).randrange(0, 60 * 24 * 45))
        for seed in range(60)
    )
    for start, end in itertools.pairwise(moments):
        expected = working_time_between(start, end).total_seconds()
        assert meter(end) - meter(start) == pytest.approx(expected), (start, end)
    # To the microsecond, as the rollups store it (moments with microseconds, over weekends).
    moments = sorted(
        at(9, 25, 0) + timedelta(microseconds=random.Random(seed).randrange(45 * 86_400 * 10**6))
        for seed in range(300)
    )
    for start, end in itertools.pairwise(moments):
        assert timedelta(seconds=meter(end) - meter(start)) == working_time_between(start, end)
