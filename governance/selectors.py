from __future__ import annotations

from django.db.models import Q, QuerySet

from governance.models import ObjectChange, PersonalDataAccess, Role
from governance.scopes import scope_of, visible


def change_log_for(user) -> QuerySet[ObjectChange]:
    """Change log entries ``user`` may read: street admins read their subtree's changes and
    the changes that belong to no area (departments, users); superusers read everything."""
    qs = ObjectChange.objects.select_related("user", "content_type").order_by("-time", "-pk")
    scope = scope_of(user)
    if scope.is_superuser:
        return qs
    if not scope.has_role(Role.STREET_ADMIN):
        return qs.none()
    return qs.filter(
        Q(pk__in=visible(user, ObjectChange.objects.all()).values("pk")) | Q(area__isnull=True)
    )


def access_log_for(user) -> QuerySet[PersonalDataAccess]:
    """Personal data access log entries ``user`` may read: a street admin reads the reads of
    records in their subtree; superusers read everything."""
    qs = PersonalDataAccess.objects.select_related("content_type").order_by("-time", "-pk")
    scope = scope_of(user)
    if scope.is_superuser:
        return qs
    if not scope.has_role(Role.STREET_ADMIN):
        return qs.none()
    return visible(user, qs)
