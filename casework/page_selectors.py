"""Reads that only the case pages need: the choices of the filing form, the options of the list
filters and the rows of the Excel export. Like :mod:`casework.selectors`, every queryset is
scoped here and names its joins."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from django.db.models import QuerySet

from casework import selectors, workflow
from casework.models import Case, Category
from casework.services import CASE_AREA_KINDS
from governance.db import chunked
from governance.models import Role
from governance.processcache import ProcessCache
from governance.scopes import departments_for, reachable, scope_of, visible
from grids.models import Area, AreaKind

# Kinds offered in the area filter of the case list: the levels people rank and search by.
# Any deeper area the user may see is still accepted (a link from an area page, say).
FILTER_AREA_KINDS = (AreaKind.DISTRICT, AreaKind.STREET, AreaKind.COMMUNITY, AreaKind.GRID)


def report_areas_for(user) -> QuerySet[Area]:
    """Areas ``user`` may file a case on: the case-area kinds inside the subtrees of their
    reporting roles, in tree order."""
    qs = Area.objects.filter(kind__in=sorted(CASE_AREA_KINDS))
    return reachable(user, qs, workflow.STEPS["report"].roles).order_by(*Area.tree_order())


def default_report_area(user) -> Area | None:
    """Where a new case is filed unless the user says otherwise: a grid worker's own grid,
    else the first node of their reporting scope that a case may be filed on."""
    scope = scope_of(user)
    for role in (Role.GRID_WORKER, *workflow.STEPS["report"].roles):
        for area in scope.areas([role]):
            if area.kind in CASE_AREA_KINDS:
                return area
    return None


# At most this many micro-grids and buildings are sent for the filing form's map and list (a
# grid has a few dozen; a community dispatcher's community a few hundred).
MAX_PLACES = 800
PLACE_KINDS = (AreaKind.MICRO_GRID, AreaKind.BUILDING)


def report_places_for(user, area: Area | None) -> tuple[Area | None, list[Area]]:
    """The micro-grids and buildings a case may be filed on around ``area`` (the form's
    choice, else the user's default): those of its grid (of its community when it lies on no
    grid, of itself when it is a community or grid), in tree order. Returns the base area and
    the places; (None, []) when ``area`` is outside the user's reporting scope."""
    if area is None:
        area = default_report_area(user)
    if area is None or not report_areas_for(user).filter(pk=area.pk).exists():
        return None, []
    base = area
    if area.kind not in (AreaKind.COMMUNITY, AreaKind.GRID):
        above = list(
            Area.objects.filter(
                Area.ancestors_q(area), kind__in=(AreaKind.COMMUNITY, AreaKind.GRID)
            ).order_by(*Area.tree_order())
        )
        base = above[-1] if above else area
    places = report_areas_for(user).filter(Area.subtree_q(base), kind__in=PLACE_KINDS)
    return base, list(places[:MAX_PLACES])


def report_categories() -> QuerySet[Category]:
    """Active categories in tree order (parents included, to group the leaves under them)."""
    return Category.objects.filter(is_active=True).order_by(*Category.tree_order())


def filter_category_choices() -> list[tuple[int, str]]:
    """Options of the list's category filter: every category in tree order, indented by level.
    Kept in the process cache of categories (dropped on any save or delete of one), so that a
    list page runs no query for them."""

    def load() -> list[tuple[int, str]]:
        categories = Category.objects.order_by(*Category.tree_order())
        return [(c.pk, "\u3000" * c.level + c.name) for c in categories]

    return selectors.CATEGORIES.get("filter-choices", load)


# The area and department options of each user's list filter, kept per process (two queries a
# list page, issue 15). Any save or delete of an area, a department or a role assignment drops
# them in every process (casework/apps.py), and so does a tree rebuilt after a bulk load
# (processcache.changed).
FILTER_OPTIONS = ProcessCache("filter-options", max_age=300)


def filter_area_options(user, selected_pk: int | None = None) -> list[tuple[int, int, str]]:
    """:func:`filter_areas_for` as (pk, rank, name), from :data:`FILTER_OPTIONS`."""
    return FILTER_OPTIONS.get(
        ("areas", user.pk, user.is_superuser, selected_pk),
        lambda: [(a.pk, a.rank, a.name) for a in filter_areas_for(user, selected_pk)],
    )


def filter_department_options(user) -> list[tuple[int, str]]:
    """The department filter's options (every department the user may choose, switched off
    ones too), from :data:`FILTER_OPTIONS`."""
    return FILTER_OPTIONS.get(
        ("departments", user.pk, user.is_superuser),
        lambda: [(d.pk, str(d)) for d in departments_for(user, active=False)],
    )


def filter_areas_for(user, selected_pk: int | None = None) -> QuerySet[Area]:
    """Options of the list's area filter: visible areas down to grids, plus the selected one."""
    qs = visible(user, Area.objects.all())
    wanted = qs.filter(kind__in=FILTER_AREA_KINDS)
    if selected_pk:
        wanted = wanted | qs.filter(pk=selected_pk)
    return wanted.order_by(*Area.tree_order())


