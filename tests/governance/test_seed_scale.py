"""``manage.py seed_scale`` at a tiny size: the district it builds, the states its cases reach, and
statistics that agree with the cases."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from casework.deadlines.models import Reminder
from casework.models import Case, CaseCounter, CaseEvent, Status
from casework.services import cases_with_stale_levels
from casework.stats import periods, rollup
from casework.stats.models import (
    CaseRollup,
    CaseRollupMonth,
    CaseRollupOpen,
    CaseRollupOverlap,
    CaseRollupState,
)
from governance.models import Notification
from governance.scale import DISTRICT_CODE, id_number
from grids.models import Area, AreaKind, Resident
from grids.models.residents import resident_id_problem
from partybuilding.models import PartyMember, PartyOrganization

TINY = [
    "--cases=2000",
    "--streets=2",
    "--communities=2",
    "--grids=2",
    "--micro-grids=2",
    "--buildings=3",
    "--residents=500",
    "--party-members=100",
]


@pytest.fixture(scope="class")
def _district_loaded(django_db_setup, django_db_blocker):
    """The district, loaded once for the tests of TestTheDistrict (about two seconds of CPU,
    the test process's and PostgreSQL's, each time: loading it for each of five tests was most
    of their time) in a transaction rolled back after its last test; each test runs in a
    savepoint inside it, so that what one test writes the next never sees."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("seed_scale", *TINY, stdout=out)
        yield Area.objects.get(code=DISTRICT_CODE), out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def district(_district_loaded, db):
    return _district_loaded


def _rollup_rows() -> dict[str, list]:
    """Every row of the rollup tables but their surrogate ids, sorted."""
    tables = {}
    for model in (CaseRollup, CaseRollupMonth, CaseRollupOpen, CaseRollupOverlap):
        names = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
        tables[model.__name__] = sorted(model.objects.values_list(*names))
    tables["states"] = sorted(
        CaseRollupState.objects.values_list("case_id", "case_updated_at", "data"), key=str
    )
    return tables


def _assert_rollups_as_a_rebuild_gives():
    """The rollups the loader counted from the rows it wrote (rollup.count_loaded) are the
    ones a rebuild reads from the cases, row for row, states included; and refreshing every
    case changes nothing."""
    loaded = _rollup_rows()
    assert len(loaded["states"]) == Case.objects.count()
    assert rollup.refresh(Case.objects.values_list("pk", flat=True)) == 0
    rollup.rebuild()
    rebuilt = _rollup_rows()
    for table, rows in loaded.items():
        assert rows == rebuilt[table], table
    # Handling times, overlaps and open cases were there to compare.
    assert CaseRollup.objects.filter(handling_us__gt=0).exists()
    assert loaded["CaseRollupOverlap"] and loaded["CaseRollupOpen"]


