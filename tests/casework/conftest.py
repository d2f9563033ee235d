"""Casework fixtures: a category tree with limits, two departments, the case-handling cast."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from casework.models import Priority
from governance.models import Role
from grids.models import AreaKind
from tests.casework.factories import CategoryFactory, TimeLimitFactory
from tests.factories import AreaFactory, DepartmentFactory, RoleAssignmentFactory, UserFactory
from tests.replay import Replay

DEPARTMENTS = Replay("departments")
CATEGORIES = Replay("categories")
CREW = Replay("crew")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def departments(db):
    return DEPARTMENTS.get(
        lambda: SimpleNamespace(
            a=DepartmentFactory(name="城管执法队", code="urban-management"),
            b=DepartmentFactory(name="环卫所", code="sanitation"),
        )
    )


@pytest.fixture
def categories(departments):
    """市容环境 → 暴露垃圾 (default department A, limits on the parent) and 路灯不亮 (built once per
    process, replayed after: tests/replay.py)."""
    return CATEGORIES.get(lambda: _categories(departments), departments)


def _categories(departments):
    parent = CategoryFactory(code="01", name="市容环境", default_department=departments.a)
    TimeLimitFactory(category=parent, priority=Priority.NORMAL)
    TimeLimitFactory(
        category=parent,
        priority=Priority.URGENT,
        accept_hours=1,
        dispatch_hours=1,
        acknowledge_hours=1,
        handle_hours=8,
    )
    garbage = CategoryFactory(code="0101", name="暴露垃圾", parent=parent)
    lamp = CategoryFactory(code="0102", name="路灯不亮", parent=parent)
    parent.refresh_from_db()
    garbage.refresh_from_db()
    lamp.refresh_from_db()
    return SimpleNamespace(parent=parent, garbage=garbage, lamp=lamp)


@pytest.fixture
def crew(cast, tree, departments):
    """The standard cast plus the case-handling roles, in and out of community A's scope."""
    roles = CREW.get(lambda: _crew_roles(tree, departments), tree, departments)
    vars(cast).update(vars(roles))
    return cast


def _crew_roles(tree, departments):
    c = SimpleNamespace()
    c.center = _role("center_supervisor", area=tree.street, username="center")
    c.worker_b = _role("grid_worker", area=tree.grid_b1, username="worker_b")
    c.handler_a = _role("department_handler", department=departments.a, username="handler_a")
    c.handler_b = _role("department_handler", department=departments.b, username="handler_b")
    c.party_a = _role("party_officer", area=tree.community_a, username="party_a")
    return c


def _role(role, *, area=None, department=None, username):
    user = UserFactory(username=username, full_name=username)
    RoleAssignmentFactory(user=user, role=role, area=area, department=department)
    return user


@pytest.fixture
def other_street(tree):
    """A second street with a community, a grid and a building, the community's dispatcher and
    the street's center supervisor."""
    street = AreaFactory(kind=AreaKind.STREET, name="另一街道")
    community = AreaFactory(kind=AreaKind.COMMUNITY, name="另一社区", parent=street)
    grid = AreaFactory(kind=AreaKind.GRID, name="另一网格", parent=community)
    building = AreaFactory(kind=AreaKind.BUILDING, name="另一楼", parent=grid)
    dispatcher = UserFactory(username="dispatcher_other")
    RoleAssignmentFactory(user=dispatcher, role=Role.COMMUNITY_DISPATCHER, area=community)
    center = UserFactory(username="center_other")
    RoleAssignmentFactory(user=center, role=Role.CENTER_SUPERVISOR, area=street)
    building.refresh_from_db()
    return SimpleNamespace(building=building, dispatcher=dispatcher, center=center)
