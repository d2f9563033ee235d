"""A background export's page in Chromium: the progress follows the worker by itself (text
nodes from the API), then the download link appears; on a 390-px phone nothing scrolls
sideways. Screenshots in var/test-artifacts/casework/."""

from __future__ import annotations

import pytest

from casework import export_jobs
from tests.casework.factories import CaseFactory
from tests.casework.test_browser import DESKTOP, PHONE

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_export_page_follows_the_worker_and_offers_the_file(
    transactional_db,
    live_server,
    session,
    tree,
    categories,
    crew,
    artifacts_dir,
    viewport,
):
    for i in range(3):
        CaseFactory(
            area=tree.grid_a1,
            community=tree.community_a,
            category=categories.garbage,
            title=f"<img src=x onerror=alert(1)>楼道堆物{i}",
        )
    export = export_jobs.case_export_start(owner=crew.dispatcher_a, query="")
    page = session(crew.dispatcher_a, viewport, accept_downloads=True)
    page.goto(f"{live_server.url}/cases/exports/{export.pk}/")
    assert page.locator("[data-export-download]").is_hidden()
    assert page.locator("[data-export-wait]").is_visible()

    export_jobs.case_export_write(export_id=export.pk)  # the worker, while the page waits

    page.wait_for_selector("[data-export-download]:not([hidden])", timeout=20_000)
    assert page.locator("[data-export-percent]").text_content() == "100%"
    assert page.locator("[data-export-written]").text_content() == "3"
    assert page.locator("[data-export-wait]").is_hidden()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
    shots = artifacts_dir / "casework"
    shots.mkdir(exist_ok=True)
    name = "phone" if viewport is PHONE else "desktop"
    page.screenshot(path=str(shots / f"export-{name}.png"), full_page=True)
    with page.expect_download() as download:
        page.click("[data-export-download]")
    assert download.value.suggested_filename.endswith(".xlsx")
