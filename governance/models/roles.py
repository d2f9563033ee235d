from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
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
