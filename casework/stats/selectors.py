"""Reads of the statistics pages and API: whose dashboard on which area, and the tables of it.

Every read starts from the cases the user may see (``governance.scopes.visible``) inside the
chosen area's subtree, and counts through :mod:`casework.stats.compute`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from casework.models import Case, Category
from casework.stats import compute, rollup
from casework.stats.compute import Figures
from casework.stats.figures import FIGURE_LIST
from casework.stats.periods import Period
from governance.models import Department, Role
from governance.scopes import scope_of, visible
from grids.models import Area, AreaKind

# Who has a dashboard: the leaders, the street and its center, and a community's dispatcher for
# their community.
DASHBOARD_ROLES = frozenset(
    {Role.VIEWER, Role.STREET_ADMIN, Role.CENTER_SUPERVISOR, Role.COMMUNITY_DISPATCHER}
)
# The same problem in the same building this many times within REPEAT_DAYS: it keeps coming back.
REPEAT_MIN = 3
REPEAT_DAYS = 30
HOT_SPOTS = 5
TOP_CATEGORIES = 10
TREND_MONTHS = 12


def can_see_dashboard(user) -> bool:
    return scope_of(user).has_role(*DASHBOARD_ROLES)


def can_make_wall_links(user) -> bool:
    """Street administrators make the wall screen's links."""
    return scope_of(user).has_role(Role.STREET_ADMIN)


def dashboard_roots(user) -> list[Area]:
    """The areas a user's dashboard starts from (their dashboard roles' scopes; the roots of
    the tree for a superuser)."""
    scope = scope_of(user)
    if scope.is_superuser:
        return list(Area.objects.filter(parent__isnull=True).order_by(*Area.tree_order()))
    return sorted(scope.areas(DASHBOARD_ROLES), key=lambda a: a.tree_position)


def dashboard_area(user, pk) -> Area | None:
    """Area ``pk`` if it lies inside the user's dashboard scope (the first root when ``pk`` is
    empty), else None."""
    roots = dashboard_roots(user)
    if not pk:
        return roots[0] if roots else None
    if not str(pk).isdigit():
        return None
    area = Area.objects.filter(pk=pk).first()
    if area is None or not any(area.is_within(root) for root in roots):
        return None
    return area


def cases_in(user, area: Area) -> QuerySet[Case]:
    """The cases of ``area``'s subtree that ``user`` may see."""
    return visible(user, Case.objects.all()).filter(Area.subtree_q(area, prefix="area__"))


def stats_source(user, area: Area) -> rollup.Subtree:
    """What the statistics of ``area`` count, read from the rollups: every case of its subtree.
    The same cases as :func:`cases_in`, for ``area`` lies in one of the user's dashboard
    roots (:func:`dashboard_area`) and every dashboard role sees every case of its subtree."""
    return rollup.Subtree.of(area)


def breadcrumb(user, area: Area) -> list[Area]:
    """The areas from the user's dashboard root down to ``area`` (one query)."""
    roots = dashboard_roots(user)
    root = next((r for r in roots if area.is_within(r)), area)
    ancestors = Area.objects.filter(
        Area.ancestors_q(area, include_self=True), lft__gte=root.lft
    ).order_by("lft")
    return list(ancestors)


@dataclass
class Comparison:
    current: Figures
    previous: Figures


def key_figures(
    cases: QuerySet[Case], period: Period, now: datetime, handled=None, current=None
) -> Comparison:
    """The period's figures (``current`` when already counted) and the previous period's. The
    snapshot figures describe the cases now, whatever the period: the previous period's are
    the current ones, not counted again."""
    current = current or compute.total(cases, period, now, handled=handled)
    previous = compute.total(cases, period.previous(), now, snapshot=False)
    for figure in FIGURE_LIST:
        if figure.snapshot:
            previous.counts[figure.key] = current.counts[figure.key]
    return Comparison(current, previous)


def by_department(cases: QuerySet[Case], period: Period, now: datetime, handled=None, rows=None):
    """(department, figures) for every department with a case in the period, by name
    (``rows``: the figures by department already counted)."""
    if rows is None:
        rows = compute.count(cases, period, now, group_by="department_id", handled=handled)
    departments = Department.objects.in_bulk([pk for pk in rows if pk is not None])
    return sorted(
        ((departments[pk], figures) for pk, figures in rows.items() if pk in departments),
        key=lambda row: row[0].name,
    )


def by_category(
    cases: QuerySet[Case],
    period: Period,
    now: datetime,
    handled=None,
    rows=None,
    *,
    limit=TOP_CATEGORIES,
):
    """The categories with the most cases filed in the period, most first."""
    if rows is None:
        rows = compute.count(cases, period, now, group_by="category_id", handled=handled)
    top = sorted(
        ((pk, f) for pk, f in rows.items() if f["reported"]), key=lambda r: -r[1]["reported"]
    )[:limit]
    categories = Category.objects.select_related("parent").in_bulk([pk for pk, _f in top])
    return [(categories[pk], figures) for pk, figures in top]


