"""What the workers of a parallel run (pytest-xdist: `make test` runs one per core) must not share.

Each worker has a database of its own (pytest-django adds the worker's name to the test
database's), but they share the Redis cache: each worker gets a key prefix of its own and clears
only its own keys, since RedisCache.clear() flushes the whole Redis database.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.cache import cache

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def isolate_worker_cache() -> None:
    if WORKER and "Redis" in settings.CACHES["default"]["BACKEND"]:
        from django.test.signals import clear_cache_handlers

        settings.CACHES = {
            **settings.CACHES,
            "default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{WORKER}"},
        }
        clear_cache_handlers(setting="CACHES")


def clear_cache() -> None:
    if WORKER and cache.key_prefix:
        client = cache._cache.get_client(None, write=True)
        keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()
