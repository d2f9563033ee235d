"""Rollups of the statistics: the period figures per local day × lowest area × department ×
category × source, so that a month's dashboard reads a few thousand rollup rows instead of
every case of the month (bench/results/stats.md has the measurements and the reasons).

How the figures stay the figures of :mod:`casework.stats.figures`:

- Each case contributes to the rollup what the figure definitions count it for, as of now: the
  day of its filing (reported; taken on and resolved by its status now; extended and suspended
  by its approved requests), of its acceptance, escalation, closing (closed, in time, on the
  spot, with its handling time from :func:`casework.stats.compute.handling_by_case`), of its
  evaluation, and the days of its acknowledge, return and verify-fail events and of its first
  overdue reminders. A case counts where it is now (its area, department, category and source
  now), as the definitions say.
- What a case contributes is kept (:class:`CaseRollupState`); :func:`refresh` computes it again
  for some cases, under a lock on their states, and adds the difference. Refreshing twice
  changes nothing, so every writer may call it and a catch-up may repeat it. A build
  (:func:`rebuild`, :func:`build_missing`) claims a case by inserting its state before it adds
  anything, so a build and the catch-ups of statistics reads may run at once and still count
  every case once.
- An event figure counts a case once however many such events it had in the period: the days
  are added up and every pair of consecutive days of one case is subtracted when the period
  holds both (:class:`CaseRollupOverlap`).
- The same refresh keeps the sums per calendar month (:class:`CaseRollupMonth`: a period's
  whole months read one row per group and month) and the open cases per group and due day
  (:class:`CaseRollupOpen`, each open case's state says where it counts).
- The snapshot figures (open, near due, overdue, suspended now) depend on the present moment:
  open and suspended come from the open table, overdue for the due days before today too, and
  the open cases due from today on are counted directly through the same definitions.

Who keeps it current: every step of the workflow writes the case, and with it ``updated_at``
(indexed by ``case_updated``); before every statistics read :func:`catch_up` refreshes the
cases changed since the last catch-up began (a minute back, for transactions that committed
late), and the beat task does the same a day back every minute. So filing and the steps pay nothing
(filing speed is a goal of its own, issue 15) and anything else that changes a case (an admin
edit, a factory, a bulk update that sets ``updated_at``) is taken in too. The deadline scan
sets ``updated_at`` of the cases it finds overdue (it writes an event on each), as a step does.
``manage.py stats_rollup --rebuild`` builds everything again after a bulk load (``--check``
compares with the direct count); :func:`build_missing` takes a build up again or splits it.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from operator import itemgetter

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import Count, F, IntegerField, Max, Min, Q, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncMonth
from django.utils import timezone

from casework.deadlines.models import DeadlineRequest, Reminder
from casework.models import OPEN_STATUSES, Case, CaseEvent, Satisfaction, Status
from casework.selectors import NEAR_DUE_WINDOW
from casework.stats.figures import FIGURES
from casework.stats.models import (
    ROLLUP_DAY_FIGURES,
    ROLLUP_EVENT_FIGURES,
    ROLLUP_KEY,
    CaseRollup,
    CaseRollupMonth,
    CaseRollupOpen,
    CaseRollupOverlap,
    CaseRollupState,
)
from casework.stats.periods import Period
from grids.models import Area

COLUMNS = (*ROLLUP_DAY_FIGURES, *ROLLUP_EVENT_FIGURES, "handled", "handling_us")
SNAPSHOT = tuple(f.key for f in FIGURES.values() if f.snapshot)
OPEN_COLUMNS = ("open", "suspended_now")
# The due day of an open case without a due time (CaseRollupOpen.due_day is part of the key).
NO_DUE_DAY = "9999-12-31"
# A transaction that wrote a case before the newest state was computed may commit after it:
# the catch-up looks this far behind the newest state.
CATCH_UP_MARGIN = timedelta(minutes=10)
# The periodic task looks further back (a transaction held open for long, a clock set back).
TASK_MARGIN = timedelta(days=1)
CHUNK = 2000
# Every write of the rollups, and every read it is computed from, goes to the primary: a
# statistics read may run its catch-up (a write) while a database router sends its other reads
# to a replica (deploy/README.md). ``connection`` below is the primary's too.
PRIMARY = DEFAULT_DB_ALIAS
_EVENT_STEPS = {"acknowledge": "acknowledged", "return": "returned", "verify_fail": "reworked"}
_SATISFIED = frozenset({str(Satisfaction.SATISFIED), str(Satisfaction.BASICALLY_SATISFIED)})


@dataclass(frozen=True)
class Subtree:
    """The cases of ``area``'s subtree, counted from the rollups: what the statistics pages,
    the API and the assessment pass where the direct count takes a case queryset."""

    area: Area

    @classmethod
    def of(cls, area: Area) -> Subtree:
        """The subtree of ``area``, its rollups caught up first (once per read)."""
        catch_up()
        return cls(area)

    def area_ids(self):
        return Area.objects.within(self.area).values("pk")

    def cases(self):
        return Case.objects.filter(Area.subtree_q(self.area, prefix="area__"))


# -- contributions ---------------------------------------------------------------------------
def _day(moment: datetime | None, tz=None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(tz or timezone.get_current_timezone()).date().isoformat()


def contribution(
    case: dict,
    events,
    late: bool,
    reminders,
    approved: set,
    handling,
    *,
    tz=None,
    suspended_now: bool = False,
) -> dict:
    """What one case adds to the rollups: ``{"k": key, "d": {day: {figure: n}}, "o": [[figure,
    first, following], ...]}``. ``case`` holds its fields, ``events`` its (step, created_at,
    on_time) for acknowledge, return and verify_fail, ``late`` whether any step of it came late,
    ``reminders`` the times of its first overdue reminders, ``approved`` the kinds of its
    approved deadline requests, ``handling`` its handling time when closed. An open case also
    adds ``"s": [due day or None, 1 if suspended now else 0]`` (:class:`CaseRollupOpen`).

    Plain dicts and the days computed inline: a build runs this a million times after a bulk
    load (``Counter``s and a function call per day were a third of its Python time)."""
    tz = tz or timezone.get_current_timezone()
    status = case["status"]
    reported = case["reported_at"].astimezone(tz).date().isoformat()
    first = {"reported": 1}
    days = {reported: first}
    if status not in _NOT_TAKEN_ON:
        first["taken_on"] = 1
        if status == _CLOSED:
            first["resolved"] = 1
    if approved:
        if _EXTENSION in approved:
            first["extended"] = 1
        if _SUSPENSION in approved:
            first["suspended"] = 1
    for field, figure in _STAMPS:
        moment = case[field]
        if moment is not None:
            day = moment.astimezone(tz).date().isoformat()
            counts = days.get(day)
            if counts is None:
                days[day] = {figure: 1}
            else:
                counts[figure] = counts.get(figure, 0) + 1
    if status == _CLOSED and case["closed_at"] is not None:
        day = case["closed_at"].astimezone(tz).date().isoformat()
        closed = days.get(day)
        if closed is None:
            closed = days[day] = {}
        closed["closed"] = closed.get("closed", 0) + 1
        if not late:
            closed["closed_on_time"] = closed.get("closed_on_time", 0) + 1
        if case["resolved_on_spot"]:
            closed["on_spot"] = closed.get("on_spot", 0) + 1
        if handling is not None:
            closed["handled"] = closed.get("handled", 0) + 1
            closed["handling_us"] = closed.get("handling_us", 0) + _microseconds(handling)
    if case["evaluated_at"] is not None and case["satisfaction"]:
        day = case["evaluated_at"].astimezone(tz).date().isoformat()
        evaluated = days.get(day)
        if evaluated is None:
            evaluated = days[day] = {}
        evaluated["evaluated"] = evaluated.get("evaluated", 0) + 1
        if case["satisfaction"] in _SATISFIED:
            evaluated["satisfied"] = evaluated.get("satisfied", 0) + 1
    overlaps = []
    if events or reminders:
        event_days: dict[str, set[str]] = {}
        for step, created_at, on_time in events:
            day = created_at.astimezone(tz).date().isoformat()
            figure = _EVENT_STEPS[step]
            if figure in event_days:
                event_days[figure].add(day)
            else:
                event_days[figure] = {day}
            if on_time is False and step == "acknowledge":
                if "acknowledged_late" in event_days:
                    event_days["acknowledged_late"].add(day)
                else:
                    event_days["acknowledged_late"] = {day}
        for created_at in reminders:
            day = created_at.astimezone(tz).date().isoformat()
            if "went_overdue" in event_days:
                event_days["went_overdue"].add(day)
            else:
                event_days["went_overdue"] = {day}
        for figure, found in event_days.items():
            if len(found) == 1:
                (day,) = found
                counts = days.get(day)
                if counts is None:
                    days[day] = {figure: 1}
                else:
                    counts[figure] = counts.get(figure, 0) + 1
                continue
            ordered = sorted(found)
            for day in ordered:
                counts = days.get(day)
                if counts is None:
                    days[day] = {figure: 1}
                else:
                    counts[figure] = counts.get(figure, 0) + 1
            overlaps += [[figure, a, b] for a, b in pairwise(ordered)]
    result = {
        "k": [
            case["area_id"],
            case["department_id"] or 0,
            case["category_id"],
            case["source"],
        ],
        "d": days,
        "o": overlaps,
    }
    if status in _OPEN:
        due = case["due_at"]
        result["s"] = [
            None if due is None else due.astimezone(tz).date().isoformat(),
            1 if suspended_now else 0,
        ]
    return result


# contribution()'s constants as plain strings and sets (enum members hash and compare slower).
_NOT_TAKEN_ON = frozenset({str(Status.REJECTED), str(Status.MERGED)})
_CLOSED = str(Status.CLOSED)
_OPEN = frozenset(str(s) for s in OPEN_STATUSES)
_EXTENSION = str(DeadlineRequest.Kind.EXTENSION)
_SUSPENSION = str(DeadlineRequest.Kind.SUSPENSION)
_STAMPS = (("accepted_at", "accepted"), ("escalated_at", "escalated"))


def _microseconds(spent: timedelta) -> int:
    return (spent.days * 86_400 + spent.seconds) * 1_000_000 + spent.microseconds


_CASE_FIELDS = (
    "pk",
    "status",
    "reported_at",
    "accepted_at",
    "escalated_at",
    "closed_at",
    "evaluated_at",
    "satisfaction",
    "resolved_on_spot",
    "updated_at",
    "due_at",
    *ROLLUP_KEY,
)


def _contributions(ids: list[int], *, meters=None) -> tuple[dict[int, dict], dict[int, datetime]]:
    """The contributions of the cases ``ids`` that exist (seven queries at most). ``meters``:
    working-time meters kept over a whole build (:func:`_build_meters`)."""
    from casework.stats import compute

    cases = {
        row["pk"]: row
        for row in Case.objects.using(PRIMARY).filter(pk__in=_one_of(ids)).values(*_CASE_FIELDS)
    }
    if not cases:
        return {}, {}
    ids = _one_of(list(cases))
    events = defaultdict(list)
    for case_id, step, created_at, on_time in (
        CaseEvent.objects.using(PRIMARY)
        .filter(case_id__in=ids, step__in=list(_EVENT_STEPS))
        .values_list("case_id", "step", "created_at", "on_time")
    ):
        events[case_id].append((step, created_at, on_time))
    late = set(
        CaseEvent.objects.using(PRIMARY)
        .filter(case_id__in=ids, on_time=False)
        .values_list("case_id", flat=True)
    )
    reminders = defaultdict(list)
    for case_id, created_at in (
        Reminder.objects.using(PRIMARY)
        .filter(case_id__in=ids, kind=Reminder.Kind.OVERDUE, tier=1)
        .values_list("case_id", "created_at")
    ):
        reminders[case_id].append(created_at)
    approved = defaultdict(set)
    for case_id, kind in (
        DeadlineRequest.objects.using(PRIMARY)
        .filter(case_id__in=ids, status=DeadlineRequest.Status.APPROVED)
        .values_list("case_id", "kind")
    ):
        approved[case_id].add(kind)
    suspended_now = set(
        DeadlineRequest.objects.using(PRIMARY)
        .active_suspensions()
        .filter(
            case_id__in=_one_of([pk for pk, c in cases.items() if c["status"] in OPEN_STATUSES])
        )
        .values_list("case_id", flat=True)
    )
    closed = [
        pk for pk, c in cases.items() if c["status"] == Status.CLOSED and c["closed_at"] is not None
    ]
    handling = {}
    if closed:
        last = max(timezone.localtime(cases[pk]["closed_at"]).date() for pk in closed)
        handling = {
            pk: spent
            for pk, (_fields, spent) in compute.handling_by_case(
                Case.objects.using(PRIMARY).filter(pk__in=_one_of(closed)).order_by(),
                last,
                meters=meters,
            ).items()
        }
    tz = timezone.get_current_timezone()
    result = {
        pk: contribution(
            case,
            events[pk],
            pk in late,
            reminders[pk],
            approved[pk],
            handling.get(pk),
            tz=tz,
            suspended_now=pk in suspended_now,
        )
        for pk, case in cases.items()
    }
    return result, {pk: case["updated_at"] for pk, case in cases.items()}


def _one_of(ids: list[int]) -> RawSQL:
    """``ids`` for an ``__in`` filter as one parameter (a JSON array unpacked by the
    database): a list of 2,000 ids is 2,000 placeholders that Django compiles and psycopg
    scans the query text for, on each of the seven reads of a chunk (profiled: a fifth of a
    build)."""
    if connection.vendor == "postgresql":
        sql = "SELECT jsonb_array_elements_text(%s::jsonb)::bigint"
    else:
        sql = "SELECT value FROM json_each(%s)"
    return RawSQL(sql, [_json(ids)])


# -- writing ---------------------------------------------------------------------------------
def refresh(case_ids: Iterable[int]) -> int:
    """Bring the rollups of ``case_ids`` up to date with the cases as they are: subtract what
    each contributed, add what it contributes now. Locks the cases' states (one refresher per
    case at a time; call it inside the writer's transaction). Returns how many cases changed
    their contribution."""
    ids = sorted({int(pk) for pk in case_ids})
    changed = 0
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic(using=PRIMARY):
            changed += _refresh_chunk(ids[start : start + CHUNK])
    return changed


def _refresh_chunk(ids: list[int]) -> int:
    _lock_shared()
    epoch = datetime(1970, 1, 1, tzinfo=timezone.get_fixed_timezone(0))
    CaseRollupState.objects.using(PRIMARY).bulk_create(
        [CaseRollupState(case_id=pk, case_updated_at=epoch, data={}) for pk in ids],
        ignore_conflicts=True,
    )
    states = (
        CaseRollupState.objects.using(PRIMARY).filter(case_id__in=_one_of(ids)).order_by("case_id")
    )
    if connection.features.has_select_for_update:
        states = states.select_for_update()
    old = {s.case_id: s for s in states}
    new, versions = _contributions(ids)
    delta = _Delta()
    changed, gone = [], []
    for pk in ids:
        state, after = old[pk], new.get(pk)
        if after is None:
            delta.add(state.data, -1)
            gone.append(pk)
            continue
        if state.data != after:
            delta.add(state.data, -1)
            delta.add(after, +1)
            state.data = after
            changed.append(state)
        elif state.case_updated_at != versions[pk]:
            changed.append(state)
        state.case_updated_at = versions[pk]
    delta.write()
    if changed:
        CaseRollupState.objects.using(PRIMARY).bulk_update(
            changed, ["data", "case_updated_at"], batch_size=500
        )
    if gone:
        CaseRollupState.objects.using(PRIMARY).filter(case_id__in=gone).delete()
    return len(changed) + len(gone)


class _Delta:
    """What some contributions add to (or take from) every rollup table: summed in Python,
    written with one upsert per table (days, months, overlaps, open cases). The days as one
    plain dict of columns per row key (a ``Counter`` keyed by row and column built a tuple per
    figure of every case)."""

    def __init__(self):
        self.rows: dict[tuple, dict[str, int]] = {}
        self.overlaps: Counter = Counter()
        self.open: Counter = Counter()

    def add(self, data: dict, sign: int) -> None:
        if not data:
            return
        area, department, category, source = data["k"]
        rows = self.rows
        for day, counts in data["d"].items():
            key = (day, area, department, category, source)
            row = rows.get(key)
            if row is None:
                row = rows[key] = dict.fromkeys(COLUMNS, 0)
            for column, n in counts.items():
                row[column] += sign * n
        if data["o"]:
            for figure, first, following in data["o"]:
                self.overlaps[(area, department, category, source, figure, first, following)] += (
                    sign
                )
        if "s" in data:
            due_day, suspended = data["s"]
            self.open[(area, department, category, source, due_day or NO_DUE_DAY, "open")] += sign
            self.open[
                (area, department, category, source, due_day or NO_DUE_DAY, "suspended_now")
            ] += sign * suspended

    def write(self) -> None:
        days = {key: row for key, row in self.rows.items() if any(row.values())}
        months: dict[tuple, dict[str, int]] = {}
        for (day, *key), values in days.items():
            month_key = (day[:8] + "01", *key)
            month = months.get(month_key)
            if month is None:
                months[month_key] = dict(values)
            else:
                for column, n in values.items():
                    month[column] += n
        _upsert_rows(CaseRollup, "day", days)
        _upsert_rows(CaseRollupMonth, "month", months)
        _upsert_overlaps(self.overlaps)
        _upsert_open(self.open)


_COLUMN_VALUES = itemgetter(*COLUMNS)


def _upsert_rows(model, first: str, grouped: dict[tuple, dict[str, int]]) -> None:
    # Days as ISO text: what both databases store and what the JSON of _upsert carries.
    # In key order: concurrent builders then lock the rows they share in the same order.
    # itemgetter: the columns of a row in one C call (a generator per row was a fifth of a
    # build's Python time, profiled).
    values = [(*k, *_COLUMN_VALUES(v)) for k, v in sorted(grouped.items()) if any(v.values())]
    names = (first, *ROLLUP_KEY, *COLUMNS)
    _insert(model, names, values, keys=len(names) - len(COLUMNS))


def _upsert_open(rows: Counter) -> None:
    grouped: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OPEN_COLUMNS, 0))
    for (*key, column), n in rows.items():
        if n:
            grouped[tuple(key)][column] += n
    values = [
        (*k, *(v[c] for c in OPEN_COLUMNS)) for k, v in sorted(grouped.items()) if any(v.values())
    ]
    if not values:
        return
    names = (*ROLLUP_KEY, "due_day", *OPEN_COLUMNS)
    _insert(CaseRollupOpen, names, values, keys=5)
    # Rows left at zero go (a day's cases all closed): the read sums every row before today.
    # Only the rows just written, which this transaction holds, so no waiting on another.
    q = connection.ops.quote_name
    keys = names[:5]
    where = (
        f"DELETE FROM {q(CaseRollupOpen._meta.db_table)} "
        f"WHERE {q('open')} = 0 AND {q('suspended_now')} = 0 "
        f"AND ({', '.join(q(c) for c in keys)}) IN "
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            select, _order = _rows_from_json(CaseRollupOpen, keys)
            cursor.execute(f"{where} ({select})", [_json([row[:5] for row in values])])
            return
        tuple_ = "(" + ", ".join(["%s"] * len(keys)) + ")"
        per = _MAX_PARAMETERS // len(keys)
        for start in range(0, len(values), per):
            chunk = values[start : start + per]
            cursor.execute(
                f"{where} ({', '.join([tuple_] * len(chunk))})",
                [value for row in chunk for value in row[: len(keys)]],
            )


def _upsert_overlaps(overlaps: Counter) -> None:
    values = [(*key, n) for key, n in sorted(overlaps.items()) if n]
    names = (*ROLLUP_KEY, "figure", "first", "following", "n")
    _insert(CaseRollupOverlap, names, values, keys=len(names) - 1)


# SQLite's limit on the parameters of a statement (32,766) with room to spare.
_MAX_PARAMETERS = 30_000


def _insert(
    model,
    names: tuple[str, ...],
    values: list[tuple],
    *,
    keys: int | None = None,
    claim: bool = False,
) -> list:
    """Insert ``values`` (rows of the columns ``names``, JSON-ready: numbers, text, ISO days
    and times, dicts for a JSON column) into ``model``'s table. With ``keys``, an upsert: the
    first ``keys`` columns are the unique key, and an existing row gets the other columns
    added to its own. With ``claim``, a row whose key exists already (or is being inserted by
    a transaction not yet committed: the insert waits for it) is left out, and the first
    column of the rows inserted is returned (else nothing).

    On PostgreSQL one statement with one parameter, the rows as one JSON array unpacked by the
    server (``jsonb_array_elements``), in the callers' order: a ``VALUES`` list of 30,000
    placeholders had psycopg scan the query text for them on every call (half the time of a
    build, profiled), and arrays bound per column are quoted element by element in Python.
    Elsewhere (SQLite) a ``VALUES`` list per 30,000 parameters."""
    if not values:
        return []
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    columns = ", ".join(q(c) for c in names)
    on_conflict = ""
    if keys is not None:
        sets = ", ".join(f"{q(c)} = {table}.{q(c)} + excluded.{q(c)}" for c in names[keys:])
        on_conflict = f" ON CONFLICT ({', '.join(q(c) for c in names[:keys])}) DO UPDATE SET {sets}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if claim:
                on_conflict = f" ON CONFLICT DO NOTHING RETURNING {q(names[0])}"
            # In the rows' order (the key order the callers sorted in): row locks are taken in
            # that order, so concurrent builders do not deadlock.
            select, order = _rows_from_json(model, names)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) {select} {order}{on_conflict}", [_json(values)]
            )
            return [row[0] for row in cursor.fetchall()] if claim else []
        if claim:
            # SQLite: the transaction holds the database's write lock (immediate transactions),
            # so the keys found here are still the only ones when the rows go in.
            found = set(
                model._default_manager.using(PRIMARY)
                .filter(**{f"{names[0]}__in": _one_of([r[0] for r in values])})
                .values_list(names[0], flat=True)
            )
            values = [r for r in values if r[0] not in found]
        row = "(" + ", ".join(["%s"] * len(names)) + ")"
        per = max(1, _MAX_PARAMETERS // len(names))
        for start in range(0, len(values), per):
            chunk = values[start : start + per]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(chunk))}"
                f"{on_conflict}",
                [json.dumps(v) if isinstance(v, dict) else v for r in chunk for v in r],
            )
    return [r[0] for r in values] if claim else []


def _rows_from_json(model, names: tuple[str, ...]) -> tuple[str, str]:
    """``SELECT`` of the rows of one JSON array parameter (each row an array of the columns
    ``names`` of ``model``, cast to their types), and the ``ORDER BY`` that keeps their order
    (PostgreSQL)."""
    columns = []
    for i, name in enumerate(names):
        field = model._meta.get_field(name)
        if field.get_internal_type() == "JSONField":
            columns.append(f"_row -> {i}")
        else:
            columns.append(f"(_row ->> {i})::{field.db_type(connection)}")
    return (
        f"SELECT {', '.join(columns)} FROM jsonb_array_elements(%s::jsonb) "
        "WITH ORDINALITY AS _rows(_row, _n)",
        "ORDER BY _n",
    )


def _json(values: list) -> str:
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False)


def catch_up(*, margin: timedelta | None = None) -> int:
    """Refresh the cases changed since the last catch-up whose state is older than the case:
    what the workflow and writers outside it changed. Returns how many cases changed their
    contribution. On an empty rollup: builds it.

    Which cases it reads: those written since the last complete catch-up *began* (its
    high-water mark, kept in the shared cache), less :data:`LATE_COMMIT` for transactions that
    stamped a case before that and committed after it; a case written while a catch-up runs
    is stamped after it began, so the next one reads it. Without a mark (the first catch-up,
    the cache emptied) those written since the newest state less ``CATCH_UP_MARGIN``. With an
    explicit ``margin`` (the periodic task's day) the newest state less ``margin``, whatever the
    mark: the task is what takes in a transaction that committed later still. So a poll of
    the wall reads what was written since the previous poll, not every case of the last ten
    minutes (bench/results/wall.md)."""
    began = timezone.now()
    newest = CaseRollupState.objects.using(PRIMARY).aggregate(at=Max("case_updated_at"))["at"]
    mark = _mark() if newest is not None else None
    since = None
    if newest is not None:
        since = newest - (CATCH_UP_MARGIN if margin is None else margin)
        if margin is None and mark is not None:
            since = max(since, mark - LATE_COMMIT)
    versions = _versions_since(since)
    changed = 0
    if versions:
        known = dict(
            CaseRollupState.objects.using(PRIMARY)
            .filter(case_id__in=_one_of(list(versions)))
            .values_list("case_id", "case_updated_at")
        )
        stale = [pk for pk, at in versions.items() if known.get(pk) != at]
        changed = refresh(stale) if stale else 0
    # A narrower window than a statistics read's would leave a gap behind the new mark.
    if margin is None or margin >= CATCH_UP_MARGIN:
        _set_mark(began)
    return changed


# How long after stamping a case (``updated_at``) its transaction may commit and still be read
# by the next catch-up of a statistics read; later than that, the periodic task (a day back,
# every minute) takes it in.
LATE_COMMIT = timedelta(minutes=1)


def _versions_since(since: datetime | None) -> dict[int, datetime]:
    """``updated_at`` of the cases written from ``since`` on (every case without it): an
    index-only range of ``case_updated``."""
    changed = Case.objects.using(PRIMARY).order_by()
    if since is not None:
        changed = changed.filter(updated_at__gte=since)
    return dict(changed.values_list("pk", "updated_at"))


def _mark_key() -> str:
    return f"stats-rollup:caught-up:{connection.settings_dict['NAME']}"


def _mark() -> datetime | None:
    """When the last complete catch-up began (None: unknown)."""
    from governance.cache import shared_cache

    value = shared_cache.get(_mark_key())
    return value if isinstance(value, datetime) else None


def _set_mark(began: datetime) -> None:
    from governance.cache import shared_cache

    shared_cache.set(_mark_key(), began, timeout=None)


def rebuild() -> int:
    """Build every rollup again from the cases (after a bulk load). Returns the cases counted
    by it (a catch-up running meanwhile may count some of them first)."""
    with transaction.atomic(using=PRIMARY):
        _lock_exclusive()
        CaseRollup.objects.using(PRIMARY).all().delete()
        CaseRollupMonth.objects.using(PRIMARY).all().delete()
        CaseRollupOpen.objects.using(PRIMARY).all().delete()
        CaseRollupOverlap.objects.using(PRIMARY).all().delete()
        CaseRollupState.objects.using(PRIMARY).all().delete()
    # A rebuild follows a bulk load: without statistics the planner guesses the tables empty
    # and the reads of every chunk pick plans that walk whole tables (seen: 24 s for the
    # reminders of 2,000 cases, 100,000 cases loaded and not analyzed).
    from governance.bulk import refresh_planner_statistics

    refresh_planner_statistics(Case, CaseEvent, Reminder, DeadlineRequest)
    cases = Case.objects.using(PRIMARY).order_by("pk")
    ids = list(cases.values_list("pk", flat=True))
    meters = _build_meters(cases)
    done = 0
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic(using=PRIMARY):
            _lock_shared()
            done += _build_chunk(ids[start : start + CHUNK], meters=meters)
    return done


def _build_meters(cases):
    """The working-time meters of a whole build (one per street over the days from the first
    filing to the last closing of ``cases``), instead of a set per chunk: building them was
    half of the handling times' cost (profiled). None when no case is closed."""
    from casework import clock

    span = cases.order_by().aggregate(first=Min("reported_at"), last=Max("closed_at"))
    if span["first"] is None or span["last"] is None:
        return None
    tz = timezone.get_default_timezone()
    return clock.Meters(
        timezone.localtime(span["first"], tz).date(), timezone.localtime(span["last"], tz).date()
    )


def build_missing(*, first: int | None = None, last: int | None = None) -> int:
    """Count in the cases (ids from ``first`` to ``last``) that have no state yet: a rebuild
    taken up again, or split over several processes by id range. Returns the cases counted by
    it (not those a catch-up or another builder counted first)."""
    cases = Case.objects.using(PRIMARY).order_by("pk")
    if first is not None:
        cases = cases.filter(pk__gte=first)
    if last is not None:
        cases = cases.filter(pk__lte=last)
    ids = list(cases.values_list("pk", flat=True))
    meters = _build_meters(cases) if ids else None
    done = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with transaction.atomic(using=PRIMARY):
            _lock_shared()
            known = set(
                CaseRollupState.objects.using(PRIMARY)
                .filter(case_id__in=_one_of(chunk))
                .values_list("case_id", flat=True)
            )
            missing = [pk for pk in chunk if pk not in known]
            if missing:
                done += _build_chunk(missing, meters=meters)
    return done


def _build_chunk(ids: list[int], *, meters=None) -> int:
    """:func:`_refresh_chunk` for cases without a state yet (nothing to subtract). Returns the
    cases counted.

    A catch-up (every statistics read runs one) may count some of these cases between the
    reads here and the writes: it inserts their states first, and the contributions read
    here may already be out of date. So the states are written first, claiming the cases
    (``ON CONFLICT DO NOTHING``: a state inserted by a transaction not yet committed makes the
    insert wait for it), and only the cases claimed are added to the rollups; the others are
    the catch-up's. A case changed after it was read here has a newer ``updated_at`` than its
    state, and the next catch-up refreshes it."""
    new, versions = _contributions(ids, meters=meters)
    # Through _insert too: bulk_create's placeholders (three a case) cost what the upsert's did.
    # In case order, as a refresh inserts its states: concurrent writers wait, not deadlock.
    adapt = connection.ops.adapt_datetimefield_value
    claimed = _insert(
        CaseRollupState,
        ("case_id", "case_updated_at", "data"),
        [(pk, str(adapt(versions[pk])), new[pk]) for pk in sorted(new)],
        claim=True,
    )
    delta = _Delta()
    for pk in claimed:
        delta.add(new[pk], +1)
    delta.write()
    return len(claimed)


# Every transaction that writes the rollups takes this advisory lock shared (they exclude each
# other case by case, through the states); the wipe of a rebuild takes it alone, so that it
# neither deletes half of a refresh nor leaves rows a refresh inserted meanwhile (PostgreSQL;
# SQLite's immediate transactions serialise every writer anyway).
_LOCK = 0x726F6C6C7570  # "rollup"


def _lock_shared() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [_LOCK])


