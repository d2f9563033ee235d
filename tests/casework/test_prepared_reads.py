"""One case by its primary key, and its events by case id, are read through prepared statements,
and nothing else is."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from casework.models import Source
from casework.services import case_report
from tests.governance.test_db import on_postgresql, prepared_on_the_connection

pytestmark = on_postgresql


@pytest.fixture
def case(tree, categories, crew):
    return case_report(
        actor=crew.worker_a, title="垃圾堆放", category=categories.garbage,
        area=tree.building_a1, source=Source.PATROL, address="1号楼东侧",
    )  # fmt: skip


def _prepared_by(get) -> dict[str, int]:
    before = prepared_on_the_connection()
    for _ in range(3):
        assert get().status_code == 200
    after = prepared_on_the_connection()
    return {s: n - before.get(s, 0) for s, n in after.items() if n != before.get(s)}


def _is_the_case_statement(statement: str) -> bool:
    return 'FROM "casework_case"' in statement and '"casework_case"."id" = $' in statement


def _is_the_events_statement(statement: str) -> bool:
    return (
        'FROM "casework_caseevent"' in statement
        and '"casework_caseevent"."case_id" = $' in statement
    )


def test_the_case_page_prepares_its_case_and_its_events_statements_and_nothing_else(
    client, case, crew
):
    client.force_login(crew.dispatcher_a)
    prepared = _prepared_by(lambda: client.get(reverse("casework:detail", args=[case.pk])))
    assert sorted(prepared.values()) == [3, 3]
    assert sorted(map(_is_the_case_statement, prepared)) == [False, True]
    assert sorted(map(_is_the_events_statement, prepared)) == [False, True]


def test_the_api_events_of_a_case_prepare_their_statements_and_nothing_else(api, case, crew):
    client = api(crew.dispatcher_a)
    prepared = _prepared_by(lambda: client.get(f"/api/v1/cases/{case.pk}/events/"))
    assert sorted(prepared.values()) == [3, 3]
    assert sorted(map(_is_the_case_statement, prepared)) == [False, True]
    assert sorted(map(_is_the_events_statement, prepared)) == [False, True]


def test_the_api_detail_prepares_its_case_statement_and_nothing_else(api, case, crew):
    client = api(crew.dispatcher_a)
    prepared = _prepared_by(lambda: client.get(f"/api/v1/cases/{case.pk}/"))
    assert list(prepared.values()) == [3]
    (statement,) = prepared
    assert _is_the_case_statement(statement)


def test_with_prepared_reads_off_the_case_page_prepares_nothing(client, case, crew, settings):
    settings.DATABASE_PREPARED_READS = False
    client.force_login(crew.dispatcher_a)
    assert _prepared_by(lambda: client.get(reverse("casework:detail", args=[case.pk]))) == {}


def test_the_case_list_prepares_nothing(client, case, crew):
    client.force_login(crew.dispatcher_a)
    assert _prepared_by(lambda: client.get(reverse("casework:list"))) == {}
    assert connection.connection.prepare_threshold is None


def test_the_inbox_prepares_nothing(client, case, crew):
    client.force_login(crew.dispatcher_a)
    assert _prepared_by(lambda: client.get(reverse("casework:inbox"))) == {}
    assert connection.connection.prepare_threshold is None


def test_filing_prepares_its_ancestry_lock_and_its_counter_upsert(tree, categories, crew):
    def file():
        return case_report(
            actor=crew.worker_a, title="井盖缺失", category=categories.garbage,
            area=tree.building_a1, source=Source.PATROL, address="2号楼北侧",
        )  # fmt: skip

    file()  # the process caches
    before = prepared_on_the_connection()
    for _ in range(3):
        file()
    after = prepared_on_the_connection()
    prepared = {s: n - before.get(s, 0) for s, n in after.items() if n != before.get(s)}
    assert sorted(prepared.values()) == [3, 3]
    assert any("pg_advisory_xact_lock_shared" in s for s in prepared)
    assert any("WITH RECURSIVE" in s and "casework_casecounter" in s for s in prepared)
    assert connection.connection.prepare_threshold is None
