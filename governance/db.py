"""Prepared statements for the few reads whose generic plan is always right (issue 15).

Prepared for every statement (``DATABASE_PREPARED_STATEMENTS``), PostgreSQL's generic plans made
lists with a date range, a status or an area range several times slower (bench/RESULTS.md,
"Stop 22"), so they are off. One case read by its primary key has one right plan whatever the
values: the unique index. :func:`prepared_statements` prepares the statements run inside it on
PostgreSQL, on the connection they run on (psycopg keeps them per connection, up to 100, until
the connection closes or a transaction rolls back), and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def prepared_statements(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Statements run inside the block on connection ``using`` are bound by the server and
    prepared at their first run (psycopg 3), then reused from that connection's cache; outside
    the block the connection binds on the client and prepares nothing. A no-op on SQLite and when
    ``DATABASE_PREPARED_STATEMENTS`` already prepares every statement, or with
    ``DATABASE_PREPARED_READS`` off. Put only statements whose plan does not depend on their
    values in it (one row by primary key)."""
    connection = connections[using]
    if (
        not settings.DATABASE_PREPARED_READS
        or connection.vendor != "postgresql"
        or connection.features.uses_server_side_binding
    ):
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor  # psycopg 3 only

    # The health check's SELECT 1 (once a request) runs on a raw cursor: done here, before the
    # cursor factory changes, so that it is not prepared.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    factory, threshold = raw.cursor_factory, raw.prepare_threshold
    raw.cursor_factory, raw.prepare_threshold = ServerBindingCursor, 0
    try:
        yield
    finally:
        raw.cursor_factory, raw.prepare_threshold = factory, threshold