def _lock_exclusive() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])


def count_loaded(cases: list[dict], *, meters) -> int:
    """Count cases a bulk loader has just written (``manage.py seed_scale``) into the rollups
    from the rows it wrote, instead of reading them back as :func:`build_missing` does (seven
    reads a chunk and their timestamps parsed: half of a build's time, profiled). Each item of
    ``cases`` holds the fields of ``_CASE_FIELDS`` and ``events`` (step, created_at, on_time of
    every event of the case), ``reminders`` (the times of its first overdue reminders) and
    ``around_the_clock`` (its category's). The cases have no deadline requests (the loader
    writes none) and no state yet. ``meters``: :func:`_build_meters`-like meters kept over the
    whole load. The same :func:`contribution` and the same writes as a build;
    ``tests/governance/test_seed_scale.py`` compares the result with a rebuild. Returns the
    cases counted."""
    if not cases:
        return 0
    _lock_shared()
    tz = timezone.get_current_timezone()
    streets = meters.streets
    missing = {case["street_id"] for case in cases} - streets.keys()
    if missing:
        streets.update(Area.objects.using(PRIMARY).in_bulk(missing))
    delta = _Delta()
    states = []
    adapt = connection.ops.adapt_datetimefield_value
    for case in cases:
        handling = None
        if case["status"] == _CLOSED and case["closed_at"] is not None:
            # compute.handling_by_case without suspensions (the loader writes none).
            handling = max(
                meters.between(
                    street=streets[case["street_id"]],
                    around_the_clock=case["around_the_clock"],
                    start=case["reported_at"],
                    end=case["closed_at"],
                ),
                timedelta(),
            )
        events = case["events"]
        data = contribution(
            case,
            [e for e in events if e[0] in _EVENT_STEPS],
            any(e[2] is False for e in events),
            case["reminders"],
            (),
            handling,
            tz=tz,
        )
        delta.add(data, +1)
        states.append((case["pk"], str(adapt(case["updated_at"])), data))
    # The states first, in case order, then the rollups: the order every rollup writer keeps.
    states.sort(key=lambda state: state[0])
    _insert(CaseRollupState, ("case_id", "case_updated_at", "data"), states)
    delta.write()
    return len(states)


