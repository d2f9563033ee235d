"""The deputies' contact station (两代表一委员联系站): people's congress deputies and CPPCC
members linked to a station hold reception days there; residents' opinions recorded at a
reception are each turned, in one step, into a demand, a case or a reply, and the deputy
follows what became of them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from governance.models import LimitedTextField, TimeStampedModel
from grids.models import Area
from partybuilding.models.common import SteppedStatus
from partybuilding.models.organizations import phone_validator


class ContactStation(TimeStampedModel):
    """A station where deputies meet residents, run by a community or a street."""

    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="contact_stations"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("station phone"), max_length=30, blank=True)
    description = LimitedTextField(_("description"), blank=True)
    is_public = models.BooleanField(
        _("reception days public"),
        default=True,
        help_text=_("Residents see its upcoming reception days without signing in."),
    )

    class Meta:
        ordering = ("name",)
        verbose_name = _("deputies' contact station")
        verbose_name_plural = _("deputies' contact stations")

    def __str__(self) -> str:
        return self.name


class DeputyKind(models.TextChoices):
    NPC = "npc", _("People's congress deputy")
    CPPCC = "cppcc", _("CPPCC member")


class DeputyLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCIAL = "provincial", _("Provincial")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    TOWNSHIP = "township", _("Township")


class Deputy(TimeStampedModel):
    """A people's congress deputy or a CPPCC member who receives residents at stations."""

    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=10, choices=DeputyKind)
    level = models.CharField(_("level"), max_length=12, choices=DeputyLevel)
    term = models.CharField(_("term"), max_length=30, help_text=_("E.g. 第十六届"))
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"), null=True, blank=True)
    work_unit = models.CharField(_("work unit and post"), max_length=100, blank=True)
    area = models.ForeignKey(
        Area,
        verbose_name=_("registered in"),
        on_delete=models.PROTECT,
        related_name="deputies",
        help_text=_("The street or community whose stations the deputy serves."),
    )
    stations = models.ManyToManyField(
        ContactStation, verbose_name=_("stations"), blank=True, related_name="deputies"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deputy",
        help_text=_("Signed in, the deputy follows the opinions received."),
    )

    class Meta:
        ordering = ("name",)
        verbose_name = _("deputy")
        verbose_name_plural = _("deputies")
        constraints = [
            models.CheckConstraint(
                name="deputy_term_ordered",
                condition=Q(term_end__isnull=True) | Q(term_end__gt=models.F("term_start")),
                violation_error_message=_("The term ends after it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"


class ReceptionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


# A reception day's status moves along this table (a cancelled one may be scheduled again; the
# first opinion recorded marks a scheduled one held).
RECEPTION_STATUS_STEPS = {
    None: frozenset({ReceptionStatus.SCHEDULED, ReceptionStatus.HELD}),
    ReceptionStatus.SCHEDULED: frozenset({ReceptionStatus.HELD, ReceptionStatus.CANCELLED}),
    ReceptionStatus.HELD: frozenset(),
    ReceptionStatus.CANCELLED: frozenset({ReceptionStatus.SCHEDULED}),
}


class Reception(SteppedStatus, TimeStampedModel):
    """A reception day: deputies receive residents at a station for a few hours."""

    Status = ReceptionStatus
    status_steps = RECEPTION_STATUS_STEPS

    station = models.ForeignKey(
        ContactStation,
        verbose_name=_("station"),
        on_delete=models.CASCADE,
        related_name="receptions",
    )
    day = models.DateField(_("day"))
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))
    topic = models.CharField(_("topic"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.SCHEDULED)
    deputies = models.ManyToManyField(
        Deputy, verbose_name=_("deputies receiving"), related_name="receptions"
    )

    class Meta:
        ordering = ("-day", "-starts")
        verbose_name = _("reception day")
        verbose_name_plural = _("reception days")
        indexes = [models.Index(fields=("day",), name="reception_day")]
        constraints = [
            models.CheckConstraint(
                name="reception_hours_ordered",
                condition=Q(ends__gt=models.F("starts")),
                violation_error_message=_("The reception ends after it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.station} {self.day:%Y-%m-%d}"


class OpinionOutcome(models.TextChoices):
    PENDING = "pending", _("Not yet handled")
    DEMAND = "demand", _("Turned into a demand")
    CASE = "case", _("Turned into a case")
    REPLY = "reply", _("Answered")


class Opinion(TimeStampedModel):
    """A resident's opinion recorded at a reception; it becomes exactly one demand, case or
    reply (``services.opinion_to_demand`` / ``opinion_to_case`` / ``opinion_reply``)."""

    Outcome = OpinionOutcome
    state_fields = ("outcome", "demand", "case", "reply", "handled_by", "handled_at")

    reception = models.ForeignKey(
        Reception,
        verbose_name=_("reception day"),
        on_delete=models.PROTECT,
        related_name="opinions",
    )
    deputy = models.ForeignKey(
        Deputy,
        verbose_name=_("received by"),
        on_delete=models.PROTECT,
        related_name="opinions",
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("where"),
        on_delete=models.PROTECT,
        related_name="station_opinions",
        help_text=_("The community, grid or building the opinion is about."),
    )
    resident_name = models.CharField(_("resident"), max_length=50)
    resident_phone = models.CharField(
        _("resident's phone"), max_length=20, blank=True, validators=[phone_validator]
    )
    content = LimitedTextField(_("opinion"))
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=OpinionOutcome, default=OpinionOutcome.PENDING
    )
    demand = models.OneToOneField(
        "partybuilding.Demand",
        verbose_name=_("demand"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="station_opinion",
    )
    case = models.OneToOneField(
        "casework.Case",
        verbose_name=_("case"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="station_opinion",
    )
    reply = LimitedTextField(_("reply"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("residents' opinion")
        verbose_name_plural = _("residents' opinions")
        constraints = [
            models.CheckConstraint(
                name="opinion_outcome_matches_link",
                condition=Q(outcome=OpinionOutcome.PENDING)
                | Q(outcome=OpinionOutcome.DEMAND, case__isnull=True)
                | Q(outcome=OpinionOutcome.CASE, demand__isnull=True)
                | Q(outcome=OpinionOutcome.REPLY, demand__isnull=True, case__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.content[:40]

    def clean(self) -> None:
        super().clean()
        errors = {}
        if (
            self.reception_id
            and self.area_id
            and not self.area.is_within(self.reception.station.area)
        ):
            errors["area"] = _("Choose a place within the station's area.")
        if (
            self.reception_id
            and self.deputy_id
            and not self.reception.deputies.filter(pk=self.deputy_id).exists()
        ):
            errors["deputy"] = _("Choose a deputy who received at this reception.")
        if errors:
            raise ValidationError(errors)

    @property
    def masked_name(self) -> str:
        """The resident as lists show them (governance.privacy's mask)."""
        from governance.privacy import mask_name

        return mask_name(self.resident_name)

    @property
    def masked_phone(self) -> str:
        from governance.privacy import mask_phone

        return mask_phone(self.resident_phone) if self.resident_phone else ""

    @property
    def is_pending(self) -> bool:
        return self.outcome == OpinionOutcome.PENDING

    @property
    def follow_up(self) -> str:
        """What became of the opinion, as the deputy reads it: the demand's or the case's
        state, or that it was answered."""
        if self.outcome == OpinionOutcome.DEMAND and self.demand is not None:
            return str(self.demand.get_status_display())
        if self.outcome == OpinionOutcome.CASE and self.case is not None:
            return str(self.case.get_status_display())
        return str(self.get_outcome_display())
