"""Records whose names are script payloads, for the XSS and Content-Security-Policy tests: an area
(drawn on its community's map), a category, a department, a case and a party project."""

from __future__ import annotations

from types import SimpleNamespace

from django.db import transaction

from casework.models import Holder, Status
from grids.models import AreaKind
from partybuilding.models.cogovernance import ProjectStatus
from tests.casework.factories import CaseFactory, CategoryFactory
from tests.factories import AreaFactory, DepartmentFactory
from tests.partybuilding.factories import ProjectFactory

# Each payload sets window.__xss if it ever runs. The raw markers must never reach a page unescaped.
IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"
RAW_MARKERS = ("<img src=x", "<script>window.__xss")

NAMES = SimpleNamespace(
    area=f"楼{IMG}",
    category=f"类{SCRIPT}",
    department=f"部门{IMG}",
    case=f"案{SCRIPT}{IMG}",
    project=f"项目{IMG}{SCRIPT}",
)


def _box(west: float, south: float, size: float) -> dict:
    east, north = west + size, south + size
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


@transaction.atomic  # case numbers are drawn under a row lock
def build(tree) -> SimpleNamespace:
    """Payload-named records inside community A of ``tree`` (tests/factories.py's street)."""
    r = SimpleNamespace(tree=tree)
    tree.community_a.boundary = _box(116.440, 39.920, 0.02)
    tree.community_a.save()
    r.area = AreaFactory(
        kind=AreaKind.GRID,
        name=NAMES.area,
        parent=tree.community_a,
        boundary=_box(116.445, 39.925, 0.008),
    )
    # A subcategory, so that the filing form's picker (大类 → 小类, with search) lists it.
    group = CategoryFactory(code="X0", name="市容环境")
    r.category = CategoryFactory(code="X001", name=NAMES.category, parent=group)
    r.category.refresh_from_db()
    r.department = DepartmentFactory(code="xss-department", name=NAMES.department)
    r.case = CaseFactory(
        title=NAMES.case,
        category=r.category,
        area=r.area,
        status=Status.DISPATCHED,
        holder=Holder.DEPARTMENT,
        department=r.department,
        latitude=39.929,
        longitude=116.449,
    )
    r.project = ProjectFactory(
        name=NAMES.project,
        area=tree.community_a,
        status=ProjectStatus.IN_PROGRESS,
        progress=40,
        is_public=True,
    )
    return r
