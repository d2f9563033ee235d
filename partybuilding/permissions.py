"""Who may change party-building records, and who may read members' personal data.

Party officers and street administrators change party-building records inside their scope
(the scope rules registered in apps.py say so for pages, API and admin); every other area role
reads them. Full phone and ID numbers are shown only to those two roles, and only for members
inside the subtree of such an assignment; everyone else sees them masked.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from governance.models import Role
from governance.scopes import scope_of

PARTY_CHANGE_ROLES = frozenset({Role.PARTY_OFFICER, Role.STREET_ADMIN})


def may_change_in(user, area) -> bool:
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    if area is None:
        return False
    return any(area.is_within(node) for node in scope.areas(PARTY_CHANGE_ROLES))


def ensure_may_change_in(user, area, message: str | None = None) -> None:
    if not may_change_in(user, area):
        raise PermissionDenied(message or _("You may not change party-building records here."))


class PersonalData:
    """Decides per row whether ``user`` sees a member's full phone and ID number.

    Built once per request from the scope already in memory: no query per row.
    """

    def __init__(self, user) -> None:
        scope = scope_of(user)
        self.everything = scope.is_superuser
        self.nodes = [] if self.everything else scope.areas(PARTY_CHANGE_ROLES)

    def allowed(self, area) -> bool:
        if self.everything:
            return True
        return area is not None and any(area.is_within(node) for node in self.nodes)

    @property
    def any(self) -> bool:
        return self.everything or bool(self.nodes)
