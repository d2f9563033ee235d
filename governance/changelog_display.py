"""The change log as people read it: field names as the models name them, choice labels,
related objects and people by name, times in local time, bookkeeping fields left out.

The raw values stay in the log (and in the API); this only renders a page of entries, with
one query per related model on the page, whatever its length.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

# Counters that change on every step: true, but nothing a reader of the log acts on.
HIDDEN_FIELDS = frozenset({"version", "stage_entry"})


@dataclass(frozen=True)
class Shown:
    """One value as shown: its text and, for a person, the login shown on hover."""

    text: str
    title: str = ""


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    before: Shown | None
    after: Shown | None


def readable_changes(changes) -> None:
    """Set ``readable`` (a list of FieldChange) on each ObjectChange of ``changes`` (a page)."""
    changes = list(changes)
    wanted: dict[type[models.Model], set] = defaultdict(set)
    plans = []
    for change in changes:
        model = change.content_type.model_class()
        rows = []
        for name, before, after in change.diff:
            if name in HIDDEN_FIELDS:
                continue
            field = _field(model, name)
            rows.append((name, field, before, after))
            if field is not None and field.is_relation and field.related_model is not None:
                for value in (before, after):
                    wanted[field.related_model].update(_ids(value))
        plans.append((change, rows))
    names = {related: _names(related, ids) for related, ids in wanted.items() if ids}
    for change, rows in plans:
        change.readable = [
            FieldChange(
                name=name,
                label=str(field.verbose_name) if field is not None else name,
                before=_show(field, before, names),
                after=_show(field, after, names),
            )
            for name, field, before, after in rows
        ]


def _field(model, name):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _ids(value) -> list:
    if value in (None, ""):
        return []
    return [v for v in value if v is not None] if isinstance(value, list) else [value]


def _names(model, ids) -> dict:
    """Id → Shown for the related objects named on the page (one query per model)."""
    objects = model._default_manager.in_bulk(
        [i for i in ids if isinstance(i, int | str)], field_name="pk"
    )
    shown = {}
    user_model = get_user_model()
    for pk, obj in objects.items():
        if model is user_model:
            shown[pk] = Shown(obj.display_name, obj.get_username())
        else:
            shown[pk] = Shown(str(obj))
    return {str(k): v for k, v in shown.items()}


def _show(field, value, names) -> Shown | None:
    if value is None or value == "" or value == []:
        return None
    if field is None:
        return Shown(str(value))
    if field.is_relation and field.related_model is not None:
        known = names.get(field.related_model, {})
        parts = [known.get(str(v), Shown(f"#{v}")) for v in _ids(value)]
        return Shown("、".join(p.text for p in parts), " ".join(p.title for p in parts).strip())
    if field.flatchoices:
        return Shown(str(dict(field.flatchoices).get(value, value)))
    if isinstance(field, models.BooleanField):
        return Shown(_("Yes") if value else _("No"))
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return Shown(formats.date_format(moment, "Y-m-d H:i"))
    if isinstance(field, models.DateField) and isinstance(value, str):
        day = parse_date(value)
        if day is not None:
            return Shown(formats.date_format(day, "Y-m-d"))
    return Shown(str(value))