def loader_meters(first: date, last: date):
    """The working-time meters for :func:`count_loaded` over the local days ``first`` to
    ``last`` (one per street, kept over the whole load)."""
    from casework import clock

    return clock.Meters(first, last)


# -- reading ---------------------------------------------------------------------------------
def count_by(
    source: Subtree,
    period: Period,
    now: datetime,
    fields: tuple[str, ...],
    *,
    snapshot: bool = True,
) -> dict:
    """The figures of ``source`` in ``period`` per combination of ``fields`` (of ROLLUP_KEY;
    none: all of them under the key ``()``): the same as
    :func:`casework.stats.compute.count_by` over the subtree's cases, for every group with
    something to count. Three queries: the rollup rows (monthly and daily rows, see
    :func:`_split`), the overlaps, the snapshot
    figures (left out with ``snapshot=False``, for a caller that does not show them)."""
    from casework.stats.compute import Figures

    fields = tuple(fields)
    in_area = Q(area_id__in=source.area_ids())
    result: dict[tuple, Figures] = defaultdict(Figures)
    late: Counter = Counter()
    sums = {f"s_{c}": Sum(c) for c in COLUMNS}
    for key, row in _summed(in_area, period.first, period.last, fields, sums).items():
        figures = result[key]
        for figure in (*ROLLUP_DAY_FIGURES, *ROLLUP_EVENT_FIGURES):
            if figure == "acknowledged_late":
                late[key] += row["s_acknowledged_late"]
            else:
                figures.counts[figure] += row[f"s_{figure}"]
        figures.handled += row["s_handled"]
        figures.handling_seconds += row["s_handling_us"] / 1_000_000
    pairs = CaseRollupOverlap.objects.filter(
        in_area, first__gte=period.first, following__lte=period.last
    )
    for (*key, figure), row in _grouped(pairs, (*fields, "figure"), {"n": Sum("n")}):
        key = tuple(key)
        if figure == "acknowledged_late":
            late[key] -= row["n"] or 0
        else:
            result[key].counts[figure] -= row["n"] or 0
    for key, figures in result.items():
        figures.counts["acknowledged_on_time"] = figures.counts["acknowledged"] - late[key]
    if snapshot:
        for key, counts in snapshot_by(source, now, fields).items():
            for figure in SNAPSHOT:
                result[key].counts[figure] += counts[figure]
    return {
        key: figures
        for key, figures in result.items()
        if any(figures.counts.values()) or figures.handled
    }


