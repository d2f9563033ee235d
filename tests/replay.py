"""The standard street and cast written again from the rows of their first build.

Two thirds of the tests ask for ``tree`` and most of those for ``cast``: built by the factories
and the models' own ``save()`` (the tree base, pinyin names, the change log) they cost about 150
queries and 0.15 s of CPU per test. Their rows are the same every time, so each process builds
them once for real (in the first test that asks for them), keeps the rows that build added, and
for each later test inserts those rows again (``bulk_create``, one statement per table, same
primary keys) and hands out a deep copy of the objects, each read back from the database as a
fresh build would give it. Times are moved to the test's own clock (``auto_now`` fields get
``now`` from ``bulk_create``; other date-times are shifted by the time since the first build).

The first build is checked: if it changed a row that was there before, or wrote to a table
without a model or with triggers, it is never replayed (every test then builds for real).
Transactional tests (their data is committed: other connections see it) always build for real,
as does a test where a replayed row would meet a row already there.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.core.management.color import no_style
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from governance.env import env_bool

# REPLAY_FIXTURES=0: every test builds for real (to tell a replay's fault from the test's).
ENABLED = env_bool("REPLAY_FIXTURES", True)


@dataclass
class _Capture:
    rows: list[tuple[type[models.Model], list[models.Model]]]
    result: object
    deps: tuple
    deps_rows: list
    at: dt.datetime


@dataclass
class Replay:
    """``Replay(name).get(build, *deps)``: ``build()``'s result, built or replayed. ``deps`` are
    the objects of other fixtures that the result refers to (``cast.tree``): the copy refers to
    the current test's."""

    name: str
    capture: _Capture | None = None
    refused: str = ""
    builds: int = field(default=0)
    replays: int = field(default=0)

    def get(self, build: Callable[[], object], *deps):
        if not ENABLED or not connection.in_atomic_block or self.refused:
            self.builds += 1
            return build()
        if self.capture is None:
            return self._capture(build, deps)
        if _keys(deps) != self.capture.deps_rows:
            # The other fixtures' rows are not those this one's rows refer to (built for real).
            self.builds += 1
            return build()
        try:
            with transaction.atomic():
                result = self._replay(deps)
        except IntegrityError:
            self.builds += 1
            return build()
        self.replays += 1
        return result

    def _capture(self, build, deps):
        self.builds += 1
        at = timezone.now()
        before = _table_rows()
        result = build()
        after = _table_rows()
        added, reason = _added_rows(before, after)
        if reason:
            self.refused = reason
            return result
        rows = []
        instances = {}
        for model, pks in added:
            fresh = list(model._base_manager.filter(pk__in=pks).order_by("pk"))
            rows.append((model, fresh))
            instances.update({(model, obj.pk): obj for obj in fresh})
        # The result as it is now (the test may change it), its model instances replaced by the
        # rows as read back, the other fixtures' objects kept as they are.
        memo = {id(dep): dep for dep in deps}
        for obj in _instances_in(result, deps):
            row = instances.get((type(obj), obj.pk))
            if row is None:
                self.refused = f"{obj!r} of {self.name} is not a row its build added"
                return result
            memo[id(obj)] = row
        template = copy.deepcopy(result, memo)
        self.capture = _Capture(rows, template, deps, _keys(deps), at)
        return result

    def _replay(self, deps):
        capture = self.capture
        shift = timezone.now() - capture.at
        memo = {id(old): new for old, new in zip(capture.deps, deps, strict=True)}
        for model, templates in capture.rows:
            objs = []
            for template in templates:
                obj = copy.deepcopy(template)
                for f in model._meta.concrete_fields:
                    value = getattr(obj, f.attname)
                    if isinstance(f, models.DateTimeField) and value is not None:
                        setattr(obj, f.attname, value + shift)
                obj._state.adding = True
                objs.append(obj)
                memo[id(template)] = obj
            models.QuerySet(model=model).bulk_create(objs)
        sequences = connection.ops.sequence_reset_sql(
            no_style(), [model for model, _ in capture.rows]
        )
        if sequences:
            with connection.cursor() as cursor:
                for sql in sequences:
                    cursor.execute(sql)
        return copy.deepcopy(capture.result, memo)


def _keys(deps) -> list:
    return [(type(obj), obj.pk) for obj in _instances_in(deps, ())]


def _instances_in(value, deps, seen=None):
    """The model instances among ``value``'s attributes (namespaces followed, ``deps`` not)."""
    seen = set() if seen is None else seen
    if id(value) in seen or any(value is dep for dep in deps):
        return
    seen.add(id(value))
    if isinstance(value, models.Model):
        yield value
        return
    items = value if isinstance(value, list | tuple) else getattr(value, "__dict__", {}).values()
    for item in items:
        yield from _instances_in(item, deps, seen)


def _table_rows() -> dict[str, list]:
    rows = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows[table] = cursor.fetchall()
    return rows


def _added_rows(before, after):
    """[(model, primary keys added)] and "", or None and why the build cannot be replayed."""
    by_table = {
        m._meta.db_table: m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    }
    triggered = set()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal"
            )
            triggered = {name for (name,) in cursor.fetchall()}
    added = []
    for table, rows in after.items():
        old = before.get(table, [])
        if rows == old:
            continue
        model = by_table.get(table)
        if model is None:
            return None, f"its build wrote to {table}, which has no model"
        if table in triggered:
            return None, f"its build wrote to {table}, which has triggers"
        if model._meta.parents:
            return None, f"its build wrote to {table}, a child table (no bulk insert)"
        with connection.cursor() as cursor:
            description = connection.introspection.get_table_description(cursor, table)
        columns = [column.name for column in description]
        pk_index = columns.index(model._meta.pk.column)
        old_by_pk = {row[pk_index]: row for row in old}
        new_by_pk = {row[pk_index]: row for row in rows}
        if any(new_by_pk.get(pk) != row for pk, row in old_by_pk.items()):
            return None, f"its build changed or deleted rows of {table}"
        added.append((model, [pk for pk in new_by_pk if pk not in old_by_pk]))
    return added, ""
