"""A form's fields and a FilterSet's filters copied for each instance without copy.deepcopy's
machinery (governance.forms.SharedBaseFields, governance.filters.CopiedFiltersMixin): each
instance still gets copies of its own, equal to what the deep copy gave."""

from __future__ import annotations

import copy

import django_filters
import pytest
from django import forms

from casework.filters import CaseFilterSet
from governance.filters import SharedBaseFilters, copy_filter
from governance.forms import FrozenChoices, SharedBaseFields, copy_field
from grids.models import Area


class _Form(forms.Form):
    text = forms.CharField(max_length=5, widget=forms.TextInput(attrs={"class": "x"}))
    choice = forms.ChoiceField(choices=[("a", "甲"), ("b", "乙")])
    frozen = forms.MultipleChoiceField(choices=FrozenChoices([("a", "甲")]))
    area = forms.ModelChoiceField(queryset=Area.objects.order_by("pk"))
    when = forms.SplitDateTimeField(required=False)  # a MultiValueField: its own deep copy


class _SharedForm(_Form):
    pass


_SharedForm.base_fields = SharedBaseFields(_SharedForm.base_fields)


def _looks(field: forms.Field) -> tuple:
    """What a copy must keep of its field (and must not share with it: see the tests)."""
    widget = field.widget
    return (
        type(field),
        type(widget),
        widget.attrs,
        field.error_messages,
        field.validators,
        field.required,
        field.label,
        [tuple(c) for c in getattr(field, "choices", ())]
        if not isinstance(field, forms.ModelChoiceField)
        else str(field.queryset.query),
    )


def test_a_field_copied_is_its_deep_copy():
    for name, field in _Form.base_fields.items():
        ours, theirs = copy_field(field, {}), copy.deepcopy(field)
        assert _looks(ours) == _looks(theirs) == _looks(field), name
        assert ours is not field and ours.widget is not field.widget
        assert ours.widget.attrs is not field.widget.attrs
        assert ours.error_messages is not field.error_messages
        assert ours.validators is not field.validators


@pytest.mark.django_db
def test_a_copy_changed_leaves_the_class_fields_alone():
    form = _SharedForm()
    form.fields["text"].widget.attrs["placeholder"] = "号"
    form.fields["choice"].choices = [("c", "丙")]
    form.fields["area"].queryset = Area.objects.none()
    form.fields["when"].fields[0].required = True
    base = _SharedForm.base_fields
    assert "placeholder" not in base["text"].widget.attrs
    assert [c[0] for c in base["choice"].choices] == ["a", "b"]
    assert [c[0] for c in base["choice"].widget.choices] == ["a", "b"]
    assert str(base["area"].queryset.query) == str(Area.objects.order_by("pk").query)
    assert form.fields["area"].queryset is not base["area"].queryset
    assert not base["when"].fields[0].required
    # Frozen choices are shared (never changed), the rest copied.
    assert form.fields["frozen"].choices is base["frozen"].choices
    assert _SharedForm({"text": "123456"}).errors["text"]  # validation unchanged


def test_a_form_of_shared_fields_copies_them_without_their_deep_copy(monkeypatch):
    """The generic deep copy (Field.__deepcopy__, a copy.copy by __reduce_ex__) is not used for
    the fields of the common kinds; a MultiValueField still copies itself."""
    called = []
    original = forms.Field.__deepcopy__

    def spy(self, memo):
        called.append(type(self).__name__)
        return original(self, memo)

    monkeypatch.setattr(forms.Field, "__deepcopy__", spy)
    from governance import forms as shared

    monkeypatch.setattr(
        shared,
        "_FIELD_COPIES",
        frozenset((spy, forms.ChoiceField.__deepcopy__, forms.ModelChoiceField.__deepcopy__)),
    )
    form = _SharedForm()
    assert set(form.fields) == set(_Form.base_fields)
    # Only the MultiValueField (and its two parts) go through Field.__deepcopy__.
    assert called == ["SplitDateTimeField", "DateField", "TimeField"]


class _Filters(django_filters.FilterSet):
    number = django_filters.CharFilter(method="filter_number", label="号")
    status = django_filters.MultipleChoiceFilter(choices=[("a", "甲")], distinct=False)
    area = django_filters.ModelChoiceFilter(queryset=Area.objects.all())

    class Meta:
        model = Area
        fields = ("number", "status", "area")

    def filter_number(self, queryset, name, value):
        return queryset.filter(code=value)


def test_a_filter_copied_is_its_deep_copy_bound_to_the_copy():
    for name, filter_ in _Filters.base_filters.items():
        ours = copy_filter(filter_, {})
        theirs = copy.deepcopy(filter_)
        assert set(ours.__dict__) == set(theirs.__dict__) == set(filter_.__dict__), name
        assert ours.extra is not filter_.extra and ours.extra.keys() == filter_.extra.keys()
        if "choices" in filter_.extra:  # a list: copied, as the deep copy copies it
            assert ours.extra["choices"] == filter_.extra["choices"]
            assert ours.extra["choices"] is not filter_.extra["choices"]
        if "queryset" in filter_.extra:
            assert ours.queryset is not filter_.queryset
            assert str(ours.queryset.query) == str(filter_.queryset.query)
    number = copy_filter(_Filters.base_filters["number"], {})
    assert number.filter.f is number  # its method is looked up on the copy's FilterSet


@pytest.mark.django_db
def test_the_case_filter_set_copies_its_filters_without_the_generic_deep_copy(monkeypatch):
    """Each CaseFilterSet gets filters of its own, bound to it, without copy.deepcopy
    reconstructing each filter (copy._reconstruct, the generic copy of an object)."""
    assert isinstance(CaseFilterSet.base_filters, SharedBaseFilters)
    reconstructed = []
    original = copy._reconstruct

    def spy(x, memo, *args, **kwargs):
        reconstructed.append(type(x).__name__)
        return original(x, memo, *args, **kwargs)

    monkeypatch.setattr(copy, "_reconstruct", spy)
    first = CaseFilterSet({"q": "井盖"}, queryset=None)
    second = CaseFilterSet({}, queryset=None)
    assert not [n for n in reconstructed if n.endswith("Filter")]
    for name, filter_ in first.filters.items():
        assert filter_ is not CaseFilterSet.base_filters[name]
        assert filter_ is not second.filters[name]
        assert filter_.parent is first and second.filters[name].parent is second
    assert first.filters["q"].filter.f is first.filters["q"]
    assert [case.pk for case in first.qs] == []  # the method found on the copy's FilterSet
