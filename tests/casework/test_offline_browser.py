"""A weak connection on a 390-px phone: the portal installs (manifest, service worker), the
filing form keeps its draft on the device, a case filed offline waits in the outbox and is sent
once when the connection is back. Screenshots in var/test-artifacts/offline/."""

from __future__ import annotations

import json
import re
import time

import pytest

from casework.models import Case, FilingKey
from tests.casework import test_phone_browser
from tests.casework.factories import jpeg_upload
from tests.casework.test_phone_browser import _assert_fits

pytestmark = [pytest.mark.browser]

# The signed-in phone of the phone tests (a 390-px Chromium context per user).
phone = test_phone_browser.phone

OUTBOX = """() => new Promise((resolve) => {
  const opening = indexedDB.open("portal-outbox", 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore("drafts", { keyPath: "key" });
  opening.onsuccess = () => {
    const ask = opening.result.transaction("drafts").objectStore("drafts").getAll();
    ask.onsuccess = () => resolve(ask.result.map((r) => ({
      key: r.key, status: r.status, title: r.title,
      files: r.fields.filter((f) => f.length === 3).map((f) => f[2]),
    })));
  };
})"""


def _outbox(page):
    return page.evaluate(OUTBOX)


def _outbox_when(page, condition, timeout=30.0):
    """The outbox once ``condition(records)`` holds (polled, with a deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        records = _outbox(page)
        if condition(records) or time.monotonic() > deadline:
            return records
        page.wait_for_timeout(100)


def _fill_the_form(page, tree, title):
    page.fill("input[name=title]", title)
    page.fill("[data-category-search]", "垃圾")
    page.click("[data-category-results] button")
    page.select_option("select[name=area]", str(tree.building_a1.pk))
    page.fill("input[name=address]", "1号楼2单元门口")


def test_the_portal_installs_with_a_manifest_and_a_service_worker(
    transactional_db, live_server, phone, crew
):
    page = phone(crew.worker_a)
    page.goto(f"{live_server.url}/cases/inbox/")
    manifest_url = page.get_attribute("link[rel=manifest]", "href")
    manifest = json.loads(page.request.get(f"{live_server.url}{manifest_url}").text())
    assert manifest["name"] == "网格化治理门户"
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert page.request.get(f"{live_server.url}{icon['src']}").ok
    scope = page.evaluate("() => navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == f"{live_server.url}/"
    # The shell is kept; no page's HTML is.
    cached = page.evaluate(
        """async () => {
          const urls = [];
          for (const name of await caches.keys()) {
            for (const r of await (await caches.open(name)).keys()) urls.push(new URL(r.url).pathname);
          }
          return urls;
        }"""
    )
    assert "/offline/" in cached and any(u.endswith("css/portal.css") for u in cached)
    assert not any(u.startswith("/cases/") for u in cached), cached


def test_a_case_filed_offline_is_sent_once_when_the_connection_is_back(
    transactional_db, live_server, phone, crew, tree, categories, tmp_path, artifacts_dir
):
    shots = artifacts_dir / "offline"
    shots.mkdir(exist_ok=True)
    photo = tmp_path / "stairwell.jpg"
    photo.write_bytes(jpeg_upload(size=(640, 480), color="slategray").read())
    page = phone(crew.worker_a)
    page.goto(f"{live_server.url}/cases/new/")
    page.evaluate("() => navigator.serviceWorker.ready")
    key = page.input_value("input[name=idempotency_key]")
    page.fill("input[name=title]", "1号楼楼道堆放杂物")
    # What is typed is kept on the device while it is written.
    kept = _outbox_when(page, lambda records: any(r["key"] == key for r in records))
    assert [(r["key"], r["status"]) for r in kept] == [(key, "editing")]

    # The signal goes in the stairwell: the rest is written, a photo chosen, the form sent.
    page.context.set_offline(True)
    _fill_the_form(page, tree, "1号楼楼道堆放杂物")
    page.set_input_files("input[name=photos]", str(photo))
    page.wait_for_selector(".photo-previews .photo-note")  # "sent with the form"
    page.click("form#case-form button[type=submit]")
    notice = page.locator("[data-outbox-notice]")
    notice.wait_for(state="visible")
    assert "连接" in notice.inner_text()
    waiting = _outbox(page)
    assert [(r["key"], r["status"], r["files"]) for r in waiting] == [
        (key, "queued", ["stairwell.jpg"])
    ]
    assert not Case.objects.exists()
    _assert_fits(page, "filing form, saved offline")
    page.screenshot(path=shots / "filing-queued.png", full_page=True)

    # Back online: the outbox sends it and the case's page opens.
    page.context.set_offline(False)
    page.wait_for_url(re.compile(r"/cases/\d+/$"), timeout=20_000)
    case = Case.objects.get()
    assert page.url == f"{live_server.url}/cases/{case.pk}/"
    assert (case.title, case.area, case.address) == (
        "1号楼楼道堆放杂物",
        tree.building_a1,
        "1号楼2单元门口",
    )
    assert case.attachments.count() == 1
    assert str(FilingKey.objects.get(case=case).key) == key
    assert _outbox(page) == []
    page.screenshot(path=shots / "filed-after-reconnect.png", full_page=True)

    # A fresh form starts empty with a new key: nothing restored, nothing waiting.
    page.goto(f"{live_server.url}/cases/new/")
    page.wait_for_load_state("networkidle")
    assert page.input_value("input[name=title]") == ""
    assert page.input_value("input[name=idempotency_key]") != key
    assert page.locator("[data-outbox-notice]").is_hidden()
    assert Case.objects.count() == 1


def test_a_draft_waiting_shows_in_the_inbox_and_offline_page_and_is_sent_from_there(
    transactional_db, live_server, phone, crew, tree, categories, artifacts_dir
):
    shots = artifacts_dir / "offline"
    shots.mkdir(exist_ok=True)
    page = phone(crew.worker_a)
    page.goto(f"{live_server.url}/cases/new/")
    page.evaluate("() => navigator.serviceWorker.ready")
    page.context.set_offline(True)
    _fill_the_form(page, tree, "青松里路灯不亮")
    page.click("form#case-form button[type=submit]")
    page.locator("[data-outbox-notice]").wait_for(state="visible")

    # Any page opened without a connection: the offline page, with the draft listed.
    page.goto(f"{live_server.url}/cases/inbox/")
    page.locator("[data-outbox-panel] .outbox-item").wait_for()
    assert "青松里路灯不亮" in page.inner_text("[data-outbox-panel]")
    _assert_fits(page, "offline page")
    page.screenshot(path=shots / "offline-page.png", full_page=True)

    page.context.set_offline(False)
    page.goto(f"{live_server.url}/cases/inbox/")
    # The inbox sends what waits, once, and the list empties.
    page.wait_for_function(
        "() => document.querySelector('[data-outbox-panel]').hidden", timeout=20_000
    )
    assert Case.objects.filter(title="青松里路灯不亮").count() == 1
    page.reload()
    page.wait_for_load_state("networkidle")
    assert Case.objects.count() == 1


def test_what_is_typed_comes_back_after_a_reload_until_discarded(
    transactional_db, live_server, phone, crew, tree, categories
):
    page = phone(crew.worker_a)
    page.goto(f"{live_server.url}/cases/new/")
    key = page.input_value("input[name=idempotency_key]")
    _fill_the_form(page, tree, "6号楼电动车楼道充电")
    _outbox_when(page, lambda records: any(r["title"] == "6号楼电动车楼道充电" for r in records))
    page.reload()
    page.wait_for_function(
        "() => document.querySelector('input[name=title]').value === '6号楼电动车楼道充电'"
    )
    assert page.input_value("input[name=idempotency_key]") == key
    assert page.input_value("select[name=area]") == str(tree.building_a1.pk)
    assert page.input_value("select[name=category]") == str(categories.garbage.pk)
    notice = page.locator("[data-outbox-notice]")
    assert "已恢复" in notice.inner_text()
    # Starting again: an empty form with a new key, and the old draft gone from the device.
    with page.expect_navigation():
        notice.locator("button").click()
    assert page.input_value("input[name=title]") == ""
    assert page.input_value("input[name=idempotency_key]") != key
    assert _outbox_when(page, lambda records: not records) == []
