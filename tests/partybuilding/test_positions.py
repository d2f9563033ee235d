"""Positions and room bookings: opening hours from the working clock plus a position's own,
capacity, approval, cancellation, no double booking (service lock everywhere, exclusion
constraint on PostgreSQL, two transactions at once), scope, pages, API, query counts."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from governance.models import CalendarDay
from governance.scopes import visible
from partybuilding import services
from partybuilding.cogov_selectors import month_bounds, position_usage
from partybuilding.models import Booking, Position, PositionHours, Room
from tests.conftest import _with_role
from tests.partybuilding.factories import MeetingFactory


def next_weekday(weekday: int, weeks_ahead: int = 2) -> dt.date:
    """A date ``weeks_ahead`` weeks from now that falls on ``weekday`` (0 = Monday)."""
    day = timezone.localdate() + dt.timedelta(weeks=weeks_ahead)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def centre(party):
    """Community A's service centre: open in working hours, Monday evenings and Saturdays."""
    position = Position.objects.create(
        name="青松社区党群服务中心", kind="service_center", area=party.tree.community_a
    )
    PositionHours.objects.create(
        position=position, weekday=0, opens=dt.time(18, 30), closes=dt.time(21, 0)
    )
    PositionHours.objects.create(
        position=position, weekday=5, opens=dt.time(9, 0), closes=dt.time(17, 0)
    )
    position.meeting_room = Room.objects.create(
        position=position, name="议事厅", kind="meeting", capacity=30
    )
    position.reading_room = Room.objects.create(
        position=position, name="阅览室", kind="reading", capacity=12
    )
    return position


def book(actor, room, start, end, **extra):
    data = {
        "title": "居民议事会",
        "kind": "resident_group",
        "group_name": "楼组长小组",
        "expected_people": 10,
    }
    data.update(extra)
    return services.booking_create(actor=actor, room=room, starts_at=start, ends_at=end, **data)


# -- the rules ----------------------------------------------------------------------------------
def test_a_booking_in_working_hours_is_confirmed(party, centre):
    day = next_weekday(1)
    booking = book(party.officer_a, centre.meeting_room, at(day, 9, 30), at(day, 11))
    assert booking.status == "confirmed"
    assert booking.booked_by == party.officer_a


def test_an_overlapping_booking_is_refused_and_a_touching_one_accepted(party, centre):
    day = next_weekday(1)
    book(party.officer_a, centre.meeting_room, at(day, 9, 30), at(day, 11))
    with pytest.raises(ValidationError) as refused:
        book(party.officer_a, centre.meeting_room, at(day, 10, 30), at(day, 11, 30))
    assert "starts_at" in refused.value.message_dict
    book(party.officer_a, centre.meeting_room, at(day, 11), at(day, 12))
    book(party.officer_a, centre.reading_room, at(day, 10), at(day, 11))  # another room
    assert Booking.objects.count() == 3


def test_hours_follow_the_clock_and_the_positions_own(party, centre):
    monday, tuesday, saturday, sunday = (next_weekday(d) for d in (0, 1, 5, 6))
    room = centre.meeting_room
    with pytest.raises(ValidationError):  # Tuesday evening: not open
        book(party.officer_a, room, at(tuesday, 19), at(tuesday, 20))
    book(party.officer_a, room, at(monday, 19), at(monday, 20, 30))  # Monday evening: own hours
    book(party.officer_a, room, at(saturday, 14), at(saturday, 16))  # Saturday: own hours
    with pytest.raises(ValidationError):  # Sunday: closed
        book(party.officer_a, room, at(sunday, 10), at(sunday, 11))
    with pytest.raises(ValidationError):  # across the lunch break of the working day
        book(party.officer_a, room, at(tuesday, 11), at(tuesday, 14))


def test_a_public_holiday_closes_the_working_day(party, centre):
    tuesday = next_weekday(1)
    CalendarDay.objects.create(date=tuesday, kind=CalendarDay.Kind.HOLIDAY, name="假日")
    with pytest.raises(ValidationError) as refused:
        book(party.officer_a, centre.meeting_room, at(tuesday, 9, 30), at(tuesday, 11))
    assert "starts_at" in refused.value.message_dict


