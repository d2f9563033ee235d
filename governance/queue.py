"""Handing work to the Celery workers without letting a broker outage fail the request.

Every task the portal enqueues acts on rows that are already committed — deliveries, reminders,
webhook deliveries — and each kind has a beat sweep that enqueues again whatever is still waiting
(``deliver_stale``, the deadline scans' re-notify step, ``resend_due_webhooks``). Those tables are
the outbox; the broker message is only a nudge. So when Redis is away, the case is saved, the user
gets their answer, and the nudge is logged as lost: the sweep sends it once the broker is back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def send_later(task, *args) -> bool:
    """Enqueue ``task(*args)``; False (and a warning) when the broker cannot take it now."""
    try:
        # No publish retries: a request must not wait on a broker that is down.
        task.apply_async(args=args, retry=False)
    except (OperationalError, OSError) as exc:
        logger.warning(
            "Broker unavailable, %s%r left to its sweep: %s", task.name, tuple(args), exc
        )
        return False
    return True


def send_each_later(task, items: Iterable) -> int:
    """Enqueue ``task(item)`` for each item, stopping at the first refusal (the broker is down,
    the rest would fail the same way). Returns how many went."""
    sent = 0
    for item in items:
        if not send_later(task, item):
            break
        sent += 1
    return sent
