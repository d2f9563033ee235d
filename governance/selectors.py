from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from governance import changelog
from governance.models import ObjectChange, PersonalDataAccess, Role
from governance.scopes import scope_of, visible


def change_log_for(user) -> QuerySet[ObjectChange]:
    """Change log entries ``user`` may read: an entry is read by whoever may see the object it
    describes. Street admins read the changes of their subtree's records (by the area the record
    had), of the users and departments they manage now (a user or department of another street
    never: its snapshots hold e-mail addresses and phones), and of the shared configuration;
    superusers read everything, nobody else anything."""
    qs = ObjectChange.objects.select_related("user", "content_type").order_by("-time", "-pk")
    scope = scope_of(user)
    if scope.is_superuser:
        return qs
    if not scope.has_role(Role.STREET_ADMIN):
        return qs.none()
    types = ContentType.objects.get_for_models(*changelog.registered_models())
    readable = scope.q(ObjectChange, {Role.STREET_ADMIN}) | Q(
        area__isnull=True, content_type__in=[types[m].pk for m in changelog.shared_models()]
    )
    for model, readers in changelog.readers().items():
        ids = readers(user).annotate(_id=Cast("pk", CharField())).values("_id")
        readable |= Q(content_type=types[model].pk, object_id__in=ids)
    return qs.filter(readable)


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
