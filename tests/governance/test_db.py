"""governance.db.prepared_statements: the statements run inside it are prepared, no others."""

from __future__ import annotations

import pytest
from django.db import connection

from governance.db import prepared_statements
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
