"""How a transactional test's database is emptied after it, on PostgreSQL.

Django empties every table with one ``TRUNCATE`` of all of them (about 120): PostgreSQL gives each
table and index a new file and unlinks the old one at commit, two to four seconds each time on
this machine even when the tables are empty, most of the time of a transactional test. The
tables of a test hold a few thousand rows at most: ``DELETE`` of every table in the same
transaction empties them in a fraction of a second. The foreign keys are checked once every
table is empty (Django declares them deferrable), so the order does not matter; the triggers a
migration put on a table (the append-only guard of case events, which a ``DELETE`` would meet)
are set aside for the transaction. Sequences go on as after ``TRUNCATE`` without ``RESTART IDENTITY``; a test that asks
for its sequences reset (``reset_sequences``) or a flush that cascades gets Django's own.
"""

from __future__ import annotations

from django.db.backends.base.operations import BaseDatabaseOperations


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
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal AND c.relname = ANY(%s)",
                [list(tables)],
            )
            guarded = [self.quote_name(name) for (name,) in cursor.fetchall()]
        return [
            "SET CONSTRAINTS ALL DEFERRED",
            *(f"ALTER TABLE {name} DISABLE TRIGGER USER" for name in guarded),
            *(f"DELETE FROM {self.quote_name(table)}" for table in tables),
            # The keys' checks now, on empty tables: a table with checks pending cannot be altered.
            "SET CONSTRAINTS ALL IMMEDIATE",
            *(f"ALTER TABLE {name} ENABLE TRIGGER USER" for name in guarded),
        ]

    sql_flush.deletes = True
    ops_class.sql_flush = sql_flush