def by_source(cases: QuerySet[Case], period: Period, now: datetime, handled=None, rows=None):
    if rows is None:
        rows = compute.count(cases, period, now, group_by="source", handled=handled)
    return sorted(rows.items(), key=lambda r: -r[1]["reported"])


def monthly_trend(cases: QuerySet[Case], last: Period, *, months: int = TREND_MONTHS) -> list:
    """Cases filed and closed in each of the ``months`` months up to ``last``'s month: two
    grouped queries. Rows: (first day of the month, reported, closed)."""
    end_month = last.last.replace(day=1)
    first = end_month
    for _i in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    end = last.end
    tz = timezone.get_current_timezone()

    def per_month(field: str, extra: Q) -> dict:
        qs = (
            cases.filter(extra, **{f"{field}__gte": start, f"{field}__lt": end})
            .order_by()
            .annotate(month=TruncMonth(field, tzinfo=tz))
            .values("month")
            .annotate(n=Count("pk"))
        )
        return {_as_date(row["month"]): row["n"] for row in qs}

    if isinstance(cases, rollup.Subtree):
        months_ = rollup.per_month(cases, first, last.last)
        reported = {m: r for m, (r, _c) in months_.items()}
        closed = {m: c for m, (_r, c) in months_.items()}
    else:
        reported = per_month("reported_at", Q())
        closed = per_month("closed_at", Q(status=Case.Status.CLOSED))
    rows = []
    day = first
    while day <= end_month:
        rows.append((day, reported.get(day, 0), closed.get(day, 0)))
        day = (day + timedelta(days=32)).replace(day=1)
    return rows


def _as_date(value):
    return value.date() if isinstance(value, datetime) else value


def hot_spots(cases: QuerySet[Case], area: Area, period: Period, *, limit=HOT_SPOTS):
    """The grids (or, in a grid, its children) and the categories with the most cases filed in
    ``period``: ([(area, n)], [(category, n)])."""
    if isinstance(cases, rollup.Subtree):
        per_leaf = {k[0]: n for k, n in rollup.reported_by(cases, period, ("area_id",)).items()}
        by_category = rollup.reported_by(cases, period, ("category_id",))
        top_categories = [
            {"category_id": k[0], "n": n}
            for k, n in sorted(by_category.items(), key=lambda r: (-r[1], r[0][0]))[:limit]
        ]
    else:
        filed = cases.filter(reported_at__gte=period.start, reported_at__lt=period.end).order_by()
        per_leaf = dict(filed.values_list("area_id").annotate(n=Count("pk")))
        top_categories = list(
            filed.values("category_id")
            .annotate(n=Count("pk"))
            .order_by("-n", "category_id")[:limit]
        )
    kind_rank = list(AreaKind.values)
    if area.kind in kind_rank[: kind_rank.index(AreaKind.GRID)]:
        containers = Area.objects.within(area, include_self=False).filter(kind=AreaKind.GRID)
    else:
        containers = Area.objects.filter(parent=area)
    owner = Area.enclosing(Area.objects.within(area), containers)
    totals: dict[int, int] = {}
    for leaf, n in per_leaf.items():
        if leaf in owner:
            totals[owner[leaf]] = totals.get(owner[leaf], 0) + n
    top = sorted(totals.items(), key=lambda r: -r[1])[:limit]
    areas = Area.objects.in_bulk([pk for pk, _n in top])
    categories = Category.objects.in_bulk([row["category_id"] for row in top_categories])
    return (
        [(areas[pk], n) for pk, n in top],
        [(categories[row["category_id"]], row["n"]) for row in top_categories],
    )


def repeated_reports(cases: QuerySet[Case], period: Period):
    """Same category in the same building, REPEAT_MIN or more times in the REPEAT_DAYS days up
    to the end of ``period``: (building, category, n, first day, last day), most first."""
    last = period.last
    first = last - timedelta(days=REPEAT_DAYS - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    if isinstance(cases, rollup.Subtree):
        counted = rollup.reported_by(cases, Period(first, last), ("area_id", "category_id"))
        often = {k: n for k, n in counted.items() if n >= REPEAT_MIN}
        buildings = set(
            Area.objects.filter(pk__in={k[0] for k in often}, kind=AreaKind.BUILDING).values_list(
                "pk", flat=True
            )
        )
        rows = [
            {"area_id": a, "category_id": c, "n": n}
            for (a, c), n in sorted(often.items(), key=lambda r: (-r[1], r[0]))
            if a in buildings
        ][:20]
    else:
        rows = _repeated_rows(cases, start, period)
    areas = Area.objects.in_bulk([r["area_id"] for r in rows])
    categories = Category.objects.in_bulk([r["category_id"] for r in rows])
    return [(areas[r["area_id"]], categories[r["category_id"]], r["n"], first, last) for r in rows]


def _repeated_rows(cases, start, period) -> list[dict]:
    return list(
        cases.filter(
            area__kind=AreaKind.BUILDING, reported_at__gte=start, reported_at__lt=period.end
        )
        .order_by()
        .values("area_id", "category_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=REPEAT_MIN)
        .order_by("-n", "area_id", "category_id")[:20]
    )
