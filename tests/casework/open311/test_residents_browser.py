"""The residents' page in Chromium on a 390-px phone: a resident reports with a photo, a building
picked by name and a verified phone, receives a tracking number, and follows the case as staff
dispatch and close it. Screenshots at each stage (and the form on a desktop)."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from PIL import Image

from casework.models import Status
from casework.open311.models import Intake
from casework.services import case_step
from tests.casework.factories import jpeg_upload

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "rubbish.jpg"
    buffer = BytesIO()
    Image.new("RGB", (800, 600), (150, 110, 70)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_resident_reports_on_a_phone_and_follows_the_case_to_its_close(
    transactional_db, live_server, browser, mapped, public, crew, sms, photo, artifacts_dir
):
    shots = artifacts_dir / "residents"
    shots.mkdir(exist_ok=True)
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/report/{mapped.street.code}/")
    assert _fits(page)

    # The category shows its own questions only.
    kind = page.locator(f"[data-questions-for='{public.garbage.pk}']")
    assert not kind.is_visible()
    page.select_option("select[name=category]", str(public.garbage.pk))
    assert kind.is_visible()
    page.select_option(f"select[name='q-{public.garbage.pk}-KIND']", "household")
    page.check(f"input[name='q-{public.garbage.pk}-SPOTS'][value=road]")
    page.fill("textarea[name=description]", "1号楼东侧垃圾堆了三天，气味很大。")

    # The map opens on the street; the building is picked by name.
    page.click("[data-pick-map]")
    page.wait_for_selector("[data-map-pick][data-ready]")
    page.fill("input[name=building]", "青松里")
    page.click("[data-building-hits] button >> text=青松里1号楼")
    assert page.input_value("input[name=building_code]") == mapped.building_a1.code
    page.set_input_files("input[name=photos]", photo)
    page.wait_for_selector(".photo-previews img")

    # The phone is verified with a code sent through the SMS channel, without leaving the page.
    page.fill("input[name=name]", "王女士")
    page.fill("input[name=phone]", "13800138000")
    page.click("[data-send-code]")
    page.wait_for_function("() => document.querySelector('[data-code-status]').textContent !== ''")
    code = re.search(r"\d{6}", sms.sent[-1][1]).group()
    page.fill("input[name=code]", code)
    page.screenshot(path=shots / "1-resident-fills-the-report-on-a-phone.png", full_page=True)
    assert _fits(page)

    with page.expect_navigation():
        page.click("form#resident-form button.btn-primary")
    intake = Intake.objects.get()
    number = page.text_content("[data-tracking-number]").strip()
    assert number == intake.token
    assert intake.case.area == mapped.building_a1 and intake.phone_verified
    page.screenshot(path=shots / "2-resident-gets-a-tracking-number.png", full_page=True)
    assert _fits(page)

    # Staff handle it: accepted, dispatched, handled with a photo, verified and closed.
    case = intake.case
    for actor, step, extra in (
        (crew.dispatcher_a, "accept", {"comment": "情况属实，已受理。"}),
        (crew.dispatcher_a, "dispatch", {}),
        (crew.handler_a, "acknowledge", {}),
        (crew.handler_a, "complete", {"result": "已清运并冲洗地面。", "photos": [jpeg_upload()]}),
        (crew.worker_a, "verify_pass", {"comment": "现场核查已清理干净。"}),
    ):
        case = case_step(case=case, actor=actor, step=step, **extra)
    assert case.status == Status.CLOSED

    # The resident follows it by number from the lookup page.
    page.goto(f"{live_server.url}/report/track/")
    page.fill("input[name=number]", number.lower())
    with page.expect_navigation():
        page.click("#lookup-form button[type=submit]")
    assert page.locator(".status-closed").is_visible()
    steps = page.locator("[data-public-timeline] .event").count()
    assert steps == 6
    html = page.content()
    assert "13800138000" not in html and crew.handler_a.full_name not in html
    # The photos load lazily: brought into view, each must decode (a broken one never does).
    page.locator(".gallery").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const imgs = Array.from(document.querySelectorAll('.gallery img'));"
        " return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0); }",
        timeout=10_000,
    )
    page.screenshot(path=shots / "3-resident-sees-the-case-closed.png", full_page=True)
    assert _fits(page)
    context.close()

    desktop = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    wide = desktop.new_page()
    wide.goto(f"{live_server.url}/report/{mapped.street.code}/")
    wide.select_option("select[name=category]", str(public.garbage.pk))
    wide.screenshot(path=shots / "4-the-form-on-a-desktop.png", full_page=True)
    desktop.close()
