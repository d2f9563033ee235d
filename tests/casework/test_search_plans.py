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
    for words in ("井盖", "堆放杂", "楼道堆放杂物"):  # a pair, a triple, triples and the text
        plan = _plan(_filtered(q=words))
        assert "case_title_grams" in plan and "case_address_grams" in plan, plan


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_asks_the_indexes_for_triples_from_three_characters_on():
    # A query of three characters or more asks for its triples only: its pairs' posting lists
    # are long (路1 is in a third of the addresses of the benchmark), its triples' short.
    plan = _plan(_filtered(q="路12号"))
    conditions = [line for line in plan.splitlines() if "Index Cond:" in line and "grams" in line]
    assert len(conditions) == 2, plan
    for line in conditions:
        assert "{路12,12号}" in line, plan
    two = _plan(_filtered(q="井盖"))
    conditions = [line for line in two.splitlines() if "Index Cond:" in line and "grams" in line]
    assert len(conditions) == 2 and all("{井盖}" in line for line in conditions), two


def _filters(plan: str) -> list[str]:
    return [line for line in plan.splitlines() if "Filter:" in line]


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_checks_each_candidate_with_the_text_only():
    # The pairs are the index's to answer; computing them again for every candidate row cost
    # 30-55 us a row (0.3 s for 10,000 candidates at a million cases). The text is checked by
    # strpos, not LIKE: the planner took a LIKE and the pairs for independent, estimated the
    # matches at one row and joined them all to the areas by a nested loop.
    plan = _plan(_filtered(q="楼道堆放杂物"))
    assert "case_title_grams" in plan and "case_address_grams" in plan, plan
    assert any("strpos" in line for line in _filters(plan)), plan
    assert not any("~~" in line for line in _filters(plan)), plan
    assert not any("casework_grams" in line for line in _filters(plan)), plan
    # Two characters: the pair is the match, no check of the text at all. Three: the triple is
    # the match too, but the text is checked all the same, so that a walk of the list order
    # (the plan of a common phrase) checks the text of each row before computing its grams.
    plan = _plan(_filtered(q="井盖"))
    assert not any("strpos" in line for line in _filters(plan)), plan
    plan = _plan(_filtered(q="堆放杂"))
    assert any("strpos" in line for line in _filters(plan)), plan


def _parallel_plan(queryset) -> str:
    """The plan of ``queryset`` with the planner made to run in parallel whatever it can."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int")
        setting = (
            "debug_parallel_query" if cursor.fetchone()[0] >= 160000 else "force_parallel_mode"
        )
        cursor.execute(f"SET LOCAL {setting} = on")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_text_search_runs_in_one_process():
    # A parallel plan for a search spent 30-50 ms starting a worker for a thousand matches
    # (migration 0024); the same settings put a plain list in parallel.
    assert "Gather" in _parallel_plan(_filtered(status="closed").order_by("-reported_at"))
    for words in ("井盖", "楼道堆放杂物"):
        plan = _parallel_plan(_filtered(q=words).order_by("-reported_at"))
        assert "Gather" not in plan, plan


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
        ("李四", {"水井"}),  # the reporter's whole name
        ("李", set()),  # not a part of it
        ("5%折扣", {"全场5%折扣"}),  # the query's characters as they are, none a wildcard
        ("5_折扣", set()),
        # Three characters and more: the triples narrow, the text decides.
        ("路12号", {"路灯不亮"}),  # 路12 12号 holds both its triples, 压测路112号 every pair
        ("12号", {"路灯不亮", "路面破损", "围墙倒塌"}),  # three: the triple is the match
        ("路12", {"路灯不亮", "围墙倒塌"}),
        ("2026", {"2026年防汛"}),  # digits without the dash: words, not a case number
        ("xy1", {"Xy1栋漏水"}),  # Latin and digits, case ignored
        ("Y1栋漏", {"Xy1栋漏水"}),
        ("欧阳娜娜", {"2026年防汛"}),  # a reporter's whole name of four characters
        ("欧阳娜", set()),
    ],
)
def test_text_search_finds_exactly_the_cases_containing_the_words(tree, query, expected):

    for title, address, reporter in [
        ("井盖缺失", "一号路", "张三"),
        ("路口井盖松动", "二号路", "张三"),
        ("水井", "三号路", "李四"),
        ("ABC小区门口", "四号路", "张三"),
        ("楼道堆物", "垃圾堆在门口", "张三"),
        ("全场5%折扣", "五号路", "张三"),
        ("路灯不亮", "压测路12号", "张三"),
        ("路面破损", "压测路112号", "张三"),
        ("围墙倒塌", "路12 12号", "张三"),
        ("2026年防汛", "六号路", "欧阳娜娜"),
        ("Xy1栋漏水", "七号路", "张三"),
    ]:
        CaseFactory(
            title=title,
            address=address,
            reporter_name=reporter,
            area=tree.grid_a1,
            community=tree.community_a,
        )
    assert set(_filtered(q=query).values_list("title", flat=True)) == expected
