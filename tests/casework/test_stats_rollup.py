"""The statistics rollups give the figures of the direct count: on a random workload taken
through the real services (steps, returns, reworks, escalations, merges, suspensions, the
deadline scan), plus writes outside the workflow (a factory case, an admin-style update, a
boundary change), for every grouping the pages use and several periods."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework.deadlines.reminders import scan_deadlines
from casework.deadlines.services import (
    case_resume,
    deadline_request_create,
    deadline_request_decide,
)
from casework.models import Case, CaseRollup, CaseRollupState, Source, Status
from casework.services import case_report, case_step
from casework.stats import compute, rollup
from casework.stats.periods import Period, preset
from tests.casework.factories import CaseFactory, jpeg_upload

DAY = timedelta(days=1)


def _working(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    return local.replace(hour=9 + local.hour % 8, minute=local.minute)


@pytest.fixture
def workload(calendar, tree, categories, crew, departments):
    rng = random.Random(11)
    now = timezone.now()
    made = []
    sides = {
        "a": (tree.building_a1, crew.worker_a, crew.dispatcher_a),
        "b": (tree.building_b1, crew.worker_b, crew.dispatcher_b),
    }
    for n in range(36):
        side = "a" if n % 3 else "b"
        area, worker, dispatcher = sides[side]
        if side == "a" and n % 5 == 0:
            area = tree.micro_a1
        days = rng.uniform(2, 80)
        # The last cases start 1 to 40 hours ago, at that distance from now whatever the hour, so
        # that some are still open at every time of day the suite runs.
        when = now - timedelta(hours=days / 2) if n >= 30 else _working(now - timedelta(days=days))
        case = case_report(
            actor=worker,
            title=f"随机案件{n}",
            category=rng.choice([categories.garbage, categories.lamp]),
            area=area,
            source=rng.choice([Source.PATROL, Source.HOTLINE]),
            address="青松里",
            reporter_name="李阿姨",
            now=when,
        )
        made.append(case)
        steps = _path(rng, made, case, side)
        holder_dispatcher = dispatcher
        for name, inputs in steps:
            when += timedelta(hours=rng.uniform(0.3, 30))
            if when >= now:
                break
            actor = {
                "worker": worker,
                "dispatcher": holder_dispatcher,
                "handler": crew.handler_a,
                "center": crew.center,
            }[inputs.pop("by")]
            if name == "escalate":
                holder_dispatcher = crew.center
            try:
                case = case_step(case=case, actor=actor, step=name, now=when, **inputs)
            except ValidationError:
                break
            if name == "acknowledge" and rng.random() < 0.3:
                request = deadline_request_create(
                    case=case, actor=crew.handler_a, kind="suspension", reason="等待配件", now=when
                )
                deadline_request_decide(
                    request=request, actor=crew.center, approve=True, now=when + timedelta(hours=1)
                )
                when += timedelta(hours=rng.uniform(2, 60))
                if when >= now:
                    break
                case = case_resume(case=Case.objects.get(pk=case.pk), actor=crew.center, now=when)
                case = Case.objects.get(pk=case.pk)
        if n % 9 == 0:
            scan_deadlines(now=when + timedelta(hours=rng.uniform(1, 60)))
    scan_deadlines(now=now)
    # Writes outside the workflow: a case put in place, a changed category, a boundary move.
    CaseFactory(
        area=tree.building_a1,
        category=categories.garbage,
        status=Status.CLOSED,
        holder="",
        department=departments.a,
        reported_at=now - 3 * DAY,
        closed_at=now - 2 * DAY,
    )
    Case.objects.filter(pk=made[1].pk).update(category=categories.lamp, updated_at=now)
    tree.micro_b1.refresh_from_db()
    tree.grid_a2.refresh_from_db()
    tree.micro_b1.move_to(tree.grid_a2, "last-child")
    return now


def _path(rng, made, case, side):
    """The steps of one case (some are cut short where they would pass the present)."""
    photo = {"photos": [jpeg_upload()]}
    r = rng.random()
    if r < 0.08:
        return [("reject", {"by": "dispatcher", "comment": "非本辖区"})]
    if r < 0.16:
        earlier = [c for c in made[:-1] if c.street_id == case.street_id]
        if earlier and side == "a":
            return [("merge", {"by": "dispatcher", "duplicate_of": earlier[-1].pk})]
    if r < 0.3 and side == "a":
        steps = [("resolve_on_spot", {"by": "worker", "result": "已处理", **photo})]
        if rng.random() < 0.7:
            steps.append(("evaluate", {"by": "dispatcher", "satisfaction": "satisfied"}))
        return steps
    steps = [("accept", {"by": "dispatcher"})]
    if rng.random() < 0.2:
        steps.append(("escalate", {"by": "dispatcher", "comment": "需多部门"}))
    steps.append(("dispatch", {"by": "dispatcher"}))
    if rng.random() < 0.25:
        steps += [
            ("return", {"by": "handler", "comment": "不属本部门"}),
            ("dispatch", {"by": "dispatcher"}),
        ]
    steps.append(("acknowledge", {"by": "handler"}))
    if rng.random() < 0.2:
        steps += [
            ("return", {"by": "handler", "comment": "退回"}),
            ("dispatch", {"by": "dispatcher"}),
            ("acknowledge", {"by": "handler"}),
        ]
    steps.append(("complete", {"by": "handler", "result": "已处置", **photo}))
    if rng.random() < 0.25:
        steps += [
            ("verify_fail", {"by": "worker", "comment": "仍有问题"}),
            ("complete", {"by": "handler", "result": "再处置", **{"photos": [jpeg_upload()]}}),
        ]
    steps.append(("verify_pass", {"by": "worker"}))
    if rng.random() < 0.6:
        satisfaction = rng.choice(["satisfied", "basically_satisfied", "dissatisfied"])
        steps.append(("evaluate", {"by": "dispatcher", "satisfaction": satisfaction}))
    return steps


def _periods(now):
    month = preset("month")
    last = month.previous()
    today = timezone.localdate(now)
    return [
        month,
        last,
        last.previous(),
        Period(today - 40 * DAY, today - 5 * DAY),
        Period(today - 12 * DAY, today - 12 * DAY),
        Period(today - 90 * DAY, today),
    ]


@pytest.mark.parametrize("fields", [rollup.ROLLUP_KEY, ("area_id",), ("department_id",), ()])
def test_the_rollups_give_the_direct_figures_on_a_random_workload(workload, tree, fields):
    statuses = set(Case.objects.values_list("status", flat=True))
    assert len(statuses) >= 5, statuses  # the workload reached most states
    for period in _periods(workload):
        for area in (tree.street, tree.community_a):
            assert rollup.differences(area, period, workload, fields) == [], (period, area)
    # And the same figures come out whole, rates and handling time included.
    whole = Period(timezone.localdate(workload) - 90 * DAY, timezone.localdate(workload))
    direct = compute.total(Case.objects.all(), whole, workload)
    rolled = compute.total(rollup.Subtree.of(tree.street), whole, workload)
    assert direct.counts == rolled.counts
    assert direct.rates == rolled.rates
    assert direct.handling_hours == rolled.handling_hours
    assert direct["acknowledged"] and direct["went_overdue"] and direct["returned"]


def test_a_refresh_twice_changes_nothing_and_a_rebuild_gives_the_same_rows(workload):
    rollup.catch_up()
    before = sorted(
        CaseRollup.objects.exclude(reported=0).values_list("day", "area_id", "reported")
    )
    assert rollup.refresh(Case.objects.values_list("pk", flat=True)) == 0
    rollup.rebuild()
    after = sorted(CaseRollup.objects.exclude(reported=0).values_list("day", "area_id", "reported"))
    assert before == after
    assert CaseRollupState.objects.count() == Case.objects.count()


def test_the_rollups_notice_a_wrong_row(workload, tree):
    rollup.catch_up()
    row = CaseRollup.objects.filter(reported__gt=0).order_by("-day").first()
    CaseRollup.objects.filter(pk=row.pk).update(reported=row.reported + 1)
    period = Period(row.day, row.day)
    assert rollup.differences(tree.street, period, workload) != []


def test_the_monthly_and_open_case_rollups_agree_with_the_cases(workload, tree):
    """The month level and the open cases' table (kept by the same refresh) against the cases:
    the months are the sums of their days, the open table counts the open cases by due day
    with no row left at zero, and the trend, hot spots and repeated reports read from them
    are the direct ones."""
    from django.db.models import Sum

    from casework.models import OPEN_STATUSES, CaseRollupMonth, CaseRollupOpen
    from casework.stats import selectors

    source = rollup.Subtree.of(tree.street)
    days: dict = {}
    for row in CaseRollup.objects.values("day", "area_id", "closed", "reported", "handling_us"):
        sums = days.setdefault((row["day"].replace(day=1), row["area_id"]), [0, 0, 0])
        for i, column in enumerate(("closed", "reported", "handling_us")):
            sums[i] += row[column]
    months = {
        (row["month"], row["area_id"]): [row["c"], row["r"], row["h"]]
        for row in CaseRollupMonth.objects.values("month", "area_id").annotate(
            c=Sum("closed"), r=Sum("reported"), h=Sum("handling_us")
        )
    }
    assert {k: v for k, v in days.items() if any(v)} == {k: v for k, v in months.items() if any(v)}
    assert len({month for month, _area in months}) >= 3
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    assert CaseRollupOpen.objects.aggregate(n=Sum("open"))["n"] == open_cases.count() > 0
    assert not CaseRollupOpen.objects.filter(open=0, suspended_now=0).exists()
    by_day: dict = {}
    for case in open_cases:
        day = timezone.localdate(case.due_at) if case.due_at else rollup.NO_DUE_DAY
        by_day[str(day)] = by_day.get(str(day), 0) + 1
    stored = dict(CaseRollupOpen.objects.values_list("due_day").annotate(n=Sum("open")).order_by())
    assert {str(k): v for k, v in stored.items()} == by_day
    cases = Case.objects.all()
    for period in _periods(workload):
        assert selectors.monthly_trend(source, period) == selectors.monthly_trend(cases, period)
        rolled_areas, rolled_categories = selectors.hot_spots(source, tree.street, period)
        direct_areas, direct_categories = selectors.hot_spots(cases, tree.street, period)
        # Areas with equal counts may come in either order (and either may make the top).
        assert sorted(n for _a, n in rolled_areas) == sorted(n for _a, n in direct_areas)
        assert rolled_categories == direct_categories
        assert selectors.repeated_reports(source, period) == selectors.repeated_reports(
            cases, period
        )
    # A case closed after the last refresh leaves the open table's row (gone at zero).
    case = open_cases.order_by("pk").first()
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED, updated_at=timezone.now())
    rollup.catch_up()
    still_open = Case.objects.filter(status__in=OPEN_STATUSES).count()
    assert CaseRollupOpen.objects.aggregate(n=Sum("open"))["n"] == still_open
    assert not CaseRollupOpen.objects.filter(open=0, suspended_now=0).exists()


@pytest.fixture
def calendar(db):
    """The published holiday calendar (the handling times run on working time)."""
    from governance import workclock
    from governance.workclock import calendar_load_from_package

    calendar_load_from_package()
    workclock._cache.clear()
    yield workclock._cache


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_migration_that_adds_the_month_and_open_tables_fills_them_as_a_rebuild_would(
    workload,
):
    """A database whose daily rollups were built before ``casework 0021`` gets the same month
    and open-case rows from that migration as from a rebuild (its SQL on PostgreSQL, its Python
    elsewhere)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from casework.stats.models import CaseRollupMonth, CaseRollupOpen

    def rows(model, *fields):
        return sorted(model.objects.values_list(*fields))

    key = ("area_id", "department_id", "category_id", "source")
    month_fields = ("month", *key, "reported", "closed", "acknowledged", "handling_us")
    open_fields = (*key, "due_day", "open", "suspended_now")
    rollup.rebuild()
    months, opened = rows(CaseRollupMonth, *month_fields), rows(CaseRollupOpen, *open_fields)
    assert months and opened

    executor = MigrationExecutor(connection)
    latest = [node for node in executor.loader.graph.leaf_nodes() if node[0] == "casework"]
    executor.migrate([("casework", "0020_case_community_waiting_index")])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)

    assert rows(CaseRollupMonth, *month_fields) == months
    assert rows(CaseRollupOpen, *open_fields) == opened
