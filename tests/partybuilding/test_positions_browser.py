"""A party officer books a room for a meeting in Chromium, on a desktop and on a phone, and
residents see when the room is free."""

import datetime as dt

import pytest
from django.utils import timezone

from partybuilding.models import Booking, Position, PositionHours, Room
from tests.partybuilding.factories import MeetingFactory
from tests.partybuilding.test_browser import SIZES, shoot, sign_in


def next_tuesday() -> dt.date:
    day = timezone.localdate() + dt.timedelta(weeks=1)
    return day + dt.timedelta(days=(1 - day.weekday()) % 7)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_officer_books_a_room_for_a_meeting(browser, live_server, party, artifacts_dir):
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
        area=party.tree.community_a,
        title="青松里院落议事会",
        kind="courtyard",
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
