"""Sessions read from a copy in the cache (governance.sessions.SessionStore): no query for the
session on a page, and a logout that a Redis outage cannot undo beyond the copy's bounded life
(SESSION_CACHE_SECONDS) — with Redis made unreachable for real (a Redis client on a closed port,
its errors turned into misses by governance.cache, as in production)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance import sessions
from governance.cache import ResilientRedisCache

PAGE = "account"


@pytest.fixture
def cached_sessions(settings):
    """This store as the session engine (the settings choose it when there is Redis; without
    Redis the tests run it over the local-memory cache)."""
    settings.SESSION_ENGINE = "governance.sessions"
    settings.SESSION_CACHE_SECONDS = 60
    return caches[settings.SESSION_CACHE_ALIAS]


@pytest.fixture
def redis_unreachable(monkeypatch):
    """``unreachable()``: from then on the session store's cache is a Redis nobody answers on;
    ``reachable()``: the real one again."""
    down = ResilientRedisCache(
        "redis://127.0.0.1:1/0",
        {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}},
    )
    real = sessions.session_cache

    class Switch:
        @staticmethod
        def unreachable():
            monkeypatch.setattr(sessions, "session_cache", lambda: down)

        @staticmethod
        def reachable():
            monkeypatch.setattr(sessions, "session_cache", real)

    return Switch


def _session_reads(queries) -> int:
    return sum(f'FROM "{Session._meta.db_table}"' in q["sql"] for q in queries)


def _copy_key(client) -> str:
    return (
        sessions.SessionStore.cache_key_prefix + client.cookies[settings.SESSION_COOKIE_NAME].value
    )


def _seconds_left(cache, key) -> float | None:
    """How long the cache keeps ``key`` (None: not there)."""
    made = cache.make_and_validate_key(key)
    if isinstance(cache, ResilientRedisCache):
        left = cache._cache.get_client(made).ttl(made)
        return None if left < 0 else float(left)
    expiry = cache._expire_info.get(made)  # local memory
    return None if expiry is None else expiry - time.time()


def _signed_in(client) -> bool:
    response = client.get(reverse(PAGE))
    if response.status_code == 302:
        assert reverse("login") in response["Location"]
        return False
    assert response.status_code == 200
    return True


@pytest.mark.django_db(transaction=True)
def test_a_page_reads_its_session_from_the_cache(client, cast, cached_sessions):
    client.force_login(cast.dispatcher_a)
    assert _signed_in(client)
    with CaptureQueriesContext(connection) as captured:
        assert _signed_in(client)
    assert _session_reads(captured.captured_queries) == 0


@pytest.mark.django_db(transaction=True)
def test_the_copy_is_kept_at_most_session_cache_seconds(client, cast, cached_sessions):
    client.force_login(cast.dispatcher_a)
    assert _signed_in(client)
    left = _seconds_left(cached_sessions, _copy_key(client))
    assert left is not None and 0 < left <= 60  # the session itself is kept 30 minutes


@pytest.mark.django_db(transaction=True)
def test_a_copy_lost_is_read_again_from_the_database(client, cast, cached_sessions):
    client.force_login(cast.dispatcher_a)
    cached_sessions.delete(_copy_key(client))
    with CaptureQueriesContext(connection) as captured:
        assert _signed_in(client)
    assert _session_reads(captured.captured_queries) == 1
    assert _seconds_left(cached_sessions, _copy_key(client)) is not None  # kept again


@pytest.mark.django_db(transaction=True)
def test_with_redis_unreachable_sessions_come_from_the_database(
    client, cast, cached_sessions, redis_unreachable
):
    redis_unreachable.unreachable()
    client.force_login(cast.dispatcher_a)
    with CaptureQueriesContext(connection) as captured:
        assert _signed_in(client)
    assert _session_reads(captured.captured_queries) == 1
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert not _signed_in(client)


@pytest.mark.django_db(transaction=True)
def test_a_logout_with_redis_unreachable_holds_beyond_the_copys_minute(
    client, cast, cached_sessions, redis_unreachable
):
    client.force_login(cast.dispatcher_a)
    assert _signed_in(client)
    key = _copy_key(client)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value  # the cookie, copied before

    redis_unreachable.unreachable()
    assert client.post(reverse("logout")).status_code == 302  # no 500: the row is deleted
    assert not Session.objects.filter(session_key=stolen).exists()
    client.cookies[settings.SESSION_COOKIE_NAME] = stolen
    # While Redis cannot be reached the database answers, and it has no such session.
    assert not _signed_in(client)

    # Redis answers again: the copy the logout could not delete is still there, and would be
    # served — but Redis drops it within SESSION_CACHE_SECONDS of its last write, not at the
    # session's own expiry (30 minutes).
    redis_unreachable.reachable()
    left = _seconds_left(cached_sessions, key)
    assert left is not None and left <= settings.SESSION_CACHE_SECONDS
    client.cookies[settings.SESSION_COOKIE_NAME] = stolen  # (the refusal deleted the cookie)
    assert _signed_in(client)  # the documented window
    # Its minute over (the cache drops it; here at once, not after a minute's wait), the
    # logged-out session is refused, and refusing it writes no new copy.
    cached_sessions.delete(key)
    client.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert not _signed_in(client)
    assert _seconds_left(cached_sessions, key) is None


@pytest.mark.django_db(transaction=True)
def test_a_logout_with_redis_reachable_ends_the_session_at_once(client, cast, cached_sessions):
    client.force_login(cast.dispatcher_a)
    assert _signed_in(client)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post(reverse("logout")).status_code == 302
    client.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert not _signed_in(client)


def test_without_redis_sessions_are_read_from_the_database():
    # The embedded default has a cache per process: a copy there would outlive a logout made in
    # another process, so the settings keep Django's database store.
    if settings.CACHES["default"]["BACKEND"] == "governance.cache.ResilientRedisCache":
        assert settings.SESSION_ENGINE == "governance.sessions"
    else:
        assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


@pytest.mark.django_db(transaction=True)
def test_a_copy_past_the_sessions_expiry_is_not_served(client, cast, cached_sessions, monkeypatch):
    # The copy is still in the cache (its minute is not over), but by the portal's clock the
    # session has expired: the copy is not served, and the database has no live row.
    client.force_login(cast.dispatcher_a)
    assert _signed_in(client)
    assert _seconds_left(cached_sessions, _copy_key(client)) is not None
    later = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert not _signed_in(client)
