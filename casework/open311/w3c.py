"""Date and time in the W3C profile of ISO 8601 that GeoReport v2 requires, time zone included."""

from __future__ import annotations

import re
from datetime import datetime, time

from django.utils import timezone

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
# An unencoded "+" in a query string arrives as a space: "2026-05-01T08:00:00 08:00".
_SPACED_OFFSET = re.compile(r" (\d{2}:\d{2})$")


def format_w3c(moment: datetime | None) -> str | None:
    """``2026-05-01T08:15:30+08:00`` in the portal's time zone (None stays None)."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def parse_w3c(value: str) -> datetime:
    """A W3C date (``2026-05-01``, midnight in the portal's time zone) or date-time with its
    time zone (``Z`` or ``±hh:mm``). Raises ValueError for anything else, a date-time without a
    time zone included."""
    value = _SPACED_OFFSET.sub(r"+\1", (value or "").strip())
    if _DATE.match(value):
        day = datetime.strptime(value, "%Y-%m-%d").date()
        return timezone.make_aware(datetime.combine(day, time.min))
    if not _DATETIME.match(value):
        raise ValueError(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
