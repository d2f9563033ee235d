"""Bulk loading, and after a bulk load: planner statistics.

PostgreSQL's autovacuum analyzes a table only after enough changes and some delay; right after a
seed or an import the planner still believes the area table is empty, estimates the scope filter
at one row and picks a plan a hundred times slower. Whatever loads many rows calls this at the end.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction


def refresh_planner_statistics(*models) -> None:
    """ANALYZE the tables of ``models`` (every table when none is given)."""
    tables = [connection.ops.quote_name(m._meta.db_table) for m in models]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and tables:
            cursor.execute(f"ANALYZE {', '.join(tables)}")
        elif connection.vendor == "sqlite" and tables:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")


def analyze_after_bulk_write(*models) -> None:
    """After a bulk write (an import): ANALYZE the tables of ``models`` on PostgreSQL once the
    transaction commits (a rolled-back write changes no statistics). Nothing on SQLite."""
    if connection.vendor == "postgresql" and models:
        transaction.on_commit(lambda: refresh_planner_statistics(*models))


def create_logged(
    model, objs: list, *, batch_size: int | None = None, insert: Callable | None = None
) -> list:
    """``bulk_create`` of ``objs`` with what a save of each would do besides its INSERT: its
    change log entry (:func:`governance.changelog.log_bulk`, when the model is logged) and the
    bump of the process caches that watch the model. For models with no other receiver of
    their save signals (none of the import's models has one). ``insert(objs)`` writes them
    instead of ``bulk_create`` (a tree's nodes: ``TreeModel.bulk_insert_level``)."""
    from governance import changelog, processcache

    if not objs:
        return []
    if insert is not None:
        objs = insert(objs)
    else:
        objs = model._default_manager.bulk_create(objs, batch_size=batch_size)
    changelog.log_bulk(model, [(obj, None) for obj in objs])
    processcache.changed(model, rows=objs)
    return objs


def update_logged(
    model, objs: list, fields: list[str], *, before: list, batch_size: int | None = None
) -> None:
    """``bulk_update`` of ``fields`` of ``objs``, with their change log entries (``before``:
    each row's :func:`governance.changelog.snapshot` as it was read, in the order of ``objs``)
    and the bump of the process caches that watch the model, as :func:`create_logged`."""
    from governance import changelog, processcache

    if not objs:
        return
    model._default_manager.bulk_update(objs, fields, batch_size=batch_size)
    changelog.log_bulk(model, zip(objs, before, strict=True))
    processcache.changed(model, rows=objs)


def bulk_load(model, fields: Sequence[str], rows: Iterable[Sequence], *, batch: int = 2000) -> int:
    """Write ``rows`` (values in the order of ``fields``, attribute names such as ``area_id``)
    into ``model``'s table, bypassing the ORM: COPY on PostgreSQL (psycopg 3), multi-row
    INSERTs elsewhere. Columns not named get their field's default (a blank text field: "").
    No signals, no ``save()``, no validation: for loaders whose rows are right by construction.
    Returns the number of rows written."""
    named = list(fields)
    extra = []
    for field in model._meta.concrete_fields:
        if field.attname in named or (field.primary_key and field.attname not in named):
            continue
        if field.has_default():
            extra.append((field.attname, field.get_default()))
        elif field.null:
            extra.append((field.attname, None))
        elif field.blank and field.get_internal_type() in ("CharField", "TextField"):
            extra.append((field.attname, ""))
        else:
            raise ValueError(f"{model.__name__}.{field.attname} needs a value")
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    columns = [by_attname[name].column for name in named] + [
        by_attname[name].column for name, _default in extra
    ]
    defaults = tuple(value for _name, value in extra)
    # JSON columns take text; psycopg does not adapt dicts in COPY without a dumper.
    json_positions = [
        i
        for i, name in enumerate([*named, *(n for n, _d in extra)])
        if by_attname[name].get_internal_type() == "JSONField"
    ]
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    values = (*row, *defaults)
                    if json_positions:
                        values = _json_cells(values, json_positions)
                    copy.write_row(values)
                    written += 1
            return written
        chunk: list = []
        placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for row in rows:
            values = (*row, *defaults)
            if json_positions:
                values = _json_cells(values, json_positions)
            chunk.append(tuple(_sqlite_cell(v) for v in values))
            # SQLite takes at most 32,766 parameters a statement.
            if (len(chunk) + 1) * len(columns) > 30_000 or len(chunk) >= batch:
                written += _insert(cursor, table, quoted, placeholders, chunk)
                chunk = []
        if chunk:
            written += _insert(cursor, table, quoted, placeholders, chunk)
    return written


def _insert(cursor, table: str, columns: str, placeholders: str, chunk: list) -> int:
    sql = f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([placeholders] * len(chunk))
    cursor.execute(sql, [value for row in chunk for value in row])
    return len(chunk)


def _sqlite_cell(value):
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _json_cells(values: tuple, positions: list[int]) -> tuple:
    values = list(values)
    for i in positions:
        if values[i] is not None:
            values[i] = json.dumps(values[i], ensure_ascii=False)
    return tuple(values)


def reset_sequence(model) -> None:
    """After rows were written with explicit ids: move the id sequence past the largest
    (PostgreSQL; SQLite needs nothing)."""
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, %s), "
            f"COALESCE((SELECT MAX({connection.ops.quote_name(column)}) FROM "
            f"{connection.ops.quote_name(table)}), 1))",
            [table, column],
        )


def reserve_ids(model, count: int) -> list[int]:
    """``count`` fresh ids for rows of ``model`` written with explicit ids by a bulk loader that
    needs them before writing (to refer to them): from the id sequence on PostgreSQL, so that
    loaders in several processes never take the same; past the largest id elsewhere (one
    writer at a time)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        cursor.execute(
            f"SELECT COALESCE(MAX({connection.ops.quote_name(column)}), 0) FROM "
            f"{connection.ops.quote_name(table)}"
        )
        first = cursor.fetchone()[0] + 1
    return list(range(first, first + count))
