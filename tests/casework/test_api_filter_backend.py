"""The API case list's filter backend (governance.api.filtering): a request that names no filter
builds no filter set and gets the same answer; one that names a filter is filtered and checked
as before."""

from __future__ import annotations

import django_filters
import pytest
from django import forms
from django_filters.rest_framework import DjangoFilterBackend

from casework.api.views import CaseViewSet
from casework.filters import CaseFilterSet
from casework.models import Case, Status
from governance.api import filtering
from tests.casework.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(monkeypatch):
    """The case filter sets built, one entry a filter set."""
    made = []
    init = CaseFilterSet.__init__

    def counted(self, *args, **kwargs):
        made.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(CaseFilterSet, "__init__", counted)
    return made


@pytest.fixture
def cases(tree, categories):
    for i in range(5):
        CaseFactory(
            area=tree.grid_a1,
            category=categories.garbage,
            status=Status.CLOSED if i % 2 else Status.REPORTED,
        )


def _as_django_filters(monkeypatch):
    monkeypatch.setattr(CaseViewSet, "filter_backends", (DjangoFilterBackend,))


@pytest.mark.parametrize(
    "query", ["", "?page_size=2", "?updated_after=2020-01-01T00:00:00%2B08:00"]
)
def test_a_list_that_names_no_filter_builds_no_filter_set_and_answers_the_same(
    api, crew, cases, built, monkeypatch, query
):
    client = api(crew.center)

    answer = client.get(f"/api/v1/cases/{query}")
    following = client.get(answer.json()["next"]) if answer.json()["next"] else None

    assert answer.status_code == 200 and built == []
    _as_django_filters(monkeypatch)
    assert client.get(f"/api/v1/cases/{query}").content == answer.content
    if following is not None:
        assert following.status_code == 200
        assert client.get(answer.json()["next"]).content == following.content
    assert len(built) == 1 + (following is not None)


@pytest.mark.parametrize("query", ["?status=closed", "?status=", "?overdue=false&page_size=1"])
def test_a_list_that_names_a_filter_is_filtered_as_before(
    api, crew, cases, built, monkeypatch, query
):
    client = api(crew.center)

    answer = client.get(f"/api/v1/cases/{query}")

    # An empty status is refused as before (no such choice): named, it is checked.
    assert answer.status_code == (400 if query == "?status=" else 200) and len(built) == 1
    _as_django_filters(monkeypatch)
    assert client.get(f"/api/v1/cases/{query}").content == answer.content
    if query == "?status=closed":
        assert {item["status"] for item in answer.json()["results"]} == {Status.CLOSED}


def test_a_bad_filter_value_is_still_a_400_with_the_fields_message(api, crew, cases):
    answer = api(crew.center).get("/api/v1/cases/?status=nonsense&cursor=x")

    assert answer.status_code == 400
    assert set(answer.json()["fields"]) == {"status"}


def test_a_filter_set_that_could_answer_otherwise_is_always_built():
    class Required(django_filters.FilterSet):
        title = django_filters.CharFilter(required=True)

        class Meta:
            model = Case
            fields = ("title",)

    class CleaningForm(forms.Form):
        def clean(self):
            raise forms.ValidationError("always")

    class Cleaned(django_filters.FilterSet):
        class Meta:
            model = Case
            fields = ("title",)
            form = CleaningForm

    class OwnQueryset(django_filters.FilterSet):
        class Meta:
            model = Case
            fields = ("title",)

        def filter_queryset(self, queryset):
            return queryset.none()

    for filterset in (Required, Cleaned, OwnQueryset):
        assert filtering._names_none(filterset, {}) is False
    assert filtering._names_none(CaseFilterSet, {"cursor": "x", "page_size": "2"}) is True
    # A key that starts with a filter's name counts as naming it (widgets that read name_min).
    assert filtering._names_none(CaseFilterSet, {"reported_from_x": "1"}) is False
