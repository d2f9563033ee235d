"""Cursor pages and the incremental feed (?updated_after=) of the big lists: every row once while
others are filed, only what changed, in scope, a clear 400 on a bad moment."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.models import Case
from casework.services import case_step
from governance import notifications
from governance.models import Notification
from tests.casework.factories import CaseFactory
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.usefixtures("in_english")

CASES, CHANGES = "/api/v1/cases/", "/api/v1/changes/"


def file(tree, categories, n: int, *, area=None) -> list[Case]:
    return [
        CaseFactory(category=categories.garbage, area=area or tree.building_a1) for _ in range(n)
    ]


def walk(client, url, params, *, between=None, budget=None, assert_queries=None):
    """Every page of a list, following ``next``; ``between(i)`` runs after page ``i``."""
    seen, page, query = [], 0, dict(params)
    while True:
        if assert_queries is not None:
            with assert_queries(budget):
                response = client.get(url, query)
        else:
            response = client.get(url, query)
        assert response.status_code == 200, response.content
        body = response.json()
        assert "count" not in body
        seen += [row["id"] for row in body["results"]]
        if between:
            between(page)
        page += 1
        if body["next"] is None:
            return seen
        query = {k: v[0] for k, v in parse_qs(urlparse(body["next"]).query).items()}
        assert "cursor" in query


def test_a_cursor_walk_sees_every_case_once_while_others_are_filed(
    api, tree, categories, crew, django_assert_max_num_queries
):
    there = file(tree, categories, 7)
    file(tree, categories, 2, area=tree.building_b1)  # another community's
    client = api(crew.dispatcher_a)

    def file_more(page):
        file(tree, categories, 2)

    seen = walk(
        client,
        CASES,
        {"page_size": 3},
        between=file_more,
        budget=4 + api.auth_queries,
        assert_queries=django_assert_max_num_queries,
    )
    assert sorted(seen) == sorted(c.pk for c in there)
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen, reverse=True)  # newest first


def test_a_searched_list_reads_its_page_in_the_search_and_walks_every_match_once(
    api, tree, categories, crew, django_assert_max_num_queries
):
    matches = [
        CaseFactory(category=categories.garbage, area=tree.building_a1, title=f"路口井盖缺失{i}")
        for i in range(5)
    ]
    file(tree, categories, 3)  # other titles
    CaseFactory(category=categories.garbage, area=tree.building_b1, title="井盖")  # not in sight
    client = api(crew.dispatcher_a)
    for params in ({"q": "井盖缺"}, {"q": "井盖缺", "updated_after": "2000-01-01T00:00:00Z"}):
        seen = walk(
            client,
            CASES,
            {**params, "page_size": 2},
            # The plain list's four: a community's scope is narrow, so no newest key is read
            # for the search's window, and the page's rows come with the search.
            budget=4 + api.auth_queries,
            assert_queries=django_assert_max_num_queries,
        )
        assert sorted(seen) == sorted(c.pk for c in matches) and len(seen) == len(set(seen))
    with CaptureQueriesContext(connection) as queries:
        items = client.get(CASES, {"q": "井盖缺", "page_size": 2}).json()["results"]
    cases = [q["sql"] for q in queries if '"casework_case"' in q["sql"].split("WHERE", 1)[0]]
    # One statement reads the cases: it searches and gives the items' columns; the items'
    # names come from the process caches, without a join.
    assert len(cases) == 1 and "title" in cases[0].split("WHERE", 1)[-1], cases
    assert '"casework_case"."number"' in cases[0] and "casework_category" not in cases[0]
    assert [c["id"] for c in items] == sorted((c.pk for c in matches), reverse=True)[:2]
    assert items[0]["category"]["name"] == categories.garbage.name


@pytest.mark.parametrize("user", ["street_admin", "dispatcher_a"])
@pytest.mark.parametrize("window", [4, 16, 40])
def test_a_searched_first_page_is_the_same_whether_the_newest_window_fills_it_or_not(
    api, tree, categories, crew, monkeypatch, window, user
):
    # The first page is asked of the newest `window` keys first, then of all when those do not
    # fill it and show more: the newest 4 hold one match (community B's, in the street admin's
    # sight only), the newest 16 hold three or four (a page of 2 and more), 40 hold every case. A
    # community dispatcher's scope is narrow: their search is asked of all at once.
    from casework.api.views import CaseViewSet

    monkeypatch.setattr(CaseViewSet, "feed_window", window)
    matches = []
    for i in range(24):
        title = f"路12号门前{i}" if i % 4 == 0 else f"楼道堆物{i}"
        case = CaseFactory(category=categories.garbage, area=tree.building_a1, title=title)
        if i % 4 == 0:
            matches.append(case.pk)
    other = CaseFactory(category=categories.garbage, area=tree.building_b1, title="路12号")
    if user == "street_admin":
        matches.append(other.pk)
    newest_first = sorted(matches, reverse=True)
    client = api(getattr(crew, user))
    with CaptureQueriesContext(connection) as queries:
        body = client.get(CASES, {"q": "路12号", "page_size": 2}).json()
    assert [c["id"] for c in body["results"]] == newest_first[:2]
    searching = [q["sql"] for q in queries if "title" in q["sql"].split("WHERE", 1)[-1]]
    windowed = user == "street_admin" and window == 4
    assert len(searching) == (2 if windowed else 1), searching  # the window, then all
    seen = walk(client, CASES, {"q": "路12号", "page_size": 2})
    assert seen == newest_first
    assert walk(client, CASES, {"q": "路12号", "page_size": 10}) == newest_first


def _window_cases(tree, categories) -> list[int]:
    """24 cases of community A, every fourth at 路12号 (their pks, newest first)."""
    matches = []
    for i in range(24):
        title = f"路12号门前{i}" if i % 4 == 0 else f"楼道堆物{i}"
        case = CaseFactory(category=categories.garbage, area=tree.building_a1, title=title)
        if i % 4 == 0:
            matches.append(case.pk)
    return sorted(matches, reverse=True)


def _newest_key_reads(queries) -> int:
    return sum(
        1
        for q in queries
        if q["sql"].startswith('SELECT "casework_case"."id"') and "WHERE" not in q["sql"]
    )


def test_a_street_search_reads_the_newest_key_once_per_process_and_its_page_in_one_statement(
    api, tree, categories, crew, monkeypatch
):
    from casework.api.views import CaseViewSet

    monkeypatch.setattr(CaseViewSet, "feed_window", 8)
    newest_first = _window_cases(tree, categories)
    client = api(crew.street_admin)
    for read in (1, 0, 0):  # the newest key, then the one this process kept
        with CaptureQueriesContext(connection) as queries:
            body = client.get(CASES, {"q": "路12号", "page_size": 1}).json()
        assert [c["id"] for c in body["results"]] == newest_first[:1]
        assert _newest_key_reads(queries) == read, [q["sql"] for q in queries]
        cases = [q["sql"] for q in queries if '"casework_case"' in q["sql"].split("WHERE", 1)[0]]
        # The window's search gives the page, rows and all.
        assert len(cases) == read + 1, cases
        assert '"casework_case"."number"' in cases[-1], cases


@pytest.mark.parametrize("kept", ["older", "ahead"])
def test_a_searched_first_page_is_the_same_whatever_newest_key_the_process_kept(
    api, tree, categories, crew, monkeypatch, kept
):
    # A key kept from before later filings widens the window (it holds every case here); one
    # ahead of the table (read from another state of it) leaves the window empty, and the page
    # is asked of all. The page is the same either way.
    from casework.api.views import CaseViewSet
    from governance.api.pagination import NEWEST_KEYS

    monkeypatch.setattr(CaseViewSet, "feed_window", 4)
    newest_first = _window_cases(tree, categories)
    newest = Case.objects.order_by("-pk").values_list("pk", flat=True)[0]
    value = newest - 20 if kept == "older" else newest + 1_000
    assert NEWEST_KEYS.get(Case._meta.label, lambda: value) == value
    client = api(crew.street_admin)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(CASES, {"q": "路12号", "page_size": 2}).json()
    assert [c["id"] for c in body["results"]] == newest_first[:2]
    searching = [q["sql"] for q in queries if "title" in q["sql"].split("WHERE", 1)[-1]]
    assert len(searching) == (1 if kept == "older" else 2), searching
    assert _newest_key_reads(queries) == 0
    assert walk(client, CASES, {"q": "路12号", "page_size": 2}) == newest_first


def test_a_search_narrowed_to_a_community_is_asked_of_all_at_once(api, tree, categories, crew):
    # ?area=<community> holds a community's share of the newest cases, as a narrow scope does:
    # no newest key, no window, one search (which reads the kept community column).
    newest_first = _window_cases(tree, categories)
    CaseFactory(category=categories.garbage, area=tree.building_b1, title="路12号")
    client = api(crew.street_admin)
    params = {"q": "路12号", "page_size": 2, "area": tree.community_a.pk}
    with CaptureQueriesContext(connection) as queries:
        body = client.get(CASES, params).json()
    assert [c["id"] for c in body["results"]] == newest_first[:2]
    assert _newest_key_reads(queries) == 0
    searching = [q["sql"] for q in queries if "title" in q["sql"].split("WHERE", 1)[-1]]
    assert len(searching) == 1 and '"casework_case"."community_id" =' in searching[0], searching
    assert walk(client, CASES, params) == newest_first


def test_a_bad_cursor_is_a_404_in_the_error_format(api, crew):
    response = api(crew.dispatcher_a).get(CASES, {"cursor": "garbage"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_updated_after_gives_only_the_cases_changed_since(api, tree, categories, crew):
    old, changed, later, other = (
        *file(tree, categories, 3),
        *file(tree, categories, 1, area=tree.building_b1),
    )
    moment = timezone.now()
    Case.objects.update(updated_at=moment - timedelta(hours=1))
    case_step(case=later, actor=crew.dispatcher_a, step="accept")
    case_step(case=changed, actor=crew.dispatcher_a, step="accept")
    case_step(case=other, actor=crew.dispatcher_b, step="accept")

    client = api(crew.dispatcher_a)
    stamp = moment.isoformat()
    body = client.get(CASES, {"updated_after": stamp}).json()
    # Oldest change first, each with the moment it changed; community B's stays out of sight.
    assert [c["id"] for c in body["results"]] == [later.pk, changed.pk]
    assert body["results"][0]["updated_at"] <= body["results"][1]["updated_at"]
    assert client.get(CASES, {"updated_after": timezone.now().isoformat()}).json()["results"] == []
    b = api(crew.dispatcher_b).get(CASES, {"updated_after": stamp}).json()["results"]
    assert [c["id"] for c in b] == [other.pk]
    assert old.pk not in [c["id"] for c in body["results"]]


def test_a_case_changed_during_a_feed_walk_comes_again_at_the_end(api, tree, categories, crew):
    cases = file(tree, categories, 3)
    moment = timezone.now() - timedelta(minutes=5)
    for offset, case in enumerate(cases):
        Case.objects.filter(pk=case.pk).update(updated_at=moment + timedelta(seconds=offset))
    client = api(crew.dispatcher_a)

    def change_the_first(page):
        if page == 0:
            case_step(case=Case.objects.get(pk=cases[0].pk), actor=crew.dispatcher_a, step="accept")

    since = (moment - timedelta(minutes=1)).isoformat()
    seen = walk(client, CASES, {"updated_after": since, "page_size": 1}, between=change_the_first)
    assert seen == [cases[0].pk, cases[1].pk, cases[2].pk, cases[0].pk]


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-13-01T00:00:00+08:00", "", "2026-05-20T25:00:00Z"]
)
def test_a_bad_updated_after_is_a_400_naming_it(api, crew, value):
    response = api(crew.dispatcher_a).get(CASES, {"updated_after": value})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "ISO 8601" in body["fields"]["updated_after"][0]


def test_an_unencoded_plus_and_a_local_time_are_understood(api, tree, categories, crew):
    (case,) = file(tree, categories, 1)
    client = api(crew.dispatcher_a)
    earlier = timezone.localtime(case.updated_at - timedelta(minutes=5))
    plus = client.get(f"{CASES}?updated_after={earlier.isoformat()}")  # "+08:00" unencoded
    assert [c["id"] for c in plus.json()["results"]] == [case.pk]
    naive = client.get(CASES, {"updated_after": earlier.replace(tzinfo=None).isoformat()})
    assert [c["id"] for c in naive.json()["results"]] == [case.pk]


def test_the_change_log_feed_keeps_to_the_street_admin(api, tree, cast):
    from governance.models import ObjectChange

    client = api(cast.street_admin)
    moment = timezone.now()
    assert client.get(CHANGES, {"updated_after": moment.isoformat()}).json()["results"] == []
    DepartmentFactory(name="城管执法队", owner=tree.street)
    fresh = ObjectChange.objects.filter(time__gt=moment).order_by("time", "pk")
    response = client.get(CHANGES, {"updated_after": moment.isoformat()})
    assert [c["id"] for c in response.json()["results"]] == list(fresh.values_list("pk", flat=True))
    assert fresh.exists()
    everything = walk(client, CHANGES, {"page_size": 5})
    assert len(everything) == len(set(everything)) > 5
    assert api(cast.dispatcher_a).get(CHANGES).status_code == 403


def test_notifications_are_cursor_paged_and_only_the_callers(api, cast):
    for i in range(7):
        notifications.notify(recipients=[cast.dispatcher_a], kind="case.near_due", title=f"我的{i}")
    notifications.notify(recipients=[cast.dispatcher_b], kind="case.near_due", title="别人的")
    seen = walk(api(cast.dispatcher_a), "/api/v1/notifications/", {"page_size": 3})
    mine = Notification.objects.filter(recipient=cast.dispatcher_a)
    assert seen == sorted(mine.values_list("pk", flat=True), reverse=True)


def test_the_event_feed_follows_steps_across_the_cases_in_scope(
    api, tree, categories, crew, django_assert_max_num_queries
):
    from casework.models import CaseEvent
    from casework.services import case_report

    def report(actor, area):
        return case_report(
            actor=actor,
            title="垃圾",
            category=categories.garbage,
            area=area,
            source="patrol",
            address="东侧路口",
        )

    mine = [report(crew.worker_a, tree.building_a1) for _ in range(3)]
    theirs = report(crew.worker_b, tree.building_b1)
    moment = timezone.now()
    case_step(case=mine[1], actor=crew.dispatcher_a, step="accept")
    case_step(case=theirs, actor=crew.dispatcher_b, step="accept")
    client = api(crew.dispatcher_a)

    seen = walk(
        client,
        "/api/v1/case-events/",
        {"page_size": 2},
        budget=4 + api.auth_queries,
        assert_queries=django_assert_max_num_queries,
    )
    expected = CaseEvent.objects.filter(case__in=mine).order_by("-pk")
    assert seen == list(expected.values_list("pk", flat=True)) and len(seen) == 4

    fresh = client.get("/api/v1/case-events/", {"updated_after": moment.isoformat()}).json()
    assert [(e["case"], e["step"]) for e in fresh["results"]] == [(mine[1].pk, "accept")]
    assert fresh["results"][0]["case_number"] == mine[1].number
    other = api(crew.dispatcher_b).get(
        "/api/v1/case-events/", {"updated_after": moment.isoformat()}
    )
    assert [e["case"] for e in other.json()["results"]] == [theirs.pk]
    bad = client.get("/api/v1/case-events/", {"updated_after": "soon"})
    assert bad.status_code == 400 and "updated_after" in bad.json()["fields"]
