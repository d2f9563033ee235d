"""The portal on a 390-px phone: a bottom tab bar per role with nothing off-screen, and long
words that wrap instead of widening the page. Screenshots in var/test-artifacts/phone/."""

from __future__ import annotations

import pytest
from django.db import transaction

from casework.models import Case, PhotoDraft
from tests.casework.factories import CaseFactory, jpeg_upload
from tests.casework.test_browser import PHONE

pytestmark = [pytest.mark.browser]

SCROLL_WIDTH = "() => document.documentElement.scrollWidth"
# Every element that shows (has a box) and lies partly outside the viewport's width; the skip
# link waits off-screen until it gets the focus, by design.
OFF_SCREEN = """() => Array.from(document.querySelectorAll('body *')).filter((el) => {
  if (el.closest('.skip-link, .visually-hidden')) return false;
  const r = el.getBoundingClientRect();
  const shown = r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  return shown && (r.left < -1 || r.right > window.innerWidth + 1);
}).map((el) => el.tagName + '.' + el.className + ' ' + (el.textContent || '').slice(0, 30))"""


@pytest.fixture
def phone(session):
    """A page on a 390-px phone, signed in as the given user."""
    return lambda user: session(user, PHONE)


def _assert_fits(page, where):
    assert page.evaluate(SCROLL_WIDTH) == PHONE["width"], where
    assert page.evaluate(OFF_SCREEN) == [], where


@pytest.mark.parametrize(
    "role, tabs",
    [
        ("worker_a", ["case-inbox", "case-new", "cases", "more"]),
        ("dispatcher_a", ["case-inbox", "case-new", "cases", "more"]),
        ("center", ["case-inbox", "case-new", "cases", "more"]),
        ("street_admin", ["case-inbox", "case-new", "cases", "more"]),
        ("handler_a", ["case-inbox", "cases", "supervision", "more"]),
        ("party_a", ["cases", "party", "areas", "more"]),
        ("viewer_a", ["cases", "patrols", "party", "more"]),
        ("nobody", ["notifications", "mobilization"]),
    ],
)
def test_each_role_has_a_bottom_bar_with_nothing_off_screen(
    transactional_db, live_server, phone, crew, artifacts_dir, role, tabs
):
    shots = artifacts_dir / "phone"
    shots.mkdir(exist_ok=True)
    page = phone(getattr(crew, role))
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state()
    assert not page.locator(".mainnav").is_visible()
    shown = page.eval_on_selector_all(
        ".tabbar [data-tab]", "(els) => els.map((el) => el.dataset.tab)"
    )
    assert shown == tabs
    _assert_fits(page, f"{role} start page {page.url}")
    page.screenshot(path=shots / f"nav-{role}.png", full_page=True)
    if "more" in tabs:
        page.click(".tab-more > summary")
        sheet = page.locator(".tab-sheet a")
        assert sheet.count() >= 1
        assert sheet.first.is_visible()
        _assert_fits(page, f"{role} more sheet")
        page.screenshot(path=shots / f"nav-{role}-more.png")
        # The sheet leads somewhere: its first entry opens its page, which fits too.
        with page.expect_navigation():
            sheet.first.click()
        _assert_fits(page, f"{role} {page.url}")


def test_a_long_title_wraps_on_a_phone(
    transactional_db, live_server, phone, crew, tree, categories, artifacts_dir
):
    long_word = "东城区和平里街道青松社区" * 2 + "https://example.org/" + "x" * 50
    with transaction.atomic():
        case = CaseFactory(
            title=long_word,
            area=tree.building_a1,
            category=categories.garbage,
            address="青松里" + "1" * 60 + "号楼东侧",
            reporter_name="张大爷",
        )
    page = phone(crew.dispatcher_a)
    for url in (f"/cases/{case.pk}/", "/cases/", "/cases/inbox/"):
        page.goto(f"{live_server.url}{url}")
        page.wait_for_load_state()
        _assert_fits(page, url)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    heading = page.locator("h1").first
    box = heading.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path=artifacts_dir / "phone" / "long-title.png", full_page=True)