class TestTheDistrict:
    """The tests that read one district (a class, so that the district's transaction is rolled
    back before any other test of the module, such as a transactional one, runs)."""

    def test_it_builds_the_district_with_its_people(self, district):
        root, output = district
        below = Area.objects.within(root, include_self=False)
        kinds = dict(below.order_by().values_list("kind").annotate(n=Count("pk")))
        assert kinds == {
            AreaKind.STREET: 2,
            AreaKind.COMMUNITY: 4,
            AreaKind.GRID: 8,
            AreaKind.MICRO_GRID: 16,
            AreaKind.BUILDING: 48,
        }
        assert Area.check_tree() == []
        assert PartyOrganization.check_tree() == []
        assert Resident.objects.filter(area__in=below).count() == 500
        assert PartyMember.objects.count() == 100
        assert PartyOrganization.objects.count() == 2 + 4 + 8
        # Every building's people are in a building, with well-formed ID numbers.
        assert not Resident.objects.exclude(area__kind=AreaKind.BUILDING).exists()
        sample = Resident.objects.order_by("pk").values_list("id_number", flat=True)[:50]
        assert all(resident_id_problem(number) is None for number in sample)
        assert "Done in" in output

    def test_its_cases_reach_every_state_with_their_history(self, district):
        assert Case.objects.count() == 2000
        # Their street, community and grid are those above their area, as filing keeps them
        # (the community and grid scopes read them).
        assert not cases_with_stale_levels().exists()
        statuses = set(Case.objects.values_list("status", flat=True))
        assert statuses == set(Status.values)
        assert Case.objects.exclude(satisfaction="").exists()
        assert Case.objects.filter(resolved_on_spot=True, status=Status.CLOSED).exists()
        assert Case.objects.filter(return_count__gt=0).exists()
        assert Case.objects.filter(rework_count__gt=0).exists()
        assert Case.objects.filter(escalated_at__isnull=False).exists()
        # One report event per case, and at least one more for every case that moved on.
        assert CaseEvent.objects.filter(step="report").count() == 2000
        moved = Case.objects.exclude(status=Status.REPORTED).count()
        assert CaseEvent.objects.exclude(step="report").values("case").distinct().count() == moved
        assert not Case.objects.filter(status=Status.CLOSED, closed_at__isnull=True).exists()
        assert not Case.objects.filter(status=Status.MERGED, duplicate_of__isnull=True).exists()
        # Over three years, up to now.
        now = timezone.now()
        oldest = Case.objects.order_by("reported_at").first().reported_at
        assert (now - oldest).days > 900 and Case.objects.filter(reported_at__gt=now).count() == 0
        # Late steps were found by the scan and people were told.
        reminders = Reminder.objects.count()
        assert 0 < reminders < 2000
        assert Notification.objects.filter(key__startswith="reminder:").count() == reminders
        # Numbers go on from the counters.
        counter = CaseCounter.objects.order_by("-year").first()
        assert Case.objects.filter(
            street=counter.street, number=f"{counter.year}-{counter.last:06d}"
        ).exists()

    def test_its_statistics_agree_with_the_cases(self, district):
        root, _output = district
        now = timezone.now()
        month = periods.preset("month")
        for street in Area.objects.filter(parent=root):
            for period in (month, month.previous()):
                assert rollup.differences(street, period, now) == []

    def test_its_rollups_are_what_a_rebuild_gives(self, district):
        _assert_rollups_as_a_rebuild_gives()

    def test_it_refuses_to_load_twice(self, district):
        with pytest.raises(CommandError, match="already loaded"):
            call_command("seed_scale", *TINY, stdout=StringIO())


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_processes_write_the_same_kind_of_district():
    """With committed transactions (no test transaction around it) the cases are written by
    worker processes, each counting its cases into the rollups."""
    out = StringIO()
    call_command("seed_scale", *TINY, "--processes=2", stdout=out)
    assert Case.objects.count() == 2000
    assert CaseRollupState.objects.count() == 2000  # every case counted once
    assert set(Case.objects.values_list("status", flat=True)) == set(Status.values)
    # Ids follow the filing times across the streets, as they do in life.
    by_time = list(Case.objects.order_by("reported_at", "pk").values_list("pk", flat=True))
    assert by_time == sorted(by_time)
    assert CaseEvent.objects.filter(step="report").count() == 2000
    reminders = Reminder.objects.count()
    assert reminders > 0
    assert Notification.objects.filter(key__startswith="reminder:").count() == reminders
    assert (
        not Notification.objects.filter(key__startswith="reminder:")
        .exclude(key__in=[f"reminder:{pk}" for pk in Reminder.objects.values_list("pk", flat=True)])
        .exists()
    )
    root = Area.objects.get(code=DISTRICT_CODE)
    now = timezone.now()
    month = periods.preset("month")
    for street in Area.objects.filter(parent=root):
        for period in (month, month.previous()):
            assert rollup.differences(street, period, now) == []
    _assert_rollups_as_a_rebuild_gives()
    assert "Done in" in out.getvalue()


def test_the_id_numbers_carry_their_check_digit():
    from datetime import date

    number = id_number(date(1980, 5, 17), 3, female=True)
    assert len(number) == 18 and number[6:14] == "19800517"
    assert resident_id_problem(number) is None
