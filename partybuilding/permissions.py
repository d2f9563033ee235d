"""Who may change party-building records, and who may read members' personal data.

Party officers and street administrators change party-building records inside their scope
(the scope rules registered in apps.py say so for pages, API and admin); every other area role
reads them. Phones and ID numbers are masked for everyone (governance.privacy); those two roles
read one in full, for records inside the subtree of such an assignment, through the logged
reveal. The scope questions themselves are answered by governance.scopes.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from governance.models import Role
from governance.scopes import can_change_under, scope_of

PARTY_CHANGE_ROLES = frozenset({Role.PARTY_OFFICER, Role.STREET_ADMIN})
# The roles that read party work (its pages, and its panel on the dashboard).
READ_ROLES = (
    Role.PARTY_OFFICER,
    Role.STREET_ADMIN,
    Role.CENTER_SUPERVISOR,
    Role.COMMUNITY_DISPATCHER,
    Role.VIEWER,
)


def may_change_in(user, area) -> bool:
    """May ``user`` create or change party-building records attached to ``area``?"""
    return can_change_under(user, area, PARTY_CHANGE_ROLES)


def may_change_somewhere(user) -> bool:
    """Does ``user`` hold a role that changes party-building records (in some area)?"""
    return scope_of(user).has_role(*PARTY_CHANGE_ROLES)


def ensure_may_change_in(user, area, message: str | None = None) -> None:
    if not may_change_in(user, area):
        raise PermissionDenied(message or _("You may not change party-building records here."))


class PersonalData:
    """Decides per row whether ``user`` may reveal a record's personal data (and edit it): the
    same roles and subtrees that change party-building records. No query per row."""

    def __init__(self, user) -> None:
        self.user = user

    def allowed(self, area) -> bool:
        return may_change_in(self.user, area)

    @property
    def any(self) -> bool:
        """Does the user see any personal data in full (so that masks need no explanation)?"""
        return may_change_somewhere(self.user)


def may_approve_hours(user, activity) -> bool:
    """The organizer of an activity approves its volunteers' hours (and superusers)."""
    return bool(getattr(user, "is_superuser", False)) or activity.organizer_id == getattr(
        user, "pk", None
    )