def test_capacity_and_the_booker_are_checked(party, centre):
    day = next_weekday(2)
    with pytest.raises(ValidationError) as refused:
        book(party.officer_a, centre.reading_room, at(day, 9), at(day, 10), expected_people=13)
    assert "expected_people" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        book(party.officer_a, centre.reading_room, at(day, 9), at(day, 10), kind="meeting")
    assert "meeting" in refused.value.message_dict
    meeting_b = MeetingFactory(area=party.tree.community_b)
    with pytest.raises(ValidationError) as refused:
        book(
            party.officer_a,
            centre.reading_room,
            at(day, 9),
            at(day, 10),
            kind="meeting",
            meeting=meeting_b,
        )
    assert "meeting" in refused.value.message_dict
    assert not Booking.objects.exists()


def test_approval_holds_the_slot_and_rejection_frees_it(party, centre):
    centre.requires_approval = True
    centre.save()
    day = next_weekday(3)
    booking = book(party.officer_a, centre.meeting_room, at(day, 14), at(day, 16))
    assert booking.status == "pending"
    with pytest.raises(ValidationError):
        book(party.officer_a, centre.meeting_room, at(day, 15), at(day, 17))
    with pytest.raises(PermissionDenied):
        services.booking_approve(actor=party.officer_b, booking=booking)
    services.booking_reject(actor=party.officer_a, booking=booking, note="场地维修")
    booking.refresh_from_db()
    assert (booking.status, booking.note, booking.decided_by) == (
        "rejected",
        "场地维修",
        party.officer_a,
    )
    again = book(party.officer_a, centre.meeting_room, at(day, 15), at(day, 17))
    services.booking_approve(actor=party.officer_a, booking=again)
    again.refresh_from_db()
    assert again.status == "confirmed"
    with pytest.raises(ValidationError):
        services.booking_approve(actor=party.officer_a, booking=again)


def test_cancelling_frees_the_time(party, centre):
    day = next_weekday(4)
    booking = book(party.officer_a, centre.meeting_room, at(day, 9), at(day, 10))
    with pytest.raises(PermissionDenied):
        services.booking_cancel(actor=party.officer_b, booking=booking)
    services.booking_cancel(actor=party.officer_a, booking=booking)
    assert book(party.officer_a, centre.meeting_room, at(day, 9), at(day, 10)).status == (
        "confirmed"
    )


def test_a_street_centre_is_booked_and_seen_by_its_communities(party):
    street_centre = Position.objects.create(
        name="示范街道党群服务中心", kind="service_center", area=party.tree.street
    )
    hall = Room.objects.create(
        position=street_centre, name="多功能厅", kind="activity", capacity=80
    )
    day = next_weekday(1)
    booking = book(party.officer_a, hall, at(day, 9), at(day, 10))
    assert visible(party.officer_b, Booking.objects.all()).filter(pk=booking.pk).exists()
    # The community officer cancels their own booking but does not decide others'.
    other = book(party.officer_b, hall, at(day, 10), at(day, 11))
    with pytest.raises(PermissionDenied):
        services.booking_cancel(actor=party.officer_a, booking=other)
    services.booking_cancel(actor=party.officer_a, booking=booking)


def test_an_officer_of_b_cannot_book_in_a(party, centre):
    day = next_weekday(1)
    with pytest.raises(PermissionDenied):
        book(party.officer_b, centre.meeting_room, at(day, 9), at(day, 10))
    with pytest.raises(PermissionDenied):
        book(party.cast.viewer_a, centre.meeting_room, at(day, 9), at(day, 10))


def test_usage_figures_count_confirmed_bookings_of_the_month(party, centre):
    today = timezone.localdate()
    first, last = month_bounds(today)
    # Bookings recorded afterwards, for the two hours each, written as the demo does.
    start = first.replace(hour=9)
    for i, status in enumerate(("confirmed", "confirmed", "cancelled")):
        Booking.objects.create(
            room=centre.meeting_room,
            title=f"活动{i}",
            kind="resident_group",
            group_name="合唱队",
            starts_at=start + dt.timedelta(days=i),
            ends_at=start + dt.timedelta(days=i, hours=2),
            expected_people=20,
            people_served=15,
            status=status,
            booked_by=party.officer_a,
        )
    row = position_usage(Position.objects.filter(pk=centre.pk), first, last).get()
    assert row.hours_booked == dt.timedelta(hours=4)
    assert (row.bookings_held, row.people_served) == (2, 30)


