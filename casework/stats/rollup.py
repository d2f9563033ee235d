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
  changes nothing, so every writer may call it and a catch-up may repeat it.
- An event figure counts a case once however many such events it had in the period: the days
  are added up and every pair of consecutive days of one case is subtracted when the period
  holds both (:class:`CaseRollupOverlap`).
- The snapshot figures (open, near due, overdue, suspended now) depend on the present moment:
  they are counted straight from the open cases, through the same definitions.

Who keeps it current: every step of the workflow writes the case, and with it ``updated_at``
(indexed by ``case_updated``); before every statistics read :func:`catch_up` refreshes the
cases changed since the newest state (ten minutes back, for transactions that committed late),
and the beat task does the same a day back every minute. So filing and the steps pay nothing
(filing speed is a goal of its own, issue 15) and anything else that changes a case (an admin
edit, a factory, a bulk update that sets ``updated_at``) is taken in too. The deadline scan
sets ``updated_at`` of the cases it finds overdue (it writes an event on each), as a step does.
``manage.py stats_rollup --rebuild`` builds everything again after a bulk load (``--check``
compares with the direct count); :func:`build_missing` takes a build up again or splits it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

from django.db import connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from casework.deadlines.models import DeadlineRequest, Reminder
from casework.models import OPEN_STATUSES, Case, CaseEvent, Satisfaction, Status
from casework.stats.figures import FIGURES
from casework.stats.models import (
    ROLLUP_DAY_FIGURES,
    ROLLUP_EVENT_FIGURES,
    ROLLUP_KEY,
    CaseRollup,
    CaseRollupOverlap,
    CaseRollupState,
)
from casework.stats.periods import Period
from grids.models import Area

COLUMNS = (*ROLLUP_DAY_FIGURES, *ROLLUP_EVENT_FIGURES, "handled", "handling_us")
SNAPSHOT = tuple(f.key for f in FIGURES.values() if f.snapshot)
# A transaction that wrote a case before the newest state was computed may commit after it:
# the catch-up looks this far behind the newest state.
CATCH_UP_MARGIN = timedelta(minutes=10)
# The periodic task looks further back (a transaction held open for long, a clock set back).
TASK_MARGIN = timedelta(days=1)
CHUNK = 2000
_EVENT_STEPS = {"acknowledge": "acknowledged", "return": "returned", "verify_fail": "reworked"}
_SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)


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
    case: dict, events, late: bool, reminders, approved: set, handling, *, tz=None
) -> dict:
    """What one case adds to the rollups: ``{"k": key, "d": {day: {figure: n}}, "o": [[figure,
    first, following], ...]}``. ``case`` holds its fields, ``events`` its (step, created_at,
    on_time) for acknowledge, return and verify_fail, ``late`` whether any step of it came late,
    ``reminders`` the times of its first overdue reminders, ``approved`` the kinds of its
    approved deadline requests, ``handling`` its handling time when closed."""
    tz = tz or timezone.get_current_timezone()
    days: dict[str, Counter] = defaultdict(Counter)
    status = case["status"]
    reported = _day(case["reported_at"], tz)
    days[reported]["reported"] += 1
    if status not in (Status.REJECTED, Status.MERGED):
        days[reported]["taken_on"] += 1
        if status == Status.CLOSED:
            days[reported]["resolved"] += 1
    if DeadlineRequest.Kind.EXTENSION in approved:
        days[reported]["extended"] += 1
    if DeadlineRequest.Kind.SUSPENSION in approved:
        days[reported]["suspended"] += 1
    for field, figure in (("accepted_at", "accepted"), ("escalated_at", "escalated")):
        if case[field] is not None:
            days[_day(case[field], tz)][figure] += 1
    if status == Status.CLOSED and case["closed_at"] is not None:
        closed = days[_day(case["closed_at"], tz)]
        closed["closed"] += 1
        if not late:
            closed["closed_on_time"] += 1
        if case["resolved_on_spot"]:
            closed["on_spot"] += 1
        if handling is not None:
            closed["handled"] += 1
            closed["handling_us"] += _microseconds(handling)
    if case["evaluated_at"] is not None and case["satisfaction"]:
        evaluated = days[_day(case["evaluated_at"], tz)]
        evaluated["evaluated"] += 1
        if case["satisfaction"] in _SATISFIED:
            evaluated["satisfied"] += 1
    event_days: dict[str, set[str]] = defaultdict(set)
    for step, created_at, on_time in events:
        event_days[_EVENT_STEPS[step]].add(_day(created_at, tz))
        if step == "acknowledge" and on_time is False:
            event_days["acknowledged_late"].add(_day(created_at, tz))
    for created_at in reminders:
        event_days["went_overdue"].add(_day(created_at, tz))
    overlaps = []
    for figure, found in event_days.items():
        ordered = sorted(found)
        for day in ordered:
            days[day][figure] += 1
        overlaps += [[figure, a, b] for a, b in pairwise(ordered)]
    key = [
        case["area_id"],
        case["department_id"] or 0,
        case["category_id"],
        case["source"],
    ]
    return {
        "k": key,
        "d": {day: dict(counts) for day, counts in days.items()},
        "o": overlaps,
    }


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
    *ROLLUP_KEY,
)


