"""The portal's model backend: Django's, with the signed-in user of a session read from a
process cache instead of a query on every page.

Every page of a signed-in user asked the database for the user (a tenth of a list page's CPU
with the session's own query, issue 15). The users read are kept per process in
:data:`USERS`, a strict process cache (governance.processcache) watching the user model: a user
saved or deleted anywhere — a new password, a deactivation, a login — bumps the version every
process reads first, so the next request on every process reads the user afresh (and Django's
check of the session against the password hash ends the other sessions of a changed password);
with the shared cache away, or a change of this transaction not yet committed, every request
reads the user. The cache is kept in parts, one per user (:func:`user_parts`): a save of user A
bumps A's part only, so every process reads A afresh at A's next request and keeps B's copy (a
login writes the user's last login: with one version for all, every login made every process
read every user again). Writes of users without signals (``QuerySet.update``) call
``processcache.changed(User, rows=...)`` with the users written (without rows: every user).
"""

from __future__ import annotations

from django.contrib.auth import backends, get_user_model

from governance.processcache import ProcessCache, row_copy

USERS = ProcessCache("session-users", strict=True)


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        """The active user ``user_id`` (None for none), the request's own copy of the one
        kept (a request may keep things on its user)."""
        kept = USERS.get(user_id, lambda: _read(user_id), parts=(_part(user_id),))
        if kept is None:
            return None
        user = row_copy(kept)
        return user if self.user_can_authenticate(user) else None


def _read(user_id):
    return get_user_model()._default_manager.filter(pk=user_id).first()


def _part(user_id) -> str:
    return f"user:{user_id}"


def user_parts(user) -> tuple[str, ...] | None:
    """The part of :data:`USERS` a write of ``user`` touches (None: every user's, for a row
    that cannot name its user)."""
    return None if user.pk is None else user_id_parts(user.pk)


def user_id_parts(user_id) -> tuple[str, ...]:
    """The part of user ``user_id`` in a cache kept per user (:data:`USERS`, the API tokens)."""
    return (_part(user_id),)
