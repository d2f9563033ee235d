"""The Redis cache, made to fail soft.

What the portal keeps in the cache — API rate-limit windows, the calendar version, short-lived
figures — can be recomputed or done without. So when Redis is away, a read is a miss and a write
is dropped (with one warning a minute per process) instead of a 500 on every request: filing and
handling cases go on, rate limits lapse until Redis is back. Login lockouts are kept in the
database (django-axes) and do not lapse.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.connection import ConnectionProxy
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
_WARN_EVERY = 60.0
_MADE_KEYS = 10_000


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, keeping one ``redis.Redis`` per connection pool instead of
    building one for every cache call: building it (its table of response callbacks) cost
    about as much CPU as the call itself, and a filing makes six. A ``redis.Redis`` is safe to
    share between threads (each command takes a connection from the pool)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    _warned_at = 0.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._made_keys: dict[tuple, str] = {}

    def make_and_validate_key(self, key, version=None):
        # Made once per key: the same few keys (the process caches' versions, a user's rate
        # limit) are read on every request, and the validation walks every character of each
        # (a tenth of a get, a fifth of the get_many of the nine versions).
        made = self._made_keys.get((key, version))
        if made is None:
            made = super().make_and_validate_key(key, version)
            if len(self._made_keys) >= _MADE_KEYS:
                self._made_keys.clear()
            self._made_keys[key, version] = made
        return made

    def _down(self, operation: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - ResilientRedisCache._warned_at >= _WARN_EVERY:
            ResilientRedisCache._warned_at = now
            logger.warning("Cache unavailable (%s skipped): %s", operation, exc)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except _DOWN as exc:
            self._down("get", exc)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except _DOWN as exc:
            self._down("get_many", exc)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except _DOWN as exc:
            self._down("has_key", exc)
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except _DOWN as exc:
            self._down("add", exc)
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except _DOWN as exc:
            self._down("set", exc)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except _DOWN as exc:
            self._down("set_many", exc)
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except _DOWN as exc:
            self._down("touch", exc)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except _DOWN as exc:
            self._down("delete", exc)
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except _DOWN as exc:
            self._down("delete_many", exc)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except _DOWN as exc:
            self._down("incr", exc)
            raise ValueError(f"Key '{key}' not found (cache unavailable)") from exc


class FolderCache(FileBasedCache):
    """Django's file-based cache (the shared cache of the embedded default, under var/), which
    lists its whole folder to decide whether to cull it before *every* write: with the few
    hundred files a demo street keeps there, that listing was 1.3 ms a write, about 5 ms of a
    filing's 13 (its process-cache versions are written on change and again on commit). Here a
    process looks once every ``CULL_EVERY`` writes and then culls as Django does (a third of the
    files, once ``MAX_ENTRIES`` are there): the folder holds at most ``CULL_EVERY`` files a
    process over ``MAX_ENTRIES`` (300), as long as that is three times ``CULL_EVERY`` or more."""

    CULL_EVERY = 50
    _writes: dict[str, int] = {}

    def _cull(self):
        writes = self._writes.get(self._dir, 0)
        self._writes[self._dir] = writes + 1
        if writes % self.CULL_EVERY == 0:
            super()._cull()


# The cache every process of the portal sees alike (settings: CACHES["shared"]; Redis, or files
# under var/ in the embedded default): for what one process writes and another reads.
shared_cache = ConnectionProxy(caches, "shared")