def _split(first: date, last: date):
    """How to read the days ``first`` to ``last`` with the fewest rows: (days to add, months
    to add, days to take away), days as (first, last) ranges, months by their first day. A
    month wholly inside is its monthly row; a month partly inside is its days inside, or its
    monthly row less its days outside when those are fewer (the current month so far: the
    month less the days still to come, which hold nothing)."""
    plus: list[tuple[date, date]] = []
    months: list[date] = []
    minus: list[tuple[date, date]] = []
    month = first.replace(day=1)
    while month <= last:
        month_last = _next_month(month) - timedelta(days=1)
        a, b = max(first, month), min(last, month_last)
        inside = (b - a).days + 1
        outside = (month_last - month).days + 1 - inside
        if outside == 0:
            months.append(month)
        elif inside <= outside + 1:  # the monthly row costs about one day's rows
            plus.append((a, b))
        else:
            months.append(month)
            if a > month:
                minus.append((month, a - timedelta(days=1)))
            if b < month_last:
                minus.append((b + timedelta(days=1), month_last))
        month = _next_month(month)
    return plus, months, minus


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _days_q(ranges: list[tuple[date, date]]) -> Q:
    q = Q()
    for a, b in ranges:
        q |= Q(day__gte=a, day__lte=b)
    return q


