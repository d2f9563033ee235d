"""Process caches for reference data that changes a few times a year but is read on every filing
(a category's time limits, the webhook endpoints listening).

Each :class:`ProcessCache` keeps what it read in the process's memory, and watches the models
its values are read from: a save or a delete of one of them bumps the cache's version in the shared
cache (``governance.cache.shared_cache``: Redis, or files in the embedded default), at once (so
this process sees its own change) and again on commit (so that no other process keeps a value it
re-read before the change was visible to it) — once per transaction and part, however many rows
it writes (one cache write each: a save of a case is not made dearer by the menu's badges). Every
use reads the version (no query) and starts afresh when it moved; each process also starts
afresh after ``max_age`` seconds in case a version was lost (Redis away or evicted). The
working-time calendar (:mod:`governance.workclock`) keeps its years and street hours in one too.

Within a request (:class:`RequestVersionsMiddleware`) a version is read once and serves the
rest of the request: a change made elsewhere meanwhile is seen by the next request, as a change
made just after this one started would be. The first use of any process cache reads, in the
same ``get_many`` (one Redis MGET), the versions of every cache that requests of its kind (its
URL pattern) used before in this process — learned as they are answered, so that a page that
uses five caches reads them in one round trip and the API's cheapest call reads its one, not
all nine; a cache its kind did not use before reads its version at its first use. The parts
(below) named in that first read take along the parts read after them in the last request of
the kind that named them: the signed-in user's part (the session's user, read first) brings
the parts of that user's menu badges, read later by the page (their own and their street's),
which were a second round trip on every page (issue 15). A cache this process bumps during the
request reads its version again at its next use. Outside a request (a
Celery task, a shell) every use reads the version itself.

A caller that looks up many values for one answer (the calendar walks day by day) reads the
version once (:meth:`ProcessCache.sync`, or :meth:`ProcessCache.synced_once` for a block) and
then uses :meth:`ProcessCache.lookup`, which does not read it again. One that needs many keys at
once (the related rows of a table's cases) uses :meth:`ProcessCache.get_many`: those not kept yet
are read together, in one load.

Changes that send no signal (``QuerySet.update``, ``bulk_create``, raw SQL) are seen after
``max_age`` only: code that writes watched models that way calls :meth:`ProcessCache.bump`, or
:func:`changed` with the model (every cache watching it is bumped; with ``rows``, only the parts
those rows touch).

A cache may be kept in *parts* (the menu's badges, per street and per user): besides its version,
each value depends on the versions of the parts named when it is looked up
(``get(key, load, parts=...)``), and :meth:`ProcessCache.partition` says which parts a row of a
watched model touches. A save of that row then bumps those parts only, and drops only the values
that depend on them; a model without a partition, a bulk write without rows, or a row that cannot
name its parts bumps the whole cache. A lookup in parts reads the cache's version and its parts'
in one read (the signed-in user of a session is one: :mod:`governance.auth`, a part per user).

A *strict* cache (``strict=True``: what decides access, such as a user's role assignments) never
serves a copy it cannot check: when the version cannot be read from the shared cache (Redis
away), every use reads afresh, and ``max_age`` is not relied on; and while this process's open
transaction holds a change of a watched row not yet committed, it neither keeps nor serves a
copy (what it would read then might be rolled back). A revoked role stops on every process at
the next request, or the shared cache is away and nothing is kept.
"""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from governance.cache import shared_cache as cache

_MISSING = object()
_every: list[ProcessCache] = []
_watching: dict[type[Model], list[ProcessCache]] = {}
# The versions of every process cache (the key of each) and, per kind of request (its URL
# pattern), the ones that kind used in this process: what its next request's first read takes.
_version_keys: set[str] = set()
_used_by_kind: dict[str, frozenset[str]] = {}
# Per kind of request and part key named in a request's first read, the part keys its last
# request read after that first read (what the next one's first read takes along). Bounded:
# forgotten whole past PARTS_AFTER_ENTRIES (a user's next request learns theirs again).
_parts_after: dict[tuple[str, str], frozenset[str]] = {}
PARTS_AFTER_ENTRIES = 20_000


