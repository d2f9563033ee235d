"""Hidden-danger tasks (隐患排查): found → rectification ordered with a deadline → re-inspected →
cleared, or escalated as a case.

The state only changes through :func:`grids.danger_services.danger_transition`, which follows the
table in :mod:`grids.danger_workflow`; nothing else writes ``state``, the due times or the case.
Every step writes one :class:`HiddenDangerEvent` (append-only). Deadlines run on working time
(:mod:`governance.workclock`); :mod:`grids.danger_reminders` reminds once per danger, stage entry
and kind (:class:`DangerReminder`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from governance.models import AppendOnlyModel, LimitedTextField, TimeStampedModel
from grids.models.areas import Area
from grids.models.photos import PhotoMixin


class DangerCategory(models.TextChoices):
    FIRE = "fire", _("Fire safety")
    GAS = "gas", _("Gas safety")
    ELECTRICAL = "electrical", _("Electrical safety")
    STRUCTURE = "structure", _("Building structure")
    FLOOD = "flood", _("Flooding and drainage")
    FALLING = "falling", _("Objects that may fall")
    HAZMAT = "hazmat", _("Hazardous goods")
    CONSTRUCTION = "construction", _("Construction site")
    OTHER = "other", pgettext_lazy("hidden danger category", "Other")


class DangerState(models.TextChoices):
    FOUND = "found", pgettext_lazy("hidden danger", "Found")
    RECTIFYING = "rectifying", _("Being rectified")
    REINSPECTING = "reinspecting", _("Awaiting re-inspection")
    CLEARED = "cleared", _("Cleared")
    ESCALATED = "escalated", _("Escalated as a case")
    DISMISSED = "dismissed", _("Not a danger")


# States in which somebody still has to act.
OPEN_DANGER_STATES = frozenset(
    {DangerState.FOUND, DangerState.RECTIFYING, DangerState.REINSPECTING}
)


class DangerStage(models.TextChoices):
    """The stages that carry a deadline."""

    RECTIFY = "rectify", _("Rectification")
    REINSPECT = "reinspect", _("Re-inspection")


# The stage whose deadline runs in each state (no deadline in the others).
STATE_STAGE = {
    DangerState.RECTIFYING: DangerStage.RECTIFY,
    DangerState.REINSPECTING: DangerStage.REINSPECT,
}


class HiddenDanger(TimeStampedModel):
    State = DangerState
    Category = DangerCategory

    state_fields = (
        "state",
        "requirement",
        "assignee",
        "limit_days",
        "stage_started_at",
        "due_at",
        "remind_at",
        "stage_entry",
        "version",
        "closed_at",
        "case",
    )

    title = models.CharField(_("title"), max_length=100)
    category = models.CharField(_("kind of danger"), max_length=20, choices=DangerCategory)
    area = models.ForeignKey(
        Area, verbose_name=_("where"), on_delete=models.PROTECT, related_name="hidden_dangers"
    )
    address = models.CharField(_("address or landmark"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    description = LimitedTextField(_("description"), blank=True)
    responsible_party = models.CharField(
        _("responsible party"),
        max_length=100,
        blank=True,
        help_text=_("Who must rectify it: an owner, a shop, a property company."),
    )
    requirement = LimitedTextField(_("what must be done"), blank=True, editable=False)
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=DangerState,
        default=DangerState.FOUND,
        editable=False,
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("found by"),
        on_delete=models.PROTECT,
        related_name="hidden_dangers_found",
        editable=False,
    )
    # The grid worker who follows the danger up (the reminders' "holder").
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("followed up by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hidden_dangers_followed",
        editable=False,
    )
    found_at = models.DateTimeField(_("found at"), editable=False)
    limit_days = models.PositiveSmallIntegerField(
        _("working days to rectify"), null=True, blank=True, editable=False
    )
    stage_started_at = models.DateTimeField(
        _("stage started at"), null=True, blank=True, editable=False
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True, editable=False)
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True, editable=False)
    # How often the danger has entered a stage with a deadline: each entry is reminded once.
    stage_entry = models.PositiveIntegerField(default=0, editable=False)
    version = models.PositiveIntegerField(default=0, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    case = models.OneToOneField(
        settings.FIELD_CASE_MODEL,
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hidden_danger",
        editable=False,
    )

    class Meta:
        verbose_name = _("hidden danger")
        verbose_name_plural = _("hidden dangers")
        ordering = ("-found_at", "-pk")
        constraints = [
            models.CheckConstraint(
                name="danger_state_valid", condition=Q(state__in=DangerState.values)
            ),
            models.CheckConstraint(
                name="danger_category_valid", condition=Q(category__in=DangerCategory.values)
            ),
            models.CheckConstraint(
                name="danger_deadline_in_deadline_states",
                condition=Q(state__in=list(STATE_STAGE), due_at__isnull=False)
                | (~Q(state__in=list(STATE_STAGE)) & Q(due_at__isnull=True)),
            ),
            models.CheckConstraint(
                name="danger_escalated_has_case",
                condition=~Q(state=DangerState.ESCALATED) | Q(case__isnull=False),
            ),
        ]
        indexes = [
            # The deadline scan reads only dangers with a deadline running.
            models.Index(
                fields=("due_at",),
                condition=Q(due_at__isnull=False),
                name="danger_open_due",
            ),
            models.Index(
                fields=("remind_at",),
                condition=Q(remind_at__isnull=False),
                name="danger_remind",
            ),
            models.Index(fields=("state", "-found_at"), name="danger_state_recent"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_DANGER_STATES

    @property
    def stage(self) -> str | None:
        return STATE_STAGE.get(self.state)

    def is_overdue(self, now) -> bool:
        return self.due_at is not None and self.due_at < now


class HiddenDangerEvent(PhotoMixin, AppendOnlyModel):
    """One step taken on a hidden danger: who, in which role, from which state, and a photo."""

    danger = models.ForeignKey(
        HiddenDanger,
        verbose_name=_("hidden danger"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    step = models.CharField(_("step"), max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(_("by (name)"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=30, blank=True)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20)
    comment = LimitedTextField(_("comment"), blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("hidden-danger step")
        verbose_name_plural = _("hidden-danger steps")
        ordering = ("created_at", "pk")
        indexes = [models.Index(fields=("danger", "created_at"), name="danger_event_log")]

    def __str__(self) -> str:
        return f"{self.danger_id}: {self.step}"


class DangerReminder(models.Model):
    """A reminder of a danger's deadline, written once per danger, stage entry and kind."""

    class Kind(models.TextChoices):
        NEAR_DUE = "near_due", _("Near due")
        OVERDUE = "overdue", _("Overdue")

    danger = models.ForeignKey(
        HiddenDanger,
        verbose_name=_("hidden danger"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    stage = models.CharField(_("stage"), max_length=20, choices=DangerStage)
    entry = models.PositiveIntegerField(_("stage entry"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("created at"))
    notified_at = models.DateTimeField(_("told at"), null=True, blank=True)

    class Meta:
        verbose_name = _("hidden-danger reminder")
        verbose_name_plural = _("hidden-danger reminders")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=("danger", "stage", "entry", "kind"), name="danger_reminder_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=("created_at",),
                condition=Q(notified_at__isnull=True),
                name="danger_reminder_untold",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.danger_id} {self.stage}#{self.entry} {self.kind}"
