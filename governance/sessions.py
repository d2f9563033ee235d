"""Idle session timeout.

A session lives ``SESSION_COOKIE_AGE`` (``SESSION_IDLE_MINUTES``) from its last save, and the
session store refuses it after that. Each request of a signed-in user pushes the expiry back, so
the session ends after that much inactivity, not that long after login. The expiry is pushed at
most once a minute (or a tenth of the timeout, if shorter): an active user does not cost a session
write on every request, and an idle one is signed out no more than that late.

The session store (``SESSION_ENGINE`` with Redis): :class:`SessionStore`, below.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.core.cache import caches
from django.utils import timezone

SEEN_KEY = "_last_seen"


def _now() -> int:
    return int(timezone.now().timestamp())


def mark_seen_on_login(sender, request, user, **kwargs):
    """A login counts as activity (``user_logged_in``): it saves the session anyway, so the first
    requests after it need not."""
    request.session[SEEN_KEY] = _now()


class IdleSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty() or session.get_expire_at_browser_close():
            return response
        now = _now()
        resolution = min(60, settings.SESSION_COOKIE_AGE // 10)
        if now - session.get(SEEN_KEY, 0) >= resolution:
            session[SEEN_KEY] = now
        return response


def session_cache():
    """Where the copies of the sessions are kept (``SESSION_CACHE_ALIAS``: Redis)."""
    return caches[settings.SESSION_CACHE_ALIAS]


class SessionStore(CachedDBStore):
    """Sessions kept in the database and read from the cache (``SESSION_ENGINE`` when there is
    Redis): a page reads its session with a Redis GET instead of a query (about 8 % of a list
    page's CPU, issue 15).

    The database stays the record: a session is written there first, and a miss (or Redis away:
    ``governance.cache`` makes its errors misses) reads it there. Its copy in the cache lives at
    most ``SESSION_CACHE_SECONDS`` from its last write (one minute by default; never longer than
    the session), and that bound is what keeps a logout final. A logout deletes the row and the
    copy; if Redis cannot be reached at that moment, the copy stays, and Django's ``cached_db``
    would serve it again once Redis answers, until the session's own expiry (up to
    ``SESSION_IDLE_MINUTES``). Here it can be served at most until its minute is over — Redis
    expires it, across a restart too — and while Redis stays unreachable not at all (every read
    goes to the database, which no longer has the row). The same bound holds for a row deleted by
    other means (the admin) and for a copy written by a request that read the row just before
    the logout. No copy is ever written for a session the database does not have.
    """

    cache_key_prefix = "governance.sessions."

    def __init__(self, session_key=None):
        DBStore.__init__(self, session_key)
        self._cache = session_cache()

    def _copy_seconds(self, expiry=None) -> int:
        return max(0, min(settings.SESSION_CACHE_SECONDS, self.get_expiry_age(expiry=expiry)))

    def load(self):
        try:
            copy = self._cache.get(self.cache_key)
        except Exception:  # a cookie's key the cache refuses (as Django's cached_db)
            copy = None
        # A copy carries the session's expiry, and one past it is not served: the portal's
        # clock decides, as it does for the row, whatever Redis's own expiry of the copy.
        if isinstance(copy, tuple) and len(copy) == 2 and copy[0] > timezone.now().timestamp():
            return copy[1]
        row = self._get_session_from_db()
        if not row:
            return {}
        data = self.decode(row.session_data)
        self._keep(data, row.expire_date)
        return data

    def save(self, must_create=False):
        # The database's row first (the record), then the copy, bounded as in load().
        DBStore.save(self, must_create)
        self._keep(self._session, self.get_expiry_date())

    def _keep(self, data, expire_date) -> None:
        copy = (expire_date.timestamp(), data)
        self._cache.set(self.cache_key, copy, self._copy_seconds(expire_date))
