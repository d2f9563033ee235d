"""Field work in Chromium on a 390-px phone: a grid worker starts a patrol (the phone sends its
position), files a finding as a case, and checks a building of a mobilization task, while the
street's coverage board, open in a second browser page, shows the check without a reload."""

from __future__ import annotations

import pytest

from casework.models import Case
from grids.models import MobilizationReport, MobilizationTarget, Patrol, PatrolPoint
from tests.casework.factories import CategoryFactory
from tests.grids.field_factories import task

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
WHERE = {"latitude": 39.9301, "longitude": 116.4512}


def _box(west: float, south: float, size: float) -> dict:
    east, north = west + size, south + size
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def mapped(tree):
    """The standard tree with boundaries for the maps."""
    for name, box in {
        "community_a": (116.440, 39.920, 0.02),
        "community_b": (116.470, 39.920, 0.02),
        "grid_a1": (116.445, 39.925, 0.008),
        "building_a1": (116.4505, 39.9295, 0.001),
        "building_b1": (116.4805, 39.9295, 0.001),
    }.items():
        area = getattr(tree, name)
        area.boundary = _box(*box)
        area.save()
    return tree


def _fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def test_a_worker_patrols_files_a_finding_and_checks_a_building_seen_live_on_the_board(
    transactional_db, live_server, session, mapped, field, artifacts_dir
):
    shots = artifacts_dir / "fieldwork"
    shots.mkdir(exist_ok=True)
    category = CategoryFactory(code="F1", name="暴露垃圾")
    CategoryFactory(code="F0", name="市容环境")
    the_task = task(field.street_admin, mapped.street)
    target = MobilizationTarget.objects.get(task=the_task, building=mapped.building_a1)

    # The street watches the coverage board on a desktop.
    board = session(field.street_admin, DESKTOP)
    board.goto(f"{live_server.url}/field/tasks/{the_task.pk}/")
    board.wait_for_selector("[data-board-map][data-ready='1']")
    board.wait_for_function("() => document.querySelector('[data-board]').dataset.stamp")
    assert board.inner_text("[data-total='done']") == "0"
    board.screenshot(path=shots / "1-board-before.png", full_page=True)

    # The grid worker starts a patrol on a phone; the page sends the phone's position.
    worker = session(field.worker_a, PHONE, geolocation=WHERE, permissions=["geolocation"])
    worker.goto(f"{live_server.url}/field/patrols/")
    _fits_the_phone(worker)
    with worker.expect_navigation():
        worker.click(".patrol-start button[type=submit]")
    worker.wait_for_selector("[data-tracker][data-sent='1']")
    patrol = Patrol.objects.get()
    assert patrol.is_open and PatrolPoint.objects.filter(patrol=patrol).count() == 1
    assert worker.inner_text("[data-point-count]") == "1"
    _fits_the_phone(worker)
    worker.screenshot(path=shots / "2-worker-on-patrol.png", full_page=True)

    # A finding, filed as a case in the same step.
    worker.click("a[href$='/findings/new/']")
    worker.fill("textarea[name=description]", "青松里1号楼东侧垃圾堆放")
    worker.select_option("select[name=area]", str(mapped.building_a1.pk))
    worker.click("[data-locate]")
    worker.wait_for_function("() => document.querySelector('input[name=latitude]').value !== ''")
    worker.select_option("select[name=category]", str(category.pk))
    _fits_the_phone(worker)
    worker.screenshot(path=shots / "3-worker-files-a-finding.png", full_page=True)
    with worker.expect_navigation():
        worker.click("form.case-form button[type=submit]")
    case = Case.objects.get()
    finding = patrol.findings.get()
    assert finding.case == case and case.reporter == field.worker_a
    assert worker.url.endswith("/field/patrols/")
    assert case.number in worker.inner_text(".messages")

    # The worker checks a building of the mobilization task in a few taps.
    worker.goto(f"{live_server.url}/field/tasks/{the_task.pk}/take-part/")
    _fits_the_phone(worker)
    worker.screenshot(path=shots / "4-worker-buildings.png", full_page=True)
    worker.click(f"a[href$='/buildings/{target.pk}/check/']")
    worker.check("input[name=q1][value=no]")
    worker.check("input[name=q2][value=yes]")
    worker.check("input[name=q4][value='自住']")
    _fits_the_phone(worker)
    worker.screenshot(path=shots / "5-worker-checks-a-building.png", full_page=True)
    with worker.expect_navigation():
        worker.click("form.check-form button[type=submit]")
    assert MobilizationReport.objects.filter(target=target).count() == 1

    # The board shows the check without a reload.
    board.wait_for_function(
        "() => document.querySelector(\"[data-total='done']\").textContent === '1'", timeout=20_000
    )
    assert board.inner_text("[data-total='percent']") == "50%"
    board.screenshot(path=shots / "6-board-after.png", full_page=True)

    # The worker ends the patrol.
    worker.goto(f"{live_server.url}/field/patrols/")
    worker.click(".end-patrol > summary")
    with worker.expect_navigation():
        worker.click(".end-patrol button[type=submit]")
    patrol.refresh_from_db()
    assert not patrol.is_open
    worker.wait_for_selector("[data-field-map][data-ready='1']")
    _fits_the_phone(worker)
    worker.screenshot(path=shots / "7-worker-patrol-route.png", full_page=True)
    assert worker.errors == [] and board.errors == []
