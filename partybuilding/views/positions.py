"""Pages of positions (阵地): the list with this month's use, a position's week and month
calendar (all rooms or one), booking a room, approving, rejecting and cancelling bookings, and
the public free/busy page residents open without signing in."""

from __future__ import annotations

import calendar
import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.forms import apply_service_errors
from partybuilding import cogov_selectors as selectors
from partybuilding import services
from partybuilding.forms.positions import BookingForm, PositionForm
from partybuilding.models import BookingKind, BookingStatus, Meeting, Position
from partybuilding.permissions import may_change_in, may_change_somewhere
from partybuilding.services.positions import may_book_at
from partybuilding.views.common import (
    call_service,
    editable_row,
    form_page,
    get_visible_or_404,
    paginate,
    party_page,
    record_form_save,
    require_change_role,
)

WEEKDAYS = 7


@party_page
def positions(request):
    today = timezone.localdate()
    first, last = selectors.month_bounds(today)
    rows = selectors.position_usage(selectors.position_list_for(request.user), first, last)
    page = paginate(request, rows)
    page["rows"] = [_with_hours(p) for p in page["rows"]]
    meeting = None
    if request.GET.get("meeting"):
        meeting = get_visible_or_404(request.user, Meeting.objects.all(), request.GET["meeting"])
    context = {
        **page,
        "meeting": meeting,
        "month": first.date(),
        "can_change": may_change_somewhere(request.user),
    }
    return render(request, "partybuilding/positions.html", context)


@party_page
def position_edit(request, pk=None):
    require_change_role(request)
    instance = (
        editable_row(request, Position.objects.select_related("area"), pk)
        if pk
        else Position(kind="service_center")
    )
    form = PositionForm(request.POST or None, instance=instance, user=request.user)
    return form_page(
        request,
        form=form,
        save=lambda f: record_form_save(request, f),
        title=_("Edit position") if pk else _("New position"),
        back="partybuilding:positions",
        success=_("The position has been saved."),
        done=lambda obj: reverse("partybuilding:position", args=[obj.pk]),
    )


def _with_hours(position: Position) -> Position:
    """The booked time of a usage-annotated position in hours, one decimal."""
    booked = position.hours_booked
    position.hours_value = round(booked.total_seconds() / 3600, 1) if booked else 0
    return position


