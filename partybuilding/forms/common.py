"""What the party-building forms share: date inputs, the areas a user may write in, and
the labels of area and category choices."""

from __future__ import annotations

from django import forms
from django.db.models import F

from casework.models import Category
from grids.models import Area, AreaKind
from partybuilding.permissions import PARTY_CHANGE_ROLES

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
PLACE_KINDS = (AreaKind.STREET, AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.MICRO_GRID)


def changeable_areas(user, *kinds: str):
    """Areas where ``user`` may write party-building records, of the given kinds."""
    from governance.scopes import scope_of

    scope = scope_of(user)
    qs = Area.objects.filter(kind__in=kinds) if kinds else Area.objects.all()
    if scope.is_superuser:
        return qs.order_by("code")
    nodes = scope.areas(PARTY_CHANGE_ROLES)
    return qs.filter(Area.subtrees_q(nodes)).order_by("code")


def area_field(form, name: str, user, *kinds: str) -> None:
    field = form.fields[name]
    field.queryset = changeable_areas(user, *kinds).select_related("parent")
    field.label_from_instance = area_label


def area_label(area: Area) -> str:
    return (
        f"{area.parent.name} · {area.name}"
        if area.parent_id and area.kind != AreaKind.COMMUNITY
        else area.name
    )


def category_label(category: Category) -> str:
    return f"{category.parent.name} · {category.name}" if category.parent_id else category.name


def leaf_categories():
    """Active case categories that take cases (the leaves), with their parent for the label."""
    return (
        Category.objects.filter(is_active=True, rght=F("lft") + 1)
        .select_related("parent")
        .order_by(*Category.tree_order())
    )
