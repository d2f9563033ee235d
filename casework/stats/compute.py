"""Counting the figures of :mod:`casework.stats.figures` over a set of cases.

Aggregate queries, never a query per row: one ``COUNT(...) FILTER (...)`` query per grouping for
every figure at once (the candidates of the period first, see ``figures.candidates_q``), and one
read of the period's closed cases (with their suspensions) for the handling time in working hours.
Tables by child area group by the lowest area and add each up into the child whose tree range
holds it (``TreeModel.enclosing``), so the number of queries does not grow with the number of
children.

The direct count is the definition; the pages, the API and the assessment count an area's
cases from the rollups of :mod:`casework.stats.rollup` (pass a ``rollup.Subtree`` instead of a
queryset), which give the same figures at a cost that does not grow with the cases of the
period (``bench/results/stats.md``; tests/casework/test_stats_rollup.py compares the two).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from casework import clock
from casework.deadlines.models import DeadlineRequest
from casework.models import Case
from casework.stats import rollup
from casework.stats.figures import (
    FIGURE_LIST,
    RATE_LIST,
    RATES,
    candidates_q,
    rate,
)
from casework.stats.periods import Period
from casework.stats.rollup import Subtree
from grids.models import Area

# ``cases`` below: a case queryset (counted directly, the definition) or a ``rollup.Subtree``
# (an area's cases counted from the rollups: the same figures, read fast).


@dataclass
class Figures:
    """The counts of every figure for one group of cases, with the rates and the average
    handling time derived from them."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_KEYS, 0))
    handling_seconds: float = 0.0
    handled: int = 0

    def __getitem__(self, key: str):
        if key in RATES:
            return self.rate(key)
        if key == "handling_hours":
            return self.handling_hours
        return self.counts[key]

    def rate(self, key: str) -> float | None:
        r = RATES[key]
        return rate(self.counts[r.numerator], self.counts[r.denominator])

    @property
    def rates(self) -> dict[str, float | None]:
        return {r.key: self.rate(r.key) for r in RATE_LIST}

    @property
    def handling_hours(self) -> float | None:
        """Average working hours from filing to closing, suspended time left out."""
        if not self.handled:
            return None
        return round(self.handling_seconds / self.handled / 3600, 1)

    def add(self, other: Figures) -> None:
        for key, value in other.counts.items():
            self.counts[key] += value
        self.handling_seconds += other.handling_seconds
        self.handled += other.handled

    def as_dict(self) -> dict:
        return {**self.counts, **self.rates, "handling_hours": self.handling_hours}


_KEYS = tuple(f.key for f in FIGURE_LIST)


def count(
    cases: QuerySet[Case],
    period: Period,
    now: datetime,
    *,
    group_by: str | None = None,
    handled: Handled | None = None,
    snapshot: bool = True,
) -> dict[object, Figures]:
    """The figures of ``cases`` (already scoped) in ``period``, per value of ``group_by`` (a
    field of the case, e.g. ``department_id``), or under the key None for all of them. One
    query for the counts; the handling times are read once (``handling_times``) and may be
    passed in by a caller that groups the same cases several ways. ``snapshot=False``: the
    rollups may leave the snapshot figures out (the caller does not show them)."""
    if isinstance(cases, Subtree):
        fields = () if group_by is None else (group_by,)
        rows = rollup.count_by(cases, period, now, fields, snapshot=snapshot)
        return defaultdict(Figures, {(key[0] if group_by else None): f for key, f in rows.items()})
    qs = cases.filter(candidates_q(period)).order_by()
    aggregates = {f.key: Count("pk", filter=f.cases(period, now)) for f in FIGURE_LIST}
    result: dict[object, Figures] = defaultdict(Figures)
    if group_by is None:
        row = qs.aggregate(**aggregates)
        result[None] = Figures(counts=row)
    else:
        for row in qs.values(group_by).annotate(**aggregates):
            key = row.pop(group_by)
            result[key] = Figures(counts=row)
    if handled is None:
        handled = handling_times(cases, period, now)
    _add_handling_time(handled, group_by, result)
    return result


def count_by(
    cases: QuerySet[Case],
    period: Period,
    now: datetime,
    fields: tuple[str, ...],
    *,
    handled: Handled | None = None,
    snapshot: bool = True,
) -> dict[tuple, Figures]:
    """The figures per combination of ``fields`` (one aggregate query): a page that shows the
    same cases by area, department, category and source reads them once and adds them up with
    :func:`regroup` (every case is in exactly one combination, so the sums are exact)."""
    if isinstance(cases, Subtree):
        return defaultdict(Figures, rollup.count_by(cases, period, now, fields, snapshot=snapshot))
    qs = cases.filter(candidates_q(period)).order_by()
    aggregates = {f.key: Count("pk", filter=f.cases(period, now)) for f in FIGURE_LIST}
    result: dict[tuple, Figures] = defaultdict(Figures)
    for row in qs.values(*fields).annotate(**aggregates):
        key = tuple(row.pop(name) for name in fields)
        result[key] = Figures(counts=row)
    if handled is None:
        handled = handling_times(cases, period, now)
    for values, spent in handled.rows:
        figures = result[tuple(values[name] for name in fields)]
        figures.handling_seconds += spent.total_seconds()
        figures.handled += 1
    return result


