"""Filters of the change log and the personal data access log pages (one FilterSet each; an
API for them would reuse it), and the id filter every app's FilterSets use."""

from __future__ import annotations

import copy
import datetime

import django_filters
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_filters.filters import FilterMethod

from governance import changelog, pinyin
from governance.forms import FrozenChoices
from governance.models import Department, ObjectChange, PersonalDataAccess


def copy_filter(filter_: django_filters.Filter, memo: dict) -> django_filters.Filter:
    """``copy.deepcopy(filter_, memo)`` made directly: each attribute deep-copied (a queryset, in
    the filter or its field's arguments, as a fresh clone: ``QuerySet.all()``, what the deep copy
    of a queryset amounts to), its method bound to the copy (as the deep copy binds it, through
    the memo), without the generic copy of the filter itself (``__reduce_ex__``). A FilterSet
    deep-copies its filters on every request: the case filter's sixteen, with six querysets,
    were a fifth of a millisecond of a list page (issue 15)."""
    cls = type(filter_)
    if (
        hasattr(cls, "__deepcopy__")
        or cls.__reduce_ex__ is not object.__reduce_ex__
        or cls.__reduce__ is not object.__reduce__
        or cls.__getstate__ is not object.__getstate__
    ):
        return copy.deepcopy(filter_, memo)
    result = memo[id(filter_)] = cls.__new__(cls)
    state = result.__dict__
    for name, value in filter_.__dict__.items():
        if name == "_field":
            # The form field a declared filter was asked for (drf-spectacular asks, to
            # describe the API): made from the declared arguments, not from the querysets this
            # filter set gives its copy. The copy makes its own.
            continue
        if type(value) is FilterMethod:
            state[name] = FilterMethod(result)
        elif type(value) is dict:  # the field's arguments (``extra``)
            state[name] = {key: _copied(item, memo) for key, item in value.items()}
        else:
            state[name] = _copied(value, memo)
    return result


# Values a deep copy returns as they are (immutable), shared without its call.
_IMMUTABLE = frozenset((str, int, bool, float, type(None), FrozenChoices))


def _copied(value, memo: dict):
    if type(value) in _IMMUTABLE or isinstance(value, Promise):
        return value
    return value.all() if isinstance(value, QuerySet) else copy.deepcopy(value, memo)


class SharedBaseFilters(dict):
    """A FilterSet's ``base_filters`` that its deep copy for each FilterSet
    (``BaseFilterSet.__init__``) copies filter by filter (:func:`copy_filter`). Given by
    :class:`CopiedFiltersMixin`."""

    def __deepcopy__(self, memo) -> dict:
        return {name: copy_filter(filter_, memo) for name, filter_ in self.items()}


class CopiedFiltersMixin:
    """A FilterSet whose filters are copied for each instance by :func:`copy_filter`."""

    @classmethod
    def get_filters(cls):
        return SharedBaseFilters(super().get_filters())


class IdFilter(django_filters.NumberFilter):
    """A row's id (or an area's, for ``within``): a whole number a key column can hold. Anything
    else is a 400 with the field named, never a database error."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)  # BigAutoField
        super().__init__(*args, **kwargs)


class NameSearchFilter(django_filters.CharFilter):
    """The name search of a list, page and API alike: a substring of the name, or its pinyin,
    whole or by initials (``ljdf`` finds 垃圾堆放, see governance.pinyin); ``code_field``, when
    given, also matches codes by prefix."""

    def __init__(self, *args, code_field: str | None = None, **kwargs):
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("label", _("Name or pinyin"))
        super().__init__(*args, **kwargs)
        self.code_field = code_field

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        request = getattr(self.parent, "request", None)
        q = pinyin.name_q(
            value, field=self.field_name, model=qs.model, user=getattr(request, "user", None)
        )
        if self.code_field:
            q |= Q(**{f"{self.code_field}__startswith": value})
        return qs.filter(q)


class DepartmentFilterSet(django_filters.FilterSet):
    search = NameSearchFilter(field_name="name", code_field="code", label=_("name or code"))

    class Meta:
        model = Department
        fields = ("kind", "search")


def _logged_types(request):
    models = changelog.registered_models()
    ids = [ContentType.objects.get_for_model(m).pk for m in models]
    return ContentType.objects.filter(pk__in=ids).order_by("model")


class ContentTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return capfirst(obj.name)


class ContentTypeFilter(django_filters.ModelChoiceFilter):
    field_class = ContentTypeChoiceField


class ChangeLogFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date cannot be before the start date."))
        return data


class ObjectChangeFilterSet(django_filters.FilterSet):
    content_type = ContentTypeFilter(
        queryset=_logged_types, label=_("Object type"), empty_label=_("All types")
    )
    action = django_filters.ChoiceFilter(
        choices=ObjectChange.Action.choices, label=_("Action"), empty_label=_("All actions")
    )
    since = django_filters.DateFilter(
        method="filter_since",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        method="filter_until",
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = ObjectChange
        fields = ("content_type", "action", "since", "until")
        form = ChangeLogFilterForm

    # Dates are days of the portal's time zone, turned into a range on the indexed ``time``
    # column (a ``time__date`` lookup would compute a date for every row).
    def filter_since(self, queryset, name, value):
        return queryset.filter(time__gte=_start_of(value))

    def filter_until(self, queryset, name, value):
        return queryset.filter(time__lt=_start_of(value + datetime.timedelta(days=1)))


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class PersonalDataAccessFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", label=_("User or whose record"), max_length=100
    )
    field_kind = django_filters.ChoiceFilter(
        choices=PersonalDataAccess.FieldKind.choices,
        label=_("Kind of data"),
        empty_label=_("All kinds"),
    )
    interface = django_filters.ChoiceFilter(
        choices=PersonalDataAccess.Interface.choices,
        label=_("Interface"),
        empty_label=_("All interfaces"),
    )
    since = django_filters.DateFilter(
        method="filter_since", label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    until = django_filters.DateFilter(
        method="filter_until", label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = PersonalDataAccess
        fields = ("q", "field_kind", "interface", "since", "until")
        form = ChangeLogFilterForm

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(user_name__icontains=value) | Q(object_repr__icontains=value))

    filter_since = ObjectChangeFilterSet.filter_since
    filter_until = ObjectChangeFilterSet.filter_until