def _parts(in_area: Q, first: date, last: date):
    """The daily and monthly rows that make up the days ``first`` to ``last``: a list of
    (queryset, name of its date column, sign: 1 to add, -1 to take away)."""
    plus, months, minus = _split(first, last)
    parts = []
    if plus:
        parts.append((CaseRollup.objects.filter(in_area, _days_q(plus)), "day", 1))
    if months:
        parts.append((CaseRollupMonth.objects.filter(in_area, month__in=months), "month", 1))
    if minus:
        parts.append((CaseRollup.objects.filter(in_area, _days_q(minus)), "day", -1))
    return parts


def _signed(qs, sign: int, *names: str):
    """``qs`` grouped by ``names`` (none: one row for all), with the constant ``_sign``."""
    qs = qs.order_by().annotate(_sign=Value(sign, output_field=IntegerField()))
    return qs.values(*names, "_sign")


def _union(querysets: list):
    """One query for several grouped querysets (their rows one after the other)."""
    qs = querysets[0]
    return qs.union(*querysets[1:], all=True) if len(querysets) > 1 else qs


def _values(qs, fields: tuple[str, ...]):
    """``qs`` grouped by ``fields`` (by nothing: one row for all, under a constant)."""
    qs = qs.order_by()
    if fields:
        return qs.values(*fields)
    return qs.annotate(_all=Value(0, output_field=IntegerField())).values("_all")


