"""Celery tasks of the core: sending notifications on outside channels, and webhooks."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from governance import webhooks
from governance.models import Delivery
from governance.notifications import deliver_one
from governance.queue import send_each_later


@shared_task(ignore_result=True)
def deliver(delivery_id: int) -> str:
    """Send one delivery; a second run finds it claimed and does nothing."""
    return deliver_one(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def deliver_stale() -> int:
    """Re-enqueue deliveries pending for ``NOTIFY_STALE_SECONDS`` (their nudge never reached the
    broker, or its worker died); returns how many were enqueued."""
    stale_before = timezone.now() - timedelta(seconds=settings.NOTIFY_STALE_SECONDS)
    ids = list(
        Delivery.objects.filter(
            status=Delivery.Status.PENDING, created_at__lt=stale_before
        ).values_list("pk", flat=True)[:1000]
    )
    return send_each_later(deliver, ids)


@shared_task(bind=True, ignore_result=True, max_retries=None)
def deliver_webhook(self, delivery_id: int) -> str:
    """Try one webhook delivery; a failed try retries this task after its backoff. A run that
    finds the delivery claimed, received or not yet due does nothing."""
    outcome = webhooks.deliver(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(ignore_result=True)
def resend_due_webhooks() -> int:
    """Beat: re-enqueue webhook deliveries whose task was lost; returns how many."""
    ids = webhooks.resend_due()
    send_each_later(deliver_webhook, ids)
    return len(ids)
