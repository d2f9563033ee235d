"""Writes of positions and their bookings: booking a room (no double booking, inside opening
hours, within capacity), approving, rejecting and cancelling, and recording how many people a
booking served. Positions, rooms and opening periods are saved by the generic ``record_save``.

Opening hours come from the working-time clock (``governance.workclock``: the street's working
periods on working days, holidays and adjusted weekends observed) when the position is open in
working hours, plus the position's own evening and weekend periods.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from governance import workclock
from governance.scopes import scope_of, visible
from partybuilding.models import (
    HOLDING_STATUSES,
    Activity,
    Booking,
    BookingKind,
    BookingStatus,
    CoConstructionUnit,
    Meeting,
    Position,
    Room,
)
from partybuilding.permissions import PARTY_CHANGE_ROLES, may_change_in

Interval = tuple[dt.datetime, dt.datetime]


def opening_periods(position: Position, day: dt.date) -> list[Interval]:
    """The periods ``position`` is open on ``day``, as aware local datetimes, overlapping and
    touching periods merged (a lunch break bridged by the position's own hours disappears).

    Reads ``position.hours`` (prefetch it for many days) and, for working hours, the clock
    (cached per process)."""
    tz = timezone.get_current_timezone()
    spans: list[tuple[dt.time, dt.time]] = []
    if position.open_in_working_hours and workclock.is_working_day(day):
        spans.extend(workclock.working_periods_for(position.area))
    spans.extend((h.opens, h.closes) for h in position.hours.all() if h.weekday == day.weekday())
    merged: list[list[dt.time]] = []
    for opens, closes in sorted(spans):
        if merged and opens <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], closes)
        else:
            merged.append([opens, closes])
    return [
        (dt.datetime.combine(day, opens, tzinfo=tz), dt.datetime.combine(day, closes, tzinfo=tz))
        for opens, closes in merged
    ]


def is_open(position: Position, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    """Does ``[starts_at, ends_at)`` lie inside one opening period of the position?"""
    start = timezone.localtime(starts_at)
    end = timezone.localtime(ends_at)
    return any(
        begin <= start and end <= finish
        for begin, finish in opening_periods(position, start.date())
    )


def may_book_at(user, position: Position) -> bool:
    """Party officers and street admins book the rooms of positions in their scope, and of the
    positions that serve it (a street's centre serves its communities)."""
    if may_change_in(user, position.area):
        return True
    return any(area.is_within(position.area) for area in scope_of(user).areas(PARTY_CHANGE_ROLES))


def clashes(room: Room, starts_at: dt.datetime, ends_at: dt.datetime, *, exclude=None):
    """The bookings that hold ``room`` for some of ``[starts_at, ends_at)``."""
    qs = Booking.objects.filter(
        room=room, status__in=HOLDING_STATUSES, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs


def _check_booker(actor, kind: str, activity, meeting, unit, group_name: str) -> dict:
    """The booking's link to who books, matching its kind, and visible to the actor."""
    errors: dict[str, str] = {}
    wanted = {
        BookingKind.ACTIVITY: ("activity", activity, Activity),
        BookingKind.MEETING: ("meeting", meeting, Meeting),
        BookingKind.UNIT: ("unit", unit, CoConstructionUnit),
    }
    links = {"activity": None, "meeting": None, "unit": None, "group_name": ""}
    if kind == BookingKind.RESIDENT_GROUP:
        if not group_name.strip():
            errors["group_name"] = _("Name the resident group that books the room.")
        links["group_name"] = group_name.strip()
    elif kind in wanted:
        field, value, model = wanted[kind]
        if value is None:
            errors[field] = _("Choose the %(what)s the room is booked for.") % {
                "what": model._meta.verbose_name
            }
        elif not visible(actor, model.objects.filter(pk=value.pk)).exists():
            errors[field] = _("You cannot see this record.")
        links[field] = value
    else:
        errors["kind"] = _("Unknown kind of booking.")
    if errors:
        raise ValidationError(errors)
    return links


def booking_create(
    *,
    actor,
    room: Room,
    title: str,
    kind: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    expected_people: int,
    activity: Activity | None = None,
    meeting: Meeting | None = None,
    unit: CoConstructionUnit | None = None,
    group_name: str = "",
    note: str = "",
) -> Booking:
    """Book ``room`` for ``[starts_at, ends_at)``.

    The booking starts confirmed, or awaiting approval where the position asks for approval;
    either way it holds the room. Refused with a field message: a room that cannot be booked,
    times outside the position's opening hours, more people than the room holds, a booker that
    does not match the kind, and any overlap with a booking that holds the room.

    The room row is locked (``select_for_update``) while the overlap is checked and the booking
    written, so of two bookings at once exactly one gets the time; on PostgreSQL the exclusion
    constraint ``partybuilding_booking_no_overlap`` refuses an overlap whatever writes it.
    """
    position = room.position
    if not may_book_at(actor, position):
        raise PermissionDenied(_("You may not book rooms of this position."))
    links = _check_booker(actor, kind, activity, meeting, unit, group_name)
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("This field is required.")
    if ends_at <= starts_at:
        errors["ends_at"] = _("A booking ends after it starts.")
    elif not is_open(position, starts_at, ends_at):
        errors["starts_at"] = _("The position is not open for all of this time.")
    if not room.is_active:
        errors["room"] = _("This room cannot be booked at present.")
    if expected_people > room.capacity:
        errors["expected_people"] = _("The room holds %(n)d people.") % {"n": room.capacity}
    if errors:
        raise ValidationError(errors)
    status = BookingStatus.PENDING if position.requires_approval else BookingStatus.CONFIRMED
    booking = Booking(
        room=room,
        title=title.strip(),
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        expected_people=expected_people,
        status=status,
        booked_by=actor,
        note=note.strip(),
        **links,
    )
    booking.full_clean()
    try:
        with transaction.atomic():
            Room.objects.select_for_update().get(pk=room.pk)
            _refuse_clash(room, starts_at, ends_at)
            booking.save()
    except IntegrityError as exc:
        # The database's exclusion constraint: another booking got the time first.
        raise ValidationError({"starts_at": _("The room is booked at this time already.")}) from exc
    return booking


def _refuse_clash(room: Room, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    other = clashes(room, starts_at, ends_at).order_by("starts_at").first()
    if other is not None:
        start = timezone.localtime(other.starts_at)
        end = timezone.localtime(other.ends_at)
        raise ValidationError(
            {
                "starts_at": _("The room is booked from %(start)s to %(end)s already.")
                % {"start": f"{start:%Y-%m-%d %H:%M}", "end": f"{end:%H:%M}"}
            }
        )


def _booking_step(*, booking: Booking, status: str, allowed, actor, note: str = "") -> Booking:
    """Move a booking to ``status`` with its row locked; ``allowed(locked)`` says whether the
    actor may. Of two people acting at once exactly one moves it."""
    labels = dict(BookingStatus.choices)
    with transaction.atomic():
        locked = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("room__position__area")
            .get(pk=booking.pk)
        )
        if not allowed(locked):
            raise PermissionDenied(_("You may not change this booking."))
        if status not in locked.next_statuses:
            raise ValidationError(
                {
                    "status": _("From “%(current)s” the status cannot become “%(target)s”.")
                    % {"current": locked.get_status_display(), "target": labels[status]}
                }
            )
        locked.status = status
        if status in (BookingStatus.CONFIRMED, BookingStatus.REJECTED):
            locked.decided_by = actor
        if note.strip():
            locked.note = note.strip()[:200]
        locked.save(update_fields=["status", "decided_by", "note", "updated_at"])
    booking.status = locked.status
    return locked


def booking_approve(*, actor, booking: Booking) -> Booking:
    """Approve a booking awaiting approval: officers who may change records of the position's
    area. The slot was held since the booking was made, so no clash can arise."""
    return _booking_step(
        booking=booking,
        status=BookingStatus.CONFIRMED,
        actor=actor,
        allowed=lambda b: may_change_in(actor, b.room.position.area),
    )


def booking_reject(*, actor, booking: Booking, note: str = "") -> Booking:
    """Reject a booking awaiting approval (with a reason in ``note``); the time is free again."""
    return _booking_step(
        booking=booking,
        status=BookingStatus.REJECTED,
        actor=actor,
        note=note,
        allowed=lambda b: may_change_in(actor, b.room.position.area),
    )


def booking_cancel(*, actor, booking: Booking, note: str = "") -> Booking:
    """Cancel a booking that holds its room: whoever booked it, or an officer of the
    position's area. The time is free again."""
    return _booking_step(
        booking=booking,
        status=BookingStatus.CANCELLED,
        actor=actor,
        note=note,
        allowed=lambda b: b.booked_by_id == actor.pk or may_change_in(actor, b.room.position.area),
    )


def booking_record_use(*, actor, booking: Booking, people_served: int) -> Booking:
    """Record how many people a confirmed booking served, once it has begun (the usage figures
    count it)."""
    if not (booking.booked_by_id == actor.pk or may_change_in(actor, booking.room.position.area)):
        raise PermissionDenied(_("You may not change this booking."))
    if booking.status != BookingStatus.CONFIRMED:
        raise ValidationError({"people_served": _("Only a confirmed booking served people.")})
    if booking.starts_at > timezone.now():
        raise ValidationError({"people_served": _("The booking has not begun yet.")})
    if people_served < 0:
        raise ValidationError(
            {"people_served": _("Ensure this value is greater than or equal to 0.")}
        )
    Booking.objects.filter(pk=booking.pk).update(
        people_served=people_served, updated_at=timezone.now()
    )
    booking.people_served = people_served
    return booking
