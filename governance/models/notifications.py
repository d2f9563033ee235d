"""The notification centre: what the portal tells a user, and its delivery on other channels.

A :class:`Notification` is the in-portal message (the bell in the header). Each outside channel
(e-mail, and whatever a deployment registers: SMS, WeChat Work) gets one :class:`Delivery` row per
notification, claimed by a worker with a conditional update before it sends, so that no number of
workers or retries sends a message twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    # Read or unread is the recipient's own step (mark read), never an edited field.
    state_fields = ("read_at",)

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # A dotted code of what happened ("case.near_due", "case.supervision"), for filtering and icons.
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    # What the notification is about ("reminder:12"); one notification per recipient and key,
    # so that a producer that runs twice tells nobody twice.
    key = models.CharField(_("key"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=("recipient", "key"),
                condition=~Q(key=""),
                name="notification_once_per_key",
            ),
        ]
        indexes = [
            models.Index(fields=("recipient", "-created_at"), name="notification_inbox"),
            # The unread count in every page header reads only this small index.
            models.Index(
                fields=("recipient",),
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Delivery(models.Model):
    """A notification sent (or to be sent) on one outside channel to one address."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # Written only by the worker that claims and sends the delivery.
    state_fields = ("status", "claimed_at", "sent_at", "error")

    notification = models.ForeignKey(
        Notification,
        verbose_name=_("notification"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    channel = models.CharField(_("channel"), max_length=20)
    address = models.CharField(_("address"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=("notification", "channel"), name="delivery_once_per_channel"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed"]),
                name="delivery_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=("created_at",),
                condition=Q(status="pending"),
                name="delivery_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address} ({self.get_status_display()})"