def _summed(in_area: Q, first: date, last: date, fields: tuple[str, ...], sums: dict) -> dict:
    """The ``sums`` of the rollup rows of the days ``first`` to ``last`` per combination of
    ``fields``: one query over the monthly and daily rows of :func:`_split`. Missing sums are
    0."""
    querysets = [
        _signed(qs, sign, *fields).annotate(**sums)
        for qs, _column, sign in _parts(in_area, first, last)
    ]
    totals: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(sums, 0))
    for row in _union(querysets):
        total = totals[_key(row, fields)]
        for name in sums:
            total[name] += row["_sign"] * (row[name] or 0)
    return totals


def snapshot_by(
    source: Subtree, now: datetime, fields: tuple[str, ...], *, category=None
) -> dict[tuple, dict[str, int]]:
    """The snapshot figures (open, near due, overdue, suspended now) per combination of
    ``fields`` (of ROLLUP_KEY), of the cases of ``category``'s subtree when given, in one
    query: the open cases by due day from :class:`CaseRollupOpen` (open, suspended, and overdue
    for the days before today: due before today began, so before now), and the open cases due
    from today on counted directly through the figures' definitions (overdue since today
    began, near due): an index range of the cases due today and in the next hours, not every
    open case."""
    today = timezone.localdate(now)
    began = timezone.make_aware(datetime.combine(today, time.min))
    zero = Value(0, output_field=IntegerField())
    stored = CaseRollupOpen.objects.filter(area_id__in=source.area_ids())
    cases = source.cases()
    if category is not None:
        from casework.models import Category

        stored = stored.filter(
            category_id__in=Category.objects.filter(Category.subtree_q(category)).values("pk")
        )
        cases = cases.filter(Category.subtree_q(category, prefix="category__"))
    stored = _values(stored, fields).annotate(
        n_open=Sum("open"),
        n_near_due=zero,
        n_overdue=Sum("open", filter=Q(due_day__lt=today)),
        n_suspended_now=Sum("suspended_now"),
    )
    due_soon = _values(
        cases.filter(
            FIGURES["open"].cases(None, now),
            due_at__gte=began,
            due_at__lt=max(now, began) + NEAR_DUE_WINDOW,
        ),
        fields,
    ).annotate(
        n_open=zero,
        n_near_due=Count("pk", filter=FIGURES["near_due"].cases(None, now)),
        n_overdue=Count("pk", filter=FIGURES["overdue"].cases(None, now)),
        n_suspended_now=zero,
    )
    totals: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SNAPSHOT, 0))
    for row in _union([stored, due_soon]):
        total = totals[_key(row, fields)]
        for figure in SNAPSHOT:
            total[figure] += row[f"n_{figure}"] or 0
    return totals


