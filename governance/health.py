"""Checks of the services the portal needs: database, cache, Celery broker."""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import connection


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", 10)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)


def check_broker(url: str | None = None) -> None:
    """Connect to the Celery broker (the configured one unless ``url`` is given)."""
    from governance.celery import app

    with app.connection_for_write(url) as conn:
        # One quick retry: a health probe must answer within its own timeout.
        conn.ensure_connection(max_retries=1, interval_start=0.2, timeout=3)


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


def run_checks() -> dict[str, str]:
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # a health check reports every failure, whatever its type
            results[name] = f"error: {type(exc).__name__}: {exc}"
        else:
            results[name] = "ok"
    return results
