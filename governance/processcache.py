"""Process caches for reference data that changes a few times a year but is read on every filing
(a category's time limits, the webhook endpoints listening).

Each :class:`ProcessCache` keeps what it read in the process's memory, and watches the models
its values are read from: a save or a delete of one of them bumps the cache's version in the shared
cache (``governance.cache.shared_cache``: Redis, or files in the embedded default), at once (so
this process sees its own change) and again on commit (so that no other process keeps a value it
re-read before the change was visible to it) — once per transaction, however many rows it
writes (one cache write each: a save of a case is not made dearer by the menu's badges). Every
use reads the version (one cache read, no
query) and starts afresh when it moved; each process also starts afresh after ``max_age`` seconds
in case a version was lost (Redis away or evicted). The working-time calendar
(:mod:`governance.workclock`) keeps its years and street hours in one too.

A caller that looks up many values for one answer (the calendar walks day by day) reads the
version once (:meth:`ProcessCache.sync`, or :meth:`ProcessCache.synced_once` for a block) and
then uses :meth:`ProcessCache.lookup`, which does not read it again.

Changes that send no signal (``QuerySet.update``, ``bulk_create``, raw SQL) are seen after
``max_age`` only: code that writes watched models that way calls :meth:`ProcessCache.bump`, or
:func:`changed` with the model (every cache watching it is bumped).

A *strict* cache (``strict=True``: what decides access, such as a user's role assignments) never
serves a copy it cannot check: when the version cannot be read from the shared cache (Redis
away), every use reads afresh, and ``max_age`` is not relied on; and while this process's open
transaction holds a change of a watched row not yet committed, it neither keeps nor serves a
copy (what it would read then might be rolled back). A revoked role stops on every process at
the next request, or the shared cache is away and nothing is kept.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from governance.cache import shared_cache as cache

_MISSING = object()
_every: list[ProcessCache] = []
_watching: dict[type[Model], list[ProcessCache]] = {}


def changed(model: type[Model]) -> None:
    """Rows of ``model`` were written without signals (bulk writes, a tree rebuilt): bump every
    process cache that watches it, at once and again on commit."""
    for process_cache in _watching.get(model._meta.concrete_model, ()):
        process_cache.changed()


def clear_all() -> None:
    """Forget every process cache's copy (tests: one test's rows do not reach the next)."""
    for process_cache in _every:
        process_cache.clear()


class ProcessCache:
    def __init__(
        self, name: str, *, max_age: float = 300, max_entries: int = 10_000, strict: bool = False
    ) -> None:
        self.name = name
        self.strict = strict
        self.version_key = f"processcache:{name}:version"
        self.max_age = max_age
        self.max_entries = max_entries
        self._version: object = _MISSING
        self._loaded_at = 0.0
        self._values: dict[Hashable, Any] = {}
        # Set inside synced_once(): the version was read at its start.
        self._synced_once: ContextVar[bool] = ContextVar(f"processcache:{name}", default=False)
        _every.append(self)

    def watch(self, *models: type[Model]) -> None:
        """Bump the version whenever a row of ``models`` is saved or deleted (call once, from an
        AppConfig's ``ready``)."""
        for model in models:
            watchers = _watching.setdefault(model._meta.concrete_model, [])
            if self in watchers:  # the menu's badges watch cases once, not once per entry
                continue
            watchers.append(self)
            uid = f"processcache:{self.name}:{model._meta.label}"
            post_save.connect(self._changed, sender=model, dispatch_uid=f"{uid}:save", weak=False)
            post_delete.connect(
                self._changed, sender=model, dispatch_uid=f"{uid}:delete", weak=False
            )

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The value kept for ``key``, or ``load()`` kept from now on (None is kept too)."""
        if not self.sync() or (self.strict and self._pending()):
            return load()
        return self.lookup(key, load)

    def lookup(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """:meth:`get` without reading the version: for the lookups that follow a
        :meth:`sync` within one answer (not for a strict cache: it skips the strict checks)."""
        value = self._values.get(key, _MISSING)
        if value is _MISSING:
            if len(self._values) >= self.max_entries:
                self._values.clear()
            value = self._values[key] = load()
        return value

    def bump(self) -> None:
        """Tell every process that the watched data changed: one write of a version never held
        before (unique, so that a fresh start — the key evicted, Redis emptied — or two processes
        bumping at once cannot repeat one; processes only compare versions for equality)."""
        self._values.clear()
        cache.set(self.version_key, uuid.uuid4().hex, timeout=None)

    def clear(self) -> None:
        """Forget this process's copy (tests)."""
        self._values.clear()
        self._version = _MISSING

    def changed(self) -> None:
        """The watched data changed in this transaction: bump now (this process sees its own
        change) and again on commit (no other process keeps a value it re-read before the
        change was visible to it). What a signal of a watched model does; code that writes
        them without signals (``bulk_create``, ``update``) calls it.

        One bump per transaction, not one per row: once a bump waits for this transaction's
        commit, a further change only drops this process's copy (no other process can see it
        before that commit, and that bump tells them then). Outside a transaction the write is
        committed already: one bump."""
        if not connection.in_atomic_block:
            self.bump()
        elif self._pending():
            self._values.clear()
        else:
            self.bump()
            transaction.on_commit(self.bump)

    def _changed(self, **kwargs) -> None:
        if kwargs.get("raw"):  # fixtures being loaded: the next bump or max_age covers them
            self._values.clear()
            return
        self.changed()

    @contextmanager
    def synced_once(self) -> Iterator[None]:
        """Read the version once for the block instead of once per :meth:`get` (a table of 25
        cases' time left read it 25 times, a cache round trip each): for the reads of one
        request; a change made meanwhile is seen by the next one."""
        self.sync()
        token = self._synced_once.set(True)
        try:
            yield
        finally:
            self._synced_once.reset(token)

    def _pending(self) -> bool:
        """Does this connection's open transaction hold a change of a watched row (its bump on
        commit still waiting)? A rolled-back savepoint drops its waiting bumps with it."""
        return any(func == self.bump for _, func, _ in connection.run_on_commit)

    def sync(self) -> bool:
        """Drop this process's copy when the version moved or it is older than ``max_age``
        (one cache read, no query; none inside :meth:`synced_once`). False when a strict cache
        cannot read the version: nothing may be served from memory then."""
        if self._synced_once.get():
            return True
        version = cache.get(self.version_key)
        if version is None and self.strict:
            cache.add(self.version_key, time.time_ns(), timeout=None)
            version = cache.get(self.version_key)
            if version is None:
                self.clear()
                return False
        now = time.monotonic()
        if version != self._version or now - self._loaded_at > self.max_age:
            self._version = version
            self._loaded_at = now
            self._values.clear()
        return True