# What an export row holds (casework.exports reads these keys, plus "reporter"). The statement
# reads the case's own columns and its area's name (the area it joins for the scope anyway);
# the names of its category and that category's group, its community, grid and department
# come from the process caches (:func:`_name_rows`), as a list page's rows do. PostgreSQL spent
# about 5 ms planning the seven-table join of the names for 0.3 ms of execution: an export of
# one case by its number, at a million cases (bench/results/explain.md, issue 15).
EXPORT_FIELDS = (
    "number", "title", "status", "category__name", "category__parent__name",
    "community__name", "grid__name", "area__name", "address", "source", "priority", "holder",
    "department__name", "reported_at", "due_at", "closed_at", "reporter_name", "reporter_id",
    "resolved_on_spot", "rework_count", "satisfaction", "result",
)  # fmt: skip
# The names a row is given from the process caches: field → (the key the statement reads, the
# relation of ``selectors.cached_rows`` it names). The category's group is named from its
# category's row.
_NAMED = {
    "category__name": ("category_id", "category"),
    "community__name": ("community_id", "area"),
    "grid__name": ("grid_id", "area"),
    "department__name": ("department_id", "department"),
}
_EXPORT_COLUMNS = tuple(
    dict.fromkeys(
        _NAMED[field][0] if field in _NAMED else field
        for field in EXPORT_FIELDS
        if field != "category__parent__name"
    )
)


# An export reads its rows in chunks of this many.
EXPORT_CHUNK = 2000


def export_head(queryset: QuerySet[Case], *, chunk_size: int = EXPORT_CHUNK) -> list[dict] | None:
    """The rows of an already scoped, filtered and ordered queryset as :func:`export_rows`
    reads them, when there are at most ``chunk_size``: one plain SELECT of up to one row more,
    which also tells the caller their number (no COUNT before it: a statement planned and run
    for nothing in every export of one chunk, such as a case found by its number). None when
    there are more (count them, then read them with :func:`export_rows`)."""
    rows = list(queryset.values(*_EXPORT_COLUMNS)[: chunk_size + 1])
    return rows if len(rows) <= chunk_size else None


def export_rows(
    queryset: QuerySet[Case],
    *,
    chunk_size: int = EXPORT_CHUNK,
    head: list[dict] | None = None,
) -> Iterator[dict]:
    """The cases of an already scoped and filtered queryset as dicts of :data:`EXPORT_FIELDS`
    (values, no model instance per row; the names of the related rows from the process caches,
    :func:`_name_rows`), read in chunks so that an export of any size holds one chunk in memory.
    ``reporter`` is the name of the user who filed the case (the few such users read once per
    export, not once per row). ``head``, the queryset's rows read by :func:`export_head`, are
    the rows: on PostgreSQL the chunked read is a server-side cursor — DECLARE … WITH HOLD (the
    result materialized at its commit), FETCH, CLOSE — three round trips where one SELECT
    returns the same rows in the same order."""
    from django.contrib.auth import get_user_model

    values = queryset.values(*_EXPORT_COLUMNS)
    rows = iter(head) if head is not None else chunked(values, chunk_size)
    users: dict[int, str] = {}
    while chunk := list(islice(rows, chunk_size)):
        _name_rows(chunk)
        wanted = {r["reporter_id"] for r in chunk if r["reporter_id"] is not None} - users.keys()
        if wanted:
            found = get_user_model().objects.in_bulk(wanted)
            users.update({pk: str(found[pk]) if pk in found else "" for pk in wanted})
        for row in chunk:
            row["reporter"] = users.get(row["reporter_id"], "")
            yield row


def _name_rows(rows: list[dict]) -> None:
    """Give each of ``rows`` (read as :data:`_EXPORT_COLUMNS`) the names of its category, the
    category's group, its community, grid and department in place of their keys, from the
    process caches (``selectors.cached_rows``): no query for what they keep, one per kind of row
    for the rest. Communities and grids are a district's thousand or so; an export never reads
    the areas of its buildings this way (their names come with the statement)."""
    wanted: dict[str, set] = {}
    for key, relation in _NAMED.values():
        wanted.setdefault(relation, set()).update(row[key] for row in rows)
    found = {
        relation: selectors.cached_rows(relation, keys - {None})
        for relation, keys in wanted.items()
    }
    categories = found["category"]
    groups = selectors.cached_rows(
        "category", {c.parent_id for c in categories.values() if c is not None} - {None}
    )
    for row in rows:
        category = categories.get(row["category_id"])
        group = groups.get(category.parent_id) if category is not None else None
        row["category__parent__name"] = group.name if group is not None else None
        for field, (key, relation) in _NAMED.items():
            related = found[relation].get(row.pop(key))
            row[field] = related.name if related is not None else None
