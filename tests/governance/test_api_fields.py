"""Choice labels in API answers: in the caller's language, translated once per field."""

from __future__ import annotations

from django.utils import translation

from casework.api.serializers import CaseListSerializer
from casework.models import Case, Status


def _label(value: str) -> str:
    field = CaseListSerializer().fields["status_display"]
    return field.to_representation(value)


def test_the_label_follows_the_language_and_unknown_values_pass_through():
    with translation.override("en"):
        english = _label(Status.CLOSED)
    with translation.override("zh-hans"):
        chinese = _label(Status.CLOSED)

    assert english == _label_as_django(Status.CLOSED, "en")
    assert chinese == _label_as_django(Status.CLOSED, "zh-hans") != english
    assert _label("no-such-status") == "no-such-status"


def _label_as_django(value, language):
    with translation.override(language):
        return Case(status=value).get_status_display()


def test_a_personal_field_checks_its_pattern_on_input_but_promises_only_a_string():
    import pytest
    from django.core.validators import RegexValidator
    from drf_spectacular.plumbing import get_doc
    from rest_framework import serializers

    from governance.api.fields import PersonalTextField

    field = PersonalTextField(max_length=20, validators=[RegexValidator(r"^[0-9]{5,20}$")])

    assert field.run_validation("13912345678") == "13912345678"
    with pytest.raises(serializers.ValidationError):
        field.run_validation("139****5678")
    assert not any(isinstance(v, RegexValidator) for v in field.validators)  # not in the schema
    assert "masked" in field._spectacular_annotation["field"]["description"]
    assert get_doc(PersonalTextField)