def _contributions(ids: list[int]) -> tuple[dict[int, dict], dict[int, datetime]]:
    """The contributions of the cases ``ids`` that exist (six queries at most)."""
    from casework.stats import compute

    cases = {row["pk"]: row for row in Case.objects.filter(pk__in=ids).values(*_CASE_FIELDS)}
    if not cases:
        return {}, {}
    ids = list(cases)
    events = defaultdict(list)
    for case_id, step, created_at, on_time in CaseEvent.objects.filter(
        case_id__in=ids, step__in=list(_EVENT_STEPS)
    ).values_list("case_id", "step", "created_at", "on_time"):
        events[case_id].append((step, created_at, on_time))
    late = set(
        CaseEvent.objects.filter(case_id__in=ids, on_time=False).values_list("case_id", flat=True)
    )
    reminders = defaultdict(list)
    for case_id, created_at in Reminder.objects.filter(
        case_id__in=ids, kind=Reminder.Kind.OVERDUE, tier=1
    ).values_list("case_id", "created_at"):
        reminders[case_id].append(created_at)
    approved = defaultdict(set)
    for case_id, kind in DeadlineRequest.objects.filter(
        case_id__in=ids, status=DeadlineRequest.Status.APPROVED
    ).values_list("case_id", "kind"):
        approved[case_id].add(kind)
    closed = [
        pk for pk, c in cases.items() if c["status"] == Status.CLOSED and c["closed_at"] is not None
    ]
    handling = {}
    if closed:
        last = max(timezone.localtime(cases[pk]["closed_at"]).date() for pk in closed)
        handling = {
            pk: spent
            for pk, (_fields, spent) in compute.handling_by_case(
                Case.objects.filter(pk__in=closed).order_by(), last
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
        )
        for pk, case in cases.items()
    }
    return result, {pk: case["updated_at"] for pk, case in cases.items()}


# -- writing ---------------------------------------------------------------------------------
def refresh(case_ids: Iterable[int]) -> int:
    """Bring the rollups of ``case_ids`` up to date with the cases as they are: subtract what
    each contributed, add what it contributes now. Locks the cases' states (one refresher per
    case at a time; call it inside the writer's transaction). Returns how many cases changed
    their contribution."""
    ids = sorted({int(pk) for pk in case_ids})
    changed = 0
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            changed += _refresh_chunk(ids[start : start + CHUNK])
    return changed