def regroup(rows: dict[tuple, Figures], position: int | None) -> dict[object, Figures]:
    """The rows of :func:`count_by` added up by the field at ``position`` (None: all of them,
    under the key None)."""
    result: dict[object, Figures] = defaultdict(Figures)
    for key, figures in rows.items():
        result[None if position is None else key[position]].add(figures)
    return result


def total(
    cases: QuerySet[Case],
    period: Period,
    now: datetime,
    *,
    handled: Handled | None = None,
    snapshot: bool = True,
) -> Figures:
    return count(cases, period, now, handled=handled, snapshot=snapshot)[None]


def by_children(
    cases: QuerySet[Case],
    area: Area,
    period: Period,
    now: datetime,
    *,
    handled: Handled | None = None,
    by_leaf: dict[object, Figures] | None = None,
) -> list[tuple[Area, Figures]]:
    """The figures of each child of ``area`` (a community's grids, say), children in tree
    order, the ones without cases with zeros. Three or four queries whatever the number of
    children (two when the figures by lowest area, ``by_leaf``, are given)."""
    children = list(Area.objects.filter(parent=area).order_by(*Area.tree_order()))
    if by_leaf is None:
        by_leaf = count(cases, period, now, group_by="area_id", handled=handled)
    owner = Area.enclosing(
        Area.objects.within(area, include_self=False), Area.objects.filter(parent=area)
    )
    rows = {child.pk: Figures() for child in children}
    for leaf, figures in by_leaf.items():
        child = owner.get(leaf)
        if child is not None:
            rows[child].add(figures)
    return [(child, rows[child.pk]) for child in children]


# -- handling time ------------------------------------------------------------------------
@dataclass(frozen=True)
class Handled:
    """The closed cases of a period with their handling time: read once, grouped many ways.
    Each row: the case's grouping fields (``area_id``, ``department_id``...) and the time."""

    rows: list[tuple[dict, timedelta]]


_HANDLED_FIELDS = (
    "area_id",
    "department_id",
    "category_id",
    "source",
    "community_id",
    "grid_id",
)


def handling_times(cases: QuerySet[Case], period: Period, now: datetime) -> Handled:
    """Each case closed in ``period`` with its working time from filing to closing, the time
    it spent suspended left out (a suspension across the month's end counts up to its resume).
    Three queries (the cases, their streets, their suspensions); plain rows, no model objects,
    and working time read off one meter per street (``clock.Meters``)."""
    from casework.stats.figures import FIGURES

    if isinstance(cases, Subtree):
        return Handled([])  # the rollups carry the handling times
    closed_qs = cases.filter(FIGURES["closed"].cases(period, now)).order_by()
    return Handled(list(handling_by_case(closed_qs, period.last).values()))


def handling_by_case(
    closed_qs: QuerySet[Case], last, *, meters: clock.Meters | None = None
) -> dict[int, tuple[dict, timedelta]]:
    """The handling time of each closed case of ``closed_qs`` (closed by the local day
    ``last``), by case id: (its grouping fields, the working time). ``meters``: meters kept by
    the caller over many calls (a rollup build: one meter per street for the whole build, not
    one per chunk), used when they cover the days of these cases."""
    rows = list(
        closed_qs.values_list(
            "pk",
            "reported_at",
            "closed_at",
            "street_id",
            "category__around_the_clock",
            *_HANDLED_FIELDS,
        )
    )
    if not rows:
        return {}
    tz = timezone.get_default_timezone()
    first = timezone.localtime(min(row[1] for row in rows), tz).date()
    if meters is None or not meters.covers(first, last):
        meters = clock.Meters(first, last)
    streets = meters.streets
    missing = {row[3] for row in rows} - streets.keys()
    if missing:
        streets.update(Area.objects.using(closed_qs.db).in_bulk(missing))
    by_pk = {row[0]: row for row in rows}
    stopped: dict[int, timedelta] = defaultdict(timedelta)
    suspensions = (
        DeadlineRequest.objects.using(closed_qs.db)
        .filter(
            case__in=closed_qs.values("pk"),
            kind=DeadlineRequest.Kind.SUSPENSION,
            status=DeadlineRequest.Status.APPROVED,
        )
        .values_list("case_id", "decided_at", "resumed_at")
    )
    for case_id, start, end in suspensions:
        _pk, reported, closed, street, around, *_rest = by_pk[case_id]
        end = min(end or closed, closed)
        if start and end > start:
            start = max(start, reported)
            stopped[case_id] += meters.between(
                street=streets[street], around_the_clock=around, start=start, end=end
            )
    result = {}
    for pk, reported, closed, street, around, *fields in rows:
        spent = meters.between(
            street=streets[street], around_the_clock=around, start=reported, end=closed
        )
        spent = max(spent - stopped.get(pk, timedelta()), timedelta())
        result[pk] = (dict(zip(_HANDLED_FIELDS, fields, strict=True)), spent)
    return result


def _add_handling_time(handled: Handled, group_by: str | None, result: dict) -> None:
    for fields, spent in handled.rows:
        figures = result[fields[group_by] if group_by else None]
        figures.handling_seconds += spent.total_seconds()
        figures.handled += 1
