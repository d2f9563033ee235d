"""A leader drills down the dashboard in Chromium, on a desktop and on a phone: street →
community → grid, then opens the cases behind a rate. Screenshots kept."""

from __future__ import annotations

import pytest

from tests.casework.test_browser import DESKTOP, PHONE
from tests.casework.test_stats_assessment import scheme  # noqa: F401 (fixture)
from tests.casework.test_stats_pages import month_cases  # noqa: F401 (fixture)
from tests.conftest import _with_role

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize(("device", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_a_leader_drills_down_and_opens_a_rates_cases(
    transactional_db,
    live_server,
    session,
    tree,
    crew,
    month_cases,  # noqa: F811
    artifacts_dir,
    device,
    viewport,
):
    shots = artifacts_dir / "stats"
    shots.mkdir(exist_ok=True)
    leader = _with_role("viewer", tree.street, username="lingdao")
    page = session(leader, viewport)
    # The leader starts on the dashboard of the street.
    assert "/dashboard/" in page.url, page.url
    assert page.locator("h1").inner_text().startswith(tree.street.name)
    assert page.locator("[data-figure=reported] .stat-value").inner_text() == "4"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(shots / f"dashboard-street-{device}.png"), full_page=True)

    with page.expect_navigation():
        page.locator("a[data-drill]", has_text=tree.community_a.name).click()
    assert page.locator("h1").inner_text().startswith(tree.community_a.name)
    assert page.locator("[data-figure=reported] .stat-value").inner_text() == "3"
    page.screenshot(path=str(shots / f"dashboard-community-{device}.png"), full_page=True)

    with page.expect_navigation():
        page.locator("a[data-drill]", has_text=tree.grid_a1.name).click()
    assert page.locator("h1").inner_text().startswith(tree.grid_a1.name)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(shots / f"dashboard-grid-{device}.png"), full_page=True)

    # The on-the-spot share opens the case it counts.
    with page.expect_navigation():
        page.locator("[data-rate=on_spot_share] .stat-value a").click()
    assert "/cases/" in page.url and "figure=on_spot" in page.url
    body = page.locator("body").inner_text()
    assert month_cases["closed"].number in body
    assert month_cases["fresh"].number not in body
    page.screenshot(path=str(shots / f"rate-cases-{device}.png"), full_page=True)


def test_the_bulletin_prints_on_a4(
    transactional_db,
    live_server,
    session,
    tree,
    crew,
    month_cases,  # noqa: F811
    scheme,  # noqa: F811
    artifacts_dir,
):
    from django.utils import timezone

    shots = artifacts_dir / "stats"
    shots.mkdir(exist_ok=True)
    page = session(crew.street_admin, DESKTOP)
    month = timezone.localdate().strftime("%Y-%m")
    page.goto(f"{live_server.url}/dashboard/bulletin/?month={month}")
    assert page.locator("[data-bulletin] h1").is_visible()
    assert tree.community_a.name in page.locator("[data-bulletin]").inner_text()
    page.screenshot(path=str(shots / "bulletin-desktop.png"), full_page=True)
    page.emulate_media(media="print")
    # The form and the header stay off paper; the bulletin fits the A4 width.
    assert not page.locator(".no-print").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    pdf = page.pdf(path=str(shots / "bulletin-a4.pdf"), format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    page.screenshot(path=str(shots / "bulletin-print.png"), full_page=True)
