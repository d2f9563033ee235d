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
