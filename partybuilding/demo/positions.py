"""Demo positions: the street's service centre (bookings need approval), a service centre in
every community, good-neighbour sites and a school's venue, with their rooms, their own
evening and weekend hours, and about a month of bookings (three weeks past, two ahead).
Bulk inserts; slots are laid out so that no two bookings of a room overlap and every one lies
in the position's opening hours. Idempotent: skipped when the street has positions."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from governance import workclock
from governance.demo import DemoContext
from governance.models import Role
from grids.models import Area, AreaKind
from partybuilding import models as m

ROOMS = [
    ("党员议事厅", m.RoomKind.MEETING, 40),
    ("人民调解室", m.RoomKind.MEDIATION, 8),
    ("老年大学教室", m.RoomKind.ELDERLY_UNIVERSITY, 30),
    ("妇女儿童之家", m.RoomKind.WOMEN_CHILDREN, 20),
    ("红色书屋", m.RoomKind.READING, 16),
]
UNIT_TITLES = ["共建单位座谈会", "法律咨询进社区", "义诊服务", "反诈宣传课"]
GROUP_TITLES = ["合唱队排练", "太极拳队活动", "手工编织小组", "老年书法班", "亲子阅读会"]
GROUPS = ["夕阳红合唱队", "青松太极队", "巧手编织组", "楼门互助小组"]
DAY_SLOTS = ((dt.time(9, 0), dt.time(11, 0)), (dt.time(14, 30), dt.time(16, 30)))
EVENING = (dt.time(19, 0), dt.time(20, 30))
SATURDAY = (dt.time(9, 30), dt.time(11, 30))


def seed_positions(ctx: DemoContext) -> None:
    street: Area = ctx.data["street"]
    if m.Position.objects.filter(area__in=Area.objects.within(street)).exists():
        ctx.say("  positions exist already: left as they are")
        return
    rng = random.Random(20261129)
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    officer = ctx.data["users"][Role.PARTY_OFFICER]
    communities = list(Area.objects.filter(parent=street, kind=AreaKind.COMMUNITY).order_by("code"))
    grids = list(Area.objects.within(street).filter(kind=AreaKind.GRID).order_by("code"))
    positions = [
        m.Position(
            name=f"{street.name}党群服务中心",
            kind=m.PositionKind.SERVICE_CENTER,
            area=street,
            address=f"{street.name}办事处一层",
            facilities="投影仪、音响、无障碍通道、母婴室",
            requires_approval=True,
        )
    ]
    positions += [
        m.Position(
            name=f"{c.name}党群服务中心",
            kind=m.PositionKind.SERVICE_CENTER,
            area=c,
            address=f"{c.name}居委会二层",
            facilities="投影仪、电子屏、图书角",
        )
        for c in communities
    ]
    positions += [
        m.Position(
            name=f"{g.name}好邻居驿站",
            kind=m.PositionKind.GOOD_NEIGHBOUR,
            area=g,
            address=f"{g.name}活动室",
            facilities="茶水、桌椅、急救箱",
        )
        for g in grids[:6]
    ]
    school = m.CoConstructionUnit.objects.filter(
        area__in=communities, kind=m.UnitKind.SCHOOL
    ).first()
    if school is not None:
        positions.append(
            m.Position(
                name=f"{school.name}共享会议室",
                kind=m.PositionKind.UNIT_VENUE,
                area=school.area,
                unit=school,
                address=school.address,
                facilities="阶梯教室、投影仪",
                open_in_working_hours=False,
                requires_approval=True,
            )
        )
    positions = m.Position.objects.bulk_create(positions)
    hours = []
    rooms = []
    for p in positions:
        if p.kind == m.PositionKind.SERVICE_CENTER:
            hours += [
                m.PositionHours(position=p, weekday=d, opens=dt.time(18, 30), closes=dt.time(21, 0))
                for d in (1, 3)
            ]
            hours.append(
                m.PositionHours(position=p, weekday=5, opens=dt.time(9, 0), closes=dt.time(17, 0))
            )
            rooms += [m.Room(position=p, name=n, kind=k, capacity=c) for n, k, c in ROOMS]
        elif p.kind == m.PositionKind.GOOD_NEIGHBOUR:
            hours.append(
                m.PositionHours(position=p, weekday=5, opens=dt.time(9, 0), closes=dt.time(12, 0))
            )
            rooms.append(
                m.Room(position=p, name="邻里活动室", kind=m.RoomKind.ACTIVITY, capacity=15)
            )
        else:
            hours += [
                m.PositionHours(position=p, weekday=d, opens=dt.time(18, 0), closes=dt.time(21, 0))
                for d in range(5)
            ]
            hours.append(
                m.PositionHours(position=p, weekday=6, opens=dt.time(9, 0), closes=dt.time(17, 0))
            )
            rooms.append(m.Room(position=p, name="阶梯教室", kind=m.RoomKind.MEETING, capacity=120))
    m.PositionHours.objects.bulk_create(hours)
    rooms = m.Room.objects.bulk_create(rooms)
    hours_of: dict[int, list[m.PositionHours]] = {}
    for h in hours:
        hours_of.setdefault(h.position_id, []).append(h)
    units = list(m.CoConstructionUnit.objects.filter(area__in=Area.objects.within(street))[:20])
    first_day, last_day = today - dt.timedelta(days=21), today + dt.timedelta(days=14)
    taken: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    bookings = _meeting_bookings(positions, rooms, officer, first_day, last_day, taken)
    for room in rooms:
        position = room.position
        own = hours_of.get(position.pk, [])
        day = first_day
        while day <= last_day:
            for begin, end in _slots(position, own, day):
                start = dt.datetime.combine(day, begin, tzinfo=tz)
                finish = dt.datetime.combine(day, end, tzinfo=tz)
                if rng.random() > 0.45 or any(
                    a < finish and start < b for a, b in taken.get(room.pk, ())
                ):
                    continue
                taken.setdefault(room.pk, []).append((start, finish))
                by_unit = bool(units) and rng.random() < 0.3
                past = day < today
                expected = rng.randint(max(1, room.capacity // 3), room.capacity)
                status = m.BookingStatus.CONFIRMED
                if position.requires_approval and not past and rng.random() < 0.5:
                    status = m.BookingStatus.PENDING
                elif rng.random() < 0.05:
                    status = m.BookingStatus.CANCELLED
                confirmed = status == m.BookingStatus.CONFIRMED
                bookings.append(
                    m.Booking(
                        room=room,
                        title=rng.choice(UNIT_TITLES if by_unit else GROUP_TITLES),
                        kind=m.BookingKind.UNIT if by_unit else m.BookingKind.RESIDENT_GROUP,
                        unit=rng.choice(units) if by_unit else None,
                        group_name="" if by_unit else rng.choice(GROUPS),
                        starts_at=start,
                        ends_at=finish,
                        expected_people=expected,
                        people_served=max(1, expected - rng.randint(0, 5))
                        if past and confirmed
                        else None,
                        status=status,
                        booked_by=officer,
                        decided_by=officer if position.requires_approval and confirmed else None,
                    )
                )
            day += dt.timedelta(days=1)
    m.Booking.objects.bulk_create(bookings)
    ctx.say(f"  {len(positions)} positions, {len(rooms)} rooms, {len(bookings)} bookings")


def _slots(position: m.Position, own: list[m.PositionHours], day: dt.date):
    """The demo's usual booking slots of ``day`` that lie in the position's opening hours."""
    slots = []
    if position.open_in_working_hours and workclock.is_working_day(day):
        slots += list(DAY_SLOTS)
    for h in own:
        if h.weekday == day.weekday():
            slots += [(b, e) for b, e in (EVENING, SATURDAY) if h.opens <= b and e <= h.closes]
    return slots


def _meeting_bookings(positions, rooms, officer, first_day, last_day, taken) -> list[m.Booking]:
    """The public-opinion sessions of each community book its centre's meeting room."""
    centre_room = {
        room.position.area_id: room
        for room in rooms
        if room.kind == m.RoomKind.MEETING
        and room.position.kind == m.PositionKind.SERVICE_CENTER
        and room.position.area.kind == AreaKind.COMMUNITY
    }
    meetings = m.Meeting.objects.filter(
        area_id__in=list(centre_room),
        series__isnull=False,
        starts_at__date__gte=first_day,
        starts_at__date__lte=last_day,
        ends_at__isnull=False,
    )
    bookings = []
    for meeting in meetings:
        room = centre_room[meeting.area_id]
        local = timezone.localtime(meeting.starts_at)
        if not workclock.is_working_day(local.date()):
            continue
        taken.setdefault(room.pk, []).append((meeting.starts_at, meeting.ends_at))
        bookings.append(
            m.Booking(
                room=room,
                title=meeting.title,
                kind=m.BookingKind.MEETING,
                meeting=meeting,
                starts_at=meeting.starts_at,
                ends_at=meeting.ends_at,
                expected_people=min(room.capacity, 25),
                people_served=20 if meeting.status == m.MeetingStatus.HELD else None,
                status=m.BookingStatus.CONFIRMED,
                booked_by=officer,
            )
        )
    return bookings