def _grouped(qs, fields: tuple[str, ...], aggregates: dict):
    """(key, row) per combination of ``fields`` (one row under ``()`` when there are none)."""
    qs = qs.order_by()
    if not fields:
        yield (), qs.aggregate(**aggregates)
        return
    for row in qs.values(*fields).annotate(**aggregates):
        yield _key(row, fields), row


def _key(row: dict, fields: tuple[str, ...]) -> tuple:
    return tuple((row[f] or None) if f == "department_id" else row[f] for f in fields)


def reported_by(source: Subtree, period: Period, fields: tuple[str, ...]) -> dict[tuple, int]:
    """Cases filed in ``period`` per combination of ``fields`` (hot spots, repeated reports)."""
    rows = _summed(
        Q(area_id__in=source.area_ids()), period.first, period.last, fields, {"n": Sum("reported")}
    )
    return {key: row["n"] for key, row in rows.items() if row["n"]}


def per_month(source: Subtree, first: date, last: date) -> dict[date, tuple[int, int]]:
    """Cases filed and closed in each month from ``first`` to ``last`` (local days): monthly
    and daily rows (:func:`_split`), in one query."""
    totals: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    querysets = [
        _signed(
            qs.annotate(m=TruncMonth(column) if column == "day" else F(column)), sign, "m"
        ).annotate(r=Sum("reported"), c=Sum("closed"))
        for qs, column, sign in _parts(Q(area_id__in=source.area_ids()), first, last)
    ]
    for row in _union(querysets):
        month = row["m"]
        if isinstance(month, datetime):
            month = month.date()
        totals[month][0] += row["_sign"] * (row["r"] or 0)
        totals[month][1] += row["_sign"] * (row["c"] or 0)
    return {month: (r, c) for month, (r, c) in totals.items()}


