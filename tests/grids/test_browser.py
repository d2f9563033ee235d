"""Smoke test of the area pages in Chromium: log in in Chinese, expand the tree, open a
micro-grid and wait for its map, on a desktop and on a phone. Screenshots go to the artefacts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import AreaTreeFactory, GridStaffFactory, RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _box(west: float, south: float, size: float) -> dict:
    east, north = west + size, south + size
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def street(transactional_db):
    tree = AreaTreeFactory.build_street()
    tree.micro_a1.boundary = _box(116.450, 39.930, 0.004)
    tree.micro_a1.save()
    tree.building_a1.boundary = _box(116.451, 39.931, 0.001)
    tree.building_a1.save()
    GridStaffFactory(area=tree.micro_a1, name="韩梦琪", position="micro_grid_leader")
    user = UserFactory(username="jiedao", full_name="周建华")
    RoleAssignmentFactory(user=user, role="street_admin", area=tree.street)
    return tree


def _log_in(page, base: str) -> None:
    page.goto(base + reverse("login"))
    assert page.get_attribute("html", "lang") == "zh-hans"
    page.fill("input[name=username]", "jiedao")
    page.fill("input[name=password]", "pass-word-123")
    page.click(".auth-card button[type=submit]")
    page.wait_for_load_state("networkidle")


def _open_micro_grid_and_wait_for_the_map(page, base: str, micro) -> None:
    page.goto(base + reverse("grids:area", args=[micro.pk]))
    page.wait_for_selector("[data-map][data-ready='1']", timeout=10_000)
    # Leaflet drew the micro-grid's outline and its building.
    assert page.locator("[data-map] path.leaflet-interactive").count() == 2
    assert page.locator("a[href^='tel:']").count() == 1


def test_tree_and_micro_grid_map_on_desktop(browser, live_server, street, artifacts_dir):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        _log_in(page, live_server.url)
        # A street admin starts on the street's dashboard.
        assert page.url.endswith(reverse("stats:dashboard"))

        page.goto(live_server.url + reverse("grids:tree"))
        community = page.locator(f".tree-node[data-id='{street.community_a.pk}']")
        community.locator(":scope > .tree-row button.toggle").click()
        grid = community.locator(f".tree-node[data-id='{street.grid_a1.pk}']")
        grid.wait_for()
        assert community.locator(":scope > .tree-row button.toggle").get_attribute(
            "aria-expanded"
        ) == ("true")
        grid.locator(":scope > .tree-row button.toggle").click()
        micro_link = grid.locator(f"a[href='{reverse('grids:area', args=[street.micro_a1.pk])}']")
        micro_link.wait_for()
        page.screenshot(path=artifacts_dir / "grids-tree-desktop.png", full_page=True)

        micro_link.click()
        page.wait_for_selector("[data-map][data-ready='1']", timeout=10_000)
        _open_micro_grid_and_wait_for_the_map(page, live_server.url, street.micro_a1)
        page.screenshot(path=artifacts_dir / "grids-micro-grid-desktop.png", full_page=True)
        assert errors == []
    finally:
        context.close()


def test_micro_grid_page_fits_a_phone(browser, live_server, street, artifacts_dir):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        _log_in(page, live_server.url)
        _open_micro_grid_and_wait_for_the_map(page, live_server.url, street.micro_a1)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        map_height = page.locator("[data-map]").bounding_box()["height"]
        assert 200 <= map_height <= 0.6 * PHONE["height"]
        page.screenshot(path=artifacts_dir / "grids-micro-grid-phone.png", full_page=True)

        page.goto(live_server.url + reverse("grids:tree"))
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=artifacts_dir / "grids-tree-phone.png", full_page=True)
    finally:
        context.close()


def test_a_failed_expansion_says_so_and_can_be_retried(browser, live_server, street):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    try:
        _log_in(page, live_server.url)
        page.goto(live_server.url + reverse("grids:tree"))
        children_url = reverse("grids:children", args=[street.community_a.pk])
        page.route(f"**{children_url}", lambda route: route.fulfill(status=500, body="boom"))
        community = page.locator(f".tree-node[data-id='{street.community_a.pk}']")
        community.locator(":scope > .tree-row button.toggle").click()
        error = community.locator(".tree-error")
        error.wait_for()
        expected = page.get_attribute("[data-tree]", "data-error-text")
        assert expected and expected in error.inner_text()

        page.unroute(f"**{children_url}")
        error.locator("button").click()
        community.locator(f".tree-node[data-id='{street.grid_a1.pk}']").wait_for()
        assert community.locator(".tree-error").count() == 0
    finally:
        context.close()