def _parse_day(value: str | None, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Http404 from None


def _calendar(position: Position, bookings, *, view: str, day: dt.date) -> dict:
    """The days of a week (Monday first) or the weeks of a month around ``day``, each with
    its bookings and, for a week, its opening periods."""
    if view == "month":
        weeks = calendar.Calendar().monthdatescalendar(day.year, day.month)
        first, last = weeks[0][0], weeks[-1][-1]
        prev_day = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        next_day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    else:
        first = day - dt.timedelta(days=day.weekday())
        last = first + dt.timedelta(days=WEEKDAYS - 1)
        weeks = [[first + dt.timedelta(days=i) for i in range(WEEKDAYS)]]
        prev_day, next_day = (
            first - dt.timedelta(days=WEEKDAYS),
            first + dt.timedelta(days=WEEKDAYS),
        )
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    by_day = selectors.calendar_days(selectors.bookings_between(bookings, start, end), first, last)
    cells = [
        [
            {
                "day": d,
                "bookings": by_day.get(d, []),
                "in_month": view != "month" or d.month == day.month,
                "open": services.opening_periods(position, d) if view == "week" else (),
            }
            for d in week
        ]
        for week in weeks
    ]
    return {"weeks": cells, "first": first, "last": last, "prev": prev_day, "next": next_day}


@party_page
def position_detail(request, pk):
    position = selectors.position_detail(pk, request.user)
    if position is None:
        raise Http404
    if request.method == "POST":
        return _booking_action(request, position)
    rooms = list(position.rooms.all())
    room = None
    if request.GET.get("room"):
        room = next((r for r in rooms if str(r.pk) == request.GET["room"]), None)
        if room is None:
            raise Http404
    view = "month" if request.GET.get("view") == "month" else "week"
    day = _parse_day(request.GET.get("date"), timezone.localdate())
    bookings = selectors.booking_list_for(request.user).filter(
        room__position=position, status__in=(BookingStatus.PENDING, BookingStatus.CONFIRMED)
    )
    if room is not None:
        bookings = bookings.filter(room=room)
    first, last = selectors.month_bounds(day)
    usage = _with_hours(
        selectors.position_usage(Position.objects.filter(pk=position.pk), first, last).get()
    )
    context = {
        "position": position,
        "rooms": rooms,
        "room": room,
        "view": view,
        "day": day,
        "today": timezone.localdate(),
        "usage": usage,
        "pending": bookings.filter(status=BookingStatus.PENDING, ends_at__gt=timezone.now())[:50]
        if may_change_in(request.user, position.area)
        else (),
        "can_book": may_book_at(request.user, position),
        "can_change": may_change_in(request.user, position.area),
        "user_pk": request.user.pk,
        "now": timezone.now(),
        **_calendar(position, bookings, view=view, day=day),
    }
    return render(request, "partybuilding/position_detail.html", context)


def _booking_action(request, position: Position):
    booking = get_visible_or_404(
        request.user,
        selectors.booking_list_for(request.user).filter(room__position=position),
        request.POST.get("booking"),
    )
    action = request.POST.get("action")
    note = request.POST.get("note", "")
    steps = {
        "approve": (
            lambda: services.booking_approve(actor=request.user, booking=booking),
            _("The booking has been approved."),
        ),
        "reject": (
            lambda: services.booking_reject(actor=request.user, booking=booking, note=note),
            _("The booking has been rejected."),
        ),
        "cancel": (
            lambda: services.booking_cancel(actor=request.user, booking=booking, note=note),
            _("The booking has been cancelled."),
        ),
    }
    if action == "served":
        try:
            people = int(request.POST.get("people_served", ""))
        except ValueError:
            people = -1
        steps["served"] = (
            lambda: services.booking_record_use(
                actor=request.user, booking=booking, people_served=people
            ),
            _("The number of people served has been recorded."),
        )
    if action not in steps:
        raise Http404
    step, success = steps[action]
    call_service(request, step, success)
    day = timezone.localtime(booking.starts_at).date().isoformat()
    return redirect(f"{reverse('partybuilding:position', args=[position.pk])}?date={day}")


@party_page
def booking_new(request, pk):
    position = selectors.position_detail(pk, request.user)
    if position is None:
        raise Http404
    if not may_book_at(request.user, position):
        raise PermissionDenied
    initial = {"room": request.GET.get("room"), "kind": BookingKind.MEETING}
    meeting = None
    if request.GET.get("meeting"):
        meeting = get_visible_or_404(request.user, Meeting.objects.all(), request.GET["meeting"])
        start = timezone.localtime(meeting.starts_at)
        end = timezone.localtime(meeting.ends_at) if meeting.ends_at else None
        initial.update(
            meeting=meeting.pk, title=meeting.title, day=start.date(), starts=start.time()
        )
        if end is not None:
            initial["ends"] = end.time()
    elif request.GET.get("date"):
        initial["day"] = _parse_day(request.GET.get("date"), timezone.localdate())
    form = BookingForm(request.POST or None, initial=initial, user=request.user, position=position)
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.booking_create(actor=request.user, **form.service_arguments())
        except ValidationError as exc:
            apply_service_errors(form, exc, rename={"starts_at": "starts", "ends_at": "ends"})
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("The room is booked; the booking awaits approval.")
                if booking.status == BookingStatus.PENDING
                else _("The room is booked."),
            )
            day = timezone.localtime(booking.starts_at).date().isoformat()
            return redirect(f"{reverse('partybuilding:position', args=[position.pk])}?date={day}")
    context = {"form": form, "position": position, "meeting": meeting}
    return render(request, "partybuilding/booking_form.html", context)


def position_free(request, pk):
    """When the rooms of a public position are free, for a week (no sign-in; times only)."""
    position = (
        Position.objects.filter(pk=pk, is_public=True)
        .select_related("area")
        .prefetch_related("hours", "rooms")
        .first()
    )
    if position is None:
        raise Http404
    day = _parse_day(request.GET.get("date"), timezone.localdate())
    first = day - dt.timedelta(days=day.weekday())
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    end = start + dt.timedelta(days=WEEKDAYS)
    rooms = [r for r in position.rooms.all() if r.is_active]
    busy = selectors.busy_times(rooms, start, end)
    days = []
    for i in range(WEEKDAYS):
        d = first + dt.timedelta(days=i)
        days.append(
            {
                "day": d,
                "open": services.opening_periods(position, d),
                "rooms": [
                    {
                        "room": row["room"],
                        "busy": [b for b in row["busy"] if b["starts_at"].date() == d],
                    }
                    for row in busy
                ],
            }
        )
    context = {
        "position": position,
        "days": days,
        "prev": first - dt.timedelta(days=WEEKDAYS),
        "next": first + dt.timedelta(days=WEEKDAYS),
        "first": first,
    }
    return render(request, "partybuilding/position_free.html", context)
