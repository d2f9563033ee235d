"""The casework demo seeder: consistent histories, unique numbers, lived-in inboxes."""

from __future__ import annotations

from collections import defaultdict

import pytest

from casework import selectors
from casework.demo import cases as demo
from casework.models import (
    Case,
    CaseCounter,
    CaseEvent,
    Category,
    FilingKey,
    ResponseTemplate,
    Source,
    Status,
)
from casework.services import cases_with_stale_levels
from governance.demo import DemoContext, seeders
from governance.models import Role


def _seed_up_to(last: int) -> DemoContext:
    """The demo's seeders up to ``last`` in their order, quietly."""

    class Quiet:
        def write(self, text):
            pass

    ctx = DemoContext(stdout=Quiet())
    for order, _name, seeder in seeders():
        if order <= last:
            seeder(ctx)
    return ctx


@pytest.fixture
def seeded(db, monkeypatch):
    """The street, its people and a year of cases (250 of them)."""
    monkeypatch.setattr(demo, "CASES_PER_YEAR", 250)
    return _seed_up_to(20)


@pytest.fixture
def seeded_street(db):
    """The street with its areas, departments and users, without cases."""
    return _seed_up_to(10)


def test_the_demo_is_consistent_lived_in_and_idempotent(seeded):
    assert not cases_with_stale_levels().exists()  # street, community, grid above the area
    _histories_lead_to_the_cases_state()
    _numbers_are_unique_and_counters_continue_them()
    _patrol_cases_carry_their_drafts_key()
    _categories_limits_templates_and_inboxes(seeded)
    _seeding_again_changes_nothing(seeded)


def _histories_lead_to_the_cases_state():
    cases = {c.pk: c for c in Case.objects.all()}
    assert len(cases) >= 250
    trails = defaultdict(list)
    for event in CaseEvent.objects.order_by("created_at", "pk"):
        trails[event.case_id].append(event)
    for pk, case in cases.items():
        trail = trails[pk]
        assert trail[0].step == "report"
        previous = ""
        for event in trail:
            assert event.from_status == previous, (case.number, event.step)
            previous = event.to_status
        assert previous == case.status
        assert case.version == len(trail)
        if case.status == Status.MERGED:
            assert case.duplicate_of_id is not None
    statuses = {c.status for c in cases.values()}
    assert {Status.CLOSED, Status.REJECTED, Status.IN_PROGRESS} <= statuses


def _patrol_cases_carry_their_drafts_key():
    keys = list(FilingKey.objects.select_related("case"))
    assert keys
    assert all(k.case.source == Source.PATROL and k.actor_id == k.case.reporter_id for k in keys)
    assert len({k.key for k in keys}) == len(keys)


def _numbers_are_unique_and_counters_continue_them():
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))
    for counter in CaseCounter.objects.all():
        last = max(n for n in numbers if n.startswith(f"{counter.year}-"))
        assert last == f"{counter.year}-{counter.last:06d}"


def _categories_limits_templates_and_inboxes(seeded):
    assert Category.objects.filter(name="暴露垃圾", parent__name="市容环境").exists()
    assert Category.objects.filter(name="消防通道堵塞", around_the_clock=True).exists()
    assert Category.check_tree() == []
    assert ResponseTemplate.objects.filter(step="reject").exists()
    dispatcher = seeded.data["users"][Role.COMMUNITY_DISPATCHER]
    handler = seeded.data["users"][Role.DEPARTMENT_HANDLER]
    center = seeded.data["users"][Role.CENTER_SUPERVISOR]
    assert selectors.dispatcher_inbox(dispatcher).exists()
    assert selectors.department_inbox(handler).exists()
    assert selectors.center_inbox(center).exists()


def _seeding_again_changes_nothing(seeded):
    before = (Case.objects.count(), CaseEvent.objects.count(), Category.objects.count())
    for order, _name, seeder in seeders():
        if order == 20:
            seeder(seeded)
    assert (Case.objects.count(), CaseEvent.objects.count(), Category.objects.count()) == before


def test_the_demo_has_a_finished_export_for_the_center_and_is_idempotent(
    seeded, settings, tmp_path
):
    from casework.demo.exports import seed_case_exports
    from casework.models import CaseExport

    settings.MEDIA_ROOT = tmp_path / "media"
    seed_case_exports(seeded)
    seed_case_exports(seeded)
    export = CaseExport.objects.get()
    assert export.owner == seeded.data["users"][Role.CENTER_SUPERVISOR]
    assert export.state == CaseExport.State.DONE and export.file
    assert export.written == export.total > 0
