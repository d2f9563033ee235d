"""The standard street and cast written again from the rows of their first build.

Two thirds of the tests ask for ``tree`` and most of those for ``cast``: built by the factories
and the models' own ``save()`` (the tree base, pinyin names, the change log) they cost about 150
queries and 0.15 s of CPU per test. Their rows are the same every time, so each process builds
them once for real (in the first test that asks for them), keeps the rows that build added, and
for each later test inserts those rows again (``bulk_create``, one statement per table, same
primary keys) and hands out a deep copy of the objects, each read back from the database as a
fresh build would give it. Times are moved to the test's own clock (``auto_now`` fields get
``now`` from ``bulk_create``; other date-times within a year of the first build are shifted by
the time since it); on a new day the rows are built and kept again (dates taken from today).
The process caches watching the rows are told of them (``processcache.changed``), as the saves'
signals would.

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

from governance import processcache
from governance.env import env_bool

# REPLAY_FIXTURES=0: every test builds for real (to tell a replay's fault from the test's).
ENABLED = env_bool("REPLAY_FIXTURES", True)


@dataclass
class _Capture:
    rows: list[tuple[type[models.Model], list[models.Model]]]
    result: object
    deps: tuple
    at: dt.datetime


# Different states a fixture is built on (other fixtures' rows before it) kept per process.
STATES = 8


@dataclass
class Replay:
    """``Replay(name).get(build, *deps)``: ``build()``'s result, built or replayed. ``deps`` are
    the objects of other fixtures that the result refers to (``cast.tree``): the copy refers to
    the current test's.

    A build is replayed only onto the state it was first built on: the same rows of ``deps``
    and the same rows (keys) in the tables it writes (a tree's number, a code, a user got or
    created depend on them). Each such state has its own capture (up to ``STATES``)."""

    name: str
    captures: dict = field(default_factory=dict)
    tables: set = field(default_factory=set)
    refused: str = ""
    builds: int = 0
    replays: int = 0

    def get(self, build: Callable[[], object], *deps):
        if not ENABLED or not connection.in_atomic_block:
            self.builds += 1
            return build()
        key = (_keys(deps), _found(self.tables))
        if key in self.captures and self.captures[key] is None:
            # This state's build cannot be replayed (below).
            self.builds += 1
            return build()
        capture = self.captures.get(key)
        if capture is not None and timezone.localdate() != timezone.localdate(capture.at):
            # A new day since: dates a build took from today would be stale.
            self.captures.clear()
            capture = None
        if capture is None:
            if len(self.captures) >= STATES:
                self.builds += 1
                return build()
            return self._capture(build, deps, key)
        try:
            with transaction.atomic():
                result = self._replay(capture, deps)
        except IntegrityError:
            self.builds += 1
            return build()
        self.replays += 1
        return result

    def _capture(self, build, deps, key):
        self.builds += 1
        at = timezone.now()
        before = _table_rows()
        result = build()
        after = _table_rows()
        added, reason = _added_rows(before, after)
        if reason:
            # Built for real on this state from now on (``refused`` says why, for a report).
            self.refused = reason
            self.captures[key] = None
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
                self.captures[key] = None
                return result
            memo[id(obj)] = row
        template = copy.deepcopy(result, memo)
        self.tables |= {model for model, _ in added}
        key = (_keys(deps), _found_before(before, self.tables))
        self.captures[key] = _Capture(rows, template, deps, at)
        return result

    def _replay(self, capture, deps):
        shift = timezone.now() - capture.at
        memo = {id(old): new for old, new in zip(capture.deps, deps, strict=True)}
        for model, templates in capture.rows:
            objs = []
            for template in templates:
                obj = copy.deepcopy(template)
                for f in model._meta.concrete_fields:
                    value = getattr(obj, f.attname)
                    if isinstance(f, models.DateTimeField) and _near(value, capture.at):
                        setattr(obj, f.attname, value + shift)
                obj._state.adding = True
                objs.append(obj)
                memo[id(template)] = obj
            models.QuerySet(model=model).bulk_create(objs)
            # What the saves' signals told the process caches (a strict cache serves no copy
            # while the transaction holds a change of a row it watches).
            processcache.changed(model, rows=objs)
        sequences = connection.ops.sequence_reset_sql(
            no_style(), [model for model, _ in capture.rows]
        )
        if sequences:
            with connection.cursor() as cursor:
                for sql in sequences:
                    cursor.execute(sql)
        return copy.deepcopy(capture.result, memo)


def _found_before(before, tables) -> tuple:
    """The keys of the rows ``tables`` held in ``before`` (as ``_found`` reads them now)."""
    found = []
    for model in sorted(tables, key=lambda model: model._meta.db_table):
        with connection.cursor() as cursor:
            description = connection.introspection.get_table_description(
                cursor, model._meta.db_table
            )
        index = [column.name for column in description].index(model._meta.pk.column)
        rows = before.get(model._meta.db_table, [])
        found.append((model._meta.db_table, tuple(sorted(row[index] for row in rows))))
    return tuple(found)


def _found(tables) -> tuple:
    return tuple(
        (
            model._meta.db_table,
            tuple(model._base_manager.order_by("pk").values_list("pk", flat=True)),
        )
        for model in sorted(tables, key=lambda model: model._meta.db_table)
    )


def _near(value, at) -> bool:
    """A date-time the build took from its clock (``now`` or some days off), not a constant."""
    return value is not None and abs(value - at) < dt.timedelta(days=400)


def _keys(deps) -> tuple:
    return tuple((type(obj), obj.pk) for obj in _instances_in(deps, ()))


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
