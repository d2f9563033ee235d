"""The wall screen in Chromium at 1920×1080 and 3840×2160: opened by its link without a login,
it shows a case filed meanwhile (through the service, as another client would) within a few
seconds, says "reconnecting" while the network is gone and recovers by itself, and covers the
screen with "link revoked" when its link is revoked while it shows; a revoked link opens a clear
full-screen message (wall and phone). Screenshots kept."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from casework.models import Source
from casework.services import case_report
from casework.stats import wall
from grids.models import Area
from tests.casework.test_stats_map import _square

pytestmark = [pytest.mark.browser]
DEADLINE = 60  # seconds: the wall polls every second here (fast_polls); generous for a loaded CI


def _wait_for(page, selector: str, *, timeout: float = DEADLINE) -> None:
    page.wait_for_selector(selector, state="attached", timeout=timeout * 1000)


@pytest.fixture
def fast_polls(monkeypatch):
    """The wall at a faster pace than a hall's (every 5 s, backing off up to a minute): the page
    takes both from the server, and the waits for the next poll were most of the test's time."""
    monkeypatch.setattr(wall, "POLL_SECONDS", 1)
    monkeypatch.setattr(wall, "MAX_BACKOFF_SECONDS", 4)


def _no_scrolling(page) -> bool:
    return page.locator("html").evaluate(
        "e => e.scrollWidth <= window.innerWidth && e.scrollHeight <= window.innerHeight"
    )


@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)])
def test_the_wall_shows_a_case_filed_elsewhere_within_seconds(
    transactional_db, live_server, browser, tree, crew, categories, artifacts_dir, fast_polls, size
):
    shots = artifacts_dir / "stats"
    shots.mkdir(exist_ok=True)
    Area.objects.filter(pk=tree.street.pk).update(boundary=_square(116.40, 39.90, 0.02))
    Area.objects.filter(pk=tree.community_a.pk).update(boundary=_square(116.40, 39.90))
    Area.objects.filter(pk=tree.community_b.pk).update(boundary=_square(116.41, 39.90))
    token, key = wall.wall_token_issue(actor=crew.street_admin, area=tree.street, name="大厅")
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    polls = []
    page.on("request", lambda r: polls.append(r.url) if "/feed/" in r.url else None)
    page.goto(f"{live_server.url}{reverse('wall:screen', args=[key])}")
    _wait_for(page, "body[data-updated]")
    _wait_for(page, "#wall-status[data-state=live]")
    assert _no_scrolling(page)
    assert page.locator(".wall-case").count() == 0

    case = case_report(
        actor=crew.worker_a,
        title="垃圾堆放",
        category=categories.garbage,
        area=tree.building_a1,
        source=Source.PATROL,
        latitude=39.905,
        longitude=116.405,
    )
    # On the map and in the latest steps at the next poll, with no reload.
    _wait_for(page, f'#wall-events li[data-case-number="{case.number}"]')
    _wait_for(page, f'path.wall-case[data-case-number="{case.number}"]')
    assert page.locator("[data-key=reported] .wall-tile-value").inner_text() == "1"
    # Once the wall holds a case, a poll asks only for newer ones (?after=); the answer has
    # none, and the case stays on the map.
    assert "after=" not in polls[0]
    for _poll in range(2):
        updated = page.locator("body").get_attribute("data-updated")
        page.wait_for_function(
            "u => document.body.dataset.updated !== u", arg=updated, timeout=DEADLINE * 1000
        )
    assert f"after={case.pk}" in polls[-1]
    assert page.locator(f'path.wall-case[data-case-number="{case.number}"]').count() == 1
    assert page.locator("#wall-map-count").inner_text() == "1"
    time.sleep(0.5)  # let the arrival's animation settle for the picture
    assert _no_scrolling(page)
    page.screenshot(path=str(shots / f"wall-{width}x{height}.png"))

    if width == 1920:
        # The network goes: "reconnecting"; it comes back: live again, nobody touching it.
        context.set_offline(True)
        _wait_for(page, "#wall-status[data-state=reconnecting]")
        page.screenshot(path=str(shots / "wall-reconnecting.png"))
        context.set_offline(False)
        _wait_for(page, "#wall-status[data-state=live]", timeout=2 * DEADLINE)
        # The link is revoked: at the next poll the whole screen says so, and the wall asks
        # again only at the slowest pace.
        wall.wall_token_revoke(actor=crew.street_admin, token=token)
        _wait_for(page, "body[data-gone=revoked]")
        cover = page.locator("#wall-gone")
        assert cover.is_visible()
        assert cover.inner_text().endswith("此大屏链接已撤销，请联系网格中心。")
        assert page.locator("body").get_attribute("data-next-poll-ms") == str(
            wall.MAX_BACKOFF_SECONDS * 1000
        )
        assert page.locator("#wall-status").get_attribute("data-state") == "gone"
        page.screenshot(path=str(shots / "wall-revoked-live.png"))
    context.close()


@pytest.mark.parametrize("size", [(1920, 1080), (390, 844)])
def test_a_revoked_links_page_is_a_clear_full_screen(
    transactional_db, live_server, browser, crew, artifacts_dir, size
):
    shots = artifacts_dir / "stats"
    shots.mkdir(exist_ok=True)
    token, key = wall.wall_token_issue(actor=crew.street_admin, area=crew.tree.street, name="大厅")
    wall.wall_token_revoke(actor=crew.street_admin, token=token)
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    response = page.goto(f"{live_server.url}{reverse('wall:screen', args=[key])}")
    assert response.status == 410
    message = page.locator(".wall-gone-message")
    assert message.inner_text() == "此大屏链接已撤销，请联系网格中心。"
    box = message.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert _no_scrolling(page)
    page.screenshot(path=str(shots / f"wall-revoked-{width}x{height}.png"))
    context.close()


@pytest.mark.parametrize("size", [(1366, 900), (390, 844)])
def test_the_street_admin_makes_a_link_valid_until_a_day(
    transactional_db, live_server, session, crew, artifacts_dir, size
):
    shots = artifacts_dir / "stats"
    shots.mkdir(exist_ok=True)
    width, height = size
    page = session(crew.street_admin, {"width": width, "height": height})
    page.goto(f"{live_server.url}{reverse('stats:wall-links')}")
    page.fill("input[name=name]", "临时大屏")
    page.select_option("select[name=area]", str(crew.tree.street.pk))
    page.fill("input[name=valid_until]", "2099-12-31")
    with page.expect_navigation():
        page.locator(".wall-link-form button[type=submit]").click()
    _wait_for(page, "[data-new-link]")
    row = page.locator("tr[data-wall-token]").first
    assert "2100-01-01 00:00" in row.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(shots / f"wall-links-{width}.png"), full_page=True)
    assert not page.errors
