"""Rate limits of the public intake, counted in the cache (Redis in production).

A fixed window per key: the first hit of a window creates its counter with the window's length
as its lifetime, every hit increments it atomically, so any number of web processes share the
count. Without a shared cache (local memory in development) each process counts for itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # Seconds until the window ends (what a refused caller should wait).
    retry_after: int


def hit(key: str, *, limit: int, window: int, now: float | None = None) -> Verdict:
    """Count one use of ``key``; allowed while the window has seen at most ``limit`` uses."""
    now = time.time() if now is None else now
    bucket = int(now // window)
    name = f"throttle:{key}:{window}:{bucket}"
    cache.add(name, 0, timeout=window + 1)
    try:
        count = cache.incr(name)
    except ValueError:
        # The counter expired between add and incr: this use opens the next window.
        cache.add(name, 1, timeout=window + 1)
        count = 1
    retry_after = max(1, int(window - now % window))
    return Verdict(allowed=count <= limit, retry_after=retry_after)
