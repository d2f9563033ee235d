"""Reads of the area tree. Every queryset is scoped and names its joins here."""

from __future__ import annotations

from functools import cache

from django.db.models import Count, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from governance import pinyin
from governance.scopes import scope_of, visible
from grids.models import KIND_RANK, Area, GridStaff


def area_list_for(user) -> QuerySet[Area]:
    return visible(user, Area.objects.all()).order_by(*Area.tree_order())


def tree_roots_for(user) -> list[Area]:
    """The top nodes this user may browse: their scope nodes, without ones nested in others."""
    scope = scope_of(user)
    if scope.is_superuser:
        return list(_counted().filter(parent__isnull=True).order_by("code"))
    areas = sorted({a.pk: a for a in scope.areas()}.values(), key=lambda a: a.tree_position)
    tops = [a for a in areas if not any(o is not a and a.is_within(o) for o in areas)]
    return list(_counted().filter(pk__in=[a.pk for a in tops]).order_by("code"))


@cache
def _counted() -> QuerySet[Area]:
    """Every area :func:`with_counts`, built once a process and never run itself: the tree's
    reads filter a copy of it. Building the counts' three subqueries was a tenth of the tree
    page's CPU, twice a page."""
    return with_counts(Area.objects.all())


def with_counts(queryset: QuerySet[Area]) -> QuerySet[Area]:
    """Annotate child and staff counts; the descendant count comes from the node itself.

    Each count is a correlated subquery (no GROUP BY over the row, boundary included): the list
    stays one query. ``staff_below`` counts the staff of the node and of its whole subtree
    with a range condition on the tree.
    """
    children = Area.objects.filter(parent=OuterRef("pk"))
    own_staff = GridStaff.objects.filter(area=OuterRef("pk"))
    staff_below = GridStaff.objects.filter(Area.outer_subtree_q(prefix="area__"))
    return queryset.with_descendant_count().annotate(
        child_count=_count(children),
        staff_count=_count(own_staff),
        staff_below=_count(staff_below),
    )


def _count(queryset: QuerySet) -> Coalesce:
    counted = queryset.order_by().annotate(n=Func("pk", function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def kind_counts_below(area: Area) -> list[tuple[str, int]]:
    """How many nodes of each kind lie below ``area`` (kind value, count), top kinds first."""
    rows = (
        Area.objects.within(area, include_self=False)
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
    )
    counts = {row["kind"]: row["n"] for row in rows}
    return [(kind, counts[kind]) for kind in KIND_RANK if kind in counts]


def children_for(user, area: Area) -> QuerySet[Area]:
    return visible(user, _counted().filter(parent=area)).order_by("code")


def search_areas(user, text: str, *, limit: int = 50) -> list[Area]:
    """Areas whose name or code matches, each with ``ancestors`` read in one extra query."""
    text = text.strip()
    if not text:
        return []
    results = list(
        visible(user, Area.objects.filter(pinyin.name_q(text) | Q(code__startswith=text))).order_by(
            *Area.tree_order()
        )[:limit]
    )
    ancestors = Area.ancestors_of_many(results)
    for area in results:
        area.ancestor_list = ancestors[area.pk]
    return results


def ancestors_of(area: Area) -> list[Area]:
    return list(Area.objects.filter(Area.ancestors_q(area)).order_by(*Area.tree_order()))


def staff_for(user, area: Area) -> QuerySet[GridStaff]:
    return (
        visible(user, GridStaff.objects.filter(area=area))
        .select_related("user")
        .order_by("position", "name_sort", "name")
    )


def staff_list_for(user) -> QuerySet[GridStaff]:
    return visible(user, GridStaff.objects.all()).select_related("area", "user")


def subtree_for(user, area: Area, *, depth: int) -> list[Area]:
    """The subtree under ``area`` down to ``depth`` levels, in tree order, in one query."""
    return list(visible(user, Area.objects.within(area, depth=depth)).order_by(*Area.tree_order()))
