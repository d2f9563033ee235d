"""What a write of a watched model costs the shared cache (governance.processcache): one version
written at once and one on commit per transaction, however many rows it writes; one outside a
transaction. (What the caches keep and when they drop it: tests/casework/test_access_cache.py.)"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction

from governance import processcache, workclock
from governance.models import CalendarDay
from governance.navigation import BADGES
from governance.scopes import ASSIGNMENTS  # strict; watches departments
from tests.factories import DepartmentFactory

WATCHING = workclock._cache  # watches CalendarDay


@pytest.fixture
def versions_written(monkeypatch):
    """The versions written to the shared cache for WATCHING, in order."""
    written = []
    real = processcache.cache

    class Recording:
        def __getattr__(self, name):
            return getattr(real, name)

        def set(self, key, value, *args, **kwargs):
            if key == WATCHING.version_key:
                written.append(value)
            return real.set(key, value, *args, **kwargs)

    monkeypatch.setattr(processcache, "cache", Recording())
    return written


@pytest.fixture
def reads(monkeypatch):
    """The keys of each read of the shared cache (a ``get`` or a ``get_many``), in order: one
    list per round trip."""
    reads = []
    real = processcache.cache

    class Recording:
        def __getattr__(self, name):
            return getattr(real, name)

        def get(self, key, *args, **kwargs):
            reads.append([key])
            return real.get(key, *args, **kwargs)

        def get_many(self, keys, *args, **kwargs):
            reads.append(list(keys))
            return real.get_many(keys, *args, **kwargs)

    monkeypatch.setattr(processcache, "cache", Recording())
    return reads


def _day(n: int) -> CalendarDay:
    return CalendarDay.objects.create(date=date(2099, 1, n), kind="holiday", name="测试")


def test_a_transaction_writing_many_watched_rows_writes_the_version_once_and_on_commit(
    db, versions_written, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        _day(1)
        assert len(versions_written) == 1  # at once: this process sees its own change
        WATCHING.lookup("kept", lambda: "read after the first row")
        _day(2)
        _day(3)
        # No further write, but this process's copy read in between is dropped.
        assert len(versions_written) == 1
        assert "kept" not in WATCHING._values

    assert len(versions_written) == 2  # on commit: every other process starts afresh
    assert len(set(versions_written)) == 2  # and never meets a version it held before


@pytest.mark.django_db(transaction=True)
def test_a_write_outside_a_transaction_writes_the_version_once(versions_written):
    _day(1)

    assert len(versions_written) == 1


def test_many_values_are_read_together_once_and_then_kept(db):
    loads = []

    def load(keys):
        loads.append(sorted(keys))
        return {key: f"value {key}" for key in keys if key != 3}

    first = WATCHING.get_many([1, 2, 3, 2], load)
    again = WATCHING.get_many([2, 3, 4], load)

    assert first == {1: "value 1", 2: "value 2", 3: None}  # a key left out is kept as None
    assert again == {2: "value 2", 3: None, 4: "value 4"}
    assert loads == [[1, 2, 3], [4]]  # the missing ones together; none read twice


def test_a_strict_cache_reads_many_afresh_while_its_watched_rows_wait_for_commit(db):
    loads = []

    def load(keys):
        loads.append(sorted(keys))
        return dict.fromkeys(keys, "read")

    ASSIGNMENTS.get_many(["k"], load)
    ASSIGNMENTS.get_many(["k"], load)
    assert loads == [["k"]]
    with transaction.atomic():
        DepartmentFactory()
        ASSIGNMENTS.get_many(["k"], load)
        ASSIGNMENTS.get_many(["k"], load)

    assert loads == [["k"], ["k"], ["k"]]


def test_a_value_kept_in_parts_reads_the_version_and_its_parts_in_one_read(db, reads):
    cache = BADGES  # kept in parts
    cache.bump()
    cache.bump_parts(("test:a", "test:b"))
    del reads[:]  # only the reads below

    assert cache.get("k", lambda: "read", parts=("test:a", "test:b")) == "read"
    assert cache.get("k", lambda: "read again", parts=("test:a", "test:b")) == "read"

    one = [cache.version_key, cache.part_key("test:a"), cache.part_key("test:b")]
    assert reads == [one, one]
    cache.bump_parts(("test:b",))
    assert cache.get("k", lambda: "read again", parts=("test:a", "test:b")) == "read again"


def test_a_rows_copy_is_copy_copys_without_pickling(monkeypatch):
    import copy

    from django.db.models import Model

    from grids.models import Area

    kept = Area(pk=7, name="网格", code="110101001001", level=3)
    kept.__dict__["parent"] = None  # something a reader loaded onto the kept row
    kept._state.fields_cache["parent"] = Area(pk=6, name="社区")
    pickled = []
    reduce = Model.__reduce__
    monkeypatch.setattr(Model, "__reduce__", lambda row: pickled.append(row) or reduce(row))

    copied = processcache.row_copy(kept)

    assert pickled == []
    assert type(copied) is Area and copied is not kept
    expected = copy.copy(kept)
    del expected.__dict__["_django_version"]  # pickling's stamp, left on copy.copy's copy
    assert copied.__dict__.keys() == expected.__dict__.keys()
    for name, value in copied.__dict__.items():
        if name != "_state":
            assert value is kept.__dict__[name]
    assert vars(copied._state) == vars(expected._state)
    assert copied._state is not kept._state
    assert copied._state.fields_cache is not kept._state.fields_cache
    copied._state.fields_cache["street"] = Area(pk=1)
    copied.name = "另一个"
    assert "street" not in kept._state.fields_cache and kept.name == "网格"


def test_a_row_holding_a_memoryview_is_copied_by_copy_copy():
    from grids.models import Area

    kept = Area(pk=7, name="网格")
    kept.__dict__["blob"] = memoryview(b"\x00\x01")

    copied = processcache.row_copy(kept)

    # copy.copy's copy (pickling): a new memoryview of the same bytes, and the version stamp.
    assert copied.blob is not kept.blob and bytes(copied.blob) == b"\x00\x01"
    assert "_django_version" in copied.__dict__


def test_a_first_read_takes_along_the_parts_read_after_the_parts_it_names(db, reads):
    """A request's first read naming a part (the session's user) takes along the parts the last
    request of its kind read after it (that user's badges): one round trip, not two. Another
    kind of request, or a part not named first, takes nothing along."""
    from types import SimpleNamespace

    from governance.auth import USERS

    processcache.clear_all()
    for cache in (USERS, BADGES):  # every version and part started: none missing
        cache.bump()
        cache.bump_parts(("u:1", "u:2", "s:1", "s:2"))
    del reads[:]  # only the reads below

    def request(kind: str, user: str, street: str) -> list[list[str]]:
        del reads[:]
        page = SimpleNamespace(resolver_match=SimpleNamespace(route=kind))
        with processcache.one_read_per_request(page):
            USERS.get(user, lambda: "user", parts=(user,))
            BADGES.get(user, lambda: "badges", parts=(user, street))
        return reads[:]

    badges = {BADGES.part_key("u:1"), BADGES.part_key("s:1")}
    first = request("cases/", "u:1", "s:1")
    assert len(first) == 2  # nothing learned yet: the badges' parts read apart
    second = request("cases/", "u:1", "s:1")
    assert len(second) == 1 and badges <= set(second[0])
    assert USERS.part_key("u:1") in second[0]
    # Another kind of request learns its own; another user's first read takes nothing along.
    assert len(request("areas/", "u:1", "s:1")) == 2
    assert len(request("cases/", "u:2", "s:1")) == 2
    # The user's street changed: the new part is read apart once, then taken along.
    assert len(request("cases/", "u:1", "s:2")) == 2
    again = request("cases/", "u:1", "s:2")
    assert len(again) == 1 and BADGES.part_key("s:2") in again[0]
    assert BADGES.part_key("s:1") not in again[0]  # what the last request read, not every one
