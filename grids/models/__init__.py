"""The grids app's models: the area tree and its staff (areas.py), and the field work beside it."""

from grids.models.areas import (
    CODE_LENGTH,
    KIND_RANK,
    Area,
    AreaKind,
    GridStaff,
    StaffPosition,
    geojson_polygon_problem,
)

__all__ = [
    "CODE_LENGTH",
    "KIND_RANK",
    "Area",
    "AreaKind",
    "GridStaff",
    "StaffPosition",
    "geojson_polygon_problem",
]
