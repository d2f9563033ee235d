"""The case search box and the status filter are served by indexes, not by scanning or sorting
every row (the plans are read from EXPLAIN with plain scans switched off, so that a small test
table still shows which index the query can use)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import QueryDict

from casework.filters import CaseFilterSet
from casework.models import Case
from tests.casework.factories import CaseFactory


def _filtered(**params) -> str:
    data = QueryDict(mutable=True)
    for key, value in params.items():
        data.setlist(key, value if isinstance(value, list) else [value])
    return CaseFilterSet(data, queryset=Case.objects.all()).qs


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # Only bitmap index scans left: either the filter has indexes for every branch, or the
        # plan has to read a whole index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_a_case_number_is_a_prefix_lookup_only():
    sql = str(_filtered(q="2026-00012").query)
    assert "LIKE" in sql and "title" not in sql.split("WHERE", 1)[1]


@pytest.mark.django_db
def test_words_search_title_address_and_the_exact_reporter():
    where = str(_filtered(q="垃圾").query).split("WHERE", 1)[1]
    assert "title" in where and "address" in where and "reporter_name" in where
    assert '"number"' not in where


@pytest.mark.django_db
def test_choice_filters_do_not_make_the_list_distinct():
    sql = str(_filtered(status=["closed", "accepted"], source="patrol", priority="urgent").query)
    assert "DISTINCT" not in sql


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_serves_the_search_box_from_indexes():
    assert "case_number_prefix" in _plan(_filtered(q="2026-00012"))
    for words in ("井盖", "楼道堆放杂物"):  # two characters: no trigram; more: pairs and LIKE
        plan = _plan(_filtered(q=words))
        assert "case_title_bigrams" in plan and "case_address_bigrams" in plan, plan


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("井盖", {"井盖缺失", "路口井盖松动"}),
        ("井盖缺", {"井盖缺失"}),
        ("盖缺井", set()),  # every pair of the query is in 井盖缺失, the words are not
        ("井", {"井盖缺失", "路口井盖松动", "水井"}),
        ("abc", {"ABC小区门口"}),  # case ignored
        ("门口", {"ABC小区门口", "楼道堆物"}),  # the address too
    ],
)
def test_text_search_finds_exactly_the_cases_containing_the_words(tree, query, expected):

    for title, address in [
        ("井盖缺失", "一号路"),
        ("路口井盖松动", "二号路"),
        ("水井", "三号路"),
        ("ABC小区门口", "四号路"),
        ("楼道堆物", "垃圾堆在门口"),
    ]:
        CaseFactory(title=title, address=address, area=tree.grid_a1, community=tree.community_a)
    assert set(_filtered(q=query).values_list("title", flat=True)) == expected
