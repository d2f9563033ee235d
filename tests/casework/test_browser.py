"""The closed loop in Chromium: a grid worker files a case on a phone, the community dispatches
it, the department handles it, the grid worker verifies it. Screenshots at each stage."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from casework.models import Case, Status

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def photo_path(tmp_path):
    def make(name: str, color: str):
        path = tmp_path / name
        image = Image.new("RGB", (640, 480), color)
        buffer = BytesIO()
        image.save(buffer, format="JPEG")
        path.write_bytes(buffer.getvalue())
        return str(path)

    return make


def _take(page, step: str, case_pk: int, *, fill=None, photo=None):
    page.click(f"details.step-{step} > summary")
    form = page.locator(f"details.step-{step} form")
    for name, value in (fill or {}).items():
        form.locator(f"[name='{step}-{name}']").fill(value)
    if photo:
        form.locator(f"input[name='{step}-photos']").set_input_files(photo)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.url.endswith(f"/cases/{case_pk}/"), page.url


def test_the_closed_loop_in_the_browser(
    transactional_db, live_server, session, tree, categories, crew, photo_path, artifacts_dir
):
    shots = artifacts_dir / "casework"
    shots.mkdir(exist_ok=True)

    # A grid worker files a case on a phone: category by search, position from the browser.
    worker = session(
        crew.worker_a,
        PHONE,
        geolocation={"latitude": 39.9501, "longitude": 116.4002},
        permissions=["geolocation"],
    )
    worker.goto(f"{live_server.url}/cases/new/")
    worker.fill("input[name=title]", "1号楼东侧垃圾堆放")
    worker.fill("[data-category-search]", "垃圾")
    worker.click("[data-category-results] button")
    assert worker.input_value("select[name=category]") == str(categories.garbage.pk)
    worker.select_option("select[name=area]", str(tree.building_a1.pk))
    worker.click("[data-locate]")
    # A function, not an expression: Playwright evals a polled expression, which the CSP refuses.
    worker.wait_for_function("() => document.querySelector('input[name=latitude]').value !== ''")
    worker.fill("input[name=address]", "1号楼东侧垃圾桶旁")
    worker.set_input_files("input[name=photos]", photo_path("before.jpg", "saddlebrown"))
    worker.wait_for_selector(".photo-previews img")
    worker.screenshot(path=shots / "1-worker-files-on-phone.png", full_page=True)
    with worker.expect_navigation():
        worker.click("form#case-form button[type=submit]")
    case = Case.objects.get()
    assert worker.url.endswith(f"/cases/{case.pk}/")
    assert (case.area, case.status, case.attachments.count()) == (tree.building_a1, "reported", 1)
    assert case.latitude is not None
    worker.screenshot(path=shots / "2-worker-sees-the-case.png", full_page=True)

    # The community dispatcher accepts and dispatches to the category's department.
    dispatcher = session(crew.dispatcher_a, DESKTOP)
    dispatcher.goto(f"{live_server.url}/cases/inbox/")
    dispatcher.click(f"a[href='/cases/{case.pk}/']")
    _take(dispatcher, "accept", case.pk, fill={"comment": "情况属实，予以立案。"})
    _take(dispatcher, "dispatch", case.pk)
    dispatcher.screenshot(path=shots / "3-dispatcher-dispatched.png", full_page=True)
    case.refresh_from_db()
    assert (case.status, case.department.name) == (Status.DISPATCHED, "城管执法队")

    # The department acknowledges, then completes with a photo of the fix.
    handler = session(crew.handler_a, DESKTOP)
    handler.goto(f"{live_server.url}/cases/inbox/")
    handler.click(f"a[href='/cases/{case.pk}/']")
    _take(handler, "acknowledge", case.pk)
    _take(
        handler,
        "complete",
        case.pk,
        fill={"result": "已清运垃圾并冲洗地面。"},
        photo=photo_path("after.jpg", "seagreen"),
    )
    handler.screenshot(path=shots / "4-department-completed.png", full_page=True)

    # The grid worker verifies on site; the case is closed with its whole timeline.
    worker.goto(f"{live_server.url}/cases/inbox/")
    worker.click(f"a[href='/cases/{case.pk}/']")
    _take(worker, "verify_pass", case.pk, fill={"comment": "现场核查已清理干净。"})
    worker.screenshot(path=shots / "5-worker-verified-closed.png", full_page=True)
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    steps = list(case.events.values_list("step", flat=True))
    assert steps == ["report", "accept", "dispatch", "acknowledge", "complete", "verify_pass"]
    assert worker.locator(".timeline .event").count() == 6
    assert worker.locator(".status-closed").first.is_visible()
    assert worker.locator(".photos-card .thumb").count() == 2
    # The thumbnails are served through the scoped photo view; a tap opens the full photo.
    assert worker.evaluate(
        "Array.from(document.querySelectorAll('.photos-card img')).every(i => i.naturalWidth > 0)"
    )
    worker.click(".photos-card .thumb >> nth=1")
    worker.wait_for_function("() => document.querySelector('#lightbox img').naturalWidth > 0")
    assert worker.locator("dialog#lightbox[open]").is_visible()
    worker.screenshot(path=shots / "6-worker-opens-the-after-photo.png")
