"""A cache outage is a miss, not an error page (the live case is in test_production_stack.py)."""

from __future__ import annotations

import logging
import os
import socket

import pytest

from governance.cache import FolderCache, ResilientRedisCache
from tests.isolation import WORKER, isolate_worker_cache


@pytest.fixture
def dead_cache():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return ResilientRedisCache(
        f"redis://127.0.0.1:{port}/0", {"OPTIONS": {"socket_connect_timeout": 1}}
    )


def test_reads_miss_and_writes_are_dropped_when_redis_is_away(dead_cache, caplog):
    ResilientRedisCache._warned_at = -1e9
    with caplog.at_level(logging.WARNING, logger="governance.cache"):
        assert dead_cache.get("throttle_user_1", []) == []
        dead_cache.set("throttle_user_1", [1.0], 60)
        assert dead_cache.add("k", 1) is False
        assert dead_cache.get_many(["a", "b"]) == {}
        assert dead_cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
        assert dead_cache.delete("k") is False
        assert dead_cache.has_key("k") is False
        with pytest.raises(ValueError):
            dead_cache.incr("k")
    # One warning for the whole outage, not one per call.
    assert [r.getMessage()[:30] for r in caplog.records] == ["Cache unavailable (get skipped"]


@pytest.mark.redis
def test_a_live_redis_is_used_as_usual():
    from tests.conftest import _redis_url

    cache = ResilientRedisCache(_redis_url(), {})
    cache.delete_many(["governance-cache-test", "governance-cache-test-n"])
    try:
        cache.set("governance-cache-test", {"n": 1}, 30)
        assert cache.get("governance-cache-test") == {"n": 1}
        assert cache.add("governance-cache-test-n", 1, 30) is True
        assert cache.incr("governance-cache-test-n") == 2
    finally:
        cache.delete_many(["governance-cache-test", "governance-cache-test-n"])


def test_the_embedded_shared_cache_lists_its_folder_once_every_so_many_writes(
    tmp_path, monkeypatch
):
    """The embedded default's shared cache (files) decides whether to cull once every
    ``CULL_EVERY`` writes of a process, not on every write; culled, it keeps to its size."""
    size = 4 * FolderCache.CULL_EVERY
    cache = FolderCache(str(tmp_path / "shared"), {"OPTIONS": {"MAX_ENTRIES": size}})
    listings = []
    listing = FolderCache._list_cache_files
    monkeypatch.setattr(
        FolderCache, "_list_cache_files", lambda self: listings.append(1) or listing(self)
    )
    monkeypatch.setattr(FolderCache, "_writes", {})
    writes = 8 * FolderCache.CULL_EVERY
    for n in range(writes):
        cache.set(f"version-{n}", n, timeout=None)
    assert len(listings) == writes // FolderCache.CULL_EVERY
    # Each listing that found the folder full culled a third of it (Django's cull): the folder
    # holds at most its size and the writes since the last look.
    files = list((tmp_path / "shared").glob("*.djcache"))
    assert len(files) <= size + FolderCache.CULL_EVERY
    assert len(files) < writes
    assert cache.get(f"version-{writes - 1}") == writes - 1


def test_each_test_process_has_a_folder_of_its_own_for_the_embedded_shared_cache(settings):
    """Without Redis the shared cache is files (governance.cache.FolderCache): a parallel run's
    workers, and a development server's processes, must not read each other's versions."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {"BACKEND": "governance.cache.FolderCache", "LOCATION": "/srv/var/shared"},
    }
    isolate_worker_cache()
    assert settings.CACHES["shared"]["LOCATION"] == f"/srv/var/shared-test-{WORKER or '0'}"


@pytest.mark.redis
def test_a_cache_emptied_in_a_test_process_keeps_the_other_processes_keys():
    """Django's ``RedisCache.clear()`` empties the whole Redis database; in the suite it empties
    its own keys only (tests/isolation.py), or a test or benchmark that empties a cache would
    take a parallel worker's keys (a session copy, mid-test) with it."""
    url = next(
        value
        for value in (os.environ.get(name, "") for name in ("REDIS_URL", "CELERY_BROKER_URL"))
        if value.startswith("redis://")
    )
    mine = ResilientRedisCache(url, {"KEY_PREFIX": f"test-clear-{WORKER or '0'}"})
    theirs = ResilientRedisCache(url, {"KEY_PREFIX": f"test-clear-other-{WORKER or '0'}"})
    unprefixed = ResilientRedisCache(url, {})
    mine.set("k", 1)
    theirs.set("k", 2)
    unprefixed.set(f"test-clear-{WORKER or '0'}", 3)

    mine.clear()

    assert mine.get("k") is None
    assert theirs.get("k") == 2
    assert unprefixed.get(f"test-clear-{WORKER or '0'}") == 3
    # A cache without a prefix (the default cache outside a parallel run) loses its own keys,
    # not the prefixed caches' (the shared cache's versions).
    unprefixed.clear()
    assert unprefixed.get(f"test-clear-{WORKER or '0'}") is None
    assert theirs.get("k") == 2
    theirs.clear()
    assert theirs.get("k") is None
