"""Webhooks: other systems hear of events, by a signed POST, retried until they answer.

Apps register the events they emit (:func:`register_event`) and emit them (:func:`emit`) inside
the transaction that makes them happen. Each active endpoint that chose the event and whose owner
area contains the event's area gets one :class:`~governance.models.WebhookDelivery` (once per
endpoint and key, however often the emitter runs); a Celery task sends it after the commit.

Sending (:func:`deliver`): a worker claims the delivery with a conditional update (waiting →
being sent) before it sends, so of any number of workers handed the same delivery one sends it;
a worker that dies between claim and send leaves it "being sent" — that try may be lost, never
made twice. Every try is logged (:class:`~governance.models.WebhookAttempt`). A receiver that
does not answer 2xx is tried again after 30 s, 1, 2, 4 … minutes (``WEBHOOK_RETRY_BASE_SECONDS``,
doubling, at most 6 hours), up to :data:`MAX_ATTEMPTS` tries; the task retries itself with that countdown, and a beat task
re-enqueues deliveries whose task was lost.

The request
-----------
``POST <url>`` with ``Content-Type: application/json`` and the body::

    {"id": "<delivery uuid>", "event": "case.step", "created_at": "<W3C time>", "data": {...}}

Headers: ``X-Webhook-Event`` (the event), ``X-Webhook-Delivery`` (the id, the same on every try:
receivers drop repeats by it), ``X-Webhook-Timestamp`` (Unix seconds of this try) and
``X-Webhook-Signature: sha256=<hex>``, the HMAC-SHA256 with the endpoint's secret of
``<timestamp>.<body>`` (the timestamp, a dot, the raw body bytes). A receiver recomputes it,
compares in constant time and refuses timestamps older than a few minutes (:func:`verify`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from governance.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from governance.processcache import ProcessCache
from governance.queue import send_each_later

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_CAP_SECONDS = 6 * 3600
RESPONSE_KEPT = 2000
TIMEOUT_SECONDS = 10
SIGNATURE_PREFIX = "sha256="
PING = "ping"

_events: dict[str, object] = {}
# The events some active endpoint listens to, kept per process (watched in governance's
# AppConfig): an event nobody listens to (most filings) costs no query at all.
LISTENED = ProcessCache("webhook-events")


def register_event(code: str, label) -> None:
    """Make ``code`` an event endpoints may choose (``label`` is shown in the admin)."""
    _events[code] = label


def event_choices() -> list[tuple[str, object]]:
    return sorted(_events.items())


# -- signing --------------------------------------------------------------------------------
def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``<timestamp>.<body>`` with ``secret``."""
    message = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_PREFIX}{digest}"


def verify(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    signature_header: str,
    tolerance: int = 300,
    now: float | None = None,
) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except (TypeError, ValueError):
        return False
    expected = signature(secret, timestamp, body)
    return age <= tolerance and hmac.compare_digest(expected, signature_header or "")


def _listened_events() -> frozenset[str]:
    events = WebhookEndpoint.objects.filter(is_active=True).values_list("events", flat=True)
    return frozenset(event for chosen in events for event in chosen or ())


# -- emitting -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Emission:
    """One event about one area. ``area`` and ``payload`` are called only when some endpoint
    listens, so an event nobody listens to costs no reads."""

    event: str
    key: str
    area: Callable[[], object]
    payload: Callable[[], dict]
    at: datetime


def emit(*emissions: Emission) -> list[WebhookDelivery]:
    """Record each emission for every active endpoint that chose its event and whose owner area
    contains its area. Writes in the caller's transaction — no query when no active endpoint
    chose any of the events (the process cache of :data:`LISTENED`), whatever the number of
    emissions — and enqueues the sending after it commits."""
    unknown = {e.event for e in emissions} - set(_events)
    if unknown:
        raise LookupError(f"Unknown webhook events {sorted(unknown)}; register them first")
    wanted = {e.event for e in emissions}
    if not wanted & LISTENED.get("events", _listened_events):
        return []
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(is_active=True).select_related("owner")
        if wanted & set(endpoint.events or [])
    ]
    if not endpoints:
        return []
    rows = []
    for emission in emissions:
        area = emission.area()
        targets = [
            endpoint
            for endpoint in endpoints
            if emission.event in endpoint.events and area.is_within(endpoint.owner)
        ]
        if not targets:
            continue
        data = emission.payload()
        for endpoint in targets:
            uid = uuid.uuid4()
            rows.append(
                WebhookDelivery(
                    endpoint=endpoint,
                    event=emission.event,
                    key=emission.key[:100],
                    uid=uid,
                    payload={
                        "id": str(uid),
                        "event": emission.event,
                        "created_at": timezone.localtime(emission.at).isoformat(timespec="seconds"),
                        "data": data,
                    },
                    next_attempt_at=emission.at,
                    created_at=emission.at,
                )
            )
    if not rows:
        return []
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    written = list(
        WebhookDelivery.objects.filter(uid__in=[row.uid for row in rows]).values_list(
            "pk", flat=True
        )
    )
    if written:
        transaction.on_commit(lambda: _enqueue(written))
    return rows


