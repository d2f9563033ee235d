"""The catch-up of a statistics read reads what was written since the last catch-up began (its
high-water mark), and never misses a change: one written while a catch-up runs, or stamped
before it began and committed after it read, is taken in by the next one (both databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from casework.models import Case, CaseRollupState, Status
from casework.stats import rollup
from tests.casework.factories import spread_cases


@pytest.fixture
def cases(db, tree, categories, departments):
    """Twelve cases last written five minutes ago (inside the ten minutes a catch-up without a
    mark reads), their rollups built."""
    now = timezone.now()
    made = spread_cases(tree, categories, departments)
    Case.objects.filter(pk__in=[c.pk for c in made]).update(updated_at=now - timedelta(minutes=5))
    rollup.rebuild()
    return made


@pytest.fixture
def reads(monkeypatch):
    """How many cases each catch-up read; ``reads.during`` runs once after the next read."""
    real = rollup._versions_since

    class Reads(list):
        during = None

    seen = Reads()

    def counting(since):
        versions = real(since)
        seen.append(len(versions))
        if seen.during is not None:
            during, seen.during = seen.during, None
            during()
        return versions

    monkeypatch.setattr(rollup, "_versions_since", counting)
    return seen


def _state_is_current(case) -> bool:
    state = CaseRollupState.objects.get(case_id=case.pk)
    return state.case_updated_at == Case.objects.get(pk=case.pk).updated_at


def test_a_catch_up_reads_only_what_was_written_since_the_last_one(cases, categories, reads):
    rollup.catch_up()  # no mark yet: the ten minutes before the newest state
    rollup.catch_up()
    rollup.catch_up()
    assert reads == [12, 0, 0]

    Case.objects.filter(pk=cases[2].pk).update(category=categories.lamp, updated_at=timezone.now())
    assert rollup.catch_up() == 1
    assert reads[-1] == 1
    assert _state_is_current(cases[2])


def test_a_case_written_while_a_catch_up_runs_is_caught_by_the_next(cases, tree, categories, reads):
    rollup.catch_up()
    changed = cases[4]
    reads.during = lambda: Case.objects.filter(pk=changed.pk).update(
        category=categories.lamp,
        status=Status.CLOSED,
        holder="",
        closed_at=timezone.now(),
        updated_at=timezone.now(),
    )
    rollup.catch_up()  # read before the change: the case is not taken in
    assert not _state_is_current(changed)

    rollup.catch_up()
    assert _state_is_current(changed)
    assert rollup.differences(tree.street, _last_month(), timezone.now()) == []


def test_a_case_stamped_before_a_catch_up_and_committed_after_its_read_is_caught_by_the_next(
    cases, categories, reads
):
    """A transaction that stamped ``updated_at`` (at its save) before the catch-up began and
    committed only after the catch-up read the cases."""
    rollup.catch_up()
    late = cases[6]
    stamped = timezone.now() - timedelta(seconds=30)
    reads.during = lambda: Case.objects.filter(pk=late.pk).update(
        category=categories.lamp, updated_at=stamped
    )
    rollup.catch_up()
    assert not _state_is_current(late)

    rollup.catch_up()
    assert _state_is_current(late)


def test_a_commit_later_than_the_allowance_is_left_to_the_periodic_catch_up(
    cases, categories, reads
):
    rollup.catch_up()
    later = cases[7]
    stamped = timezone.now() - rollup.LATE_COMMIT - timedelta(seconds=30)
    reads.during = lambda: Case.objects.filter(pk=later.pk).update(
        category=categories.lamp, updated_at=stamped
    )
    rollup.catch_up()
    rollup.catch_up()
    assert not _state_is_current(later)  # past what a statistics read looks back

    rollup.catch_up(margin=rollup.TASK_MARGIN)  # the beat task, every minute
    assert _state_is_current(later)


def test_without_the_mark_a_catch_up_reads_the_ten_minutes_again(cases, reads):
    from governance.cache import shared_cache

    rollup.catch_up()
    rollup.catch_up()
    shared_cache.clear()
    rollup.catch_up()
    assert reads == [12, 0, 12]


def test_a_mark_older_than_the_ten_minutes_is_moved_on(cases, reads):
    """A mark left from long ago (a process stopped for an hour): the catch-up reads the ten
    minutes before the newest state, and the next one only what came after."""
    rollup._set_mark(timezone.now() - timedelta(hours=1))
    rollup.catch_up()
    rollup.catch_up()
    assert reads == [12, 0]


def test_a_narrower_catch_up_leaves_the_mark(cases, reads):
    rollup.catch_up()
    mark = rollup._mark()
    rollup.catch_up(margin=timedelta(0))
    assert rollup._mark() == mark


def _last_month():
    from casework.stats.periods import Period

    today = timezone.localdate()
    return Period(today - timedelta(days=30), today)
