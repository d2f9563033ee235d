"""The field-work part of the demo: patrols with routes and findings that are the cases the
grid workers filed, hidden dangers in every state with consistent histories, a running
mobilization task about half checked, and a second run that changes nothing."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db.models import Count, F, Sum

from casework.demo import cases as casework_demo
from governance.demo import DemoContext, seeders
from grids import demo_fieldwork
from grids.models import (
    Area,
    AreaKind,
    DangerState,
    HiddenDanger,
    HiddenDangerEvent,
    MobilizationReport,
    MobilizationSignup,
    MobilizationTarget,
    MobilizationTask,
    Patrol,
    PatrolFinding,
    PatrolPoint,
    TargetStatus,
    TaskStatus,
)

MODELS = (
    Patrol,
    PatrolPoint,
    PatrolFinding,
    HiddenDanger,
    HiddenDangerEvent,
    MobilizationTask,
    MobilizationTarget,
    MobilizationSignup,
    MobilizationReport,
)


class Quiet:
    def write(self, text):
        pass


def _seed() -> DemoContext:
    ctx = DemoContext(stdout=Quiet())
    for order, _name, seeder in seeders():
        if order <= 27:
            seeder(ctx)
    return ctx


@pytest.fixture
def seeded(db, monkeypatch):
    monkeypatch.setattr(casework_demo, "CASES_PER_YEAR", 250)
    monkeypatch.setattr(demo_fieldwork, "PATROL_DAY_SHARE", 0.03)
    monkeypatch.setattr(demo_fieldwork, "DANGERS", 80)
    return _seed()


def test_the_field_demo_is_consistent_and_idempotent(seeded):
    _patrols_have_routes_and_their_findings_are_the_workers_cases()
    _dangers_are_in_every_state_with_their_histories()
    _the_running_task_is_about_half_checked_and_its_counts_match()
    counts = {model: model.objects.count() for model in MODELS}
    _seed()
    assert {model: model.objects.count() for model in MODELS} == counts


def _patrols_have_routes_and_their_findings_are_the_workers_cases():
    assert Patrol.objects.count() > 100
    assert Patrol.objects.filter(ended_at__isnull=True).count() == 0
    assert Patrol.objects.aggregate(n=Sum("point_count"))["n"] == PatrolPoint.objects.count()
    outside = PatrolPoint.objects.exclude(
        recorded_at__gte=F("patrol__started_at"), recorded_at__lte=F("patrol__ended_at")
    )
    assert not outside.exists()
    filed = PatrolFinding.objects.filter(case__isnull=False).select_related("case", "patrol")
    assert filed.count() > 50
    for finding in filed:
        assert finding.case.reporter_id == finding.patrol.worker_id
        assert finding.patrol.started_at <= finding.found_at <= finding.patrol.ended_at
    assert PatrolFinding.objects.filter(case__isnull=True).exists()


def _dangers_are_in_every_state_with_their_histories():
    states = set(HiddenDanger.objects.values_list("state", flat=True))
    assert states == set(DangerState.values)
    trails = defaultdict(list)
    for event in HiddenDangerEvent.objects.order_by("created_at", "pk"):
        trails[event.danger_id].append(event)
    for danger in HiddenDanger.objects.all():
        previous = ""
        for event in trails[danger.pk]:
            assert event.from_state == previous, (danger.pk, event.step)
            previous = event.to_state
        assert previous == danger.state
        assert (danger.due_at is not None) == (danger.state in ("rectifying", "reinspecting"))
        assert (danger.case_id is not None) == (danger.state == DangerState.ESCALATED)


def _the_running_task_is_about_half_checked_and_its_counts_match():
    running = MobilizationTask.objects.get(status=TaskStatus.OPEN)
    street = running.area
    buildings = Area.objects.within(street).filter(kind=AreaKind.BUILDING).count()
    assert running.building_count == running.targets.count() == buildings
    done = running.targets.filter(status=TargetStatus.DONE).count()
    assert 0.35 <= done / buildings <= 0.65
    reports = dict(
        MobilizationReport.objects.filter(target__task=running)
        .values_list("target")
        .annotate(n=Count("pk"))
    )
    signups = dict(
        MobilizationSignup.objects.filter(target__task=running)
        .values_list("target")
        .annotate(n=Count("pk"))
    )
    for target in running.targets.all():
        assert target.report_count == reports.get(target.pk, 0)
        assert target.signup_count == signups.get(target.pk, 0)
        assert (target.status == TargetStatus.DONE) == bool(target.report_count)
    assert MobilizationTask.objects.filter(status=TaskStatus.CLOSED).count() == 1
