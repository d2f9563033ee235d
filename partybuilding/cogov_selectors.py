"""Reads of positions and bookings (the scoped lists with their joins, a calendar's bookings,
the public free/busy view, the usage figures that feed the dashboards) and of the three
carriages of compounds."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.urls import reverse
from django.utils import timezone

from governance.scopes import visible
from grids.models import Area
from partybuilding.models import (
    HOLDING_STATUSES,
    Booking,
    BookingStatus,
    CoConstructionUnit,
    Compound,
    Consortium,
    DemandStatus,
    MeetingStatus,
    Position,
    PropertyCompany,
    PropertyContract,
    Room,
    UnitPointEntry,
    UnitPointItem,
)


def position_list_for(user) -> QuerySet[Position]:
    return (
        visible(user, Position.objects.all())
        .select_related("area", "unit")
        .annotate(room_count=Count("rooms", distinct=True))
        .order_by("name")
    )


def position_detail(position_pk: int, user) -> Position | None:
    """A visible position with its rooms and opening periods (for the calendar and the
    opening-hours check)."""
    return (
        visible(user, Position.objects.filter(pk=position_pk))
        .select_related("area", "unit", "resource")
        .prefetch_related("hours", Prefetch("rooms", queryset=Room.objects.order_by("name")))
        .first()
    )


def room_list_for(user) -> QuerySet[Room]:
    return visible(user, Room.objects.select_related("position__area")).order_by(
        "position__name", "name"
    )


def booking_list_for(user) -> QuerySet[Booking]:
    return visible(
        user,
        Booking.objects.select_related(
            "room__position__area", "booked_by", "meeting", "activity", "unit"
        ),
    ).order_by("starts_at", "pk")


def bookings_between(
    queryset: QuerySet[Booking], first: dt.datetime, last: dt.datetime
) -> QuerySet[Booking]:
    """The bookings of ``queryset`` that overlap ``[first, last)``."""
    return queryset.filter(starts_at__lt=last, ends_at__gt=first)


def calendar_days(bookings, first: dt.date, last: dt.date) -> dict[dt.date, list[Booking]]:
    """Bookings by local day, from ``first`` to ``last`` (a booking is listed on the day it
    starts)."""
    by_day: dict[dt.date, list[Booking]] = defaultdict(list)
    for booking in bookings:
        day = timezone.localtime(booking.starts_at).date()
        if first <= day <= last:
            by_day[day].append(booking)
    return by_day


def busy_times(rooms, first: dt.datetime, last: dt.datetime) -> list[dict]:
    """When each room is held (awaiting approval or confirmed) in ``[first, last)``: times
    only, never who booked it or why (the public free/busy view). One query."""
    rows = (
        Booking.objects.filter(
            room__in=rooms, status__in=HOLDING_STATUSES, starts_at__lt=last, ends_at__gt=first
        )
        .order_by("room_id", "starts_at")
        .values_list("room_id", "starts_at", "ends_at")
    )
    busy: dict[int, list] = defaultdict(list)
    for room_id, starts_at, ends_at in rows:
        busy[room_id].append(
            {"starts_at": timezone.localtime(starts_at), "ends_at": timezone.localtime(ends_at)}
        )
    return [{"room": room, "busy": busy.get(room.pk, [])} for room in rooms]


def position_usage(
    positions: QuerySet[Position], first: dt.datetime, last: dt.datetime
) -> QuerySet[Position]:
    """``positions`` annotated with their use in ``[first, last)``: ``hours_booked`` (a
    timedelta), ``bookings_held`` and ``people_served`` (recorded), counting the confirmed
    bookings that start in the period. One query."""
    held = Q(
        rooms__bookings__status=BookingStatus.CONFIRMED,
        rooms__bookings__starts_at__gte=first,
        rooms__bookings__starts_at__lt=last,
    )
    duration = ExpressionWrapper(
        F("rooms__bookings__ends_at") - F("rooms__bookings__starts_at"),
        output_field=DurationField(),
    )
    return positions.annotate(
        hours_booked=Sum(duration, filter=held),
        bookings_held=Count("rooms__bookings", filter=held),
        people_served=Sum("rooms__bookings__people_served", filter=held),
    )


def month_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    first = day.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return (
        dt.datetime.combine(first, dt.time(), tzinfo=tz),
        dt.datetime.combine(nxt, dt.time(), tzinfo=tz),
    )


# -- the three carriages -------------------------------------------------------------------------
def compound_list_for(user, *, today: dt.date | None = None) -> QuerySet[Compound]:
    """Compounds in scope with their owners' committee and the company under contract
    ``today`` (``current_contract``: a list of at most one), in a bounded number of queries."""
    today = today or timezone.localdate()
    current = PropertyContract.objects.filter(
        starts_on__lte=today, ends_on__gte=today
    ).select_related("company__department")
    return (
        visible(user, Compound.objects.all())
        .select_related("area", "owners_committee")
        .prefetch_related(Prefetch("contracts", queryset=current, to_attr="current_contract"))
        .order_by("name")
    )


def property_company_for(area, *, on: dt.date | None = None) -> PropertyCompany | None:
    """The property company under contract on ``on`` (today) for the compound ``area`` lies
    in (the compound itself or one of its ancestors): where a compound's case is dispatched."""
    on = on or timezone.localdate()
    compounds = Compound.objects.filter(
        area__in=Area.objects.filter(Area.ancestors_q(area, include_self=True))
    )
    contracts = list(
        PropertyContract.objects.filter(
            compound__in=compounds, starts_on__lte=on, ends_on__gte=on
        ).select_related("company__department", "compound__area")
    )
    # The innermost compound decides (a courtyard inside an estate keeps its own company).
    contracts.sort(key=lambda c: sum(c.compound.area.is_within(o.compound.area) for o in contracts))
    return contracts[-1].company if contracts else None