class _RequestReads:
    """The versions one request read (by key), the process caches' versions it used, and the
    request (its kind is known once its URL is resolved; None for a block that is no request:
    its first read takes every cache's version)."""

    __slots__ = ("first_parts", "parts_used", "request", "used", "versions")

    def __init__(self, request=None) -> None:
        self.versions: dict[str, Any] = {}
        self.used: set[str] = set()
        # The part keys named in the first read, and those used after it.
        self.first_parts: tuple[str, ...] | None = None
        self.parts_used: set[str] = set()
        self.request = request

    def kind(self) -> str | None:
        match = getattr(self.request, "resolver_match", None)
        return None if match is None else match.route

    def expected(self, parts: Iterable[str] = ()) -> Iterable[str]:
        """The version keys a first read naming the part keys ``parts`` takes along."""
        kind = self.kind()
        if kind is None:
            return _version_keys
        expected = list(_used_by_kind.get(kind, ()))
        for part in parts:
            expected += _parts_after.get((kind, part), ())
        return expected

    def learn(self) -> None:
        kind = self.kind()
        if kind is None:
            return
        if self.used:
            known = _used_by_kind.get(kind, frozenset())
            if not self.used <= known:
                _used_by_kind[kind] = known | self.used
        used = frozenset(self.parts_used)
        for part in self.first_parts or ():
            if _parts_after.get((kind, part)) != used:
                if len(_parts_after) >= PARTS_AFTER_ENTRIES:
                    _parts_after.clear()
                _parts_after[kind, part] = used


_request_reads: ContextVar[_RequestReads | None] = ContextVar("processcache:request", default=None)
# Parts named by a row: None for "the whole cache".
Parts = tuple[str, ...] | None


def row_copy(row: Model) -> Model:
    """A copy of a kept model row for one answer: ``copy.copy(row)`` (its own ``_state`` and
    related-row cache, the values shared), without pickling's round trip — Django's
    ``__reduce__`` copies the state, looks the model up in the app registry and checks a version
    stamp (which it leaves behind on the copy as ``_django_version``): 12 µs a row, this 4. A
    list page's cases take a copy of each distinct area, category and department (fifty or so
    a page). A row with a memoryview or a model with its own pickling is copied by
    ``copy.copy``."""
    cls = type(row)
    if cls.__reduce__ is not Model.__reduce__ or cls.__getstate__ is not Model.__getstate__:
        return copy.copy(row)
    values = row.__dict__.copy()
    if any(isinstance(value, memoryview) for value in values.values()):
        return copy.copy(row)
    kept = row._state
    state = object.__new__(type(kept))
    state.__dict__ = kept.__dict__.copy()
    state.fields_cache = kept.fields_cache.copy()
    values["_state"] = state
    copied = object.__new__(cls)
    copied.__dict__ = values
    return copied


def changed(model: type[Model], *, rows: Iterable[Model] | None = None) -> None:
    """Rows of ``model`` were written without signals (bulk writes, a tree rebuilt): bump every
    process cache that watches it, at once and again on commit. With ``rows`` (the rows written,
    or unsaved rows naming what they stand for), a cache kept in parts bumps only the parts they
    touch."""
    rows = None if rows is None else list(rows)
    for process_cache in _watching.get(model._meta.concrete_model, ()):
        if rows is None:
            process_cache.changed()
        else:
            process_cache.changed(process_cache.parts_of(model, rows))


def _bump_of(hook: Callable) -> ProcessCache | None:
    """The process cache whose bump the on-commit ``hook`` is (see :meth:`ProcessCache.changed`),
    or None for a hook of another kind."""
    method = hook.func if isinstance(hook, partial) else hook
    cache = getattr(method, "__self__", None)
    if isinstance(cache, ProcessCache) and method in (cache.bump, cache.bump_parts):
        return cache
    return None


def bump_what_waits_for_commit() -> None:
    """Make now the bumps that wait for this connection's commit, and drop them from it (tests:
    rows written in a transaction that is never committed, which this process is to read as
    if it were — no other process can see them)."""
    hooks = connection.run_on_commit
    connection.run_on_commit = [hook for hook in hooks if _bump_of(hook[1]) is None]
    for _sids, func, _robust in hooks:
        if _bump_of(func) is not None:
            func()


def clear_all() -> None:
    """Forget every process cache's copy and what each kind of request used (tests: one
    test's rows do not reach the next)."""
    for process_cache in _every:
        process_cache.clear()
    _used_by_kind.clear()
    _parts_after.clear()


@contextmanager
def one_read_per_request(request=None) -> Iterator[None]:
    """Read each process cache's version at most once for the block (a request): the first
    read takes along the versions ``request``'s kind used before (every cache's without a
    request)."""
    reads = _RequestReads(request)
    token = _request_reads.set(reads)
    try:
        yield
    finally:
        _request_reads.reset(token)
        reads.learn()


