from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from governance.scopes import can_change, visible
from grids import selectors
from grids.models import Area, AreaKind, GridStaff

SEARCH_LIMIT = 50
# Children drawn with a permanent label on the map; more would cover the boundaries.
MAP_LABEL_LIMIT = 12


def _visible_area(user, pk: int) -> Area:
    area = visible(user, Area.objects.filter(pk=pk)).first()
    if area is None:
        raise Http404
    return area


@login_required
def tree(request):
    """The area tree browser: the user's top nodes, lazily expanded, and search.

    A user with a single top node (the usual case) sees its children already opened.
    """
    query = request.GET.get("q", "").strip()[:100]
    context = {"query": query}
    if query:
        results = selectors.search_areas(request.user, query, limit=SEARCH_LIMIT + 1)
        context["results"] = results[:SEARCH_LIMIT]
        context["more_results"] = len(results) > SEARCH_LIMIT
        context["search_limit"] = SEARCH_LIMIT
    else:
        roots = selectors.tree_roots_for(request.user)
        context["roots"] = roots
        if len(roots) == 1 and roots[0].child_count:
            context["open_root"] = roots[0]
            context["open_children"] = selectors.children_for(request.user, roots[0])
    return render(request, "grids/tree.html", context)


@login_required
def tree_children(request, pk: int):
    """HTML fragment: the children of one node, for lazy expansion in the tree browser."""
    area = _visible_area(request.user, pk)
    return render(
        request,
        "grids/_tree_nodes.html",
        {"nodes": selectors.children_for(request.user, area)},
    )


@login_required
def area_detail(request, pk: int):
    area = _visible_area(request.user, pk)
    children = list(selectors.children_for(request.user, area))
    # Grid leader first, then the workers, then building leaders: the order of the positions.
    rank = {position: i for i, position in enumerate(GridStaff.Position.values)}
    staff = sorted(
        selectors.staff_for(request.user, area), key=lambda s: (rank[s.position], s.name)
    )
    features = [_feature(area, role="self")] if area.boundary else []
    features += [_feature(c, role="child", parent=area) for c in children if c.boundary]
    context = {
        "area": area,
        "ancestors": selectors.ancestors_of(area),
        "children": children,
        "kind_counts": [(AreaKind(kind).label, n) for kind, n in selectors.kind_counts_below(area)],
        "staff": staff,
        "staff_below": len(staff) + sum(c.staff_below for c in children),
        "can_change": can_change(request.user, area),
        "map_data": {
            "features": features,
            "center": [float(area.latitude), float(area.longitude)]
            if area.latitude is not None
            else None,
            "labels": len(children) <= MAP_LABEL_LIMIT,
            "tileUrl": settings.MAP_TILE_URL,
            "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        },
    }
    return render(request, "grids/area_detail.html", context)


def _feature(area: Area, *, role: str, parent: Area | None = None) -> dict:
    boundary = area.boundary
    label = _short_label(area.name, parent.name) if parent else area.name
    geometry = boundary.get("geometry") if boundary.get("type") == "Feature" else boundary
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "id": area.pk,
            "name": area.name,
            "label": label,
            "kind": area.get_kind_display(),
            "role": role,
            "url": reverse("grids:area", args=[area.pk]),
        },
    }


def _short_label(name: str, parent_name: str) -> str:
    """The child's name without the part it shares with its parent, for map labels that fit
    small areas: 青松里第1网格 in 青松里社区 reads 第1网格, 青松里12号楼 in 青松里1-1微网格 reads
    12号楼. A cut inside a number, or one leaving no number or 第 in front, keeps the full name."""
    shared = 0
    for a, b in zip(name, parent_name, strict=False):
        if a != b:
            break
        shared += 1
    while 0 < shared < len(name) and name[shared - 1].isdigit() and name[shared].isdigit():
        shared -= 1
    rest = name[shared:]
    if shared and rest and (rest[0].isdigit() or rest[0] == "第"):
        return rest
    return name
