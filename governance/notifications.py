"""Telling people things: the in-portal notification centre and the outside channels.

Every app tells users through :func:`notify`. It writes one :class:`Notification` per recipient
(the bell in the header) and, for each configured outside channel that knows the recipient's
address, one pending :class:`Delivery`, sent by a Celery task after the transaction commits.

Channels
--------
A channel is an object with ``name``, ``label``, ``address_for(user) -> str`` ("" when the user
cannot be reached on it) and ``send(notification, address)``, which raises
:class:`DeliveryError` when the message did not go out. ``settings.NOTIFICATION_CHANNELS`` lists
the channel names in use; :func:`register_channel` adds one (e-mail is built in). An SMS or WeChat
Work sender is a class like :class:`EmailChannel` that calls the provider's API; none ships here,
because a sender that does not really deliver would only hide that nobody was told.

Exactly once: a notification is unique per (recipient, key), a delivery per (notification,
channel), and a worker claims a delivery (pending → sending) with a conditional update before it
sends. A worker that dies between claiming and sending leaves the delivery "sending": that message
may be lost, never sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance import processcache
from governance.models import Delivery, Notification
from governance.queue import send_each_later

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A channel could not deliver a message (the text is kept on the delivery)."""


class Channel(Protocol):
    name: str
    label: str

    def address_for(self, user) -> str: ...

    def send(self, notification: Notification, address: str) -> None: ...


class EmailChannel:
    """E-mail through Django's mail backend (the console in development, SMTP in production)."""

    name = "email"
    label = _("E-mail")

    def address_for(self, user) -> str:
        return user.email or ""

    def send(self, notification: Notification, address: str) -> None:
        body = notification.body
        if notification.url:
            base = getattr(settings, "PORTAL_BASE_URL", "").rstrip("/")
            body = f"{body}\n\n{base}{notification.url}" if body else f"{base}{notification.url}"
        try:
            send_mail(
                subject=notification.title,
                message=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[address],
            )
        except OSError as exc:  # SMTP errors derive from OSError
            raise DeliveryError(str(exc)) from exc


_channels: dict[str, Channel] = {}


def register_channel(channel: Channel) -> None:
    _channels[channel.name] = channel


register_channel(EmailChannel())


def channel_named(name: str) -> Channel | None:
    """The registered channel called ``name``, or None when no such sender is installed
    (used to send to an address that is not a user's, e.g. a phone number to verify)."""
    return _channels.get(name)


def active_channels() -> list[Channel]:
    """The registered channels named in ``settings.NOTIFICATION_CHANNELS``, in that order."""
    names = getattr(settings, "NOTIFICATION_CHANNELS", ["email"])
    missing = [name for name in names if name not in _channels]
    if missing:
        raise LookupError(f"Unknown notification channels in NOTIFICATION_CHANNELS: {missing}")
    return [_channels[name] for name in names]


# -- writes ---------------------------------------------------------------------------------
def notify(
    *,
    recipients: Iterable,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    key: str = "",
    now: datetime | None = None,
) -> list[Notification]:
    """Tell each of ``recipients`` (users; duplicates and inactive users are dropped).

    With a ``key`` a recipient who already has a notification with that key is not told again,
    whoever runs this and however often (a unique constraint decides). Writes in the caller's
    transaction; the outside deliveries are enqueued when it commits. Returns the notifications
    written now.
    """
    now = now or timezone.now()
    users = {user.pk: user for user in recipients if user is not None and user.is_active}
    if not users:
        return []
    with transaction.atomic():
        if key:
            told = set(
                Notification.objects.filter(recipient_id__in=users, key=key).values_list(
                    "recipient_id", flat=True
                )
            )
            users = {pk: user for pk, user in users.items() if pk not in told}
        rows = [
            Notification(
                recipient=user,
                kind=kind,
                title=title[:200],
                body=body,
                url=url[:300],
                key=key,
                created_at=now,
            )
            for user in users.values()
        ]
        # Another transaction may have told the same people meanwhile: the constraint decides and
        # the ones it refused are read back as not written now.
        Notification.objects.bulk_create(rows, ignore_conflicts=bool(key))
        # The recipients' bells (a bulk insert sends no signal).
        processcache.changed(Notification, rows=rows)
        if key:
            rows = list(
                Notification.objects.filter(
                    recipient_id__in=users, key=key, created_at=now
                ).select_related("recipient")
            )
        deliveries = [
            Delivery(notification=n, channel=channel.name, address=address, created_at=now)
            for n in rows
            for channel in active_channels()
            if (address := channel.address_for(n.recipient))
        ]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        if deliveries:
            transaction.on_commit(_enqueue_pending(now))
    return rows


def _enqueue_pending(since: datetime):
    def enqueue() -> None:
        from governance.tasks import deliver

        ids = Delivery.objects.filter(
            status=Delivery.Status.PENDING, created_at__gte=since
        ).values_list("pk", flat=True)
        send_each_later(deliver, ids)

    return enqueue


def deliver_one(*, delivery_id: int, now: datetime | None = None) -> str:
    """Send one delivery, if nobody has claimed it yet. Returns its status afterwards.

    The claim (pending → sending) is a conditional update: of any number of workers handed the
    same delivery, one sends it. A channel error marks it failed with the error's text.
    """
    now = now or timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENDING, claimed_at=now
    )
    delivery = Delivery.objects.select_related("notification").filter(pk=delivery_id).first()
    if delivery is None or not claimed:
        return delivery.status if delivery else ""
    channel = _channels.get(delivery.channel)
    try:
        if channel is None:
            raise DeliveryError(f"channel {delivery.channel!r} is not registered")
        channel.send(delivery.notification, delivery.address)
    except DeliveryError as exc:
        logger.warning("Delivery %s on %s failed: %s", delivery.pk, delivery.channel, exc)
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.FAILED, error=str(exc)[:2000]
        )
        return Delivery.Status.FAILED
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT, sent_at=timezone.now()
    )
    return Delivery.Status.SENT


def mark_read(*, user, notification_id: int, now: datetime | None = None) -> Notification:
    """Mark one of ``user``'s notifications read (refused for anybody else's)."""
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is None:
        raise PermissionDenied(_("This notification is not yours."))
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
        processcache.changed(Notification, rows=[notification])
    return notification


def mark_all_read(*, user, now: datetime | None = None) -> int:
    """Mark every unread notification of ``user`` read; returns how many were unread."""
    marked = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )
    if marked:
        # One unsaved row stands for the user's: the badges follow the recipient.
        processcache.changed(Notification, rows=[Notification(recipient=user)])
    return marked


# -- reads ----------------------------------------------------------------------------------
def notifications_for(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-pk")


def unread_count(user) -> int | None:
    """The number on the bell (None hides the badge). Kept per user by the navigation
    (``navigation.BADGES``): every write of notifications here tells it."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count() or None
