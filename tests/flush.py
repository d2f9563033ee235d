"""How a transactional test's database is emptied after it, on PostgreSQL.

Django empties every table with one ``TRUNCATE`` of all of them (about 120): PostgreSQL gives each
table and index a new file and unlinks the old one at commit, two to four seconds each time on
this machine even when the tables are empty, most of the time of a transactional test. Most tests
leave a few thousand rows at most: ``DELETE`` of every table in the same transaction empties them
in a fraction of a second. The foreign keys are checked once every table is empty (Django declares
them deferrable), so the order does not matter; the triggers a migration put on a table (the
append-only guard of case events, which a ``DELETE`` would meet) are set aside for the transaction.
Sequences go on as after ``TRUNCATE`` without ``RESTART IDENTITY``; a test that asks for its
sequences reset (``reset_sequences``) or a flush that cascades gets Django's own.

A ``DELETE`` leaves its rows behind as dead tuples until a vacuum (so do rolled-back tests), and
the suite's PostgreSQL may run without autovacuum (this machine's does): after two full runs on
the same test databases they held 70 and 266 MB of dead rows, which the statements of every later
test read through (the demo's test took 505 s instead of 30). So a table grown past ``TRUNCATE_ABOVE``
bytes is truncated instead, with the tables that refer to it (``CASCADE``: they are emptied
anyway), first, while no deleted row has a check pending (PostgreSQL refuses to truncate then).
"""

from __future__ import annotations

from django.db.backends.base.operations import BaseDatabaseOperations

# A table this large (heap, in bytes: 128 pages) is truncated, not deleted from.
TRUNCATE_ABOVE = 1024 * 1024


def use_delete_for_flush(ops_class: type[BaseDatabaseOperations]) -> None:
    """Make ``ops_class.sql_flush`` (a PostgreSQL backend's) empty the tables by ``DELETE``."""
    truncate = ops_class.sql_flush
    if getattr(truncate, "deletes", False):
        return

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences or allow_cascade:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname,"
                " EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal),"
                " pg_table_size(c.oid) > %s"
                " FROM pg_class c WHERE c.relkind = 'r' AND c.relname = ANY(%s)"
                " AND c.relnamespace = current_schema()::regnamespace",
                [TRUNCATE_ABOVE, list(tables)],
            )
            found = cursor.fetchall()
        guarded = [self.quote_name(name) for name, triggers, _ in found if triggers]
        grown = [self.quote_name(name) for name, _, large in found if large]
        return [
            # A truncate waits for every other transaction on its tables (a live server's
            # thread, say): a minute, then an error that names the lock, never a hung suite.
            "SET LOCAL lock_timeout = '60s'",
            "SET CONSTRAINTS ALL DEFERRED",
            *(f"ALTER TABLE {name} DISABLE TRIGGER USER" for name in guarded),
            *([f"TRUNCATE {', '.join(grown)} CASCADE"] if grown else []),
            *(f"DELETE FROM {self.quote_name(table)}" for table in tables),
            # The keys' checks now, on empty tables: a table with checks pending cannot be altered.
            "SET CONSTRAINTS ALL IMMEDIATE",
            *(f"ALTER TABLE {name} ENABLE TRIGGER USER" for name in guarded),
        ]

    sql_flush.deletes = True
    ops_class.sql_flush = sql_flush


def vacuum_grown_tables(connection) -> list[str]:
    """``VACUUM`` the tables of ``connection``'s database (PostgreSQL, outside a transaction)
    grown past ``TRUNCATE_ABOVE``: a test database kept from an earlier run (``--reuse-db``)
    holds the dead rows of its rolled-back tests. The tables vacuumed, by name."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relkind = 'r'"
            " AND c.relnamespace = current_schema()::regnamespace"
            " AND pg_table_size(c.oid) > %s ORDER BY 1",
            [TRUNCATE_ABOVE],
        )
        grown = [name for (name,) in cursor.fetchall()]
        for name in grown:
            cursor.execute(f"VACUUM {connection.ops.quote_name(name)}")
    return grown