def test_people_served_is_recorded_once_begun(party, centre):
    day = next_weekday(1)
    booking = book(party.officer_a, centre.meeting_room, at(day, 9), at(day, 10))
    with pytest.raises(ValidationError):
        services.booking_record_use(actor=party.officer_a, booking=booking, people_served=8)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=booking.starts_at - dt.timedelta(weeks=3),
        ends_at=booking.ends_at - dt.timedelta(weeks=3),
    )
    booking.refresh_from_db()
    services.booking_record_use(actor=party.officer_a, booking=booking, people_served=8)
    booking.refresh_from_db()
    assert booking.people_served == 8


# -- no double booking, in the database and under concurrency ----------------------------------
@pytest.mark.postgres
def test_the_database_refuses_an_overlap_whatever_writes_it(party, centre):
    day = next_weekday(1)
    book(party.officer_a, centre.meeting_room, at(day, 9), at(day, 11))
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            room=centre.meeting_room,
            title="绕过服务",
            kind="resident_group",
            group_name="x",
            starts_at=at(day, 10),
            ends_at=at(day, 12),
            expected_people=5,
            booked_by=party.officer_a,
        )
    # A cancelled booking holds nothing: the same time may be written.
    Booking.objects.create(
        room=centre.meeting_room,
        title="已取消",
        kind="resident_group",
        group_name="x",
        starts_at=at(day, 10),
        ends_at=at(day, 12),
        expected_people=5,
        booked_by=party.officer_a,
        status="cancelled",
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_bookings_at_once_one_wins(party, centre):
    day = next_weekday(1)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def attempt(start: int, end: int):
        try:
            barrier.wait(timeout=60)
            room = Room.objects.select_related("position__area").get(pk=centre.meeting_room.pk)
            book(party.officer_a, room, at(day, start), at(day, end))
            results.append("won")
        except ValidationError:
            results.append("lost")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(9, 11)),
        threading.Thread(target=attempt, args=(10, 12)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(results) == ["lost", "won"]
    assert Booking.objects.filter(room=centre.meeting_room).count() == 1


# -- pages ---------------------------------------------------------------------------------------
def test_pages_for_an_officer_in_scope(client, party, centre, django_assert_max_num_queries):
    day = next_weekday(1)
    for hour in (9, 10, 14, 15, 16):
        book(party.officer_a, centre.meeting_room, at(day, hour), at(day, hour + 1))
    client.force_login(party.officer_a)
    with django_assert_max_num_queries(12):
        body = client.get("/party/positions/").content.decode()
    assert "青松社区党群服务中心" in body
    for view in ("week", "month"):
        with django_assert_max_num_queries(16):
            response = client.get(
                f"/party/positions/{centre.pk}/?view={view}&date={day.isoformat()}"
            )
        assert response.status_code == 200
        assert "居民议事会" in response.content.decode()
    room_page = client.get(
        f"/party/positions/{centre.pk}/?date={day.isoformat()}&room={centre.reading_room.pk}"
    ).content.decode()
    assert "居民议事会" not in room_page


def test_booking_through_the_page(client, party, centre):
    day = next_weekday(2)
    meeting = MeetingFactory(
        area=party.tree.community_a, starts_at=at(day, 14), ends_at=at(day, 16), title="院落议事会"
    )
    client.force_login(party.officer_a)
    form = client.get(f"/party/positions/{centre.pk}/book/?meeting={meeting.pk}")
    assert form.status_code == 200 and "院落议事会" in form.content.decode()
    data = {
        "room": centre.meeting_room.pk,
        "title": "院落议事会",
        "kind": "meeting",
        "meeting": meeting.pk,
        "day": day.isoformat(),
        "starts": "14:00",
        "ends": "16:00",
        "expected_people": 20,
    }
    response = client.post(f"/party/positions/{centre.pk}/book/", data)
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert (booking.meeting, booking.status) == (meeting, "confirmed")
    again = client.post(f"/party/positions/{centre.pk}/book/", data)
    assert again.status_code == 200
    assert "errorlist" in again.content.decode() or 'class="error"' in again.content.decode()
    assert Booking.objects.count() == 1


def test_pages_are_refused_out_of_scope(client, party, centre):
    client.force_login(party.officer_b)
    assert client.get(f"/party/positions/{centre.pk}/").status_code == 404
    assert client.get(f"/party/positions/{centre.pk}/book/").status_code == 404
    assert "青松社区党群服务中心" not in client.get("/party/positions/").content.decode()
    client.force_login(party.cast.nobody)
    assert client.get("/party/positions/").status_code == 403


def test_the_public_sees_when_rooms_are_free_not_who_booked(client, party, centre):
    day = next_weekday(1)
    book(party.officer_a, centre.meeting_room, at(day, 9), at(day, 11), group_name="秘密小组")
    body = client.get(f"/party/positions/{centre.pk}/free/?date={day.isoformat()}").content
    body = body.decode()
    assert "09:00–11:00" in body
    assert "居民议事会" not in body and "秘密小组" not in body
    centre.is_public = False
    centre.save()
    assert client.get(f"/party/positions/{centre.pk}/free/").status_code == 404


# -- API -----------------------------------------------------------------------------------------
def test_the_api_books_and_refuses_a_clash(api, party, centre, django_assert_max_num_queries):
    day = next_weekday(1)
    client = api(party.officer_a)
    payload = {
        "room": centre.meeting_room.pk,
        "title": "共建单位座谈",
        "kind": "unit",
        "unit": party.unit_a.pk,
        "starts_at": at(day, 9).isoformat(),
        "ends_at": at(day, 10).isoformat(),
        "expected_people": 12,
    }
    created = client.post("/api/v1/party/bookings/", payload, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "confirmed"
    clash = client.post("/api/v1/party/bookings/", payload, format="json")
    assert clash.status_code == 400 and "starts_at" in clash.json()["fields"]
    for hour in (10, 11):
        payload.update(starts_at=at(day, hour).isoformat(), ends_at=at(day, hour + 1).isoformat())
        assert client.post("/api/v1/party/bookings/", payload, format="json").status_code == 201
    with django_assert_max_num_queries(4 + api.auth_queries):
        listed = client.get("/api/v1/party/bookings/")
    assert listed.json()["count"] == 3
    busy = client.get(
        f"/api/v1/party/rooms/{centre.meeting_room.pk}/busy/?start={day.isoformat()}&days=1"
    )
    assert [b["starts_at"][11:16] for b in busy.json()["busy"]] == ["09:00", "10:00", "11:00"]
    booking = Booking.objects.order_by("starts_at").first()
    cancelled = client.post(f"/api/v1/party/bookings/{booking.pk}/cancel/", {}, format="json")
    assert cancelled.json()["status"] == "cancelled"


def test_the_api_keeps_other_communities_out(api, party, centre):
    day = next_weekday(1)
    booking = book(party.officer_a, centre.meeting_room, at(day, 9), at(day, 10))
    client = api(party.officer_b)
    assert client.get("/api/v1/party/bookings/").json()["count"] == 0
    assert client.get("/api/v1/party/positions/").json()["count"] == 0
    assert client.post(f"/api/v1/party/bookings/{booking.pk}/cancel/").status_code == 404
    response = client.post(
        "/api/v1/party/bookings/",
        {
            "room": centre.meeting_room.pk,
            "title": "越权",
            "kind": "resident_group",
            "group_name": "x",
            "starts_at": at(day, 14).isoformat(),
            "ends_at": at(day, 15).isoformat(),
            "expected_people": 2,
        },
        format="json",
    )
    assert response.status_code == 400 and "room" in response.json()["fields"]


def test_the_api_approves_for_the_positions_officers_only(api, party, centre):
    centre.requires_approval = True
    centre.save()
    street_officer = _with_role("party_officer", party.tree.street, username="officer_street")
    day = next_weekday(1)
    booking = book(party.officer_a, centre.meeting_room, at(day, 9), at(day, 10))
    assert api(party.cast.viewer_a).post(
        f"/api/v1/party/bookings/{booking.pk}/approve/"
    ).status_code in (403, 404)
    approved = api(street_officer).post(f"/api/v1/party/bookings/{booking.pk}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "confirmed"


def test_the_api_refuses_to_write_a_bookings_status(api, party, centre):
    day = next_weekday(1)
    client = api(party.officer_a)
    response = client.post(
        "/api/v1/party/bookings/",
        {
            "room": centre.meeting_room.pk,
            "title": "状态",
            "kind": "resident_group",
            "group_name": "x",
            "starts_at": at(day, 9).isoformat(),
            "ends_at": at(day, 10).isoformat(),
            "expected_people": 2,
            "status": "cancelled",
        },
        format="json",
    )
    assert response.status_code == 400 and "status" in response.json()["fields"]
    assert not Booking.objects.exists()
