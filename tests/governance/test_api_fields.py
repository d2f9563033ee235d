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
