"""Where an outside report belongs: the lowest area whose boundary contains its point.

The areas carry GeoJSON boundaries (Polygon or MultiPolygon, ``[longitude, latitude]``). The
search walks down the tree from the jurisdiction: at each level it reads the children that have a
boundary (one bounded query) and keeps the one containing the point, so a street of 1,500
buildings costs one query per level, never a scan of the street.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from grids.models import Area, AreaKind

# The search stops at buildings: a stairwell is not told apart by a point on a map.
DEEPEST = frozenset({AreaKind.BUILDING, AreaKind.UNIT})
# Kinds a report may be filed on (a community or below); above that it is not placed.
PLACED_KINDS = frozenset(
    {AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.MICRO_GRID, AreaKind.BUILDING, AreaKind.UNIT}
)


@dataclass(frozen=True)
class Placement:
    # Where the case is filed: the lowest node containing the point, or the street itself.
    area: Area | None
    street: Area | None
    placed: bool


def point_in_boundary(boundary, latitude: float, longitude: float) -> bool:
    """True when the point lies inside the GeoJSON Polygon/MultiPolygon (holes excluded)."""
    if isinstance(boundary, dict) and boundary.get("type") == "Feature":
        boundary = boundary.get("geometry")
    if not isinstance(boundary, dict):
        return False
    kind, coordinates = boundary.get("type"), boundary.get("coordinates") or []
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    return any(
        rings
        and _in_ring(rings[0], longitude, latitude)
        and not any(_in_ring(hole, longitude, latitude) for hole in rings[1:])
        for rings in polygons
    )


def _in_ring(ring, x: float, y: float) -> bool:
    """Ray casting: count the edges a ray to the east crosses."""
    inside = False
    try:
        points = [(float(p[0]), float(p[1])) for p in ring]
    except (TypeError, ValueError, IndexError):
        return False
    j = len(points) - 1
    for i, (xi, yi) in enumerate(points):
        xj, yj = points[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def containing_chain(root: Area, latitude: float, longitude: float) -> list[Area]:
    """The nodes below ``root`` that contain the point, from the top down (one query a level)."""
    chain: list[Area] = []
    current = root
    while current.kind not in DEEPEST:
        children = (
            Area.objects.filter(parent=current, boundary__isnull=False)
            .only("pk", "kind", "name", "code", "boundary", "tree_id", "lft", "rght", "level")
            .order_by("code")
        )
        hit = next(
            (c for c in children if point_in_boundary(c.boundary, latitude, longitude)), None
        )
        if hit is None:
            break
        chain.append(hit)
        current = hit
    return chain


def place_point(*, within: Area, latitude: float, longitude: float) -> Placement:
    """Place a point inside ``within`` (a street or a district).

    Raises ValidationError (on ``latitude``) when ``within`` has a boundary and the point lies
    outside it. A point inside no community is not placed: its street (when known) takes it.
    """
    if within.boundary and not point_in_boundary(within.boundary, latitude, longitude):
        raise ValidationError(
            {"latitude": _("The point lies outside %(name)s.") % {"name": within.name}}
        )
    chain = containing_chain(within, latitude, longitude)
    # The chain's nodes carry only what the search needs: the ones kept are read in full.
    wanted = {node.pk for node in chain if node.kind == AreaKind.STREET}
    if chain and chain[-1].kind in PLACED_KINDS:
        wanted.add(chain[-1].pk)
    full = Area.objects.in_bulk(wanted) if wanted else {}
    street = within if within.kind == AreaKind.STREET else None
    street = street or next((full[n.pk] for n in chain if n.kind == AreaKind.STREET), None)
    if chain and chain[-1].kind in PLACED_KINDS:
        return Placement(area=full[chain[-1].pk], street=street, placed=True)
    return Placement(area=None, street=street, placed=False)
