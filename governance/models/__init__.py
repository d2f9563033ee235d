from governance.models.base import TimeStampedModel, TreeModel
from governance.models.changes import ObjectChange
from governance.models.people import Department, RoleAssignment, User
from governance.models.roles import AREA_ROLES, DEPARTMENT_ROLES, Role

__all__ = [
    "AREA_ROLES",
    "DEPARTMENT_ROLES",
    "Department",
    "ObjectChange",
    "Role",
    "RoleAssignment",
    "TimeStampedModel",
    "TreeModel",
    "User",
]
