"""Serializer fields shared by the apps' APIs."""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.STR)
class ChoiceLabelField(serializers.Field):
    """The label of a model choice field in the caller's language (``source`` names the field).

    ``get_status_display()`` translates its label again on every row; in a list of 50 cases with
    four such fields that was 20 of the 24 ms of serializing. Here each field's labels are
    translated once per language and kept for the life of the process (the catalogue does not
    change while it runs). A value outside the choices is shown as it is, as Django's does.
    """

    _labels: ClassVar[dict[tuple, dict]] = {}

    def __init__(self, **kwargs) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def bind(self, field_name, parent) -> None:
        super().bind(field_name, parent)
        model = parent.Meta.model
        self._choices = model._meta.get_field(self.source).flatchoices
        self._key = (model._meta.label, self.source)

    def to_representation(self, value):
        return self._labels_now().get(value, value)

    def planned_representation(self):
        """``to_representation`` for the values of one answer (a list's rows:
        ``governance.api.serializers.PlannedListSerializer``): the language is read once, not
        per value."""
        labels = self._labels_now()
        return lambda value: labels.get(value, value)

    def _labels_now(self) -> dict:
        key = (*self._key, get_language())
        labels = self._labels.get(key)
        if labels is None:
            labels = self._labels[key] = {choice: str(label) for choice, label in self._choices}
        return labels


@extend_schema_field(
    {
        "type": "string",
        "description": "Personal data: masked (e.g. 139****5678) unless the caller may read it "
        "in full; a full read is a logged reveal.",
    }
)
class PersonalTextField(serializers.CharField):
    """A personal field (governance.privacy): validated as the model says on the way in, shown
    masked on the way out, so the schema promises a string, not the input's pattern (the
    model's validators run on input, out of the schema generator's sight)."""

    def __init__(self, *args, validators=(), **kwargs) -> None:
        # Patterns would become the schema's ``pattern``, which a masked value breaks.
        self._input_validators = [v for v in validators if isinstance(v, RegexValidator)]
        others = [v for v in validators if not isinstance(v, RegexValidator)]
        super().__init__(*args, validators=others, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if "*" in value:
            # A masked value read from a response and sent back must not overwrite the real one.
            raise serializers.ValidationError(
                _("This is the masked number: send the full number, or leave the field out.")
            )
        errors = []
        for validator in self._input_validators:
            try:
                validator(value)
            except DjangoValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise serializers.ValidationError(errors)
        return value


def as_personal_text(field: serializers.Field) -> serializers.Field:
    """``field`` (built by a ModelSerializer) as a :class:`PersonalTextField` with the same
    arguments; other kinds of field are returned as they are."""
    if type(field) is not serializers.CharField:
        return field
    return PersonalTextField(*field._args, **field._kwargs)
