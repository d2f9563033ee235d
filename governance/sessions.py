"""Idle session timeout.

A session lives ``SESSION_COOKIE_AGE`` (``SESSION_IDLE_MINUTES``) from its last save, and the
session store refuses it after that. Each request of a signed-in user pushes the expiry back, so
the session ends after that much inactivity, not that long after login. The expiry is pushed at
most once a minute (or a tenth of the timeout, if shorter): an active user does not cost a session
write on every request, and an idle one is signed out no more than that late.
"""

from __future__ import annotations

from django.conf import settings
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
