from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def apply_service_errors(form: forms.Form, error: ValidationError, *, rename=None) -> None:
    """Attach a service's ValidationError to ``form``: each message on the field of the same
    name (``rename`` maps service names to form names), the rest above the form."""
    rename = rename or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        field = rename.get(name, name)
        messages = [m for e in errors for m in e.messages]
        form.add_error(field if field in form.fields else None, messages)


class RevealForm(forms.Form):
    """Why the user reads a personal value in full (governance.privacy.reveal logs it)."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Recorded in the personal data access log, with your name and the time."),
    )


class PinyinSelect(forms.Select):
    """A select whose options carry their names' pinyin (``data-pinyin``, governance.pinyin):
    the page's search box matches ``ljdf`` to 垃圾堆放 without asking the server."""

    def __init__(self, *args, pinyin: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pinyin = pinyin or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        key = self.pinyin.get(str(value))
        if key:
            option["attrs"]["data-pinyin"] = key
        return option
