"""The dashboard (数据看板): key figures of a period against the one before, tables by child area
and by department, categories, sources, the 12-month trend, hot spots and repeated reports.

Every number is a link to the case list that it counts (``figure=`` of the case filter). Charts
are SVG drawn on the server (:mod:`casework.stats.charts`): no script, readable printed and on
a phone, nothing loaded from elsewhere.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from casework.models import Category, Source
from casework.stats import charts, compute, maps, panels, periods, ranking, rollup, selectors
from casework.stats.figures import FIGURE_LIST, FIGURES, KEY_FIGURES, RATE_LIST, RATES
from governance import exports
from grids.models import Area

# The fields the period's figures are counted by, once, for every table of the page.
BREAKDOWN = ("area_id", "department_id", "category_id", "source")
# Columns of the tables (by area, department, category, source): the sort keys too.
TABLE_COLUMNS = (
    "reported",
    "closed",
    "open",
    "overdue",
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "on_time_rate",
    "handling_hours",
)


def case_list_url(figure: str, period: periods.Period, **narrow) -> str:
    """The case list of the cases ``figure`` counts in ``period``, narrowed by ``narrow``
    (area, department, category, source)."""
    query = {"figure": figure}
    if not (figure in FIGURES and FIGURES[figure].snapshot):
        query.update(period.query())
    query.update({k: v for k, v in narrow.items() if v not in (None, "")})
    return f"{reverse('casework:list')}?{urlencode(query)}"


def _labels() -> dict:
    return {
        **{k: f.label for k, f in FIGURES.items()},
        **{r.key: r.label for r in RATE_LIST},
        "handling_hours": _("Avg. hours"),
    }


def _cells(figures: compute.Figures, period: periods.Period, narrow: dict) -> list[dict]:
    labels = _labels()
    cells = []
    for key in TABLE_COLUMNS:
        value = figures[key]
        url = None
        if key != "handling_hours":
            url = case_list_url(key, period, **narrow)
        cells.append(
            {
                "key": key,
                "label": labels[key],
                "value": value,
                "url": url,
                "is_rate": key in RATES,
            }
        )
    return cells


def _sorted(rows: list[dict], sort: str) -> list[dict]:
    key = sort.lstrip("-")
    if key not in TABLE_COLUMNS:
        return rows
    reverse_ = sort.startswith("-")
    present = [r for r in rows if r["figures"][key] is not None]
    missing = [r for r in rows if r["figures"][key] is None]
    present.sort(key=lambda r: r["figures"][key], reverse=reverse_)
    return present + missing


def _column_heads(sort: str, prefix: str) -> list[dict]:
    labels = _labels()
    heads = []
    for key in TABLE_COLUMNS:
        current = sort.lstrip("-") == key
        next_sort = key if current and sort.startswith("-") else f"-{key}"
        heads.append(
            {
                "key": key,
                "label": labels[key],
                "sort": next_sort,
                "param": prefix,
                "current": ("desc" if sort.startswith("-") else "asc") if current else "",
            }
        )
    return heads


def _dashboard_scope(request):
    """The area (404 outside the scope), the period and its errors, the cases, now."""
    user = request.user
    if not selectors.can_see_dashboard(user):
        raise PermissionDenied(_("The dashboard is for leaders, the street and the center."))
    area = selectors.dashboard_area(user, request.GET.get("area"))
    if area is None:
        raise Http404(_("No such area, or it is outside your scope."))
    period, period_errors = periods.from_params(request.GET)
    return area, period, period_errors, selectors.stats_source(user, area), timezone.now()


@login_required
@require_GET
def dashboard_export(request):
    """Every table of the dashboard (by area, department, category, source) as one Excel
    sheet, each row with every figure, rate and the handling time."""
    area, period, _errors, cases, now = _dashboard_scope(request)
    handled = compute.handling_times(cases, period, now)
    breakdown = compute.count_by(cases, period, now, BREAKDOWN, handled=handled)
    labels = _labels()
    source_labels = dict(Source.choices)
    by_category = compute.regroup(breakdown, 2)
    categories = Category.objects.in_bulk([pk for pk in by_category if pk is not None])
    tables = [
        (
            _("By area"),
            [
                (child.name, f)
                for child, f in compute.by_children(
                    cases, area, period, now, by_leaf=compute.regroup(breakdown, 0)
                )
            ],
        ),
        (
            _("By department"),
            [
                (d.name, f)
                for d, f in selectors.by_department(
                    cases, period, now, rows=compute.regroup(breakdown, 1)
                )
            ],
        ),
        (
            _("By category"),
            [(categories[pk].name, f) for pk, f in by_category.items() if pk in categories],
        ),
        (
            _("By source"),
            [
                (source_labels.get(s, s), f)
                for s, f in selectors.by_source(
                    cases, period, now, rows=compute.regroup(breakdown, 3)
                )
            ],
        ),
    ]
    columns = [*(f.key for f in FIGURE_LIST), *(r.key for r in RATE_LIST), "handling_hours"]
    rows = [
        [str(table), name, *(figures[key] for key in columns)]
        for table, entries in tables
        for name, figures in entries
    ]
    return exports.spreadsheet_response(
        filename=f"{area.name}-{period.first:%Y%m%d}-{period.last:%Y%m%d}",
        sheet_title=area.name,
        headers=[_("Table"), _("Name"), *(str(labels[key]) for key in columns)],
        rows=rows,
        widths=[12, 22, *([10] * len(columns))],
    )


@login_required
@require_GET
def dashboard(request):
    user = request.user
    area, period, period_errors, cases, now = _dashboard_scope(request)
    handled = compute.handling_times(cases, period, now)
    # One aggregate query for every table of the period, added up per table.
    breakdown = compute.count_by(cases, period, now, BREAKDOWN, handled=handled)
    comparison = selectors.key_figures(
        cases, period, now, current=compute.regroup(breakdown, None)[None]
    )
    current, previous = comparison.current, comparison.previous
    here = {"area": area.pk}

    key_figures = [
        {
            "key": key,
            "label": FIGURES[key].label,
            "help": FIGURES[key].help,
            "value": current[key],
            "previous": None if FIGURES[key].snapshot else previous[key],
            "delta": None if FIGURES[key].snapshot else current[key] - previous[key],
            "url": case_list_url(key, period, **here),
            "snapshot": FIGURES[key].snapshot,
        }
        for key in KEY_FIGURES
    ]
    rates = [
        {
            "key": r.key,
            "label": r.label,
            "help": r.help,
            "value": current.rate(r.key),
            "previous": previous.rate(r.key),
            "numerator": current[r.numerator],
            "denominator": current[r.denominator],
            "url": case_list_url(r.numerator, period, **here),
            "denominator_url": case_list_url(r.denominator, period, **here),
        }
        for r in RATE_LIST
    ]

    area_sort = request.GET.get("area_sort", "")
    child_rows = [
        {
            "name": child.name,
            "kind": child.get_kind_display(),
            "drill": _dashboard_url(request, area=child.pk),
            "figures": figures,
            "cells": _cells(figures, period, {"area": child.pk}),
        }
        for child, figures in compute.by_children(
            cases, area, period, now, by_leaf=compute.regroup(breakdown, 0)
        )
    ]
    department_sort = request.GET.get("department_sort", "")
    department_rows = [
        {
            "name": department.name,
            "figures": figures,
            "cells": _cells(figures, period, {**here, "department": department.pk}),
        }
        for department, figures in selectors.by_department(
            cases, period, now, rows=compute.regroup(breakdown, 1)
        )
    ]
    category_rows = [
        {
            "name": f"{category.parent.name} · {category.name}"
            if category.parent_id
            else category.name,
            "figures": figures,
            "cells": _cells(figures, period, {**here, "category": category.pk}),
        }
        for category, figures in selectors.by_category(
            cases, period, now, rows=compute.regroup(breakdown, 2)
        )
    ]
    source_labels = dict(Source.choices)
    source_rows = [
        {
            "name": source_labels.get(source, source),
            "figures": figures,
            "cells": _cells(figures, period, {**here, "source": source}),
        }
        for source, figures in selectors.by_source(
            cases, period, now, rows=compute.regroup(breakdown, 3)
        )
    ]
    week = periods.preset("week")
    map_context = _map_context(request, cases, area, now)
    hot_areas, hot_categories = selectors.hot_spots(cases, area, week)
    trend = selectors.monthly_trend(cases, period)
    context = {
        "can_rank": bool(ranking.schemes_for(user)),
        "area": area,
        "breadcrumb": selectors.breadcrumb(user, area),
        "roots": selectors.dashboard_roots(user),
        "period": period,
        "previous_period": period.previous(),
        "period_errors": period_errors,
        "presets": periods.PRESETS,
        "key_figures": key_figures,
        "rates": rates,
        "handling_hours": current.handling_hours,
        "previous_handling_hours": previous.handling_hours,
        "closed_url": case_list_url("closed", period, **here),
        "heads_area": _column_heads(area_sort, "area_sort"),
        "heads_department": _column_heads(department_sort, "department_sort"),
        "heads_plain": _column_heads("", ""),
        "child_rows": _sorted(child_rows, area_sort),
        "department_rows": _sorted(department_rows, department_sort),
        "category_rows": category_rows,
        "source_rows": source_rows,
        "trend": trend,
        "trend_chart": charts.trend(trend),
        "category_chart": charts.bars(
            [(row["name"], row["figures"]["reported"]) for row in category_rows]
        ),
        "hot_areas": [(a, n, case_list_url("reported", week, area=a.pk)) for a, n in hot_areas],
        "hot_categories": [
            (c, n, case_list_url("reported", week, area=area.pk, category=c.pk))
            for c, n in hot_categories
        ],
        "week": week,
        "repeated": [
            {
                "building": building,
                "category": category,
                "n": n,
                "url": f"{reverse('casework:list')}?"
                + urlencode(
                    {
                        "area": building.pk,
                        "category": category.pk,
                        "reported_from": first.isoformat(),
                        "reported_to": last.isoformat(),
                    }
                ),
            }
            for building, category, n, first, last in selectors.repeated_reports(cases, period)
        ],
        **map_context,
        "panels": panels.render_panels(request, area),
        "can_wall": selectors.can_make_wall_links(user),
        "query": _keep(request, ("period", "from", "to")),
        "sort_query_area": _keep(request, ("period", "from", "to", "area", "department_sort")),
        "sort_query_department": _keep(request, ("period", "from", "to", "area", "area_sort")),
    }
    return render(request, "casework/stats/dashboard.html", context)


# The colours of the map's bands (low to high density); the legend reads the same list.
MAP_BANDS = ("#fde8d7", "#f9b98f", "#f28b5b", "#d9534f", "#9e1f1a")


def _map_context(request, cases, area: Area, now) -> dict:
    """The map of the dashboard: the children coloured by ``map_state`` cases per 1,000
    households (five equal bands up to the highest), the cases clustered, and the filter.
    Its figures are of now (open, overdue): by child from the rollups' open cases (and the cases
    due from today on), the markers from the located cases themselves."""
    source = cases
    if isinstance(cases, rollup.Subtree):
        cases = cases.cases()
    categories = Category.objects.filter(is_active=True).select_related("parent")
    flt, errors = maps.map_filter(request.GET, categories)
    children = list(Area.objects.filter(parent=area).order_by(*Area.tree_order()))
    keep = {n: request.GET[n] for n in ("period", "from", "to") if request.GET.get(n)}
    keep.update(
        {
            n: request.GET[n]
            for n in ("map_state", "map_category")
            if n not in errors and request.GET.get(n)
        }
    )

    def link(child):
        return f"{reverse('stats:dashboard')}?{urlencode({**keep, 'area': child.pk})}#map"

    features = maps.child_features(source, area, children, flt, now, link)
    top = max((f["properties"]["density"] or 0 for f in features), default=0)
    step = top / len(MAP_BANDS) if top else 0
    for feature in features:
        density = feature["properties"]["density"]
        band = None
        if density is not None:
            band = min(int(density / step), len(MAP_BANDS) - 1) if step else 0
        feature["properties"]["band"] = band
    legend = (
        [
            {"colour": colour, "low": round(i * step, 1), "high": round((i + 1) * step, 1)}
            for i, colour in enumerate(MAP_BANDS)
        ]
        if step
        else []
    )
    found = maps.clusters(cases, area, flt, now)
    return {
        "map_filter": flt,
        "map_errors": errors,
        "map_states": maps.MAP_STATES,
        "map_categories": list(categories.order_by(*Category.tree_order())),
        "map_legend": legend,
        "map_total": maps.cluster_total(found),
        # What a click on a cluster asks for its cases (the same area and filter).
        "map_cases_query": urlencode(
            {
                "area": area.pk,
                **{n: v for n, v in keep.items() if n in ("map_state", "map_category")},
            }
        ),
        "map_data": {
            "self": maps.geometry(area.boundary),
            "features": features,
            "clusters": found,
            "bands": MAP_BANDS,
            "center": [float(area.latitude), float(area.longitude)]
            if area.latitude is not None
            else None,
            "tileUrl": settings.MAP_TILE_URL,
            "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        },
    }


# How many cases the panel of a clicked cluster lists (the full list is a link away).
MAP_LISTED = 50


@login_required
@require_GET
def dashboard_map_cases(request):
    """The cases of one cluster of the dashboard's map (``cell`` = ``cy,cx`` of the cluster, with
    the map's ``area``, ``map_state`` and ``map_category``), newest first, at most MAP_LISTED,
    as JSON for the panel under the map: number, category, state, overdue now, the case page;
    with their number and the case list of the cluster's box. Bad parameters: 400 naming them."""
    area, _period, _errors, cases, now = _dashboard_scope(request)
    if isinstance(cases, rollup.Subtree):
        cases = cases.cases()
    flt, errors = maps.map_filter(request.GET, Category.objects.filter(is_active=True))
    cell = maps.parse_cell(request.GET.get("cell", ""))
    if cell is None:
        errors["cell"] = _("Choose a group of cases on the map.")
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    found, box = maps.cell_cases(cases, area, flt, now, cell)
    rows = list(found.select_related("category")[:MAP_LISTED])
    total = found.count() if len(rows) == MAP_LISTED else len(rows)
    query = {"area": area.pk, "figure": flt.state}
    if flt.category is not None:
        query["category"] = flt.category.pk
    if box is not None:
        query["box"] = ",".join(f"{v:.6f}" for v in box)
    return JsonResponse(
        {
            "total": total,
            "cases": [
                {
                    "number": case.number,
                    "category": case.category.name,
                    "status": str(case.get_status_display()),
                    "overdue": case.is_overdue(now),
                    "url": reverse("casework:detail", args=[case.pk]),
                }
                for case in rows
            ],
            "list_url": f"{reverse('casework:list')}?{urlencode(query)}",
        }
    )


def _keep(request, names) -> str:
    return urlencode({n: request.GET[n] for n in names if request.GET.get(n)})


def _dashboard_url(request, **changes) -> str:
    query = {n: request.GET[n] for n in ("period", "from", "to") if request.GET.get(n)}
    query.update(changes)
    return f"{reverse('stats:dashboard')}?{urlencode(query)}"
