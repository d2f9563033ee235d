from rest_framework.permissions import SAFE_METHODS, BasePermission

from governance.models import Role
from governance.scopes import can_change, scope_of


class ScopedObjectPermission(BasePermission):
    """Reads are scoped by the view's queryset; writes need change rights on the object."""

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or can_change(request.user, obj)


class IsStreetAdmin(BasePermission):
    """Street administrators (and superusers) only."""

    def has_permission(self, request, view) -> bool:
        return scope_of(request.user).has_role(Role.STREET_ADMIN)
