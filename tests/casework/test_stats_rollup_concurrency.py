"""A rollup build (``build_missing``, ``rebuild``) while statistics are read (each read first
catches the rollups up), on PostgreSQL, two connections at once: no duplicate key in the case
states, and every case counted once, as a build from scratch counts it.

Each test stops one side at a chosen point (inside :func:`rollup._contributions`, after its
reads) and waits on conditions with deadlines, never on a fixed sleep."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from casework.models import (
    Case,
    CaseRollup,
    CaseRollupMonth,
    CaseRollupOpen,
    CaseRollupOverlap,
    CaseRollupState,
    Status,
)
from casework.stats import rollup
from tests.casework.factories import spread_cases

pytestmark = pytest.mark.postgres

# Seconds a side may wait for the other before the test fails: generous, for a loaded CI
# machine (a wait costs nothing when all goes well).
DEADLINE = 120


def _wait(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.01)


def _tables() -> dict:
    """Every rollup row, to compare with a build from scratch."""

    def rows(model, *exclude):
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in exclude]
        return sorted(tuple(r) for r in model.objects.values_list(*fields))

    return {
        "days": rows(CaseRollup, "id"),
        "months": rows(CaseRollupMonth, "id"),
        "open": rows(CaseRollupOpen, "id"),
        "overlaps": rows(CaseRollupOverlap, "id"),
        "states": sorted(
            (s.case_id, s.case_updated_at, str(s.data)) for s in CaseRollupState.objects.all()
        ),
    }


def _as_built_from_scratch() -> dict:
    rollup.rebuild()
    return _tables()


class _Pause:
    """Stops the thread named ``who`` in :func:`rollup._contributions` (after its reads, before
    it writes anything from them) until released; the others pass through."""

    def __init__(self, monkeypatch, who: str):
        self.who = who
        self.reached = threading.Event()
        self.release = threading.Event()
        real = rollup._contributions

        def paused(ids, **kwargs):
            result = real(ids, **kwargs)
            if threading.current_thread().name == self.who and not self.reached.is_set():
                self.reached.set()
                if not self.release.wait(DEADLINE):
                    raise AssertionError("never released")
            return result

        monkeypatch.setattr(rollup, "_contributions", paused)


def _in_thread(name: str, fn) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = fn()
        except Exception as exc:  # reported by the test
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread, outcome


def _finish(thread, outcome) -> object:
    thread.join(DEADLINE)
    assert not thread.is_alive(), "the other side never finished"
    assert "error" not in outcome, repr(outcome.get("error"))
    return outcome.get("value")


def _blocked_on_a_lock() -> bool:
    """Some other session of this database waits for a lock (a row or a transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.fixture
def cases(transactional_db, tree, categories, departments):
    now = timezone.now()
    made = spread_cases(tree, categories, departments)
    closed = made[0]
    Case.objects.filter(pk=closed.pk).update(
        status=Status.CLOSED, holder="", closed_at=now - timedelta(hours=1), updated_at=now
    )
    return made


def test_a_catch_up_that_counts_a_case_while_a_build_reads_it_leaves_it_to_the_catch_up(
    cases, categories, monkeypatch
):
    """The build has read the cases and worked out their contributions; a statistics read
    catches up (the rollups are empty, so it counts every case, one of them just changed) and
    commits; then the build writes. It used to fail on the duplicate state (and would have
    counted the cases again had it not)."""
    pause = _Pause(monkeypatch, "build")
    build, outcome = _in_thread("build", rollup.build_missing)
    _wait(pause.reached.is_set, "the build to read its cases")

    # A step written after the build read the case: the catch-up counts it as it is now.
    changed = cases[3]
    Case.objects.filter(pk=changed.pk).update(category=categories.lamp, updated_at=timezone.now())
    assert rollup.catch_up() == len(cases)
    pause.release.set()
    built = _finish(build, outcome)

    assert built == 0  # every case was the catch-up's by then
    after = _tables()
    assert after == _as_built_from_scratch()
    assert CaseRollupState.objects.count() == len(cases)


def test_a_build_that_meets_a_catch_up_holding_a_case_waits_and_leaves_it_to_it(
    cases, categories, monkeypatch
):
    """The other order: a catch-up has taken the cases' states (not yet committed) when the
    build writes its own; the build waits for it, then leaves those cases alone."""
    first, rest = cases[:6], cases[6:]
    rollup.refresh([c.pk for c in first])  # the rollups hold half of the cases
    CaseRollupState.objects.filter(case_id__in=[c.pk for c in first]).update(
        case_updated_at=timezone.now() - timedelta(minutes=5)
    )
    Case.objects.filter(pk=rest[0].pk).update(category=categories.lamp, updated_at=timezone.now())
    pause = _Pause(monkeypatch, "catch-up")
    catching_up, caught = _in_thread("catch-up", rollup.catch_up)
    _wait(pause.reached.is_set, "the catch-up to take its cases")

    build, built = _in_thread("build", rollup.build_missing)
    _wait(_blocked_on_a_lock, "the build to wait for the catch-up's cases")
    pause.release.set()
    assert _finish(catching_up, caught) == len(cases)
    assert _finish(build, built) == 0

    assert _tables() == _as_built_from_scratch()


def test_two_builds_and_catch_ups_at_once_count_every_case_once(cases, categories):
    """No pauses: two builders over overlapping ranges and two catch-ups, released together."""
    ids = sorted(c.pk for c in cases)
    barrier = threading.Barrier(4)

    def after_barrier(fn):
        def run():
            barrier.wait(DEADLINE)
            return fn()

        return run

    sides = [
        _in_thread("build-1", after_barrier(lambda: rollup.build_missing(last=ids[7]))),
        _in_thread("build-2", after_barrier(lambda: rollup.build_missing(first=ids[4]))),
        _in_thread("catch-up-1", after_barrier(rollup.catch_up)),
        _in_thread("catch-up-2", after_barrier(rollup.catch_up)),
    ]
    for thread, _outcome in sides:
        thread.join(DEADLINE)
    for thread, outcome in sides:
        _finish(thread, outcome)
    assert CaseRollupState.objects.count() == len(cases)
    assert _tables() == _as_built_from_scratch()
