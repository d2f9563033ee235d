"""Reads of houses and residents, scoped (:func:`governance.scopes.visible`) with their joins
named here, so that pages, API and exports share them.

A search never reveals personal data: a name matches by substring, an ID number or a phone only
through :func:`governance.privacy.search_q` (the whole value only), and lists are sorted only on fields :func:`governance.privacy.sortable` allows.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from governance import pinyin, privacy
from governance.scopes import visible
from grids.models import Area, CareTag, Household, Resident, ResidentCareTag, Room, Visit
from grids.models.residents import DUE_SOON_DAYS

# Orders a list may be sorted by (the key a client gives → the fields).
RESIDENT_ORDERS = {
    "name": ("name_sort", "pk"),
    "-name": ("-name_sort", "-pk"),
    "birth_date": ("birth_date", "pk"),
    "-birth_date": ("-birth_date", "pk"),
    "next_visit_due": ("next_visit_due", "pk"),
    "area": ("area__code", "name_sort", "pk"),
}
STATUSES = ("living", "moved_out", "deceased", "all")


def _tags_prefetch() -> Prefetch:
    return Prefetch(
        "care_tags",
        queryset=ResidentCareTag.objects.select_related("tag").order_by("tag__name"),
    )


def resident_base(user) -> QuerySet[Resident]:
    return visible(user, Resident.objects.all()).select_related("area", "room", "household")


def resident_list_for(
    user,
    *,
    area: Area | None = None,
    q: str = "",
    tag: CareTag | None = None,
    status: str = "living",
    order: str = "area",
) -> QuerySet[Resident]:
    """Residents the user sees, narrowed to ``area``'s subtree, a search, a care tag and a
    status, in a sortable order (unknown or personal sort keys fall back to the area order)."""
    qs = resident_base(user).prefetch_related(_tags_prefetch())
    if area is not None:
        qs = qs.filter(Area.subtree_q(area, prefix="area__"))
    if status == "living":
        qs = qs.living_here()
    elif status == "moved_out":
        qs = qs.filter(moved_out_on__isnull=False)
    elif status == "deceased":
        qs = qs.filter(deceased_on__isnull=False)
    if tag is not None:
        qs = qs.filter(care_tags__tag=tag)
    q = (q or "").strip()
    if q:
        qs = qs.filter(resident_search_q(user, q))
    if order not in RESIDENT_ORDERS or not privacy.sortable(user, Resident, order):
        order = "area"
    return qs.order_by(*RESIDENT_ORDERS[order])


def resident_search_q(user, term: str) -> Q:
    """A name by substring; an ID number or a phone as :func:`privacy.search_q` allows."""
    return (
        pinyin.name_q(term, model=Resident, user=user)
        | privacy.search_q(user, Resident, "id_number", term.upper())
        | privacy.search_q(user, Resident, "phone", term)
    )


def resident_detail_for(user, pk: int) -> Resident | None:
    return (
        resident_base(user)
        .select_related("household__householder", "room__owner", "room__tenant")
        .prefetch_related(_tags_prefetch())
        .filter(pk=pk)
        .first()
    )


def residents_due_for(user, *, today: dt.date | None = None) -> QuerySet[Resident]:
    """Residents whose home visit is overdue or due within :data:`DUE_SOON_DAYS`, the most
    overdue first: the grid worker's visiting list."""
    today = today or timezone.localdate()
    return (
        resident_base(user)
        .living_here()
        .filter(next_visit_due__lte=today + dt.timedelta(days=DUE_SOON_DAYS))
        .prefetch_related(_tags_prefetch())
        .order_by("next_visit_due", "area__code", "name_sort", "pk")
    )


def visit_list_for(user, *, resident: Resident | None = None) -> QuerySet[Visit]:
    qs = visible(user, Visit.objects.all()).select_related("resident", "visitor", "area", "case")
    if resident is not None:
        qs = qs.filter(resident=resident)
    return qs.order_by("-visited_on", "-pk")


def room_list_for(user) -> QuerySet[Room]:
    return visible(user, Room.objects.all()).select_related("area", "owner", "tenant")


def household_list_for(user) -> QuerySet[Household]:
    return visible(user, Household.objects.all()).select_related("area", "room", "householder")


def care_tag_list_for(user) -> QuerySet[CareTag]:
    return visible(user, CareTag.objects.all()).select_related("street").order_by("name")


def care_tags_for_area(area: Area) -> QuerySet[CareTag]:
    """The care tags in use in the street of ``area``."""
    return CareTag.objects.filter(
        Area.ancestors_q(area, prefix="street__", include_self=True), active=True
    ).order_by("name")
