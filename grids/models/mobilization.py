"""Street-wide mobilization tasks (街道吹哨、党员报到): a check of every building of an area.

The street issues a task on an area (a street, a community, a grid); it is split at once into one
:class:`MobilizationTarget` per building of that subtree, each knowing its grid and community so
that coverage is counted with a GROUP BY. Participants (portal users: grid workers, building
leaders, party members and volunteers) sign up for buildings and file a
:class:`MobilizationReport` per building or per household, answering the task's own short form
(:mod:`grids.checkforms`). Closing the task ends the reporting.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from governance.models import LimitedTextField, TimeStampedModel
from grids.models.areas import Area
from grids.models.photos import PhotoMixin


class MobilizationKind(models.TextChoices):
    FLOOD = "flood", _("Flood-season safety check")
    FIVE_PREVENTIONS = "five_preventions", _("The five preventions")
    EPIDEMIC = "epidemic", _("Epidemic door-to-door survey")
    VACANT_ROOMS = "vacant_rooms", _("Census of vacant rooms")
    FIRE = "fire", _("Fire-safety check")
    OTHER = "other", pgettext_lazy("mobilization kind", "Other")


class CheckUnit(models.TextChoices):
    BUILDING = "building", _("One report per building")
    HOUSEHOLD = "household", _("One report per household")


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("mobilization task", "Open")
    CLOSED = "closed", pgettext_lazy("mobilization task", "Closed")


class TargetStatus(models.TextChoices):
    PENDING = "pending", _("Not yet checked")
    STARTED = "started", _("Being checked")
    DONE = "done", _("Checked")


class Capacity(models.TextChoices):
    """In which capacity a participant signed up for a building."""

    GRID_WORKER = "grid_worker", _("Grid worker")
    STAFF = "staff", _("Community or street staff")
    BUILDING_LEADER = "building_leader", _("Building team leader")
    PARTY_MEMBER = "party_member", _("Party member (reported to the community)")
    VOLUNTEER = "volunteer", _("Volunteer")


# Capacities a signed-in user without a post in the area may choose for themselves.
SELF_DECLARED = (Capacity.PARTY_MEMBER, Capacity.VOLUNTEER)


class MobilizationTask(TimeStampedModel):
    Status = TaskStatus

    state_fields = ("status", "building_count", "closed_at", "closed_by")

    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=MobilizationKind)
    description = LimitedTextField(_("instructions"), blank=True)
    area = models.ForeignKey(
        Area,
        verbose_name=_("area checked"),
        on_delete=models.PROTECT,
        related_name="mobilization_tasks",
        help_text=_("Every building below it is checked."),
    )
    unit = models.CharField(
        _("what is reported"), max_length=20, choices=CheckUnit, default=CheckUnit.BUILDING
    )
    questions = models.JSONField(_("questions"), default=list)
    photo_required = models.BooleanField(_("a photo is required"), default=False)
    volunteers_welcome = models.BooleanField(
        _("volunteers and party members may sign up"), default=True
    )
    max_per_building = models.PositiveSmallIntegerField(_("participants per building"), default=3)
    due_on = models.DateField(_("to be finished by"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus, default=TaskStatus.OPEN, editable=False
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    building_count = models.PositiveIntegerField(_("buildings"), default=0, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("mobilization task")
        verbose_name_plural = _("mobilization tasks")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.CheckConstraint(
                name="mobilization_status_valid", condition=Q(status__in=TaskStatus.values)
            ),
            models.CheckConstraint(
                name="mobilization_closed_when_closed",
                condition=Q(status=TaskStatus.OPEN, closed_at__isnull=True)
                | Q(status=TaskStatus.CLOSED, closed_at__isnull=False),
            ),
            models.CheckConstraint(
                name="mobilization_participants_positive", condition=Q(max_per_building__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    @property
    def by_household(self) -> bool:
        return self.unit == CheckUnit.HOUSEHOLD


class MobilizationTarget(models.Model):
    """One building of a task, with its grid and community and the counts of its reports."""

    state_fields = (
        "status",
        "report_count",
        "signup_count",
        "last_report_at",
        "done_at",
        "done_by",
    )

    task = models.ForeignKey(
        MobilizationTask, verbose_name=_("task"), on_delete=models.CASCADE, related_name="targets"
    )
    building = models.ForeignKey(
        Area, verbose_name=_("building"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    community = models.ForeignKey(
        Area,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    households = models.PositiveIntegerField(_("households"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=TargetStatus, default=TargetStatus.PENDING
    )
    report_count = models.PositiveIntegerField(_("reports"), default=0)
    signup_count = models.PositiveIntegerField(_("participants"), default=0)
    last_report_at = models.DateTimeField(_("last report at"), null=True, blank=True)
    done_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("building to check")
        verbose_name_plural = _("buildings to check")
        ordering = ("task", "building__code")
        constraints = [
            models.UniqueConstraint(fields=("task", "building"), name="mobilization_target_once"),
            models.CheckConstraint(
                name="mobilization_target_status_valid",
                condition=Q(status__in=TargetStatus.values),
            ),
            models.CheckConstraint(
                name="mobilization_target_done_has_time",
                condition=~Q(status=TargetStatus.DONE) | Q(done_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=("task", "grid", "status"), name="mobilization_by_grid"),
            models.Index(fields=("task", "community", "status"), name="mobilization_by_community"),
            models.Index(fields=("task", "last_report_at"), name="mobilization_recent"),
        ]

    def __str__(self) -> str:
        return self.building.name


class MobilizationSignup(models.Model):
    """A participant's promise to check a building."""

    target = models.ForeignKey(
        MobilizationTarget,
        verbose_name=_("building"),
        on_delete=models.CASCADE,
        related_name="signups",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("participant"),
        on_delete=models.PROTECT,
        related_name="mobilization_signups",
    )
    capacity = models.CharField(_("as"), max_length=20, choices=Capacity)
    created_at = models.DateTimeField(_("signed up at"))

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ("target", "created_at", "pk")
        constraints = [
            models.UniqueConstraint(fields=("target", "user"), name="mobilization_signup_once"),
            models.CheckConstraint(
                name="mobilization_capacity_valid", condition=Q(capacity__in=Capacity.values)
            ),
        ]
        indexes = [models.Index(fields=("user", "created_at"), name="mobilization_signup_user")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.target_id}"


class MobilizationReport(PhotoMixin, models.Model):
    """The check of one building (or one household of it): the task's questions answered."""

    target = models.ForeignKey(
        MobilizationTarget,
        verbose_name=_("building"),
        on_delete=models.CASCADE,
        related_name="reports",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.PROTECT,
        related_name="mobilization_reports",
    )
    household = models.CharField(
        _("household"), max_length=30, blank=True, help_text=_("Unit and room, e.g. 2单元301.")
    )
    answers = models.JSONField(_("answers"), default=dict)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("reported at"))

    class Meta:
        verbose_name = _("check report")
        verbose_name_plural = _("check reports")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=("target", "household"), name="mobilization_report_once"
            ),
        ]
        indexes = [models.Index(fields=("target", "created_at"), name="mobilization_report_log")]

    def __str__(self) -> str:
        return f"{self.target_id} {self.household}".strip()
