"""What the party-building forms share: date inputs, the areas a user may write in, and
the labels of area and category choices."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.models import Category
from governance.scopes import reachable
from grids.models import Area, AreaKind
from partybuilding.models import Consortium
from partybuilding.permissions import PARTY_CHANGE_ROLES

# A date input takes ISO dates whatever the language (zh-hans would render 2026/01/01).
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
PLACE_KINDS = (AreaKind.STREET, AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.MICRO_GRID)


def changeable_areas(user, *kinds: str):
    """Areas where ``user`` may write party-building records, of the given kinds."""
    areas = Area.objects.filter(kind__in=kinds) if kinds else Area.objects.all()
    return reachable(user, areas, PARTY_CHANGE_ROLES).order_by("code")


def status_field(form, name: str = "status") -> None:
    """Offer the statuses the form's record may be in after saving: the one it has and those
    its ``status_steps`` lead to (for a new record, those it may start in)."""
    instance = form.instance
    allowed = set(instance.next_statuses)
    if not instance._state.adding:
        allowed.add(instance.status)
    field = form.fields[name]
    field.choices = [
        (value, label)
        for value, label in type(instance)._meta.get_field("status").choices
        if value in allowed
    ]
    field.initial = instance.status


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
        Category.objects.filter(is_active=True, children__isnull=True)
        .select_related("parent")
        .order_by(*Category.tree_order())
    )


def consortium_field(form, user, chosen=None) -> None:
    """The governance consortium a demand, project or meeting belongs to: one of those in the
    areas the user writes in. ``chosen`` (a consortium's id, from its page's "new" links)
    pre-selects it, and its area as the place, on a new record."""
    field = form.fields["consortium"]
    field.queryset = Consortium.objects.filter(area__in=changeable_areas(user)).order_by("name")
    field.help_text = _("Its own demands, projects and meetings show on the consortium's page.")
    try:
        chosen = int(chosen) if chosen else None
    except (TypeError, ValueError):
        chosen = None
    if chosen is None or not form.instance._state.adding:
        return
    consortium = field.queryset.filter(pk=chosen).first()
    if consortium is not None:
        form.initial["consortium"] = consortium.pk
        if form.fields["area"].queryset.filter(pk=consortium.area_id).exists():
            form.initial.setdefault("area", consortium.area_id)
