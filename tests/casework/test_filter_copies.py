"""The case filter set copies its declared filters one by one for each filter set
(governance.filters.CopiedFiltersMixin): each filter set has its own, nothing of one request reaches
another, and every filter answers as django-filter's deep copy did."""

from __future__ import annotations

import pytest
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django_filters.filters import FilterMethod

from casework.filters import CaseFilterSet
from casework.models import Case
from governance.models import Department

pytestmark = pytest.mark.django_db

QUERIES = [
    "",
    "status=closed",
    "status=closed&status=handled&priority=urgent&source=patrol",
    "q=井盖&overdue=true&holder=community",
    "q=2026-00",
    "reported_from=2026-01-01&reported_to=2026-12-31&satisfaction=satisfied",
    "box=39.9,116.4,39.91,116.41",
    "figure=closed&figure_from=2026-11-01",
    "status=nonsense&overdue=maybe&reported_from=yesterday&box=1,2",
    "area=999999&department=999999&category=999999",
]


def _filterset(query: str) -> CaseFilterSet:
    return CaseFilterSet(QueryDict(query), queryset=Case.objects.all(), request=None)


def test_each_filter_set_has_its_own_filters_and_leaves_the_declared_ones_alone():
    first, second = _filterset("status=closed"), _filterset("q=井盖")
    first.qs, second.qs  # noqa: B018 (filtered: what a request writes on its filters)

    for name, declared in CaseFilterSet.base_filters.items():
        one, other = first.filters[name], second.filters[name]
        assert one is not other and one is not declared
        assert one.extra is not other.extra and one.extra is not declared.extra
        assert one.parent is first and other.parent is second
        assert not hasattr(declared, "parent")
        if declared.method is not None:
            assert isinstance(one.filter, FilterMethod) and one.filter.f is one
        for value in (*one.extra.values(), vars(one).get("queryset")):
            if isinstance(value, QuerySet):
                assert value._result_cache is None
                assert all(value is not kept for kept in declared.extra.values())


def test_a_field_made_for_a_declared_filter_is_not_copied():
    """drf-spectacular asks the declared filters for their form fields when it describes the
    API, and each keeps the one it made. A filter set's copy makes its own from the querysets
    the filter set gives it (the area filter's are the user's areas, not every area)."""
    declared = CaseFilterSet.base_filters
    kept = {name: vars(f).pop("_field", None) for name, f in declared.items()}
    try:
        for filter_ in declared.values():
            filter_.field  # noqa: B018 (what the schema's generation does)
        filterset = _filterset("status=closed")
        filterset.filters["department"].queryset = Department.objects.none()

        for name, filter_ in declared.items():
            assert filterset.filters[name].field is not vars(filter_)["_field"], name
        assert filterset.filters["department"].field.queryset.query.is_empty()
    finally:
        for name, filter_ in declared.items():
            vars(filter_).pop("_field", None)
            if kept[name] is not None:
                vars(filter_)["_field"] = kept[name]


def test_no_queryset_is_deep_copied_for_a_filter_set(monkeypatch):
    deep_copied = []
    deepcopy = QuerySet.__deepcopy__

    def counted(self, memo):
        deep_copied.append(self)
        return deepcopy(self, memo)

    monkeypatch.setattr(QuerySet, "__deepcopy__", counted)

    _filterset("status=closed")

    assert deep_copied == []


@pytest.mark.parametrize("query", QUERIES)
def test_every_filter_answers_as_with_a_deep_copy(query, tree, categories, monkeypatch):
    moment = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: moment)  # overdue: the same "now" in both
    copied = _filterset(query)
    answer = (copied.is_valid(), copied.errors, str(copied.qs.query))

    monkeypatch.setattr(CaseFilterSet, "base_filters", dict(CaseFilterSet.base_filters))
    deep = _filterset(query)

    assert (deep.is_valid(), deep.errors, str(deep.qs.query)) == answer
