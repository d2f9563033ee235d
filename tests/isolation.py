"""What the workers of a parallel run (pytest-xdist: `make test` runs one per core) must not share.

Each worker has a database of its own (pytest-django adds the worker's name to the test
database's), but they share the Redis cache: each worker gets a key prefix of its own and clears
only its own keys, since RedisCache.clear() flushes the whole Redis database. A file-based cache
(job progress without Redis) gets a directory per worker.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache
from django.utils.module_loading import import_string

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def isolate_worker_cache() -> None:
    """Each worker its own key prefix on Redis, its own directory for a file-based cache (the
    progress of background jobs in the embedded default: run ids repeat across workers; and
    never the directory of a development server's jobs)."""
    from django.test.signals import clear_cache_handlers

    isolated = {}
    for alias, config in settings.CACHES.items():
        if WORKER and "Redis" in config["BACKEND"]:
            prefix = "-".join(filter(None, [f"test-{WORKER}", config.get("KEY_PREFIX")]))
            config = {**config, "KEY_PREFIX": prefix}
        elif issubclass(import_string(config["BACKEND"]), FileBasedCache):
            config = {**config, "LOCATION": "-".join([config["LOCATION"], "test", WORKER or "0"])}
        isolated[alias] = config
    settings.CACHES = isolated
    clear_cache_handlers(setting="CACHES")


def clear_cache() -> None:
    for alias in settings.CACHES:
        caches[alias].clear()


def _own_keys_only(cache) -> None:
    """``RedisCache.clear()`` in a test process: Django's empties the whole Redis database
    (FLUSHDB), the other workers' keys with it, whoever calls it (a test that empties the shared
    cache, a benchmark run in-process: a session copy of another worker's test vanished in
    CI), and the shared cache's keys with the default cache's. Here a cache loses only the keys
    it makes (``<prefix>:<version>:<key>``; an unprefixed cache's start with ":")."""
    client = cache._cache.get_client(None, write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def keep_clears_to_own_keys() -> None:
    RedisCache.clear = _own_keys_only
