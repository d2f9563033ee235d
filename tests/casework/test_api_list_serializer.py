"""The API's case list items through the planned list serializer: DRF's answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from casework.api.serializers import CaseListSerializer
from casework.models import Case, Holder, Status
from governance.api.serializers import PlannedListSerializer
from tests.casework.factories import CaseFactory

pytestmark = pytest.mark.django_db


def _as_drf(rows):
    """``rows`` through DRF's own ListSerializer of CaseListSerializer."""
    return serializers.ListSerializer(child=CaseListSerializer()).to_representation(rows)


def test_case_list_items_are_drfs(tree, categories, departments):
    overdue = CaseFactory(
        area=tree.grid_a1,
        category=categories.garbage,
        status=Status.DISPATCHED,
        holder=Holder.DEPARTMENT,
        department=departments.a,
        due_at=timezone.now() - timedelta(hours=1),
    )
    closed = CaseFactory(
        area=tree.grid_b1, category=categories.lamp, status=Status.CLOSED, holder=Holder.NONE
    )
    rows = list(Case.objects.filter(pk__in=[overdue.pk, closed.pk]).order_by("pk"))

    listed = CaseListSerializer(rows, many=True)
    answer = listed.data

    assert isinstance(listed, PlannedListSerializer)
    assert answer == _as_drf(rows)
    assert answer[0]["is_overdue"] is True and answer[0]["department"]["id"] == departments.a.pk
    assert answer[1]["is_overdue"] is False and answer[1]["department"] is None


def test_a_method_is_called_unless_the_row_holds_a_value_of_that_name(tree, categories):
    case = CaseFactory(area=tree.grid_a1, category=categories.garbage)
    shadowed = Case.objects.get(pk=case.pk)
    shadowed.is_overdue = True  # as an annotation of that name would

    rows = [Case.objects.get(pk=case.pk), shadowed]
    answer = CaseListSerializer(rows, many=True).data

    assert [item["is_overdue"] for item in answer] == [False, True]
    assert answer == _as_drf(rows)


def test_a_summary_reads_the_columns_an_item_shows_and_no_other(
    tree, categories, departments, django_assert_num_queries
):
    from casework import selectors

    CaseFactory(area=tree.grid_a1, category=categories.garbage, department=departments.a)
    rows = list(selectors.case_summaries(Case.objects.all()))
    columns = {f.name: f.attname for f in Case._meta.concrete_fields}
    # is_overdue is a method of status and due_at, both shown.
    shown = {"id"} | {
        columns[f.source] for f in CaseListSerializer().fields.values() if f.source in columns
    }

    with django_assert_num_queries(0):
        answer = CaseListSerializer(rows, many=True).data
    assert answer[0]["department"]["id"] == departments.a.pk
    loaded = {f.attname for f in Case._meta.concrete_fields} - rows[0].get_deferred_fields()
    assert loaded == shown


def test_a_summarys_related_rows_are_copies_made_without_pickling(
    tree, categories, departments, monkeypatch
):
    from django.db.models import Model

    from casework import selectors

    CaseFactory(area=tree.grid_a1, category=categories.garbage, department=departments.a)
    CaseFactory(area=tree.grid_a1, category=categories.garbage, department=departments.a)
    list(selectors.case_summaries(Case.objects.all()))  # the process caches filled
    pickled = []
    reduce = Model.__reduce__
    monkeypatch.setattr(Model, "__reduce__", lambda row: pickled.append(row) or reduce(row))

    first, second = selectors.case_summaries(Case.objects.order_by("pk"))

    assert pickled == []
    # One copy of each related row per answer, shared by its cases.
    assert first.area is second.area and first.category is second.category
    assert first.area.pk == tree.grid_a1.pk and first.department.pk == departments.a.pk
