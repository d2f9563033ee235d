"""Councils, meetings (one-off and fixed-day series), attendees, minutes and resolutions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from governance.models import LimitedTextField, TimeStampedModel
from grids.models import Area
from partybuilding.models.common import SteppedStatus
from partybuilding.models.consortia import check_consortium_area


class MeetingKind(models.TextChoices):
    JOINT = "joint", _("Joint meeting of the big party committee")
    COUNCIL = "council", _("Council meeting")
    COURTYARD = "courtyard", _("Courtyard council")
    OPINION_SESSION = "opinion_session", _("Public-opinion session")
    OWNERS_ROUND_TABLE = "owners_round_table", _("Owners' round table")
    THREE_CARRIAGES = "three_carriages", _("Joint meeting of the three carriages")
    OTHER = "other", _("Other meeting")


class Council(TimeStampedModel):
    """议事会: a standing body of residents, units and party members of an area."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=MeetingKind)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="councils"
    )
    description = LimitedTextField(_("description"), blank=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("council")
        verbose_name_plural = _("councils")

    def __str__(self) -> str:
        return self.name


class CouncilMember(models.Model):
    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.CASCADE, related_name="members"
    )
    name = models.CharField(_("name"), max_length=50)
    position = models.CharField(_("position"), max_length=50)
    party_member = models.ForeignKey(
        "partybuilding.PartyMember",
        verbose_name=_("party member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="council_seats",
    )
    unit = models.ForeignKey(
        "partybuilding.CoConstructionUnit",
        verbose_name=_("unit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="council_seats",
    )
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"), null=True, blank=True)

    class Meta:
        ordering = ("council", "position", "name")
        verbose_name = _("council member")
        verbose_name_plural = _("council members")
        constraints = [
            models.CheckConstraint(
                name="council_member_term_ordered",
                condition=Q(term_end__isnull=True) | Q(term_end__gte=models.F("term_start")),
                violation_error_message=_("The term cannot end before it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.position}）"


class MeetingSeries(TimeStampedModel):
    """A fixed-day session (e.g. the 5th, 15th and 25th of each month) that generates meetings."""

    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=MeetingKind)
    council = models.ForeignKey(
        Council,
        verbose_name=_("council"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="series",
    )
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="meeting_series"
    )
    days_of_month = models.JSONField(
        _("days of the month"), help_text=_("For example [5, 15, 25].")
    )
    time = models.TimeField(_("time of day"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=90, validators=[MinValueValidator(10)]
    )
    place = models.CharField(_("place"), max_length=120)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"), null=True, blank=True)

    class Meta:
        ordering = ("title",)
        verbose_name = _("meeting series")
        verbose_name_plural = _("meeting series")
        constraints = [
            models.CheckConstraint(
                name="series_end_after_start",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                violation_error_message=_("The last day cannot be before the first."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        _check_council_area(self)
        days = self.days_of_month
        if days is None:
            return  # missing: reported by the field's own check (or the form's)
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, int) and 1 <= d <= 31 for d in days)
            or len(set(days)) != len(days)
        ):
            raise ValidationError(
                {"days_of_month": _("Give distinct days of the month between 1 and 31.")}
            )


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


# A meeting is scheduled, or entered after it was held; a scheduled meeting is held or
# cancelled, and a cancelled one may be scheduled again.
MEETING_STATUS_STEPS = {
    None: frozenset({MeetingStatus.SCHEDULED, MeetingStatus.HELD}),
    MeetingStatus.SCHEDULED: frozenset({MeetingStatus.HELD, MeetingStatus.CANCELLED}),
    MeetingStatus.HELD: frozenset(),
    MeetingStatus.CANCELLED: frozenset({MeetingStatus.SCHEDULED}),
}


class Meeting(SteppedStatus, TimeStampedModel):
    Kind = MeetingKind
    Status = MeetingStatus
    status_steps = MEETING_STATUS_STEPS

    title = models.CharField(_("title"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=MeetingKind)
    council = models.ForeignKey(
        Council,
        verbose_name=_("council"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meetings",
    )
    series = models.ForeignKey(
        MeetingSeries,
        verbose_name=_("series"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meetings",
    )
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="meetings"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=120, blank=True)
    agenda = LimitedTextField(_("agenda"), blank=True, max_length=5000)
    minutes = LimitedTextField(_("minutes"), blank=True, max_length=20000)
    minutes_public = models.BooleanField(_("minutes are public"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus, default=MeetingStatus.SCHEDULED
    )
    chaired_by = models.CharField(_("chaired by"), max_length=50, blank=True)

    consortium = models.ForeignKey(
        "partybuilding.Consortium",
        verbose_name=_("governance consortium"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meetings",
    )

    class Meta:
        ordering = ("-starts_at", "-pk")
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.UniqueConstraint(
                fields=("series", "starts_at"),
                condition=Q(series__isnull=False),
                name="meeting_one_occurrence_per_series_time",
            ),
            models.CheckConstraint(
                name="meeting_ends_after_start",
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                violation_error_message=_("A meeting ends after it starts."),
            ),
        ]
        indexes = [models.Index(fields=("starts_at",))]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        _check_council_area(self)
        check_consortium_area(self)


def _check_council_area(obj) -> None:
    """A council meets about its own area: a meeting or series lies within the council's."""
    if obj.council_id and obj.area_id and not obj.area.is_within(obj.council.area):
        raise ValidationError(
            {
                "area": _("The area lies within the council's area (%(area)s).")
                % {"area": obj.council.area.name}
            }
        )


class MeetingAttendee(models.Model):
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="attendees"
    )
    name = models.CharField(_("name"), max_length=50)
    role = models.CharField(_("attends as"), max_length=50, blank=True)
    party_member = models.ForeignKey(
        "partybuilding.PartyMember",
        verbose_name=_("party member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    unit = models.ForeignKey(
        "partybuilding.CoConstructionUnit",
        verbose_name=_("unit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    attended = models.BooleanField(_("attended"), default=True)

    class Meta:
        ordering = ("meeting", "pk")
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")

    def __str__(self) -> str:
        return self.name


class Resolution(TimeStampedModel):
    """A decision of a meeting; it may open a project (``services.resolution_open_project``)
    and a case (``services.resolution_open_case``), each at most once."""

    state_fields = ("project", "project_opened_by", "case", "case_opened_by")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="resolutions"
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MaxValueValidator(999)])
    text = LimitedTextField(_("resolution"))
    votes_for = models.PositiveSmallIntegerField(_("votes for"), default=0)
    votes_against = models.PositiveSmallIntegerField(_("votes against"), default=0)
    project = models.OneToOneField(
        "partybuilding.Project",
        verbose_name=_("project opened"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resolution",
    )
    project_opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("project opened by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    # One-to-one: a case comes from at most one resolution, and the service fills it with a
    # conditional update, so a resolution opens at most one case.
    case = models.OneToOneField(
        "casework.Case",
        verbose_name=_("case opened"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="council_resolution",
    )
    case_opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("case opened by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ("meeting", "number")
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")
        constraints = [
            models.UniqueConstraint(
                fields=("meeting", "number"), name="resolution_number_unique_in_meeting"
            )
        ]

    def __str__(self) -> str:
        return f"{self.meeting} #{self.number}"
