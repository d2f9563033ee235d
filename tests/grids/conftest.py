from types import SimpleNamespace

import pytest

from governance.models import Role
from tests.factories import DepartmentFactory, RoleAssignmentFactory, UserFactory
from tests.replay import Replay

FIELD = Replay("field")


@pytest.fixture
def handler(db):
    """A department handler with no area role."""
    user = UserFactory(username="handler")
    RoleAssignmentFactory(
        user=user, role=Role.DEPARTMENT_HANDLER, department=DepartmentFactory(name="城管执法队")
    )
    return user


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def field(cast, tree):
    """The standard cast plus the field roles: the center, a grid worker of community B, a
    building leader with a portal login, and a user with no role (a volunteer)."""
    roles = FIELD.get(lambda: _field_roles(tree), tree)
    vars(cast).update(vars(roles))
    return cast


def _field_roles(tree):
    from grids.models import GridStaff

    c = SimpleNamespace()
    c.center = _with(Role.CENTER_SUPERVISOR, tree.street, "center")
    c.worker_b = _with(Role.GRID_WORKER, tree.grid_b1, "worker_b")
    c.party_a = _with(Role.PARTY_OFFICER, tree.community_a, "party_a")
    c.leader = UserFactory(username="leader", full_name="楼长老李")
    GridStaff.objects.create(
        area=tree.building_a1,
        position=GridStaff.Position.BUILDING_LEADER,
        name="老李",
        user=c.leader,
    )
    c.volunteer = UserFactory(username="volunteer", full_name="志愿者小张", home_area=tree.street)
    return c


def _with(role, area, username):
    user = UserFactory(username=username, full_name=username)
    RoleAssignmentFactory(user=user, role=role, area=area)
    return user
