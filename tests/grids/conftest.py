import pytest

from governance.models import Role
from tests.factories import DepartmentFactory, RoleAssignmentFactory, UserFactory


@pytest.fixture
def handler(db):
    """A department handler with no area role."""
    user = UserFactory(username="handler")
    RoleAssignmentFactory(
        user=user, role=Role.DEPARTMENT_HANDLER, department=DepartmentFactory(name="城管执法队")
    )
    return user
