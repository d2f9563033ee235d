"""``/api/v1/stats/``: the dashboard's figures, scoped, by session and by token."""

from __future__ import annotations

import pytest

from tests.casework.test_stats_pages import month_cases  # noqa: F401 (fixture)

SUMMARY = "/api/v1/stats/summary/"


def test_the_street_reads_its_summary(api, crew, month_cases, tree):  # noqa: F811
    response = api(crew.center).get(SUMMARY)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["area"]["id"] == tree.street.pk
    assert body["figures"]["reported"] == 4
    assert body["figures"]["closed"] == 1
    assert body["figures"]["on_spot_share"] == 100.0
    assert body["figures"]["satisfaction_rate"] is None
    assert "reported" in body["previous_figures"]


def test_the_tables_by_area_and_department(api, crew, month_cases, tree, departments):  # noqa: F811
    client = api(crew.center)
    rows = client.get("/api/v1/stats/areas/").json()["rows"]
    by_name = {row["area"]["name"]: row["figures"]["reported"] for row in rows}
    assert by_name == {tree.community_a.name: 3, tree.community_b.name: 1}
    rows = client.get("/api/v1/stats/departments/").json()["rows"]
    assert [(r["department"]["id"], r["figures"]["closed"]) for r in rows] == [
        (departments.a.pk, 1)
    ]


def test_a_community_dispatcher_reads_their_community_only(api, crew, month_cases, tree):  # noqa: F811
    client = api(crew.dispatcher_b)
    body = client.get(SUMMARY).json()
    assert body["area"]["id"] == tree.community_b.pk
    assert body["figures"]["reported"] == 1
    assert client.get(SUMMARY, {"area": tree.community_a.pk}).status_code == 404
    assert client.get(SUMMARY, {"area": tree.street.pk}).status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"area": "x"}, "area"),
        ({"period": "year"}, "period"),
        ({"period": "custom", "from": "2026-10-31", "to": "2026-10-01"}, "to"),
        ({"period": "custom", "from": "bad"}, "from"),
    ],
)
def test_bad_parameters_are_named(api, crew, params, field):
    response = api(crew.center).get(SUMMARY, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]


def test_other_roles_and_strangers_are_refused(api, crew):
    assert api(crew.worker_a).get(SUMMARY).status_code == 403
    assert api(crew.handler_a).get(SUMMARY).status_code == 403
    assert api(None).get(SUMMARY).status_code == 401


def test_the_query_count_is_bounded(api, crew, month_cases, django_assert_max_num_queries):  # noqa: F811
    client = api(crew.center)
    client.get("/api/v1/stats/areas/")
    with django_assert_max_num_queries(12 + api.auth_queries):
        assert client.get("/api/v1/stats/areas/").status_code == 200
