"""The map pick without tiles, on a 390-px phone and a desktop: the grid's micro-grids and
buildings drawn with their names (as text), and a building picked from a list, nearest first
when the position is known. Screenshots in var/test-artifacts/map-pick/."""

from __future__ import annotations

import pytest

from grids.models import Area, AreaKind
from tests.casework.test_browser import DESKTOP, PHONE
from tests.casework.test_phone_browser import _assert_fits
from tests.factories import AreaFactory

pytestmark = [pytest.mark.browser]


def _box(west, south, east, north):
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def buildings(tree):
    """Grid A1 and its micro-grid with boundaries, and five buildings in a row, west to east
    (the last one's name looks like HTML: it must show as text)."""
    tree.grid_a1.boundary = _box(116.3990, 39.9490, 116.4060, 39.9540)
    tree.grid_a1.save()
    tree.micro_a1.boundary = _box(116.3995, 39.9495, 116.4055, 39.9535)
    tree.micro_a1.save()
    tree.building_a1.boundary = _box(116.4000, 39.9500, 116.4006, 39.9504)
    tree.building_a1.save()
    made = [tree.building_a1]
    for n, name in enumerate(
        ["青松里2号楼", "青松里3号楼", "青松里4号楼", "<b>青松里5号楼</b>"], 1
    ):
        west = 116.4000 + n * 0.0010
        made.append(
            AreaFactory(
                kind=AreaKind.BUILDING,
                name=name,
                parent=tree.micro_a1,
                boundary=_box(west, 39.9500, west + 0.0006, 39.9504),
            )
        )
    return made


def _pick_from_the_list(page, buildings):
    page.click("[data-pick-building]")
    page.wait_for_selector("[data-building-list] button")
    names = page.eval_on_selector_all(
        "[data-building-list] button span", "(els) => els.map((el) => el.textContent)"
    )
    return names


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_map_draws_micro_grids_and_buildings_by_name_without_tiles(
    transactional_db,
    live_server,
    session,
    crew,
    tree,
    categories,
    buildings,
    artifacts_dir,
    viewport,
):
    shots = artifacts_dir / "map-pick"
    shots.mkdir(exist_ok=True)
    page = session(crew.worker_a, viewport)
    page.goto(f"{live_server.url}/cases/new/")
    page.click("[data-pick-map]")
    page.wait_for_selector(".leaflet-tooltip.map-label-micro")
    assert page.inner_text(".leaflet-tooltip.map-label-micro") == "青松一微网格"
    # Every building is drawn, named as text (the HTML-looking name shows its brackets).
    page.wait_for_function("() => document.querySelectorAll('.map-label-building').length === 5")
    labels = page.eval_on_selector_all(
        ".map-label-building", "(els) => els.map((el) => el.textContent)"
    )
    assert "<b>青松里5号楼</b>" in labels
    assert page.locator(".leaflet-tooltip b").count() == 0
    page.screenshot(path=shots / f"map-{viewport['width']}.png", full_page=True)
    # A click on a building picks it (the buildings are the map's only clickable shapes).
    page.evaluate(
        "() => document.querySelector('[data-map-pick]').scrollIntoView({ block: 'center' })"
    )
    boxes = sorted(
        page.eval_on_selector_all(
            "[data-map-pick] path.leaflet-interactive",
            "(els) => els.map((el) => { const r = el.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })",
        )
    )
    assert len(boxes) == 5
    page.mouse.click(*boxes[2])  # the third from the west
    third = next(b for b in buildings if b.name == "青松里3号楼")
    page.wait_for_function(
        f"() => document.querySelector('select[name=area]').value === '{third.pk}'"
    )
    assert page.input_value("input[name=address]") == "青松里3号楼"
    assert page.input_value("input[name=latitude]") != ""
    if viewport is PHONE:
        # Leaflet's drawing layer overhangs the map by design (clipped by it): the page itself
        # must not widen.
        assert page.evaluate("() => document.documentElement.scrollWidth") == PHONE["width"]
    page.screenshot(path=shots / f"map-picked-{viewport['width']}.png", full_page=True)


def test_a_building_is_picked_from_the_list_of_the_grid(
    transactional_db, live_server, session, crew, tree, categories, buildings, artifacts_dir
):
    page = session(crew.worker_a, PHONE)
    page.goto(f"{live_server.url}/cases/new/")
    names = _pick_from_the_list(page, buildings)
    # No position: the grid's buildings in their order.
    in_order = Area.objects.filter(parent=tree.micro_a1).order_by(*Area.tree_order())
    assert names == [b.name for b in in_order]
    page.fill("[data-building-search]", "4号楼")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-building-list] button').length === 1"
    )
    _assert_fits(page, "building list")
    page.screenshot(path=artifacts_dir / "map-pick" / "list-phone.png", full_page=True)
    page.click("[data-building-list] button")
    fourth = next(b for b in buildings if b.name == "青松里4号楼")
    assert page.input_value("select[name=area]") == str(fourth.pk)
    assert page.input_value("input[name=address]") == "青松里4号楼"
    assert abs(float(page.input_value("input[name=latitude]")) - 39.9502) < 0.0001
    assert page.locator("[data-building-pick]").is_hidden()


def test_with_the_position_the_nearest_building_comes_first(
    transactional_db, live_server, session, crew, tree, categories, buildings
):
    # Standing by the fourth building from the west (青松里4号楼).
    page = session(
        crew.worker_a,
        PHONE,
        geolocation={"latitude": 39.9502, "longitude": 116.4033},
        permissions=["geolocation"],
    )
    page.goto(f"{live_server.url}/cases/new/")
    page.click("[data-pick-building]")
    page.wait_for_function(
        "() => document.querySelector('[data-building-list] button span')?.textContent"
        " === '青松里4号楼'"
    )
    distances = page.eval_on_selector_all(
        "[data-building-list] button small", "(els) => els.map((el) => el.textContent)"
    )
    assert len(distances) == 5 and all(d for d in distances)
