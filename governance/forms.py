from __future__ import annotations

import copy
from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.utils.choices import BaseChoiceIterator, normalize_choices
from django.utils.translation import gettext_lazy as _


class FrozenChoices(BaseChoiceIterator):
    """A fixed list of choices that every copy of a form field shares. A form copies each of
    its fields on every request, and a field its choices, pair by pair (a filter form's sixteen
    fields with their status, source, priority and figure lists: most of a list page's form
    work, issue 15); these are never changed, so a copy is the same object."""

    def __init__(self, choices) -> None:
        self.choices = tuple(normalize_choices(choices))

    def __iter__(self):
        return iter(self.choices)

    def __len__(self) -> int:
        return len(self.choices)

    def __deepcopy__(self, memo) -> FrozenChoices:
        return self


# The copy methods whose work copy_field repeats without copy.deepcopy's machinery; a field or a
# widget of a class that copies itself otherwise (a MultiValueField, a MultiWidget) is deep-copied.
_FIELD_COPIES = frozenset(
    (
        forms.Field.__deepcopy__,
        forms.ChoiceField.__deepcopy__,
        forms.ModelChoiceField.__deepcopy__,
    )
)
_WIDGET_COPIES = frozenset((forms.Widget.__deepcopy__, forms.widgets.ChoiceWidget.__deepcopy__))


def _shallow(obj):
    """A new instance of ``obj``'s class with a copy of its attributes (``copy.copy`` without
    ``__reduce_ex__``)."""
    new = type(obj).__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    return new


def copy_field(field: forms.Field, memo: dict) -> forms.Field:
    """``copy.deepcopy(field, memo)``: what the field's and its widget's ``__deepcopy__`` copy
    (the widget, its attributes and choices, the messages, the validators, the choices, a fresh
    queryset), the same copies made directly. Through ``copy.deepcopy`` a filter form's sixteen
    fields cost a fifth of a millisecond a request (``copy.copy`` by ``__reduce_ex__``, the memo)."""
    cls, widget = type(field), field.widget
    if cls.__deepcopy__ not in _FIELD_COPIES or type(widget).__deepcopy__ not in _WIDGET_COPIES:
        return copy.deepcopy(field, memo)
    result = memo[id(field)] = _shallow(field)
    copied = memo.get(id(widget))
    if copied is None:
        copied = memo[id(widget)] = _shallow(widget)
        copied.attrs = widget.attrs.copy()
        if type(widget).__deepcopy__ is forms.widgets.ChoiceWidget.__deepcopy__:
            choices = widget.choices  # FrozenChoices are shared: a copy would be the same
            copied.choices = choices if type(choices) is FrozenChoices else copy.copy(choices)
    result.widget = copied
    result.error_messages = field.error_messages.copy()
    result.validators = field.validators[:]
    if cls.__deepcopy__ is forms.ChoiceField.__deepcopy__:
        choices = field._choices
        result._choices = (
            choices if type(choices) is FrozenChoices else copy.deepcopy(choices, memo)
        )
    elif cls.__deepcopy__ is forms.ModelChoiceField.__deepcopy__ and field.queryset is not None:
        result.queryset = field.queryset.all()
    return result


class SharedBaseFields(dict):
    """A form class's ``base_fields`` (set it after the class is made) that Django's deep copy
    of them for each form (``BaseForm.__init__``) copies field by field (:func:`copy_field`):
    each form still gets fields of its own."""

    def __deepcopy__(self, memo) -> dict:
        return {name: copy_field(field, memo) for name, field in self.items()}


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

    def reveal(self, *, user, obj, names: Iterable[str]) -> dict[str, str] | None:
        """The values of ``names`` that ``obj`` holds (empty ones left out), in full, each read
        through governance.privacy.reveal with this form's reason (which checks role and scope
        and writes one access-log row per field). None when the form is invalid or the read is
        refused; the error is then on the form."""
        from governance import privacy

        if not self.is_valid():
            return None
        try:
            return {
                name: privacy.reveal(
                    user=user,
                    obj=obj,
                    name=name,
                    reason=self.cleaned_data["reason"],
                    interface=privacy.Interface.WEB,
                )
                for name in names
                if getattr(obj, name)
            }
        except ValidationError as exc:
            apply_service_errors(self, exc)
            return None


class PersonalDataFormMixin:
    """A model form editing a record with personal fields (governance.privacy): a stored value
    is shown masked (its full value is read through the logged reveal), and sent back unchanged
    it keeps the stored value. A new value replaces it as usual."""

    def __init__(self, *args, **kwargs) -> None:
        from governance import privacy

        super().__init__(*args, **kwargs)
        self._stored_personal: dict[str, tuple[str, str]] = {}
        if self.instance.pk is None:
            return
        for name in privacy.personal_fields(type(self.instance)):
            value = getattr(self.instance, name, "")
            if name in self.fields and value:
                shown = privacy.masked(self.instance, name)
                self.initial[name] = shown
                self._stored_personal[name] = (shown, value)

    def clean(self):
        cleaned = super().clean()
        for name, (shown, value) in self._stored_personal.items():
            if cleaned.get(name) == shown:
                cleaned[name] = value
        return cleaned


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
