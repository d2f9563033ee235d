"""Two people at once, on PostgreSQL: row locks, conflicts, case numbers, the append-only guard,
a filing while its area moves."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction

from casework.models import Case, CaseEvent, Source, Status
from casework.services import (
    MOVING_LEVELS,
    CaseConflict,
    case_report,
    case_step,
    cases_with_stale_levels,
)
from grids.models import Area
from grids.models.areas import area_moved
from tests.casework.conftest import _role
from tests.processes import wait_for

pytestmark = pytest.mark.postgres


def _run_together(functions):
    """Run each function in its own thread and connection, released at the same moment."""
    barrier = threading.Barrier(len(functions))
    outcomes: list = [None] * len(functions)

    def worker(index, fn):
        try:
            barrier.wait()
            outcomes[index] = ("ok", fn())
        except Exception as exc:
            outcomes[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcomes


def _file(actor, tree, categories, title="占道经营"):
    return case_report(
        actor=actor,
        title=title,
        category=categories.garbage,
        area=tree.building_a1,
        source=Source.PATROL,
        address="青松里1号楼",
    )


def test_two_steps_at_once_exactly_one_wins(transactional_db, tree, categories, crew):
    colleague = _role("community_dispatcher", area=tree.community_a, username="dispatcher_a2")
    case = _file(crew.worker_a, tree, categories)
    seen = Case.objects.get(pk=case.pk)  # the copy both dispatchers have on their screens

    outcomes = _run_together(
        [
            lambda: case_step(case=seen, actor=crew.dispatcher_a, step="accept"),
            lambda: case_step(case=seen, actor=colleague, step="reject", comment="不属于受理范围"),
        ]
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    error = next(value for kind, value in outcomes if kind == "error")
    winner = next(value for kind, value in outcomes if kind == "ok")
    assert isinstance(error, CaseConflict)
    assert winner.events.last().actor_name in error.message
    stored = Case.objects.get(pk=case.pk)
    assert stored.status in (Status.ACCEPTED, Status.REJECTED)
    assert stored.version == 2
    assert CaseEvent.objects.filter(case=case).count() == 2  # report + the one winning step


def test_concurrent_filing_never_repeats_a_number(transactional_db, tree, categories, crew):
    def file_five():
        return [_file(crew.worker_a, tree, categories, title=f"案件{i}").number for i in range(5)]

    outcomes = _run_together([file_five for _ in range(6)])
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    numbers = [n for _, batch in outcomes for n in batch]
    assert len(numbers) == len(set(numbers)) == 30
    year = numbers[0][:4]
    assert sorted(numbers) == [f"{year}-{i:06d}" for i in range(1, 31)]


def test_the_database_refuses_to_rewrite_events(transactional_db, tree, categories, crew):
    case = _file(crew.worker_a, tree, categories)
    event = case.events.get()
    for sql in (
        "UPDATE casework_caseevent SET comment = 'rewritten' WHERE id = %s",
        "DELETE FROM casework_caseevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert CaseEvent.objects.get(pk=event.pk).comment == event.comment


# -- a filing while its area moves ---------------------------------------------------------
DEADLINE = 30  # seconds any side of a race waits for the other before the test fails


class _Side(threading.Thread):
    """One side of a race: ``work`` in a thread and a database connection of its own."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.work = work
        self.pid: int | None = None
        self.outcome: tuple | None = None

    def run(self):
        try:
            connection.ensure_connection()
            self.pid = connection.connection.info.backend_pid
            self.outcome = ("ok", self.work())
        except Exception as exc:
            self.outcome = ("error", exc)
        finally:
            connection.close()

    def waiting_or_done(self) -> bool:
        """True once the work ended or waits for a lock (read in pg_locks by the caller)."""
        if not self.is_alive():
            return True
        if self.pid is None:
            return False
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted)",
                [self.pid],
            )
            return cursor.fetchone()[0]

    def result(self):
        self.join(DEADLINE)
        assert not self.is_alive(), "the thread did not end"
        kind, value = self.outcome
        if kind == "error":
            raise value
        return value