def test_filing_with_two_fields_missing_is_refused_once_and_keeps_the_photo(
    transactional_db, live_server, phone, crew, tree, categories, tmp_path, artifacts_dir
):
    photo = tmp_path / "before.jpg"
    photo.write_bytes(jpeg_upload(size=(640, 480), color="saddlebrown").read())
    page = phone(crew.worker_a)
    page.goto(f"{live_server.url}/cases/new/")
    page.fill("input[name=title]", "2号楼门口垃圾堆放")
    page.select_option("select[name=area]", str(tree.building_a1.pk))
    page.set_input_files("input[name=photos]", str(photo))
    # The photo is uploaded at once and named by a hidden field; the file input is emptied.
    page.wait_for_function(
        "() => document.querySelector('input[name=photos_drafts]') !== null"
        " && document.querySelector('.photo-draft.is-uploading') === null"
    )
    # No category, no location: the browser names both at once and sends nothing.
    page.click("form#case-form button[type=submit]")
    marked = page.eval_on_selector_all(
        ".field.client-invalid", "(els) => els.map((el) => el.querySelector('[name]').name)"
    )
    assert set(marked) == {"category", "address"}
    _assert_fits(page, "filing form with errors")
    page.screenshot(path=artifacts_dir / "phone" / "filing-two-missing-browser.png", full_page=True)

    # Sent anyway (a browser without the script): the server too names both in one round.
    with page.expect_navigation():
        page.evaluate("() => document.getElementById('case-form').submit()")
    server_marked = page.eval_on_selector_all(
        ".field.has-error", "(els) => els.map((el) => el.querySelector('[name]').name)"
    )
    assert set(server_marked) == {"category", "address"}
    # The photo is still there, shown and named, and no "photos not kept" notice.
    assert page.locator(".photo-draft img").count() == 1
    assert page.evaluate(
        "() => Array.from(document.querySelectorAll('.photo-draft img'))"
        ".every((i) => i.complete && i.naturalWidth > 0)"
    )
    assert page.locator("input[name=photos_drafts]").count() == 1
    assert page.locator("text=照片未能保留").count() == 0
    page.screenshot(path=artifacts_dir / "phone" / "filing-two-missing-server.png", full_page=True)

    # Both fixed: one more round files the case with its photo.
    page.fill("[data-category-search]", "垃圾")
    page.click("[data-category-results] button")
    page.fill("input[name=address]", "2号楼门口")
    with page.expect_navigation():
        page.click("form#case-form button[type=submit]")
    case = Case.objects.get()
    assert page.url.endswith(f"/cases/{case.pk}/")
    assert (case.category, case.attachments.count()) == (categories.garbage, 1)
    assert not PhotoDraft.objects.exists()


def _transferred(page, url, *, cold):
    """Bytes that came over the network for one visit of ``url`` (headers and bodies as sent,
    compressed if they were; nothing for what the browser cache served). ``cold`` empties the
    browser's cache first (the session cookie stays)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    if cold:
        cdp.send("Network.clearBrowserCache")
    sizes: dict[str, int] = {}
    names: dict[str, str] = {}
    cdp.on(
        "Network.requestWillBeSent",
        lambda e: names.__setitem__(e["requestId"], e["request"]["url"]),
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    page.goto(url)
    page.wait_for_load_state("networkidle")
    cdp.detach()
    return sum(sizes.values()), {names.get(k, k): v for k, v in sizes.items()}


def test_the_filing_page_is_light_cold_and_warm_and_loads_the_map_when_opened(
    transactional_db, live_server, phone, crew, tree, categories
):
    page = phone(crew.worker_a)
    url = f"{live_server.url}/cases/new/"
    cold, cold_parts = _transferred(page, url, cold=True)
    assert not any("leaflet" in name for name in cold_parts), cold_parts
    assert cold <= 100 * 1024, cold_parts
    warm, warm_parts = _transferred(page, url, cold=False)
    assert warm <= 30 * 1024, warm_parts
    # The map library comes when the map is opened, and the map works.
    page.click("[data-pick-map]")
    page.wait_for_function(
        "() => document.querySelector('[data-map-pick][data-ready=\"1\"]') !== null"
    )
    assert page.evaluate("() => typeof window.L") == "object"
    page.click("[data-map-pick]", position={"x": 120, "y": 120})
    assert page.input_value("input[name=latitude]") != ""


@pytest.mark.parametrize("typed", ["bllj", "baolu", "baolulaji"])
def test_the_category_search_finds_pinyin_and_initials_on_a_phone(
    transactional_db, live_server, phone, crew, categories, artifacts_dir, typed
):
    page = phone(crew.worker_a)
    page.goto(f"{live_server.url}/cases/new/")
    page.fill("[data-category-search]", typed)
    hits = page.locator("[data-category-results] .picker-hit")
    hits.first.wait_for()
    assert hits.count() == 1 and "暴露垃圾" in hits.first.inner_text()
    _assert_fits(page, f"category search {typed}")
    page.screenshot(path=artifacts_dir / "phone" / f"category-pinyin-{typed}.png")
    hits.first.click()
    assert page.eval_on_selector("select[name=category]", "(s) => s.value") == str(
        categories.garbage.pk
    )
