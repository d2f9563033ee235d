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
from grids.models.dangers import (
    OPEN_DANGER_STATES,
    STATE_STAGE,
    DangerCategory,
    DangerReminder,
    DangerStage,
    DangerState,
    HiddenDanger,
    HiddenDangerEvent,
)
from grids.models.mobilization import (
    Capacity,
    CheckUnit,
    MobilizationKind,
    MobilizationReport,
    MobilizationSignup,
    MobilizationTarget,
    MobilizationTask,
    TargetStatus,
    TaskStatus,
)
from grids.models.patrols import Patrol, PatrolFinding, PatrolPoint

__all__ = [
    "CODE_LENGTH",
    "KIND_RANK",
    "OPEN_DANGER_STATES",
    "STATE_STAGE",
    "Area",
    "AreaKind",
    "Capacity",
    "CheckUnit",
    "DangerCategory",
    "DangerReminder",
    "DangerStage",
    "DangerState",
    "GridStaff",
    "HiddenDanger",
    "HiddenDangerEvent",
    "MobilizationKind",
    "MobilizationReport",
    "MobilizationSignup",
    "MobilizationTarget",
    "MobilizationTask",
    "Patrol",
    "PatrolFinding",
    "PatrolPoint",
    "StaffPosition",
    "TargetStatus",
    "TaskStatus",
    "geojson_polygon_problem",
]