class RequestVersionsMiddleware:
    """One read of the process caches' versions per request (see the module's docstring)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        with one_read_per_request(request):
            return self.get_response(request)


def _fresh() -> int:
    # A version no process holds: a random one (versions are compared for equality only), so
    # that a bump is one write, and a fresh start (the key evicted, Redis emptied) never repeats
    # a version held before.
    return secrets.randbits(62)


def _read(keys: list[str]) -> list[Any]:
    """The versions under ``keys`` (None: missing, or the shared cache away)."""
    reads = _request_reads.get()
    if reads is None:
        return _fetch(keys)
    versions = reads.versions
    parts = [key for key in keys if key not in _version_keys]
    if reads.first_parts is None:
        reads.first_parts = tuple(parts)
    else:
        reads.parts_used.update(parts)
    wanted = [key for key in keys if key not in versions]
    if wanted:
        if not versions:
            # The request's first read: the versions its kind used before and the parts read
            # after those it names, in the same read.
            wanted += [key for key in dict.fromkeys(reads.expected(parts)) if key not in wanted]
        versions.update(zip(wanted, _fetch(wanted), strict=True))
    reads.used.update(key for key in keys if key in _version_keys)
    return [versions[key] for key in keys]


def _fetch(keys: list[str]) -> list[Any]:
    if len(keys) == 1:  # a GET costs less than an MGET of one key
        return [cache.get(keys[0])]
    found = cache.get_many(keys)
    return [found.get(key) for key in keys]


def _forget(keys: Iterable[str]) -> None:
    """This process moved the versions under ``keys``: the request reads them again."""
    reads = _request_reads.get()
    if reads is not None:
        for key in keys:
            reads.versions.pop(key, None)


def _start(keys: list[str]) -> list[Any]:
    """Start the versions missing under ``keys`` (never bumped, or evicted) and read them back
    (another process may have started them first); None where the shared cache is away."""
    for key in keys:
        cache.add(key, _fresh(), timeout=None)
    _forget(keys)
    return _read(keys)


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
        self._partitions: dict[type[Model], Callable[[Model], Parts]] = {}
        self._ignored: dict[type[Model], frozenset[str]] = {}
        # Set inside synced_once(): the version was read at its start.
        self._synced_once: ContextVar[bool] = ContextVar(f"processcache:{name}", default=False)
        _every.append(self)
        _version_keys.add(self.version_key)

    def watch(self, *models: type[Model], ignoring: Iterable[str] = ()) -> None:
        """Bump the version whenever a row of ``models`` is saved or deleted (call once, from an
        AppConfig's ``ready``). A save that writes only fields named in ``ignoring`` (its
        ``update_fields``: a login's ``last_login``) bumps nothing: the values kept do not
        depend on them."""
        for model in models:
            if ignoring:
                self._ignored[model._meta.concrete_model] = frozenset(ignoring)
            watchers = _watching.setdefault(model._meta.concrete_model, [])
            if self in watchers:  # the menu's badges watch cases once, not once per entry
                continue
            watchers.append(self)
            uid = f"processcache:{self.name}:{model._meta.label}"
            post_save.connect(self._changed, sender=model, dispatch_uid=f"{uid}:save", weak=False)
            post_delete.connect(
                self._changed, sender=model, dispatch_uid=f"{uid}:delete", weak=False
            )

    def partition(self, model: type[Model], parts: Callable[[Model], Parts]) -> None:
        """A write of a row of ``model`` bumps only ``parts(row)`` (None: the whole cache)."""
        self._partitions[model._meta.concrete_model] = parts

    def parts_of(self, model: type[Model], rows: Iterable[Model]) -> Parts:
        """The parts written ``rows`` of ``model`` touch (None: the whole cache)."""
        partition = self._partitions.get(model._meta.concrete_model)
        if partition is None:
            return None
        touched: dict[str, None] = {}
        for row in rows:
            parts = partition(row)
            if parts is None:
                return None
            touched.update(dict.fromkeys(parts))
        return tuple(touched)

    def part_key(self, part: str) -> str:
        return f"processcache:{self.name}:{part}:version"

    def get(self, key: Hashable, load: Callable[[], Any], *, parts: Iterable[str] = ()) -> Any:
        """The value kept for ``key``, or ``load()`` kept from now on (None is kept too). With
        ``parts``, the value kept is served while none of those parts was bumped since it was
        loaded (a key is looked up with the same parts each time)."""
        keys = [self.part_key(part) for part in parts]
        # The cache's version and its parts' in one read (one MGET, not a GET and then an MGET).
        versions = self._sync_reading(keys)
        if versions is None or (self.strict and self._pending()):
            return load()
        if not parts:
            return self.lookup(key, load)
        if None in versions:
            versions = _start(keys)
            if self.strict and None in versions:
                return load()
        stamp = tuple(zip(keys, versions, strict=True))
        entry = self._values.get(key, _MISSING)
        if entry is not _MISSING and entry[0] == stamp:
            return entry[1]
        # The versions were read before loading: a bump while it loads leaves it stale.
        value = load()
        if len(self._values) >= self.max_entries:
            self._values.clear()
        self._values[key] = (stamp, value)
        return value

    def get_many(
        self, keys: Iterable[Hashable], load: Callable[[list], dict[Hashable, Any]]
    ) -> dict[Hashable, Any]:
        """The values kept for ``keys``, by key; those not kept yet are read together by
        ``load(missing)`` (a dict by key: a key it leaves out is kept as None) and kept from
        now on. One read for a table's worth of rows instead of one per key. Not for a cache
        kept in parts."""
        keys = list(dict.fromkeys(keys))
        if not self.sync() or (self.strict and self._pending()):
            found = load(keys) if keys else {}
            return {key: found.get(key) for key in keys}
        values = {key: self._values.get(key, _MISSING) for key in keys}
        missing = [key for key, value in values.items() if value is _MISSING]
        if missing:
            found = load(missing)
            if len(self._values) + len(missing) > self.max_entries:
                self._values.clear()
            for key in missing:
                values[key] = self._values[key] = found.get(key)
        return values

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
        cache.set(self.version_key, _fresh(), timeout=None)
        _forget([self.version_key])

    def bump_parts(self, parts: tuple[str, ...]) -> None:
        """Tell every process that the data of ``parts`` changed (one write for all of them)."""
        keys = [self.part_key(part) for part in parts]
        if keys:
            version = _fresh()
            cache.set_many(dict.fromkeys(keys, version), timeout=None)
            _forget(keys)

    def clear(self) -> None:
        """Forget this process's copy (tests)."""
        self._values.clear()
        self._version = _MISSING

    def changed(self, parts: Parts = None) -> None:
        """The watched data (of ``parts``; None: all of it) changed in this transaction: bump
        now (this process sees its own change) and again on commit (no other process keeps a
        value it re-read before the change was visible to it). What a signal of a watched model
        does; code that writes them without signals (``bulk_create``, ``update``) calls it, or
        the module's :func:`changed`.

        One bump on commit per transaction and part, not one per row: once a bump covering
        ``parts`` waits for this transaction's commit, a further change of the whole cache only
        drops this process's copy (no other process can see it before that commit, and that
        bump tells them then), and a further change of some parts bumps them now only (so that
        this process drops just the values that depend on them). Outside a transaction the write
        is committed already: one bump."""
        if parts is not None and not parts:
            return
        bump = self.bump if parts is None else partial(self.bump_parts, parts)
        if not connection.in_atomic_block:
            bump()
        elif not self._waiting(parts):
            bump()
            transaction.on_commit(bump)
        elif parts is None:
            self._values.clear()
        else:
            bump()

    def _waiting(self, parts: Parts) -> bool:
        """Does a bump on this transaction's commit already cover ``parts`` (None: the whole
        cache)?"""
        for _, func, _ in connection.run_on_commit:
            if _bump_of(func) is not self:
                continue
            if not isinstance(func, partial):  # the whole cache's
                return True
            if parts is not None and set(parts) <= set(func.args[0]):
                return True
        return False

    def _changed(self, sender, instance, **kwargs) -> None:
        if kwargs.get("raw"):  # fixtures being loaded: the next bump or max_age covers them
            self._values.clear()
            return
        update_fields = kwargs.get("update_fields")
        ignored = self._ignored.get(sender._meta.concrete_model)
        if update_fields and ignored and set(update_fields) <= ignored:
            return
        self.changed(self.parts_of(sender, [instance]))

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
        return any(_bump_of(func) is self for _, func, _ in connection.run_on_commit)

    def sync(self) -> bool:
        """Drop this process's copy when the version moved or it is older than ``max_age``
        (no query; no cache read inside :meth:`synced_once`, one for every cache at once within
        a request). False when a strict cache cannot read the version: nothing may be served
        from memory then."""
        return self._sync_reading([]) is not None

    def _sync_reading(self, keys: list[str]) -> list[Any] | None:
        """:meth:`sync`, reading the versions under ``keys`` in the same read: those versions
        (None for a missing one), or None when :meth:`sync` is False."""
        if self._synced_once.get():
            return _read(keys) if keys else []
        version, *versions = _read([self.version_key, *keys])
        if version is None and self.strict:
            (version,) = _start([self.version_key])
            if version is None:
                self.clear()
                return None
        now = time.monotonic()
        if version != self._version or now - self._loaded_at > self.max_age:
            self._version = version
            self._loaded_at = now
            self._values.clear()
        return versions
