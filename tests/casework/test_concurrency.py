"""Two people at once, on PostgreSQL: row locks, conflicts, case numbers, the append-only guard."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from casework.models import Case, CaseEvent, Source, Status
from casework.services import CaseConflict, case_report, case_step
from tests.casework.conftest import _role

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