def ping(*, endpoint: WebhookEndpoint, now: datetime | None = None) -> WebhookDelivery:
    """A test event for ``endpoint`` (whatever events it chose), sent like any other."""
    now = now or timezone.now()
    uid = uuid.uuid4()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=PING,
        key=f"ping:{uid}",
        uid=uid,
        payload={
            "id": str(uid),
            "event": PING,
            "created_at": timezone.localtime(now).isoformat(timespec="seconds"),
            "data": {"endpoint": endpoint.name},
        },
        next_attempt_at=now,
        created_at=now,
    )
    transaction.on_commit(lambda: _enqueue([delivery.pk]))
    return delivery


def _enqueue(ids) -> None:
    from governance.tasks import deliver_webhook

    send_each_later(deliver_webhook, ids)


# -- sending --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    status: str
    # Seconds until the next try when this one failed and tries are left.
    retry_in: float | None = None


def backoff_seconds(attempt: int) -> float:
    """The pause after failed try number ``attempt``: the base (30 s), doubled each time."""
    base = float(settings.WEBHOOK_RETRY_BASE_SECONDS)
    return min(base * 2 ** (attempt - 1), BACKOFF_CAP_SECONDS)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to log, not an address to follow with the signed body."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def deliver(*, delivery_id: int, now: datetime | None = None) -> Outcome:
    """Try to send one delivery, if it is due and nobody has claimed it; log the try.

    2xx: received. Anything else (an error status, a timeout, a refused connection, a
    redirect): waiting again with the next try after :func:`backoff_seconds`, or given up after
    :data:`MAX_ATTEMPTS` tries. An endpoint switched off meanwhile gets nothing more.
    """
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at__lte=now + timedelta(seconds=1),
    ).update(status=WebhookDelivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return Outcome(status="")
    if not claimed:
        return Outcome(status=delivery.status)
    if not delivery.endpoint.is_active:
        # Switched off since the event: nothing more goes to it, and the log says why.
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=now,
            duration_ms=0,
            error="endpoint switched off",
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)
        return Outcome(status=WebhookDelivery.Status.FAILED)
    status_code, error, response, duration_ms = _post(delivery)
    received = status_code is not None and 200 <= status_code < 300
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        started_at=now,
        duration_ms=duration_ms,
        status_code=status_code,
        error=error,
        response=response,
    )
    if received:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.SENT, sent_at=timezone.now()
        )
        return Outcome(status=WebhookDelivery.Status.SENT)
    if delivery.attempts >= MAX_ATTEMPTS:
        logger.warning("Webhook delivery %s given up after %s tries", delivery.pk, MAX_ATTEMPTS)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)
        return Outcome(status=WebhookDelivery.Status.FAILED)
    pause = backoff_seconds(delivery.attempts)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=now + timedelta(seconds=pause)
    )
    return Outcome(status=WebhookDelivery.Status.PENDING, retry_in=pause)


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, str, int]:
    """POST the signed payload: (HTTP status or None, error text, start of the answer, ms)."""
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(time.time())
    request = urllib.request.Request(
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "grid-governance-webhooks/1",
            "X-Webhook-Event": delivery.event,
            "X-Webhook-Delivery": str(delivery.uid),
            "X-Webhook-Timestamp": str(timestamp),
            "X-Webhook-Signature": signature(endpoint.secret, timestamp, body),
        },
    )
    started = time.monotonic()
    status_code, error, response = None, "", ""
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as answer:
            status_code = answer.status
            response = answer.read(RESPONSE_KEPT).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        status_code = exc.code
        response = exc.read(RESPONSE_KEPT).decode("utf-8", "replace") if exc.fp else ""
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = str(getattr(exc, "reason", exc))[:2000] or exc.__class__.__name__
    duration_ms = int((time.monotonic() - started) * 1000)
    return status_code, error, response, duration_ms


def resend_due(*, now: datetime | None = None, older_than: timedelta | None = None) -> list[int]:
    """Deliveries whose next try is this much overdue (``WEBHOOK_STALE_SECONDS`` by default):
    their task was lost (the enqueue after commit never reached the broker, or the broker lost
    it)."""
    now = now or timezone.now()
    if older_than is None:
        older_than = timedelta(seconds=settings.WEBHOOK_STALE_SECONDS)
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lt=now - older_than
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
