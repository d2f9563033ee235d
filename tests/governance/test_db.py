"""governance.db.prepared_statements: the statements run inside it are prepared, no others."""

from __future__ import annotations

import pytest
from django.db import connection

from governance.db import chunked, prepared_statements
from grids.models import Area

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def prepared_on_the_connection() -> dict[str, int]:
    """The statements prepared on the test's connection, each with how often it ran."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        return dict(cursor.fetchall())


@on_postgresql
def test_a_statement_is_prepared_inside_the_block_and_not_used_outside(tree):
    pk = tree.grid_a1.pk
    before = prepared_on_the_connection()
    Area.objects.filter(pk=pk).first()
    assert prepared_on_the_connection() == before

    with prepared_statements():
        for _ in range(3):
            assert Area.objects.filter(pk=pk).first() == tree.grid_a1
    inside = prepared_on_the_connection()
    new = {statement: runs for statement, runs in inside.items() if statement not in before}
    assert list(new.values()) == [3]
    (statement,) = new
    assert '"grids_area"' in statement and "$1" in statement

    Area.objects.filter(pk=pk).first()
    assert prepared_on_the_connection() == inside


@on_postgresql
def test_the_query_log_shows_a_prepared_statement_every_time_it_runs(tree):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured, prepared_statements():
        for _ in range(3):
            Area.objects.filter(pk=tree.grid_a1.pk).first()
    logged = [query["sql"] for query in captured.captured_queries]
    assert len(logged) == 3
    # The first run prepares and runs it; the others run it by name (psycopg leaves the text
    # unset for those: the log showed None).
    assert all(sql and '"grids_area"' in sql for sql in logged), logged


@on_postgresql
def test_after_the_block_the_connection_binds_on_the_client_again(tree):
    with prepared_statements():
        Area.objects.filter(pk=tree.street.pk).first()
    with connection.cursor() as cursor:
        assert type(cursor.cursor).__name__ == "Cursor"
        assert cursor.connection.prepare_threshold is None


def test_on_sqlite_the_block_does_not_touch_the_database(monkeypatch):
    # Run on either database (the vendor is what the block reads): without the django_db mark
    # any database access fails the test.
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with prepared_statements():
        pass


def test_with_prepared_reads_off_the_block_does_not_touch_the_database(settings):
    settings.DATABASE_PREPARED_READS = False
    with prepared_statements():
        pass


# -- chunked: long reads without a server-side cursor behind a pooler in transaction mode ------
@pytest.fixture
def without_server_side_cursors(monkeypatch):
    """The connection as DATABASE_TRANSACTION_POOLING sets it up (server-side cursors off)."""
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)


@on_postgresql
def test_chunked_reads_the_keys_then_each_chunk_in_the_querysets_order(
    tree, without_server_side_cursors, django_assert_num_queries
):
    areas = Area.objects.order_by("-code", "pk")
    expected = list(areas.values_list("pk", "code"))
    assert len(expected) == 10

    with django_assert_num_queries(1 + 3):  # the keys, then each of three chunks
        rows = list(chunked(areas.values("pk", "code"), 4))

    assert [(row["pk"], row["code"]) for row in rows] == expected


@on_postgresql
def test_chunked_reads_each_row_once_when_rows_change_between_chunks(
    tree, without_server_side_cursors
):
    areas = Area.objects.order_by("name", "pk")
    first_keys = list(areas.values_list("pk", flat=True))
    seen = []
    for row in chunked(areas, 4):
        if len(seen) == 4:  # renamed after the first chunk: it would sort elsewhere now
            Area.objects.filter(pk=first_keys[-1]).update(name="甲")
        seen.append(row.pk)
    assert sorted(seen) == sorted(first_keys)
    assert len(seen) == len(set(seen))


def test_chunked_is_the_querysets_iterator_where_server_side_cursors_are_on(tree, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", False)
    areas = Area.objects.order_by("code")
    rows = chunked(areas, 3)
    assert not isinstance(rows, list) and rows.__class__.__name__ == "generator"
    assert [area.pk for area in rows] == list(areas.values_list("pk", flat=True))
