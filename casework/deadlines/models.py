"""Deadlines of cases: reminders and overdue records, extension and suspension requests, and
supervision orders (督办单).

Imported by :mod:`casework.models` (which registers them with the app); they name the case by its
label, so nothing here imports the case models. Written only by
:mod:`casework.deadlines.reminders` (the scan) and :mod:`casework.deadlines.services` (requests
and orders).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.choices import Holder, Stage
from governance.models import Department, LimitedTextField, TimeStampedModel

CASE_MODEL = "casework.Case"


class Reminder(models.Model):
    """A deadline event of one stage of one case: near due (75 % of the limit used), overdue, or
    overdue by a whole limit again (tier 2, escalated to the street).

    The unique constraint is what makes reminders go out exactly once per entry of a stage,
    however many scans and workers run: whoever inserts the row tells people, everybody else
    finds it there. A stage entered again (after a return, a rework or an escalation) is a new
    ``entry`` (the case's ``stage_entry``) and is reminded again.
    """

    class Kind(models.TextChoices):
        NEAR_DUE = "near_due", _("Near due")
        OVERDUE = "overdue", _("Overdue")

    case = models.ForeignKey(
        CASE_MODEL, verbose_name=_("case"), on_delete=models.CASCADE, related_name="reminders"
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    tier = models.PositiveSmallIntegerField(_("tier"), default=1)
    entry = models.PositiveIntegerField(_("stage entry"), default=1)
    holder = models.CharField(_("held by"), max_length=20, choices=Holder, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("found at"), default=timezone.now)
    # Set in the transaction that writes the notifications; empty means "still to tell".
    notified_at = models.DateTimeField(_("people told at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=("case", "stage", "entry", "kind", "tier"),
                name="reminder_once_per_stage_entry",
            ),
            models.CheckConstraint(
                condition=Q(kind="near_due", tier=1) | Q(kind="overdue", tier__in=[1, 2]),
                name="reminder_kind_tier_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=("created_at",),
                condition=Q(notified_at__isnull=True),
                name="reminder_not_notified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.stage} {self.kind}/{self.tier}"

    @property
    def is_escalation(self) -> bool:
        return self.kind == self.Kind.OVERDUE and self.tier >= 2


class DeadlineRequestQuerySet(models.QuerySet):
    def active_suspensions(self) -> DeadlineRequestQuerySet:
        """Approved suspensions not resumed yet: the clock of their case is stopped (at most one
        per case, a partial unique constraint). Matches ``DeadlineRequest.is_active_suspension``."""
        return self.filter(
            kind=DeadlineRequest.Kind.SUSPENSION,
            status=DeadlineRequest.Status.APPROVED,
            resumed_at__isnull=True,
        )


class DeadlineRequest(TimeStampedModel):
    """The holder asks for more time (延期) or to stop the clock (挂起/缓办); the center decides.

    An approved extension moves the due time by ``hours`` of working time. An approved
    suspension stops the clock (the case has no due time) until it is resumed; the working time
    that was left is kept here and runs again from the moment of resuming.
    """

    class Kind(models.TextChoices):
        EXTENSION = "extension", _("Extension")
        SUSPENSION = "suspension", _("Suspension")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the center")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    state_fields = ("status", "decided_by", "decided_at", "decision_comment", "resumed_at")

    objects = DeadlineRequestQuerySet.as_manager()

    case = models.ForeignKey(
        CASE_MODEL,
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="deadline_requests",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    reason = LimitedTextField(_("reason"), max_length=1000)
    hours = models.DecimalField(
        _("extra working hours"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = LimitedTextField(_("decision comment"), blank=True)
    due_before = models.DateTimeField(_("due before"), null=True, blank=True)
    due_after = models.DateTimeField(_("due after"), null=True, blank=True)
    # Suspensions: the working time left when the clock stopped, and when it ran again.
    remaining_seconds = models.PositiveIntegerField(
        _("working time left (s)"), null=True, blank=True
    )
    resumed_at = models.DateTimeField(_("resumed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("extension or suspension request")
        verbose_name_plural = _("extension and suspension requests")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=("case",),
                condition=Q(status="pending"),
                name="deadline_request_one_pending",
                violation_error_message=_("This case already has a request waiting."),
            ),
            models.UniqueConstraint(
                fields=("case",),
                condition=Q(kind="suspension", status="approved", resumed_at__isnull=True),
                name="deadline_request_one_suspension",
            ),
            models.CheckConstraint(
                condition=Q(kind="extension", hours__gt=0)
                | Q(kind="suspension", hours__isnull=True),
                name="deadline_request_hours_for_extension",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["extension", "suspension"])
                & Q(status__in=["pending", "approved", "refused"]),
                name="deadline_request_choices_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False),
                name="deadline_request_decided_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=("status", "created_at"), name="deadline_request_status"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_active_suspension(self) -> bool:
        return (
            self.kind == self.Kind.SUSPENSION
            and self.status == self.Status.APPROVED
            and self.resumed_at is None
        )


class SupervisionOrder(TimeStampedModel):
    """督办单: the center orders the holder of an overdue or stuck case to act and to answer by
    ``reply_due_at``. Issued by hand, or by the scan when a case is overdue by a second limit."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Waiting for the answer")
        ANSWERED = "answered", _("Answered")

    state_fields = ("status", "reply", "replied_by", "replied_at")

    case = models.ForeignKey(
        CASE_MODEL,
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="supervision_orders",
    )
    # The tier-2 reminder an automatic order was issued for: one order per escalation.
    reminder = models.OneToOneField(
        Reminder,
        verbose_name=_("escalation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervision_order",
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage, blank=True)
    holder = models.CharField(_("addressed to"), max_length=20, choices=Holder)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supervision_orders",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: issued by the rule for cases overdue by a second limit."),
    )
    demand = LimitedTextField(_("what is required"), max_length=1000)
    reply_due_at = models.DateTimeField(_("answer due"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.ISSUED)
    reply = LimitedTextField(_("answer"), blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    replied_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="issued", replied_at__isnull=True)
                | (Q(status="answered", replied_at__isnull=False) & ~Q(reply="")),
                name="supervision_answer_complete",
            ),
            models.CheckConstraint(
                condition=~Q(holder="department") | Q(department__isnull=False),
                name="supervision_department_given",
            ),
        ]
        indexes = [
            models.Index(fields=("status", "reply_due_at"), name="supervision_status_due"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        issued = timezone.localtime(self.created_at) if self.created_at else timezone.localtime()
        return f"DB{issued:%Y}-{self.pk or 0:05d}"

    @property
    def is_late(self) -> bool:
        moment = self.replied_at or timezone.now()
        return moment > self.reply_due_at
