"""Volunteers, service activities, the points ledger and rewards."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from governance.models import LimitedTextField, TimeStampedModel
from governance.pinyin import PinyinNamedModel, PinyinQuerySet
from grids.models import Area
from partybuilding.models.common import ServiceType, SteppedStatus, steps_from
from partybuilding.models.organizations import phone_validator


class Volunteer(PinyinNamedModel, TimeStampedModel):
    """A registered volunteer: a party member or a resident."""

    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    area = models.ForeignKey(
        Area,
        verbose_name=_("home area"),
        on_delete=models.PROTECT,
        related_name="volunteers",
    )
    member = models.OneToOneField(
        "partybuilding.PartyMember",
        verbose_name=_("party member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteer",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteer",
    )
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = PinyinQuerySet.as_manager()

    class Meta:
        ordering = ("name_sort", "name")
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")

    def __str__(self) -> str:
        return self.name


class ActivityStatus(models.TextChoices):
    OPEN = "open", _("Open for sign-up")
    CLOSED = "closed", pgettext_lazy("party activity", "Closed")
    CANCELLED = "cancelled", _("Cancelled")


# An activity opens for sign-up when it is created; sign-up closes (and may reopen) or the
# activity is cancelled, which is final.
ACTIVITY_STATUS_STEPS = {
    None: frozenset({ActivityStatus.OPEN}),
    ActivityStatus.OPEN: frozenset({ActivityStatus.CLOSED, ActivityStatus.CANCELLED}),
    ActivityStatus.CLOSED: frozenset({ActivityStatus.OPEN, ActivityStatus.CANCELLED}),
    ActivityStatus.CANCELLED: frozenset(),
}


class ActivityQuerySet(models.QuerySet):
    def taking_sign_ups(self) -> ActivityQuerySet:
        """Activities open for sign-up and not over: ``Activity.takes_sign_ups`` as a filter."""
        return self.filter(status=ActivityStatus.OPEN, ends_at__gt=timezone.now())


class Activity(SteppedStatus, TimeStampedModel):
    """A volunteer service activity with a place, a time and a capacity."""

    Status = ActivityStatus
    status_steps = ACTIVITY_STATUS_STEPS

    title = models.CharField(_("title"), max_length=120)
    service_type = models.CharField(_("type"), max_length=30, choices=ServiceType)
    description = LimitedTextField(_("description"), blank=True)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="activities"
    )
    place = models.CharField(_("place"), max_length=120)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organizer"),
        on_delete=models.PROTECT,
        related_name="organized_activities",
    )
    organizer_unit = models.ForeignKey(
        "partybuilding.CoConstructionUnit",
        verbose_name=_("organizing unit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )
    capacity = models.PositiveIntegerField(_("places"), validators=[MinValueValidator(1)])
    points_per_hour = models.PositiveSmallIntegerField(_("points per hour"), default=10)
    status = models.CharField(
        _("status"), max_length=10, choices=ActivityStatus, default=ActivityStatus.OPEN
    )

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ("-starts_at", "-pk")
        verbose_name = _("service activity")
        verbose_name_plural = _("service activities")
        constraints = [
            models.CheckConstraint(
                name="activity_ends_after_start",
                condition=Q(ends_at__gt=models.F("starts_at")),
                violation_error_message=_("An activity ends after it starts."),
            ),
            models.CheckConstraint(name="activity_capacity_positive", condition=Q(capacity__gt=0)),
        ]

    def __str__(self) -> str:
        return self.title

    # Check-in opens an hour before the start (people arrive early) and closes at the end.
    CHECK_IN_LEAD = dt.timedelta(hours=1)

    def check_in_open_at(self, moment: dt.datetime) -> bool:
        return self.starts_at - self.CHECK_IN_LEAD <= moment <= self.ends_at

    @property
    def check_in_open(self) -> bool:
        return self.check_in_open_at(timezone.now())

    @property
    def takes_sign_ups(self) -> bool:
        """Open for sign-up and not over (whether places are left is counted under a lock)."""
        return self.status == ActivityStatus.OPEN and self.ends_at > timezone.now()


class ParticipationStatus(models.TextChoices):
    SIGNED_UP = "signed_up", _("Signed up")
    CHECKED_IN = "checked_in", _("Checked in")
    CHECKED_OUT = "checked_out", _("Checked out")
    APPROVED = "approved", _("Hours approved")
    CANCELLED = "cancelled", _("Cancelled")


# The steps of a sign-up (step → statuses it starts from, status it leads to), read by the
# services and by the pages that show the buttons.
PARTICIPATION_STEPS = {
    "check_in": (frozenset({ParticipationStatus.SIGNED_UP}), ParticipationStatus.CHECKED_IN),
    "check_out": (frozenset({ParticipationStatus.CHECKED_IN}), ParticipationStatus.CHECKED_OUT),
    "approve": (frozenset({ParticipationStatus.CHECKED_OUT}), ParticipationStatus.APPROVED),
}


class Participation(TimeStampedModel):
    """A volunteer's sign-up for an activity, with check-in, check-out and approved hours."""

    Status = ParticipationStatus
    state_fields = (
        "status",
        "checked_in_at",
        "checked_out_at",
        "hours",
        "approved_hours",
        "approved_by",
        "approved_at",
    )

    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="participations",
    )
    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name=_("volunteer"),
        on_delete=models.PROTECT,
        related_name="participations",
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ParticipationStatus,
        default=ParticipationStatus.SIGNED_UP,
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    hours = models.DecimalField(_("hours served"), max_digits=5, decimal_places=2, default=0)
    approved_hours = models.DecimalField(
        _("hours approved"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        ordering = ("activity", "pk")
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        constraints = [
            models.UniqueConstraint(
                fields=("activity", "volunteer"),
                name="participation_once_per_activity",
                violation_error_message=_("This volunteer has signed up for this activity."),
            ),
            models.CheckConstraint(
                name="participation_out_after_in",
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_in_at__isnull=False, checked_out_at__gte=models.F("checked_in_at")),
                violation_error_message=_("Check-out comes after check-in."),
            ),
            models.CheckConstraint(
                name="participation_hours_not_negative", condition=Q(hours__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} @ {self.activity}"

    @property
    def next_steps(self) -> list[str]:
        """The steps of PARTICIPATION_STEPS this sign-up may take now (check-in only while the
        activity's check-in is open)."""
        steps = steps_from(PARTICIPATION_STEPS, self.status)
        if "check_in" in steps and not self.activity.check_in_open:
            steps.remove("check_in")
        return steps


class PointEntry(models.Model):
    """One line of the points ledger (append-only). A volunteer's balance is the sum of lines.

    ``source_key`` names what caused the line (``activity:<participation id>``,
    ``redemption:<id>``); its unique constraint is what keeps one activity from paying twice.
    """

    state_fields = ("amount", "expires_on")
    # The largest manual credit or debit (the column is a 32-bit integer; no real correction
    # comes near it).
    MAX_ADJUSTMENT = 100_000

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="points"
    )
    amount = models.IntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=200)
    source_key = models.CharField(_("source"), max_length=80, unique=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("points entry")
        verbose_name_plural = _("points ledger")
        constraints = [
            models.CheckConstraint(name="point_entry_not_zero", condition=~Q(amount=0)),
            models.CheckConstraint(
                name="point_entry_only_credits_expire",
                condition=Q(expires_on__isnull=True) | Q(amount__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} {self.amount:+d} {self.reason}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Points entries are append-only; add a correcting entry.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Points entries are append-only; add a correcting entry.")


class Reward(TimeStampedModel):
    """志愿·礼遇: something a volunteer can redeem points for, with a stock."""

    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="rewards"
    )
    provider = models.ForeignKey(
        "partybuilding.CoConstructionUnit",
        verbose_name=_("provided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rewards",
    )
    cost = models.PositiveIntegerField(_("points needed"), validators=[MinValueValidator(1)])
    stock = models.PositiveIntegerField(_("in stock"))
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ("cost", "name")
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        constraints = [
            models.CheckConstraint(name="reward_stock_not_negative", condition=Q(stock__gte=0)),
            models.CheckConstraint(name="reward_cost_positive", condition=Q(cost__gt=0)),
        ]

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    """Points spent on a reward (``services.reward_redeem``), with the ledger line that pays."""

    state_fields = ("points",)

    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name=_("volunteer"),
        on_delete=models.PROTECT,
        related_name="redemptions",
    )
    reward = models.ForeignKey(
        Reward, verbose_name=_("reward"), on_delete=models.PROTECT, related_name="redemptions"
    )
    points = models.PositiveIntegerField(_("points"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.reward}"
