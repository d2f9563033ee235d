"""A party officer books a room for a joint meeting of the three carriages in Chromium (desktop
and phone), residents see when the room is free, and the meeting's resolution opens a case that
the compound's property company handles with the department role."""

import datetime as dt

import pytest
from django.utils import timezone

from casework.models import Case
from partybuilding.cogov_selectors import property_company_for
from partybuilding.models import Booking, Position, PositionHours, Room
from tests.casework.factories import CategoryFactory
from tests.partybuilding.factories import MeetingFactory
from tests.partybuilding.test_browser import SIZES, shoot, sign_in


def next_tuesday() -> dt.date:
    day = timezone.localdate() + dt.timedelta(weeks=1)
    return day + dt.timedelta(days=(1 - day.weekday()) % 7)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_officer_books_a_room_and_the_meeting_opens_a_case_for_the_property_company(
    browser, live_server, carriages, artifacts_dir
):
    party = carriages
    centre = Position.objects.create(
        name="青松社区党群服务中心",
        kind="service_center",
        area=party.tree.community_a,
        address="青松路1号",
    )
    PositionHours.objects.create(
        position=centre, weekday=1, opens=dt.time(18, 30), closes=dt.time(21, 0)
    )
    room = Room.objects.create(position=centre, name="党员议事厅", kind="meeting", capacity=40)
    Room.objects.create(position=centre, name="人民调解室", kind="mediation", capacity=8)
    day = next_tuesday()
    tz = timezone.get_current_timezone()
    meeting = MeetingFactory(
        area=party.tree.grid_a1,
        title="青松里院落议事会",
        kind="three_carriages",
        status="scheduled",
        starts_at=dt.datetime.combine(day, dt.time(19, 0), tzinfo=tz),
        ends_at=dt.datetime.combine(day, dt.time(20, 30), tzinfo=tz),
    )

    for size in ("desktop", "phone"):
        page = sign_in(browser, live_server, party.officer_a.username, size)
        page.goto(f"{live_server.url}/party/meetings/{meeting.pk}/")
        if size == "phone":
            # The phone books the same meeting again: refused, with the clash named.
            page.goto(f"{live_server.url}/party/positions/{centre.pk}/book/?meeting={meeting.pk}")
        else:
            page.click("#book-for-meeting")
            page.wait_for_load_state()
            page.click(f"a[href*='/party/positions/{centre.pk}/book/?meeting={meeting.pk}']")
            page.wait_for_load_state()
        page.select_option("select[name=room]", str(room.pk))
        assert page.input_value("input[name=title]") == "青松里院落议事会"
        assert page.input_value("input[name=starts]") == "19:00"
        page.fill("input[name=expected_people]", "25")
        shoot(page, artifacts_dir, f"booking-form-{size}")
        assert fits_the_screen(page)
        page.click("#booking-form button[type=submit]")
        page.wait_for_load_state()
        if size == "desktop":
            assert f"/party/positions/{centre.pk}/" in page.url
            page.wait_for_function(
                "() => document.querySelector('#week') !== null"
                " && document.querySelector('#week').innerText.includes('青松里院落议事会')"
            )
            shoot(page, artifacts_dir, "position-week-desktop")
            page.goto(f"{live_server.url}/party/meetings/{meeting.pk}/")
            assert "党员议事厅" in page.inner_text("#meeting-room")
        else:
            assert "/book/" in page.url
            assert "19:00" in page.inner_text(".field.has-error")
            page.goto(f"{live_server.url}/party/positions/{centre.pk}/?date={day.isoformat()}")
            shoot(page, artifacts_dir, "position-week-phone")
            assert fits_the_screen(page)
            page.goto(
                f"{live_server.url}/party/positions/{centre.pk}/?view=month&date={day.isoformat()}"
            )
            shoot(page, artifacts_dir, "position-month-phone")
            assert fits_the_screen(page)
        page.close()
    booking = Booking.objects.get()
    assert (booking.meeting, booking.room, booking.status) == (meeting, room, "confirmed")

    # Residents see the evening taken, without signing in and without the meeting's title.
    width, height = SIZES["phone"]
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
    page.goto(f"{live_server.url}/party/positions/{centre.pk}/free/?date={day.isoformat()}")
    text = page.inner_text("article")
    assert "19:00–20:30" in text and "青松里院落议事会" not in text
    shoot(page, artifacts_dir, "position-free-phone")
    assert fits_the_screen(page)
    page.close()

    # The meeting resolves; the community files the case and dispatches it to the compound's
    # property company, whose staff acknowledge it.
    parent = CategoryFactory(code="03", name="房屋管理")
    category = CategoryFactory(code="0301", name="电梯故障", parent=parent)
    page = sign_in(browser, live_server, party.officer_a.username, "desktop")
    page.goto(f"{live_server.url}/party/meetings/{meeting.pk}/")
    page.fill("input[name=text]", "3号楼电梯频繁停运，由物业限期维修")
    page.click("button[value=resolution]")
    page.wait_for_load_state()
    page.close()

    page = sign_in(browser, live_server, party.cast.dispatcher_a.username, "desktop")
    page.goto(f"{live_server.url}/party/meetings/{meeting.pk}/")
    page.click(".pb-open-case > summary")
    form = page.locator(".pb-open-case form")
    form.locator("select[name=category]").select_option(str(category.pk))
    form.locator("select[name=area]").select_option(str(party.tree.grid_a1.pk))
    with page.expect_navigation():
        form.locator("button[value=open_case]").click()
    case = Case.objects.get()
    assert page.url.endswith(f"/cases/{case.pk}/")
    company = property_company_for(case.area)
    assert company == party.company
    take(page, "accept")
    page.click("details.step-dispatch > summary")
    dispatch = page.locator("details.step-dispatch form")
    # The compound's property company is pre-selected; the dispatcher keeps it.
    department = dispatch.locator("select[name='dispatch-department']")
    assert department.input_value() == str(company.department_id)
    with page.expect_navigation():
        dispatch.locator("button[type=submit]").click()
    page.close()

    page = sign_in(browser, live_server, party.property_staff.username, "phone")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    take(page, "acknowledge")
    shoot(page, artifacts_dir, "property-company-case-phone")
    assert fits_the_screen(page)
    page.goto(f"{live_server.url}/party/compounds/{party.compound.pk}/")
    page.close()
    case.refresh_from_db()
    assert (case.status, case.department) == ("in_progress", party.department)
    assert [e.step for e in case.events.order_by("pk")] == [
        "report",
        "accept",
        "dispatch",
        "acknowledge",
    ]

    page = sign_in(browser, live_server, party.officer_a.username, "phone")
    page.goto(f"{live_server.url}/party/compounds/{party.compound.pk}/")
    assert case.number in page.inner_text("#company-cases")
    shoot(page, artifacts_dir, "compound-phone")
    assert fits_the_screen(page)
    page.close()


def take(page, step: str) -> None:
    page.click(f"details.step-{step} > summary")
    with page.expect_navigation():
        page.locator(f"details.step-{step} form button[type=submit]").click()
