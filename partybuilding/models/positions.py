"""Positions (阵地): party and mass service centres, good-neighbour sites and station rooms, their
rooms, their own evening and weekend hours, and the bookings of the rooms.

A room is never booked twice for overlapping times: on PostgreSQL an exclusion constraint
(migration 0004, btree_gist) refuses it in the database; the booking service checks the same
rule with the room row locked, which is what holds on SQLite.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from governance.models import LimitedTextField, TimeStampedModel
from grids.models import Area
from partybuilding.models.common import SteppedStatus


class PositionKind(models.TextChoices):
    SERVICE_CENTER = "service_center", _("Party and mass service centre")
    GOOD_NEIGHBOUR = "good_neighbour", _("Good-neighbour site")
    STATION = "station", _("Station")
    UNIT_VENUE = "unit_venue", _("Venue of a co-construction unit")


class Position(TimeStampedModel):
    """阵地: a place with rooms that activities, meetings, units and resident groups book."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=PositionKind)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="positions"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    unit = models.ForeignKey(
        "partybuilding.CoConstructionUnit",
        verbose_name=_("provided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="positions",
        help_text=_("The co-construction unit whose venue this is, if any."),
    )
    resource = models.ForeignKey(
        "partybuilding.Resource",
        verbose_name=_("resource on the three lists"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="positions",
    )
    facilities = LimitedTextField(_("facilities"), blank=True)
    description = LimitedTextField(_("description"), blank=True)
    photo = models.ImageField(_("photo"), upload_to="partybuilding/positions/%Y/", blank=True)
    open_in_working_hours = models.BooleanField(
        _("open in working hours"),
        default=True,
        help_text=_("Open on working days in the street's working hours (holidays observed)."),
    )
    requires_approval = models.BooleanField(
        _("bookings need approval"),
        default=False,
        help_text=_("A booking waits until an officer approves it."),
    )
    is_public = models.BooleanField(
        _("free/busy is public"),
        default=True,
        help_text=_("Residents can see, without signing in, when its rooms are free."),
    )

    class Meta:
        ordering = ("name",)
        verbose_name = pgettext_lazy("party position", "position")
        verbose_name_plural = pgettext_lazy("party position", "positions")

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class PositionHours(models.Model):
    """A position's own opening period on a weekday (evenings, weekends), on top of the
    working hours."""

    position = models.ForeignKey(
        Position,
        verbose_name=pgettext_lazy("party position", "position"),
        on_delete=models.CASCADE,
        related_name="hours",
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ("position", "weekday", "opens")
        verbose_name = _("opening period")
        verbose_name_plural = _("opening periods")
        constraints = [
            models.CheckConstraint(
                name="position_hours_ordered",
                condition=Q(closes__gt=models.F("opens")),
                violation_error_message=_("A period closes after it opens."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class RoomKind(models.TextChoices):
    MEETING = "meeting", _("Meeting room")
    MEDIATION = "mediation", _("Mediation room")
    ELDERLY_UNIVERSITY = "elderly_university", _("Elderly university classroom")
    WOMEN_CHILDREN = "women_children", _("Women and children's home")
    READING = "reading", _("Reading room")
    ACTIVITY = "activity", _("Activity hall")
    OTHER = "other", _("Other room")


class Room(TimeStampedModel):
    position = models.ForeignKey(
        Position,
        verbose_name=pgettext_lazy("party position", "position"),
        on_delete=models.CASCADE,
        related_name="rooms",
    )
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=RoomKind)
    capacity = models.PositiveSmallIntegerField(_("capacity"), validators=[MinValueValidator(1)])
    facilities = models.CharField(_("facilities"), max_length=200, blank=True)
    is_active = models.BooleanField(_("can be booked"), default=True)

    class Meta:
        ordering = ("position", "name")
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [
            models.UniqueConstraint(
                fields=("position", "name"),
                name="room_name_unique_in_position",
                violation_error_message=_("The position has a room of this name already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.position.name} · {self.name}"


class BookingKind(models.TextChoices):
    ACTIVITY = "activity", _("Activity")
    MEETING = "meeting", _("Meeting")
    UNIT = "unit", _("Unit")
    RESIDENT_GROUP = "resident_group", _("Resident group")


class BookingStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


# The statuses that hold a room's time: a booking awaiting approval keeps its slot.
HOLDING_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)

# A booking starts confirmed, or pending where the position asks for approval; a pending one
# is approved, rejected or cancelled, a confirmed one cancelled.
BOOKING_STATUS_STEPS = {
    None: frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED}),
    BookingStatus.PENDING: frozenset(
        {BookingStatus.CONFIRMED, BookingStatus.REJECTED, BookingStatus.CANCELLED}
    ),
    BookingStatus.CONFIRMED: frozenset({BookingStatus.CANCELLED}),
    BookingStatus.REJECTED: frozenset(),
    BookingStatus.CANCELLED: frozenset(),
}


class Booking(SteppedStatus, TimeStampedModel):
    """A room booked for a time by an activity, a meeting, a unit or a resident group."""

    Kind = BookingKind
    Status = BookingStatus
    status_steps = BOOKING_STATUS_STEPS

    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.PROTECT, related_name="bookings"
    )
    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("booked for"), max_length=20, choices=BookingKind)
    activity = models.ForeignKey(
        "partybuilding.Activity",
        verbose_name=_("activity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
    )
    meeting = models.ForeignKey(
        "partybuilding.Meeting",
        verbose_name=_("meeting"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
    )
    unit = models.ForeignKey(
        "partybuilding.CoConstructionUnit",
        verbose_name=_("unit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
    )
    group_name = models.CharField(_("resident group"), max_length=80, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    expected_people = models.PositiveSmallIntegerField(
        _("expected people"), validators=[MinValueValidator(1)]
    )
    people_served = models.PositiveIntegerField(_("people served"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=BookingStatus, default=BookingStatus.CONFIRMED
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.PROTECT,
        related_name="room_bookings",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or rejected by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ("starts_at", "pk")
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        indexes = [models.Index(fields=("room", "starts_at"), name="booking_room_start")]
        constraints = [
            models.CheckConstraint(
                name="booking_ends_after_start",
                condition=Q(ends_at__gt=models.F("starts_at")),
                violation_error_message=_("A booking ends after it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.room}）"

    @property
    def holds_room(self) -> bool:
        return self.status in HOLDING_STATUSES

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600
