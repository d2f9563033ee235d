import pytest
from rest_framework.test import APIClient

from governance.models import Role
from tests.factories import DepartmentFactory, RoleAssignmentFactory, UserFactory


@pytest.fixture
def api():
    """``api(user)``: a DRF client signed in as ``user`` (None: anonymous)."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def handler(db):
    """A department handler with no area role."""
    user = UserFactory(username="handler")
    RoleAssignmentFactory(
        user=user, role=Role.DEPARTMENT_HANDLER, department=DepartmentFactory(name="城管执法队")
    )
    return user
