from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    STREET_ADMIN = "street_admin", _("Street administrator")
    CENTER_SUPERVISOR = "center_supervisor", _("Grid center supervisor")
    COMMUNITY_DISPATCHER = "community_dispatcher", _("Community dispatcher")
    GRID_WORKER = "grid_worker", _("Grid worker")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    PARTY_OFFICER = "party_officer", _("Party officer")
    VIEWER = "viewer", _("Viewer (read-only)")


# Roles whose scope is a department rather than an area subtree.
DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_HANDLER})
AREA_ROLES = frozenset(set(Role) - DEPARTMENT_ROLES)

# A role that carries another's powers over the same subtree: a district administrator is the
# street administrator of every street of the district (and, beyond that, edits the district-wide
# configuration: the holiday calendar, the category tree and its time limits).
IMPLIED_ROLES = {Role.DISTRICT_ADMIN: frozenset({Role.STREET_ADMIN})}


def roles_implying(roles) -> set[str]:
    """``roles`` and every role that carries one of them (for queries by role name)."""
    wanted = set(roles)
    return wanted | {role for role, implied in IMPLIED_ROLES.items() if implied & wanted}