def _refresh_chunk(ids: list[int]) -> int:
    epoch = datetime(1970, 1, 1, tzinfo=timezone.get_fixed_timezone(0))
    CaseRollupState.objects.bulk_create(
        [CaseRollupState(case_id=pk, case_updated_at=epoch, data={}) for pk in ids],
        ignore_conflicts=True,
    )
    states = CaseRollupState.objects.filter(case_id__in=ids).order_by("case_id")
    if connection.features.has_select_for_update:
        states = states.select_for_update()
    old = {s.case_id: s for s in states}
    new, versions = _contributions(ids)
    rows: Counter = Counter()
    overlaps: Counter = Counter()
    changed, gone = [], []
    for pk in ids:
        state, after = old[pk], new.get(pk)
        if after is None:
            _add(rows, overlaps, state.data, -1)
            gone.append(pk)
            continue
        if state.data != after:
            _add(rows, overlaps, state.data, -1)
            _add(rows, overlaps, after, +1)
            state.data = after
            changed.append(state)
        elif state.case_updated_at != versions[pk]:
            changed.append(state)
        state.case_updated_at = versions[pk]
    _upsert_rows(rows)
    _upsert_overlaps(overlaps)
    if changed:
        CaseRollupState.objects.bulk_update(changed, ["data", "case_updated_at"], batch_size=500)
    if gone:
        CaseRollupState.objects.filter(case_id__in=gone).delete()
    return len(changed) + len(gone)


def _add(rows: Counter, overlaps: Counter, data: dict, sign: int) -> None:
    if not data:
        return
    key = tuple(data["k"])
    for day, counts in data["d"].items():
        for column, n in counts.items():
            rows[(day, *key, column)] += sign * n
    for figure, first, following in data["o"]:
        overlaps[(*key, figure, first, following)] += sign


def _upsert_rows(rows: Counter) -> None:
    grouped: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    for (*key, column), n in rows.items():
        if n:
            grouped[tuple(key)][column] += n
    if not grouped:
        return
    table = CaseRollup._meta.db_table
    names = ("day", *ROLLUP_KEY, *COLUMNS)
    q = connection.ops.quote_name
    sets = ", ".join(f"{q(c)} = {q(table)}.{q(c)} + excluded.{q(c)}" for c in COLUMNS)
    # In key order: concurrent builders then lock the rows they share in the same order.
    values = [
        (date.fromisoformat(k[0]), *k[1:], *(v[c] for c in COLUMNS))
        for k, v in sorted(grouped.items())
    ]
    conflict = ", ".join(q(c) for c in ("day", *ROLLUP_KEY))
    _upsert(table, names, conflict, sets, values)


def _upsert_overlaps(overlaps: Counter) -> None:
    values = [
        (*key[:5], date.fromisoformat(key[5]), date.fromisoformat(key[6]), n)
        for key, n in sorted(overlaps.items())
        if n
    ]
    if not values:
        return
    table = CaseRollupOverlap._meta.db_table
    names = (*ROLLUP_KEY, "figure", "first", "following", "n")
    conflict = ", ".join(connection.ops.quote_name(c) for c in names[:-1])
    q = connection.ops.quote_name
    _upsert(table, names, conflict, f"{q('n')} = {q(table)}.{q('n')} + excluded.{q('n')}", values)


