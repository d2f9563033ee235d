"""State fields in the API.

A model names the fields that only its steps change (status, holder, claimant, points, ...) in a
``state_fields`` tuple; a model whose records may start in more than one state says which in
``entry_states()`` (field → states). Serializers read both here, so that no serializer lets a
client write a state field: it is read-only, except on create, where it takes one of the entry
states. A request that tries to change one is answered 400 with the field named, instead of the
change being ignored in silence. ``tests/test_state_fields.py`` checks every serializer of
every API view against the same declarations.
"""

from __future__ import annotations

from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

STEP_ONLY = _("This changes only through its own step.")


def state_fields_of(model: type[Model]) -> tuple[str, ...]:
    return tuple(getattr(model, "state_fields", ()))


def entry_states_of(model: type[Model]) -> dict[str, frozenset[str]]:
    entry_states = getattr(model, "entry_states", None)
    return dict(entry_states()) if entry_states else {}


def field_source(field: serializers.Field, name: str = "") -> str:
    """The model field a serializer field reads (its source's first step); ``name`` is the
    field's name, for a field not bound to its serializer yet."""
    return (field.source or field.field_name or name).split(".")[0]


def is_create(serializer: serializers.BaseSerializer) -> bool:
    view = serializer.context.get("view")
    return serializer.instance is None and getattr(view, "action", None) == "create"


class StateFieldsReadOnly:
    """For a ModelSerializer: its model's state fields are read-only (on create, a stepped
    status offers the entry states only), and changing one is a 400."""

    def get_fields(self):
        fields = super().get_fields()
        model = self.Meta.model
        state = state_fields_of(model)
        entries = entry_states_of(model) if is_create(self) else {}
        for name, field in list(fields.items()):
            source = field_source(field, name)
            if source not in state or field.read_only:
                continue
            if source in entries:
                choices = [
                    (value, label)
                    for value, label in model._meta.get_field(source).choices
                    if value in entries[source]
                ]
                fields[name] = serializers.ChoiceField(
                    choices=choices,
                    required=False,
                    source=None if source == name else source,
                    label=field.label,
                    help_text=field.help_text,
                )
            else:
                field.read_only = True
                field.required = False
        return fields

    def to_internal_value(self, data):
        errors = {}
        for name, field in self.fields.items():
            if not field.read_only or field_source(field) not in state_fields_of(self.Meta.model):
                continue
            if hasattr(data, "__contains__") and name in data and self._changes(field, data[name]):
                errors[name] = [STEP_ONLY]
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def _changes(self, field: serializers.Field, value) -> bool:
        """Would ``value`` change the state the record is in (or, new, would start in)?"""
        if self.instance is not None:
            current = field.get_attribute(self.instance)
        else:
            current = self.Meta.model._meta.get_field(field_source(field)).get_default()
        if current in (None, "") or value in (None, ""):
            return current not in (None, "") or value not in (None, "")
        return str(field.to_representation(current)) != str(value)
