from rest_framework.permissions import SAFE_METHODS, BasePermission

from governance.scopes import can_change


class ScopedObjectPermission(BasePermission):
    """Reads are scoped by the view's queryset; writes need change rights on the object."""

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or can_change(request.user, obj)
