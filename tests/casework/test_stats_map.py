"""The dashboard's map: areas by open or overdue cases per 1,000 registered households, cases
clustered on the server, the category and state filter, bad filters named, scope."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from casework.stats import maps
from grids.models import Area, Household
from tests.casework.factories import CaseFactory

URL = reverse("stats:dashboard")


def _square(lng: float, lat: float, size: float = 0.01) -> dict:
    ring = [
        [lng, lat],
        [lng + size, lat],
        [lng + size, lat + size],
        [lng, lat + size],
        [lng, lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def mapped(tree, categories):
    """Community A: 4 households, 2 open cases (1 overdue, 1 a lamp); B: 5 households, 1 open."""
    Area.objects.filter(pk=tree.street.pk).update(boundary=_square(116.40, 39.90, 0.02))
    Area.objects.filter(pk=tree.community_a.pk).update(boundary=_square(116.40, 39.90))
    Area.objects.filter(pk=tree.community_b.pk).update(boundary=_square(116.41, 39.90))
    for i in range(4):
        Household.objects.create(area=tree.building_a1, number=f"A-{i}")
    for i in range(5):
        Household.objects.create(area=tree.building_b1, number=f"B-{i}")
    now = timezone.now()
    with transaction.atomic():
        overdue = CaseFactory(
            area=tree.building_a1,
            category=categories.garbage,
            due_at=now - timedelta(hours=1),
            latitude=39.9051,
            longitude=116.4051,
        )
        lamp = CaseFactory(
            area=tree.building_a1,
            category=categories.lamp,
            due_at=now + timedelta(days=2),
            latitude=39.9052,
            longitude=116.4052,
        )
        other = CaseFactory(
            area=tree.building_b1,
            category=categories.garbage,
            due_at=now + timedelta(days=2),
            latitude=39.9051,
            longitude=116.4151,
        )
    return {"overdue": overdue, "lamp": lamp, "other": other}


def _map(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="dashboard-map-data" type="application/json">')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


def _by_name(data: dict) -> dict:
    return {f["properties"]["name"]: f["properties"] for f in data["features"]}


def test_areas_are_coloured_by_open_cases_per_thousand_households(client, crew, mapped, tree):
    client.force_login(crew.center)
    data = _map(client.get(URL))
    rows = _by_name(data)
    a, b = rows[tree.community_a.name], rows[tree.community_b.name]
    assert (a["households"], a["open"], a["overdue"], a["density"]) == (4, 2, 1, 500.0)
    assert (b["households"], b["open"], b["overdue"], b["density"]) == (5, 1, 0, 200.0)
    assert a["band"] == 4 and b["band"] == 2
    # The two close cases of community A are one cluster; B's case is a dot of its own.
    clusters = sorted(data["clusters"], key=lambda c: -c["n"])
    assert [c["n"] for c in clusters] == [2, 1]
    assert clusters[1]["number"] == mapped["other"].number
    assert clusters[1]["url"] == reverse("casework:detail", args=[mapped["other"].pk])


def test_the_map_shows_overdue_cases_of_one_category(client, crew, mapped, tree, categories):
    client.force_login(crew.center)
    data = _map(client.get(URL, {"map_state": "overdue"}))
    rows = _by_name(data)
    assert rows[tree.community_a.name]["density"] == 250.0
    assert rows[tree.community_b.name]["density"] == 0.0
    assert sum(c["n"] for c in data["clusters"]) == 1
    lamp = _map(client.get(URL, {"map_category": categories.lamp.pk}))
    assert sum(c["n"] for c in lamp["clusters"]) == 1
    assert _by_name(lamp)[tree.community_a.name]["open"] == 1
    # A parent category counts its subcategories.
    parent = _map(client.get(URL, {"map_category": categories.lamp.parent_id}))
    assert sum(c["n"] for c in parent["clusters"]) == 3


def test_a_click_on_an_area_opens_its_dashboard_keeping_the_filter(client, crew, mapped, tree):
    client.force_login(crew.center)
    data = _map(client.get(URL, {"map_state": "overdue", "period": "week"}))
    url = _by_name(data)[tree.community_a.name]["url"]
    assert f"area={tree.community_a.pk}" in url
    assert "map_state=overdue" in url and "period=week" in url


@pytest.mark.parametrize(
    "params", [{"map_state": "everything"}, {"map_category": "abc"}, {"map_category": "987654"}]
)
def test_a_bad_map_filter_is_named_not_a_500(client, crew, mapped, params, in_english):
    client.force_login(crew.center)
    response = client.get(URL, params)
    assert response.status_code == 200
    assert response.context["map_errors"]
    assert sum(c["n"] for c in _map(response)["clusters"]) == 3


def test_a_community_dispatcher_maps_their_community_only(client, crew, mapped, tree):
    client.force_login(crew.dispatcher_a)
    data = _map(client.get(URL))
    numbers = {c.get("number") for c in data["clusters"]}
    assert mapped["other"].number not in numbers
    assert sum(c["n"] for c in data["clusters"]) == 2
    assert tree.community_b.name not in _by_name(data)


def test_households_are_counted_into_each_child(tree, mapped):
    children = list(Area.objects.filter(parent=tree.street))
    totals = maps.households_by_child(tree.street, children)
    assert totals == {tree.community_a.pk: 4, tree.community_b.pk: 5}
    assert maps.per_thousand(1, 0) is None


# -- the cases of a cluster -------------------------------------------------------------------
MAP_CASES = reverse("stats:map-cases")


def _cluster_of(data: dict, n: int) -> dict:
    return next(c for c in data["clusters"] if c["n"] == n)


def test_a_cluster_lists_its_cases_and_links_the_case_list_to_them(client, crew, mapped, tree):
    client.force_login(crew.center)
    cluster = _cluster_of(_map(client.get(URL)), 2)
    answer = client.get(
        MAP_CASES, {"area": tree.street.pk, "cell": ",".join(map(str, cluster["cell"]))}
    ).json()
    assert answer["total"] == 2
    rows = {row["number"]: row for row in answer["cases"]}
    assert set(rows) == {mapped["overdue"].number, mapped["lamp"].number}
    overdue = rows[mapped["overdue"].number]
    assert overdue["overdue"] is True and rows[mapped["lamp"].number]["overdue"] is False
    assert overdue["category"] == mapped["overdue"].category.name
    assert overdue["status"] == mapped["overdue"].get_status_display()
    assert overdue["url"] == reverse("casework:detail", args=[mapped["overdue"].pk])
    # The full list behind it: the cluster's box, the same cases.
    listed = client.get(answer["list_url"])
    assert listed.status_code == 200
    numbers = {c.number for c in listed.context["page_obj"].object_list}
    assert numbers == set(rows)
    assert "box=" in answer["list_url"] and "figure=open" in answer["list_url"]


def test_cases_at_one_spot_are_listed_whatever_the_zoom(client, crew, tree, categories):
    """Three reports from one building share a point: they never come apart by zooming, the
    list is the only way to reach them."""
    Area.objects.filter(pk=tree.street.pk).update(boundary=_square(116.40, 39.90, 0.02))
    with transaction.atomic():
        same = [
            CaseFactory(
                area=tree.building_a1,
                category=categories.garbage,
                latitude=39.9071,
                longitude=116.4071,
            )
            for _i in range(3)
        ]
    client.force_login(crew.center)
    data = _map(client.get(URL))
    cluster = _cluster_of(data, 3)
    assert (cluster["lat"], cluster["lng"]) == (39.9071, 116.4071)
    answer = client.get(
        MAP_CASES, {"area": tree.street.pk, "cell": ",".join(map(str, cluster["cell"]))}
    ).json()
    assert [row["number"] for row in answer["cases"]] == [c.number for c in reversed(same)]


def test_a_clusters_list_keeps_the_maps_filter(client, crew, mapped, tree):
    client.force_login(crew.center)
    data = _map(client.get(URL, {"map_state": "overdue"}))
    cluster = data["clusters"][0]
    answer = client.get(
        MAP_CASES,
        {
            "area": tree.street.pk,
            "map_state": "overdue",
            "cell": ",".join(map(str, cluster["cell"])),
        },
    ).json()
    assert [row["number"] for row in answer["cases"]] == [mapped["overdue"].number]
    assert "figure=overdue" in answer["list_url"]


def test_a_community_dispatcher_lists_their_communitys_cases_only(client, crew, mapped, tree):
    # A case of community B at the very spot of A's cluster.
    with transaction.atomic():
        CaseFactory(area=tree.building_b1, latitude=39.9051, longitude=116.4051)
    client.force_login(crew.dispatcher_a)
    data = _map(client.get(URL))
    cluster = _cluster_of(data, 2)
    answer = client.get(MAP_CASES, {"cell": ",".join(map(str, cluster["cell"]))}).json()
    assert {row["number"] for row in answer["cases"]} == {
        mapped["overdue"].number,
        mapped["lamp"].number,
    }
    # Another street's area, or one outside the scope: nothing.
    assert client.get(MAP_CASES, {"area": tree.street.pk, "cell": "1,1"}).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"cell": ""},
        {"cell": "a,b"},
        {"cell": "1"},
        {"cell": "99999,1"},
        {"cell": "1,1", "map_state": "everything"},
        {"cell": "1,1", "map_category": "987654"},
    ],
)
def test_a_bad_cluster_request_is_a_400_naming_the_parameter(client, crew, mapped, params):
    client.force_login(crew.center)
    response = client.get(MAP_CASES, params)
    assert response.status_code == 400
    assert set(response.json()["errors"]) <= {"cell", "map_state", "map_category"}
    assert response.json()["errors"]


@pytest.mark.parametrize("box", ["1,2,3", "a,b,c,d", "39.91,116.40,39.90,116.41", "91,0,92,1"])
def test_a_bad_box_on_the_case_list_is_an_error_not_a_500(client, crew, mapped, box, in_english):
    client.force_login(crew.center)
    response = client.get(reverse("casework:list"), {"box": box})
    assert response.status_code == 200
    assert response.context["filter"].errors["box"]
    assert not response.context["page_obj"].object_list


def test_the_api_takes_the_same_box(api, crew, mapped):
    client = api(crew.center)
    inside = client.get("/api/v1/cases/", {"box": "39.905,116.405,39.906,116.406"})
    assert {c["number"] for c in inside.json()["results"]} == {
        mapped["overdue"].number,
        mapped["lamp"].number,
    }
    bad = client.get("/api/v1/cases/", {"box": "north"})
    assert bad.status_code == 400 and "box" in bad.json()["fields"]


def test_a_clusters_list_is_a_fixed_number_of_queries(
    client, crew, tree, categories, django_assert_max_num_queries
):
    Area.objects.filter(pk=tree.street.pk).update(boundary=_square(116.40, 39.90, 0.02))
    with transaction.atomic():
        for i in range(60):
            CaseFactory(
                area=tree.building_a1 if i % 2 else tree.building_b1,
                category=categories.garbage if i % 3 else categories.lamp,
                latitude=39.9071,
                longitude=116.4071,
            )
    client.force_login(crew.center)
    cluster = _cluster_of(_map(client.get(URL)), 60)
    with django_assert_max_num_queries(12):
        answer = client.get(
            MAP_CASES, {"area": tree.street.pk, "cell": ",".join(map(str, cluster["cell"]))}
        ).json()
    assert answer["total"] == 60 and len(answer["cases"]) == 50


@pytest.mark.browser
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_leader_looks_at_the_map_and_opens_an_area(
    transactional_db, live_server, session, tree, crew, mapped, artifacts_dir, device
):
    from tests.casework.test_browser import DESKTOP, PHONE
    from tests.conftest import _with_role

    shots = artifacts_dir / "stats"
    shots.mkdir(exist_ok=True)
    leader = _with_role("viewer", tree.street, username="lingdao")
    viewport = DESKTOP if device == "desktop" else PHONE
    page = session(leader, viewport)
    page.goto(f"{live_server.url}{URL}#map")
    page.wait_for_selector("[data-dashboard-map][data-ready='1']", state="attached")
    # Community A's two cases are one cluster, B's case a dot; both areas are drawn.
    assert page.locator(".case-cluster").all_inner_texts() == ["2"]
    assert page.locator("[data-dashboard-map] path.leaflet-interactive").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("#map").screenshot(path=str(shots / f"dashboard-map-{device}.png"))
    # The darkest area is community A (500 per 1,000 households): a click opens its dashboard.
    with page.expect_navigation():
        page.locator(
            '[data-dashboard-map] path.leaflet-interactive[fill="#9e1f1a"]'
        ).dispatch_event("click")
    assert f"area={tree.community_a.pk}" in page.url
    assert page.locator("h1").inner_text().startswith(tree.community_a.name)


@pytest.mark.browser
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_leader_lists_a_clusters_cases_and_opens_them(
    transactional_db, live_server, session, tree, crew, mapped, artifacts_dir, device
):
    from tests.casework.test_browser import DESKTOP, PHONE
    from tests.conftest import _with_role

    shots = artifacts_dir / "stats"
    shots.mkdir(exist_ok=True)
    leader = _with_role("viewer", tree.street, username="lingdao")
    page = session(leader, DESKTOP if device == "desktop" else PHONE)
    page.goto(f"{live_server.url}{URL}#map")
    page.wait_for_selector("[data-dashboard-map][data-ready='1']", state="attached")
    page.locator(".case-cluster").first.dispatch_event("click")
    page.wait_for_selector("#map-cases[data-cell]")
    items = page.locator("#map-cases [data-map-cases-list] li")
    assert items.count() == 2
    assert {items.nth(i).get_attribute("data-case-number") for i in range(2)} == {
        mapped["overdue"].number,
        mapped["lamp"].number,
    }
    overdue = page.locator(f'#map-cases li[data-case-number="{mapped["overdue"].number}"]')
    assert (
        "超期" in overdue.inner_text() and mapped["overdue"].category.name in overdue.inner_text()
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("#map").screenshot(path=str(shots / f"dashboard-map-cluster-{device}.png"))
    assert not page.errors
    # The full list of the cluster: the same two cases.
    with page.expect_navigation():
        page.locator("[data-map-cases-all]").click()
    assert "box=" in page.url
    page.wait_for_selector("[data-box-filter]", state="attached")
    table = page.locator("main").inner_text()
    assert mapped["overdue"].number in table and mapped["lamp"].number in table
    assert mapped["other"].number not in table
