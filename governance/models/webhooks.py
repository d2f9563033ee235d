"""Webhooks: other systems registered to hear of events, and the log of what was sent them.

An app emits an event (:func:`governance.webhooks.emit`); every active endpoint whose owner area
contains the event's area and which chose that event gets one :class:`WebhookDelivery`, written in
the emitting transaction and sent by a Celery task after it commits. Each try is recorded as a
:class:`WebhookAttempt`.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.models.base import AppendOnlyModel, TimeStampedModel


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookEndpoint(TimeStampedModel):
    """A URL that receives signed POSTs for the events it chose, in its owner's area."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        default=new_secret,
        editable=False,
        help_text=_("The receiver checks each request's signature with it."),
    )
    owner = models.ForeignKey(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("owner street"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Events of this area (and below it) are sent."),
    )
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ("name", "pk")

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one endpoint: sent once, retried with growing pauses until it is received
    or the tries run out."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Received")
        FAILED = "failed", _("Given up")

    state_fields = ("status", "attempts", "next_attempt_at", "claimed_at", "sent_at")

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.CharField(_("event"), max_length=40)
    # What the event is about ("case_event:123"): one delivery per endpoint and key, so an
    # emitter that runs twice sends nothing twice.
    key = models.CharField(_("key"), max_length=100)
    uid = models.UUIDField(_("delivery ID"), unique=True)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    next_attempt_at = models.DateTimeField(_("next try"), default=timezone.now)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("received at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.UniqueConstraint(fields=("endpoint", "key"), name="webhook_once_per_key"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed"]),
                name="webhook_delivery_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=("next_attempt_at",),
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint} ({self.get_status_display()})"


class WebhookAttempt(AppendOnlyModel):
    """One try of a delivery: when, what the receiver answered, how long it took."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempt_log",
    )
    number = models.PositiveSmallIntegerField(_("try"))
    started_at = models.DateTimeField(_("time"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    response = models.TextField(_("response (start)"), blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ("delivery", "number")

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error[:40]}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