def _upsert(table: str, names, conflict: str, sets: str, values: list[tuple]) -> None:
    columns = ", ".join(connection.ops.quote_name(c) for c in names)
    row = "(" + ", ".join(["%s"] * len(names)) + ")"
    per = max(1, 30_000 // len(names))
    with connection.cursor() as cursor:
        for start in range(0, len(values), per):
            chunk = values[start : start + per]
            cursor.execute(
                f"INSERT INTO {connection.ops.quote_name(table)} ({columns}) VALUES {', '.join([row] * len(chunk))} "
                f"ON CONFLICT ({conflict}) DO UPDATE SET {sets}",
                [value for r in chunk for value in r],
            )


def catch_up(*, margin: timedelta = CATCH_UP_MARGIN) -> int:
    """Refresh the cases changed since the newest state (less a margin for late commits) whose
    state is older than the case: what writers outside the workflow changed. Cheap when
    nothing did (one index range read). On an empty rollup: builds it."""
    newest = CaseRollupState.objects.aggregate(at=Max("case_updated_at"))["at"]
    changed = Case.objects.order_by()
    if newest is not None:
        changed = changed.filter(updated_at__gte=newest - margin)
    versions = dict(changed.values_list("pk", "updated_at"))
    if not versions:
        return 0
    known = dict(
        CaseRollupState.objects.filter(case_id__in=list(versions)).values_list(
            "case_id", "case_updated_at"
        )
    )
    stale = [pk for pk, at in versions.items() if known.get(pk) != at]
    return refresh(stale) if stale else 0


def rebuild() -> int:
    """Build every rollup again from the cases (after a bulk load). Returns the cases counted."""
    with transaction.atomic():
        CaseRollup.objects.all().delete()
        CaseRollupOverlap.objects.all().delete()
        CaseRollupState.objects.all().delete()
    ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            _build_chunk(ids[start : start + CHUNK])
    return len(ids)


def build_missing(*, first: int | None = None, last: int | None = None) -> int:
    """Count in the cases (ids from ``first`` to ``last``) that have no state yet: a rebuild
    taken up again, or split over several processes by id range (the ranges must not
    overlap). Returns the cases counted."""
    cases = Case.objects.order_by("pk")
    if first is not None:
        cases = cases.filter(pk__gte=first)
    if last is not None:
        cases = cases.filter(pk__lte=last)
    ids = list(cases.values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with transaction.atomic():
            known = set(
                CaseRollupState.objects.filter(case_id__in=chunk).values_list("case_id", flat=True)
            )
            missing = [pk for pk in chunk if pk not in known]
            if missing:
                _build_chunk(missing)
                done += len(missing)
    return done


def _build_chunk(ids: list[int]) -> None:
    """:func:`_refresh_chunk` for cases without a state yet (nothing to subtract, no lock)."""
    new, versions = _contributions(ids)
    rows: Counter = Counter()
    overlaps: Counter = Counter()
    for data in new.values():
        _add(rows, overlaps, data, +1)
    _upsert_rows(rows)
    _upsert_overlaps(overlaps)
    CaseRollupState.objects.bulk_create(
        [
            CaseRollupState(case_id=pk, case_updated_at=versions[pk], data=data)
            for pk, data in new.items()
        ]
    )


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
    something to count. Three queries: the rollup rows, the overlaps, the open cases (left out
    with ``snapshot=False``, for a caller that does not show the snapshot figures)."""
    from casework.stats.compute import Figures

    fields = tuple(fields)
    in_area = Q(area_id__in=source.area_ids())
    result: dict[tuple, Figures] = defaultdict(Figures)
    late: Counter = Counter()
    sums = CaseRollup.objects.filter(in_area, day__gte=period.first, day__lte=period.last)
    for key, row in _grouped(sums, fields, {f"s_{c}": Sum(c) for c in COLUMNS}):
        figures = result[key]
        for figure in (*ROLLUP_DAY_FIGURES, *ROLLUP_EVENT_FIGURES):
            if figure == "acknowledged_late":
                late[key] += row["s_acknowledged_late"] or 0
            else:
                figures.counts[figure] += row[f"s_{figure}"] or 0
        figures.handled += row["s_handled"] or 0
        figures.handling_seconds += (row["s_handling_us"] or 0) / 1_000_000
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
        open_cases = source.cases().filter(status__in=sorted(OPEN_STATUSES))
        counts = {key: Count("pk", filter=FIGURES[key].cases(period, now)) for key in SNAPSHOT}
        for key, row in _grouped(open_cases, fields, counts):
            for figure in SNAPSHOT:
                result[key].counts[figure] += row[figure]
    return {
        key: figures
        for key, figures in result.items()
        if any(figures.counts.values()) or figures.handled
    }


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
    rows = (
        CaseRollup.objects.filter(
            area_id__in=source.area_ids(), day__gte=period.first, day__lte=period.last
        )
        .order_by()
        .values(*fields)
        .annotate(n=Sum("reported"))
    )
    return {_key(row, fields): row["n"] for row in rows if row["n"]}


def per_month(source: Subtree, first: date, last: date) -> dict[date, tuple[int, int]]:
    """Cases filed and closed in each month from ``first`` to ``last`` (local days)."""
    totals: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    rows = (
        CaseRollup.objects.filter(area_id__in=source.area_ids(), day__gte=first, day__lte=last)
        .order_by()
        .values("day")
        .annotate(r=Sum("reported"), c=Sum("closed"))
    )
    for row in rows:
        month = row["day"].replace(day=1)
        totals[month][0] += row["r"] or 0
        totals[month][1] += row["c"] or 0
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
