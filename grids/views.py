from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from governance.scopes import can_change, visible
from grids import selectors
from grids.models import Area


def _visible_area(user, pk: int) -> Area:
    area = visible(user, Area.objects.filter(pk=pk)).first()
    if area is None:
        raise Http404
    return area


@login_required
def tree(request):
    """The area tree browser: the user's top nodes, lazily expanded, and search."""
    query = request.GET.get("q", "").strip()
    context = {"query": query}
    if query:
        context["results"] = selectors.search_areas(request.user, query)
    else:
        context["roots"] = selectors.tree_roots_for(request.user)
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
    features = [_feature(a, role="self") for a in [area] if a.boundary]
    features += [_feature(c, role="child") for c in children if c.boundary]
    context = {
        "area": area,
        "ancestors": selectors.ancestors_of(area),
        "children": children,
        "staff": selectors.staff_for(request.user, area),
        "can_change": can_change(request.user, area),
        "map_data": {
            "features": features,
            "center": [float(area.latitude), float(area.longitude)] if area.latitude else None,
            "tileUrl": settings.MAP_TILE_URL,
            "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        },
    }
    return render(request, "grids/area_detail.html", context)


def _feature(area: Area, *, role: str) -> dict:
    return {
        "type": "Feature",
        "geometry": area.boundary.get("geometry", area.boundary)
        if area.boundary.get("type") == "Feature"
        else area.boundary,
        "properties": {
            "id": area.pk,
            "name": area.name,
            "kind": area.get_kind_display(),
            "role": role,
            "url": f"/areas/{area.pk}/",
        },
    }