def _move_building_to_community_b(tree):
    Area.objects.get(pk=tree.building_a1.pk).move_to(
        Area.objects.get(pk=tree.micro_b1.pk), "last-child"
    )


def _assert_filed_under_community_b(case, tree):
    assert not cases_with_stale_levels(MOVING_LEVELS).exists()
    assert (case.community_id, case.grid_id) == (tree.community_b.pk, tree.grid_b1.pk)
    stored = Case.objects.get(pk=case.pk)
    assert (stored.community_id, stored.grid_id) == (tree.community_b.pk, tree.grid_b1.pk)


def _file_on(area, actor, categories):
    return case_report(
        actor=actor,
        title="井盖缺失",
        category=categories.garbage,
        area=area,
        source=Source.PATROL,
        address="青松里1号楼",
    )


def _file_while_a_move_is_uncommitted(tree, filer, categories):
    """Start moving building A1 to community B, hold the move open until ``filer``'s filing
    waits for it, then let both go on: the filing's result (or its exception raised)."""
    # The area and its ancestors as the filer read them before the move (the API's copy).
    area = Area.with_ancestors(tree.building_a1.pk)
    moved, go = threading.Event(), threading.Event()

    def hold_the_move_open(sender, **kwargs):
        # Runs after casework's receiver: the cases have followed, the move has not committed.
        moved.set()
        if not go.wait(DEADLINE):
            raise AssertionError("the test never let the move commit")

    area_moved.connect(hold_the_move_open, sender=Area, dispatch_uid="test-hold-move")
    try:
        mover = _Side(lambda: _move_building_to_community_b(tree))
        mover.start()
        assert moved.wait(DEADLINE)
        filing = _Side(lambda: _file_on(area, filer, categories))
        filing.start()
        wait_for(filing.waiting_or_done, timeout=DEADLINE, what="the filing to wait or end")
        go.set()
        mover.result()
        return filing.result()
    finally:
        go.set()
        area_moved.disconnect(sender=Area, dispatch_uid="test-hold-move")


def test_a_filing_while_a_move_is_uncommitted_keeps_the_moved_levels(
    transactional_db, tree, categories, crew
):
    # The street's center supervisor may file in both communities.
    case = _file_while_a_move_is_uncommitted(tree, crew.center, categories)

    _assert_filed_under_community_b(case, tree)


def test_a_filing_whose_area_moves_out_of_the_filers_scope_meanwhile_is_refused(
    transactional_db, tree, categories, crew
):
    # Grid A1's worker was allowed to file on the tree read before the move; under the lock
    # the building lies in grid B1. Nothing is written, and the number is given back.
    with pytest.raises(PermissionDenied):
        _file_while_a_move_is_uncommitted(tree, crew.worker_a, categories)

    assert not Case.objects.filter(title="井盖缺失").exists()
    assert Area.objects.get(pk=tree.building_a1.pk).parent_id == tree.micro_b1.pk
    assert _file_on(Area.with_ancestors(tree.building_a1.pk), crew.worker_b, categories).number


def test_a_move_while_a_filing_is_uncommitted_carries_its_case_along(
    transactional_db, tree, categories, crew
):
    area = Area.with_ancestors(tree.building_a1.pk)
    ready, go = threading.Event(), threading.Event()

    def hold_before_the_case(execute, sql, params, many, context):
        # The filing has read its area's community and grid and is about to write the case.
        if sql.startswith('INSERT INTO "casework_case" '):
            ready.set()
            if not go.wait(DEADLINE):
                raise AssertionError("the test never let the filing go on")
        return execute(sql, params, many, context)

    def file_held():
        with connection.execute_wrapper(hold_before_the_case):
            return _file_on(area, crew.worker_a, categories)

    filer = _Side(file_held)
    filer.start()
    try:
        assert ready.wait(DEADLINE)
        mover = _Side(lambda: _move_building_to_community_b(tree))
        mover.start()
        wait_for(mover.waiting_or_done, timeout=DEADLINE, what="the move to wait or end")
        go.set()
        case = filer.result()
        mover.result()
    finally:
        go.set()

    case.refresh_from_db()
    _assert_filed_under_community_b(case, tree)
