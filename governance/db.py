"""Prepared statements for the few reads whose generic plan is always right (issue 15).

Prepared for every statement (``DATABASE_PREPARED_STATEMENTS``), PostgreSQL's generic plans made
lists with a date range, a status or an area range several times slower (bench/RESULTS.md,
"Stop 22"), so they are off. One case read by its primary key has one right plan whatever the
values: the unique index. :func:`prepared_statements` prepares the statements run inside it on
PostgreSQL, on the connection they run on (psycopg keeps them per connection, up to 100, until
the connection closes or a transaction rolls back), and nothing else. :func:`prepared` gives a
queryset whose own statement is run so: the few rows of one parent by their foreign key have one
right plan too (the foreign key's index), when a parent cannot have more than a few hundred.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from itertools import islice

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet


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
    cursor_class = _logged_cursor() if connection.queries_logged else _server_binding_cursor()
    # The health check's SELECT 1 (once a request) runs on a raw cursor: done here, before the
    # cursor factory changes, so that it is not prepared.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    factory, threshold = raw.cursor_factory, raw.prepare_threshold
    raw.cursor_factory, raw.prepare_threshold = cursor_class, 0
    try:
        yield
    finally:
        raw.cursor_factory, raw.prepare_threshold = factory, threshold


def prepared(queryset: QuerySet) -> QuerySet:
    """``queryset`` whose statement is a prepared one (:func:`prepared_statements`) when its rows
    are read; its prefetches, counts and the querysets derived with ``values()`` are not. Only
    for a statement whose plan does not depend on its values: one row by primary key, or the
    rows of one parent by a foreign key (check EXPLAIN for the parent with the most)."""
    queryset = queryset.all()
    queryset._iterable_class = _prepared_iterable(queryset._iterable_class)
    return queryset


@cache
def _prepared_iterable(iterable_class: type) -> type:
    class Prepared(iterable_class):
        def __iter__(self):
            rows = iter(super().__iter__())
            # The statement runs at the first row: only it is inside the block (the rows of a
            # client-side cursor are all fetched by then).
            with prepared_statements(self.queryset.db):
                first = list(islice(rows, 1))
            yield from first
            yield from rows

    Prepared.__name__ = Prepared.__qualname__ = f"Prepared{iterable_class.__name__}"
    return Prepared


def chunked(queryset: QuerySet, chunk_size: int = 2000) -> Iterator:
    """The rows of ``queryset`` in its order, at most ``chunk_size`` of them read at a time: an
    export of any size in bounded memory. ``QuerySet.iterator`` on PostgreSQL reads through a
    server-side cursor, which outlives the transaction that declared it (``WITH HOLD``); behind
    a pooler in transaction mode (``DATABASE_TRANSACTION_POOLING``: server-side cursors off) the
    next fetch may reach another server session, and without the cursor the whole result would
    be read at once. There the keys are read first, in the queryset's order (one narrow
    statement, about 40 bytes a row in memory), then the rows of each chunk of keys, in the same
    order (``queryset`` narrowed to them): each row once, however the rows change meanwhile."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or not connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    ):
        return queryset.iterator(chunk_size=chunk_size)
    return _by_keys(queryset, chunk_size)


def _by_keys(queryset: QuerySet, chunk_size: int) -> Iterator:
    keys = list(queryset.values_list("pk", flat=True))
    for start in range(0, len(keys), chunk_size):
        yield from queryset.filter(pk__in=keys[start : start + chunk_size])


def _server_binding_cursor():
    from django.db.backends.postgresql.base import ServerBindingCursor  # psycopg 3 only

    return ServerBindingCursor


@cache
def _logged_cursor():
    """Django's server-binding cursor that leaves the statement it ran readable where Django's
    query log reads it (``DEBUG``, ``CaptureQueriesContext``): psycopg runs a prepared statement
    by its name and leaves ``cursor._query`` unset, so the log showed None for it (and
    bench/filing.py's list of a filing's statements failed). Used only while queries are
    logged: the statement is converted once more for the log, with ``$1`` for its values."""

    class LoggedServerBindingCursor(_server_binding_cursor()):
        def execute(self, query, params=None, **kwargs):
            super().execute(query, params, **kwargs)
            if self._query is None:
                self._query = self._convert_query(query, params)
            return self

    return LoggedServerBindingCursor
