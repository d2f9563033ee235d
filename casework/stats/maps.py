"""The case map of the dashboard and the wall screen: the child areas coloured by open or overdue
cases per 1,000 households, and the cases themselves clustered on a grid.

Households are the households registered in the grids app (``grids.models.Household``), added up
into each child through its tree range (``TreeModel.enclosing``); open and overdue are the
figures of :mod:`casework.stats.figures`, never restated here. Clustering is done by the
database: the cases are grouped by a cell of a fixed grid over the area's extent (one GROUP BY),
so a district with a million cases sends a few hundred clusters with exact counts, not the points.
The grouping reads the partial covering index ``case_open_located`` (area, coordinates, due time,
category of the located open cases) alone — an index-only scan and a hash aggregate, no case row
visited; the numbers of the clusters of one case are read by id afterwards (bench/stats.py,
bench/results/stats.md).
A cluster of one is the case itself. Drilling into a child area (its dashboard) clusters again on
the child's smaller extent. Every query is bounded: the number of children does not add any.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Avg, Count, FloatField, Max, Min, QuerySet
from django.db.models.functions import Cast, Floor
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from casework.models import Case, Category
from casework.stats import rollup
from casework.stats.figures import FIGURES
from grids.models import Area, Household

# What the map shows: the cases open now, or only the overdue ones.
MAP_STATES = {"open": _("Open cases"), "overdue": _("Overdue")}
# Columns of the clustering grid over the area's extent.
GRID_CELLS = 24
# Keep the answer small whatever the area: the most crowded clusters first.
MAX_CLUSTERS = 600


@dataclass(frozen=True)
class MapFilter:
    state: str = "open"
    category: Category | None = None


def map_filter(params, categories: QuerySet[Category]) -> tuple[MapFilter, dict[str, str]]:
    """The map's filter from query parameters ``map_state`` and ``map_category`` (a category
    id; its subcategories count too), with an error per bad parameter (then the default)."""
    errors: dict[str, str] = {}
    state = params.get("map_state") or "open"
    if state not in MAP_STATES:
        errors["map_state"] = str(_("Choose open or overdue."))
        state = "open"
    category = None
    raw = params.get("map_category") or ""
    if raw:
        if raw.isdigit():
            category = categories.filter(pk=raw).first()
        if category is None:
            errors["map_category"] = str(_("No such category."))
    return MapFilter(state, category), errors


def _filtered(cases: QuerySet[Case], flt: MapFilter, now: datetime) -> QuerySet[Case]:
    qs = cases.filter(FIGURES[flt.state].cases(None, now))
    if flt.category is not None:
        qs = qs.filter(Category.subtree_q(flt.category, prefix="category__"))
    return qs.order_by()


def _households_by_leaf(area: Area) -> dict[int, int]:
    return dict(
        Household.objects.filter(Area.subtree_q(area, prefix="area__"))
        .order_by()
        .values_list("area_id")
        .annotate(n=Count("pk"))
    )


def _owners(area: Area) -> dict[int, int]:
    """Each node below ``area`` → the child of ``area`` holding it (two queries reading tree
    ranges, no IN list of a district's buildings)."""
    return Area.enclosing(
        Area.objects.within(area, include_self=False), Area.objects.filter(parent=area)
    )


def households_by_child(area: Area, children: list[Area]) -> dict[int, int]:
    """Households registered under each child of ``area`` (three queries)."""
    per_leaf = _households_by_leaf(area)
    owner = _owners(area)
    totals = {child.pk: 0 for child in children}
    for leaf, n in per_leaf.items():
        child = owner.get(leaf)
        if child in totals:
            totals[child] += n
    return totals


def geometry(boundary: dict | None) -> dict | None:
    """The GeoJSON geometry of an area's boundary (stored as a geometry or as a Feature)."""
    if not boundary:
        return None
    return boundary.get("geometry") if boundary.get("type") == "Feature" else boundary


def per_thousand(count: int, households: int) -> float | None:
    if not households:
        return None
    return round(1000 * count / households, 1)


def child_features(
    cases: QuerySet[Case], area: Area, children: list[Area], flt: MapFilter, now: datetime, link
) -> list[dict]:
    """GeoJSON features of the children with a boundary: their households, open and overdue
    cases now (narrowed by the category of ``flt``) and the density of ``flt.state`` per 1,000
    households. ``link(child)`` gives the URL a click opens."""
    households_by_leaf = _households_by_leaf(area)
    if isinstance(cases, rollup.Subtree):
        # The open cases by lowest area from the rollups (not every open case read).
        per_leaf = {
            key[0]: counts
            for key, counts in rollup.snapshot_by(
                cases, now, ("area_id",), category=flt.category
            ).items()
        }
    else:
        narrowed = cases
        if flt.category is not None:
            narrowed = narrowed.filter(Category.subtree_q(flt.category, prefix="category__"))
        per_leaf = {
            row["area_id"]: row
            for row in narrowed.filter(FIGURES["open"].cases(None, now))
            .order_by()
            .values("area_id")
            .annotate(
                open=Count("pk"),
                overdue=Count("pk", filter=FIGURES["overdue"].cases(None, now)),
            )
        }
    # One walk of the tree for both the households and the cases.
    owner = _owners(area)
    households = {child.pk: 0 for child in children}
    for leaf, n in households_by_leaf.items():
        if owner.get(leaf) in households:
            households[owner[leaf]] += n
    counts = {child.pk: {"open": 0, "overdue": 0} for child in children}
    for leaf, row in per_leaf.items():
        child = owner.get(leaf)
        if child in counts:
            counts[child]["open"] += row["open"]
            counts[child]["overdue"] += row["overdue"]
    features = []
    for child in children:
        if not child.boundary:
            continue
        n = counts[child.pk]
        features.append(
            {
                "type": "Feature",
                "geometry": geometry(child.boundary),
                "properties": {
                    "id": child.pk,
                    "name": child.name,
                    "households": households[child.pk],
                    "open": n["open"],
                    "overdue": n["overdue"],
                    "density": per_thousand(n[flt.state], households[child.pk]),
                    "url": link(child),
                },
            }
        )
    return features


def _extent(area: Area, qs: QuerySet[Case]) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) of the area's boundary, else of the cases' locations."""
    points = list(_coordinates(area.boundary)) if area.boundary else []
    if points:
        lngs = [p[0] for p in points]
        lats = [p[1] for p in points]
        return min(lats), min(lngs), max(lats), max(lngs)
    box = qs.aggregate(s=Min("latitude"), w=Min("longitude"), n=Max("latitude"), e=Max("longitude"))
    if box["s"] is None:
        return None
    return float(box["s"]), float(box["w"]), float(box["n"]), float(box["e"])


def _coordinates(geojson):
    if isinstance(geojson, dict):
        if geojson.get("type") == "Feature":
            yield from _coordinates(geojson.get("geometry"))
        else:
            yield from _coordinates(geojson.get("coordinates"))
    elif isinstance(geojson, list | tuple):
        if len(geojson) >= 2 and all(isinstance(v, int | float) for v in geojson[:2]):
            yield float(geojson[0]), float(geojson[1])
        else:
            for part in geojson:
                yield from _coordinates(part)


@dataclass(frozen=True)
class Grid:
    """The clustering grid over an area's extent: cell (cy, cx) holds the points with
    ``south + cy * size <= lat < south + (cy + 1) * size``, the same for longitude."""

    south: float
    west: float
    size: float

    def cell_of(self, qs: QuerySet[Case]) -> QuerySet[Case]:
        lat = Cast("latitude", FloatField())
        lng = Cast("longitude", FloatField())
        return qs.annotate(
            cy=Floor((lat - self.south) / self.size), cx=Floor((lng - self.west) / self.size)
        )

    def box(self, cy: int, cx: int) -> tuple[float, float, float, float]:
        """(south, west, north, east) of a cell, rounded outwards to the 6 decimals the cases'
        coordinates have (a case within 0.000001° of an edge may show in both neighbours' box)."""
        return (
            math.floor((self.south + cy * self.size) * 1e6) / 1e6,
            math.floor((self.west + cx * self.size) * 1e6) / 1e6,
            math.ceil((self.south + (cy + 1) * self.size) * 1e6) / 1e6,
            math.ceil((self.west + (cx + 1) * self.size) * 1e6) / 1e6,
        )


def _located(cases: QuerySet[Case], flt: MapFilter, now: datetime) -> QuerySet[Case]:
    return _filtered(cases, flt, now).filter(latitude__isnull=False, longitude__isnull=False)


def _grid(area: Area, qs: QuerySet[Case]) -> Grid | None:
    extent = _extent(area, qs)
    if extent is None:
        return None
    south, west, north, east = extent
    return Grid(south, west, max(north - south, east - west) / GRID_CELLS or 0.001)


def clusters(cases: QuerySet[Case], area: Area, flt: MapFilter, now: datetime) -> list[dict]:
    """The located cases of ``flt`` grouped by cell of a GRID_CELLS grid over the area's
    extent: one query (two when the area has no boundary). Each cluster: its count, mean
    position and cell (``[cy, cx]``, what :func:`cell_cases` lists); a cluster of one case also
    carries its page."""
    qs = _located(cases, flt, now)
    grid = _grid(area, qs)
    if grid is None:
        return []
    lat = Cast("latitude", FloatField())
    lng = Cast("longitude", FloatField())
    rows = (
        grid.cell_of(qs)
        .values("cy", "cx")
        .annotate(
            n=Count("pk"),
            lat=Avg(lat),
            lng=Avg(lng),
            first=Min("pk"),
        )
        .order_by("-n", "cy", "cx")[:MAX_CLUSTERS]
    )
    rows = list(rows)
    # The numbers of the clusters of one case, by their ids (at most MAX_CLUSTERS rows): the
    # grouping itself reads the index of the located open cases alone, not the cases' rows.
    singles = [row["first"] for row in rows if row["n"] == 1]
    numbers = (
        dict(Case.objects.filter(pk__in=singles).order_by().values_list("pk", "number"))
        if singles
        else {}
    )
    result = []
    for row in rows:
        cluster = {
            "n": row["n"],
            "lat": round(row["lat"], 6),
            "lng": round(row["lng"], 6),
            "cell": [int(row["cy"]), int(row["cx"])],
        }
        if row["n"] == 1:
            cluster["url"] = reverse("casework:detail", args=[row["first"]])
            cluster["number"] = numbers.get(row["first"], "")
        result.append(cluster)
    return result


def parse_cell(raw: str) -> tuple[int, int] | None:
    """``"cy,cx"`` (two whole numbers within the grid) → the cell, else None."""
    parts = (raw or "").split(",")
    if len(parts) != 2 or not all(p.strip().lstrip("-").isdigit() for p in parts):
        return None
    cy, cx = (int(p) for p in parts)
    # Cases outside the area's outline (its boundary drawn loosely) fall a few cells beyond.
    if not all(-GRID_CELLS <= v <= 2 * GRID_CELLS for v in (cy, cx)):
        return None
    return cy, cx


def cell_cases(
    cases: QuerySet[Case], area: Area, flt: MapFilter, now: datetime, cell: tuple[int, int]
) -> tuple[QuerySet[Case], tuple[float, float, float, float] | None]:
    """The cases of one cluster (the cell ``cell`` of :func:`clusters`' grid), newest first,
    with the cell's box (None when nothing is located). The box narrows by the location index;
    the cell's own test makes the answer exactly the cluster's cases."""
    qs = _located(cases, flt, now)
    grid = _grid(area, qs)
    if grid is None:
        return qs.none(), None
    cy, cx = cell
    south, west, north, east = grid.box(cy, cx)
    found = (
        grid.cell_of(
            qs.filter(
                latitude__gte=south, latitude__lte=north, longitude__gte=west, longitude__lte=east
            )
        )
        .filter(cy=cy, cx=cx)
        .order_by("-reported_at", "-pk")
    )
    return found, (south, west, north, east)


def cluster_total(found: list[dict]) -> int:
    return sum(c["n"] for c in found)
