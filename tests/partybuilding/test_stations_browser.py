"""The deputies' contact station in Chromium (desktop and a 390-px phone): an officer records a
resident's opinion at a reception and turns it into a case; the deputy signs in on a phone and
follows it; residents read the reception days without signing in. And a consortium's page maps
what it covers, names as text."""

from __future__ import annotations

import pytest

from partybuilding import services
from partybuilding.models import Consortium, Opinion
from tests.partybuilding.factories import DemandFactory
from tests.partybuilding.test_browser import SIZES, shoot, sign_in


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_opinion_heard_by_a_deputy_becomes_a_case_the_deputy_follows(
    browser, live_server, station, artifacts_dir
):
    tree = station.tree
    for size, content in (
        ("desktop", "小区门口共享单车乱停乱放，堵塞消防通道"),
        ("phone", "夜间广场舞音响声音过大"),
    ):
        page = sign_in(browser, live_server, station.officer_a.username, size)
        page.goto(f"{live_server.url}/party/stations/")
        shoot(page, artifacts_dir, f"stations-{size}")
        assert fits_the_screen(page)
        page.click(f"#upcoming a[href='/party/receptions/{station.upcoming.pk}/']")
        page.goto(f"{live_server.url}/party/receptions/{station.reception.pk}/")
        form = page.locator("#opinion-form form")
        form.locator("select[name=opinion-deputy]").select_option(str(station.member.pk))
        form.locator("select[name=opinion-area]").select_option(str(tree.grid_a1.pk))
        form.locator("input[name=opinion-resident_name]").fill("刘桂芬")
        form.locator("input[name=opinion-resident_phone]").fill("13800001111")
        form.locator("textarea[name=opinion-content]").fill(content)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        opinions = page.inner_text("#opinions")
        assert content[:10] in opinions and "刘**" in opinions and "刘桂芬" not in opinions
        shoot(page, artifacts_dir, f"reception-{size}")
        assert fits_the_screen(page)
        page.click(f"#opinions a:has-text('{content[:10]}')")
        page.wait_for_load_state()
        assert "138****1111" in page.inner_text("#opinion")
        if size == "desktop":
            page.click(".pb-handle-case > summary")
            page.select_option("select[name=case-category]", str(station.category.pk))
            with page.expect_navigation():
                page.click(".pb-handle-case button[type=submit]")
        else:
            page.click(".pb-handle-reply > summary")
            page.fill("textarea[name=reply-reply]", "已联系广场舞队调低音量，22点前结束")
            with page.expect_navigation():
                page.click(".pb-handle-reply button[type=submit]")
        shoot(page, artifacts_dir, f"opinion-{size}")
        assert fits_the_screen(page)
        assert "#handle" not in page.content() and page.locator("#handle").count() == 0
        page.close()
    case = Opinion.objects.get(content__startswith="小区门口").case
    assert case is not None and case.station_opinion.deputy == station.member
    assert Opinion.objects.get(content__startswith="夜间").outcome == "reply"

    # The deputy signs in on a phone and lands on the opinions received, with their follow-up.
    services.opinion_to_case(
        actor=station.officer_a, opinion=station.opinion, category=station.category
    )
    page = sign_in(browser, live_server, station.deputy_user.username, "phone")
    assert page.url.endswith(f"/party/deputies/{station.deputy.pk}/")
    follow_up = page.inner_text("#follow-up")
    assert station.opinion.case.number in follow_up and "已上报" in follow_up
    shoot(page, artifacts_dir, "deputy-phone")
    assert fits_the_screen(page)
    page.click("text=年度履职汇总")
    page.wait_for_load_state()
    assert "张建国" in page.inner_text("#summary")
    shoot(page, artifacts_dir, "deputy-summary-phone")
    assert fits_the_screen(page)
    page.close()

    # Residents: the reception days ahead, without signing in.
    width, height = SIZES["phone"]
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
    page.goto(f"{live_server.url}/party/reception-days/")
    text = page.inner_text("#reception-days")
    assert "青松社区代表联系站" in text and "14:00–16:00" in text and "张建国" in text
    shoot(page, artifacts_dir, "reception-days-phone")
    assert fits_the_screen(page)
    page.close()


SQUARES = [
    [[116.400, 39.950], [116.405, 39.950], [116.405, 39.955], [116.400, 39.955], [116.400, 39.950]],
    [[116.405, 39.950], [116.410, 39.950], [116.410, 39.955], [116.405, 39.955], [116.405, 39.950]],
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_consortiums_page_maps_what_it_covers(browser, live_server, carriages, artifacts_dir):
    tree = carriages.tree
    for area, ring, name in (
        (tree.grid_a1, SQUARES[0], "青松第一网格"),
        (tree.grid_a2, SQUARES[1], "<img src=x id=injected>第二网格"),
    ):
        area.boundary = {"type": "Polygon", "coordinates": [ring]}
        area.name = name
        area.save()
    consortium = services.consortium_save(
        actor=carriages.officer_a,
        consortium=Consortium(name="青松社区治理共同体", area=tree.community_a),
        related={"covered_areas": [tree.grid_a1, tree.grid_a2], "compounds": [carriages.compound]},
    )
    DemandFactory(area=tree.grid_a1, consortium=consortium, title="楼道照明")
    for size in ("desktop", "phone"):
        page = sign_in(browser, live_server, carriages.officer_a.username, size)
        page.goto(f"{live_server.url}/party/consortia/{consortium.pk}/")
        page.wait_for_function("() => document.querySelector('#consortium-map').dataset.ready")
        labels = page.locator("#consortium-map .leaflet-tooltip")
        assert labels.count() == 2
        # A label that does not fit its area at this zoom is hidden: read the text, not the view.
        texts = labels.evaluate_all("els => els.map(e => e.textContent)")
        assert sorted(texts) == sorted(["青松第一网格", "<img src=x id=injected>第二网格"])
        assert page.locator("#injected").count() == 0
        assert page.locator("#consortium-map path.leaflet-interactive").count() == 2
        shoot(page, artifacts_dir, f"consortium-map-{size}")
        assert fits_the_screen(page)
        if size == "desktop":
            page.click("#consortium-new a:has-text('新建需求')")
            page.wait_for_load_state()
            assert page.input_value("select[name=consortium]") == str(consortium.pk)
        page.close()