# -- units' points -------------------------------------------------------------------------------
def unit_ranking(user, year: int) -> QuerySet[CoConstructionUnit]:
    """The units in scope that earned points in ``year``, most first (``points``)."""
    return (
        visible(user, CoConstructionUnit.objects.select_related("area"))
        .annotate(points=Sum("point_entries__amount", filter=Q(point_entries__year=year)))
        .filter(points__gt=0)
        .order_by("-points", "name")
    )


def unit_year(unit: CoConstructionUnit, year: int) -> dict:
    """A unit's points of ``year`` by item, its total and its place among the units of its
    street (for the annual feedback letter)."""
    by_item = list(
        UnitPointEntry.objects.filter(unit=unit, year=year)
        .values("item")
        .annotate(points=Sum("amount"), events=Count("pk"))
        .order_by("item")
    )
    labels = dict(UnitPointItem.choices)
    for row in by_item:
        row["label"] = labels.get(row["item"], row["item"])
    total = sum(row["points"] for row in by_item)
    street = Area.objects.filter(
        Area.ancestors_q(unit.area, include_self=True), kind=Area.STREET_KIND
    ).first()
    rank = None
    if street is not None and total:
        better = (
            CoConstructionUnit.objects.filter(Area.subtree_q(street, prefix="area__"))
            .annotate(points=Sum("point_entries__amount", filter=Q(point_entries__year=year)))
            .filter(points__gt=total)
            .count()
        )
        rank = better + 1
    return {"by_item": by_item, "total": total, "rank": rank, "street": street}


# -- governance consortia ------------------------------------------------------------------------
def consortium_list_for(user) -> QuerySet[Consortium]:
    return (
        visible(user, Consortium.objects.select_related("area"))
        .annotate(
            area_count=Count("covered_areas", distinct=True),
            unit_count=Count("units", distinct=True),
            member_count=Count("members", distinct=True),
        )
        .order_by("name")
    )


def consortium_figures(consortium: Consortium) -> dict:
    """What a consortium covers and does: households of its grids and compounds, its demands
    (open of all), projects and meetings (held of all). A fixed number of queries."""
    areas = list(consortium.covered_areas.order_by("code"))
    compounds = list(consortium.compounds.select_related("area").order_by("name"))
    demands = consortium.demands.aggregate(
        total=Count("pk"), open=Count("pk", filter=Q(status=DemandStatus.OPEN))
    )
    meetings = consortium.meetings.aggregate(
        total=Count("pk"), held=Count("pk", filter=Q(status=MeetingStatus.HELD))
    )
    return {
        "areas": areas,
        "compounds": compounds,
        "households": sum(a.households for a in areas) + sum(c.households for c in compounds),
        "demands": demands,
        "projects": consortium.projects.count(),
        "meetings": meetings,
        "recent_demands": consortium.demands.order_by("-created_at")[:5],
        "recent_projects": consortium.projects.order_by("-created_at")[:5],
        "recent_meetings": consortium.meetings.order_by("-starts_at")[:5],
    }


def consortium_map(areas: list, compounds: list) -> dict:
    """What the consortium covers, for the map on its page (static/js/area_map.js draws it,
    names as text nodes): the boundaries of its grids and micro-grids and of its compounds'
    areas, each a link to the area's page. Areas without a boundary are left out."""
    seen: set[int] = set()
    features = []
    for area, label in [(a, a.name) for a in areas] + [(c.area, c.name) for c in compounds]:
        boundary = area.boundary
        if not boundary or area.pk in seen:
            continue
        seen.add(area.pk)
        geometry = boundary.get("geometry") if boundary.get("type") == "Feature" else boundary
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "id": area.pk,
                    "name": label,
                    "label": label,
                    "kind": str(area.get_kind_display()),
                    "role": "child",
                    "url": reverse("grids:area", args=[area.pk]),
                },
            }
        )
    return {"features": features, "center": None, "labels": len(features) <= 12}