def differences(area: Area, period: Period, now: datetime, fields=ROLLUP_KEY) -> list[str]:
    """Where the rollups of ``area`` disagree with the direct count (nothing when all is well):
    one line per group and figure that differs."""
    from casework.stats import compute

    cases = Case.objects.filter(Area.subtree_q(area, prefix="area__"))
    if fields:
        direct = compute.count_by(cases, period, now, tuple(fields))
    else:
        direct = {(): compute.total(cases, period, now)}
    rolled = count_by(Subtree.of(area), period, now, tuple(fields))
    lines = []
    for key in sorted(set(direct) | set(rolled), key=str):
        a, b = direct.get(key), rolled.get(key)
        a_counts = a.counts if a else {}
        b_counts = b.counts if b else {}
        for figure in sorted(set(a_counts) | set(b_counts)):
            if a_counts.get(figure, 0) != b_counts.get(figure, 0):
                lines.append(
                    f"{key} {figure}: {a_counts.get(figure, 0)} ≠ {b_counts.get(figure, 0)}"
                )
        # Microseconds on both sides; the direct sum is a float, hence the tolerance.
        if (a.handled if a else 0) != (b.handled if b else 0) or abs(
            (a.handling_seconds if a else 0.0) - (b.handling_seconds if b else 0.0)
        ) > 1e-3:
            lines.append(
                f"{key} handling: {a.handled if a else 0} cases, "
                f"{a.handling_seconds if a else 0.0} s ≠ {b.handled if b else 0} cases, "
                f"{b.handling_seconds if b else 0.0} s"
            )
    return lines
