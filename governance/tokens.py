"""API tokens: issue, look up, record use, revoke.

A user holds any number of named tokens. Every login through ``POST /api/v1/auth/token/`` issues
a new one; a password change or reset, a deactivation and a login lockout revoke them all (the
receivers are connected in ``GovernanceConfig.ready``).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from governance import auth
from governance.keys import PREFIX_LENGTH, key_digest, new_key
from governance.models import ApiToken
from governance.processcache import ProcessCache, row_copy

# The last use is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_issue(*, user, name: str) -> tuple[ApiToken, str]:
    """Issue a new token for ``user``; return it with its key. The key is not stored (only its
    digest) and cannot be shown again. The token expires ``API_TOKEN_TTL_DAYS`` after issue
    (never when 0). The user's expired tokens go, and so do the least recently used ones beyond
    ``API_TOKEN_MAX_PER_USER``: a program that logs in on every run does not pile keys up."""
    key = new_key()
    days = settings.API_TOKEN_TTL_DAYS
    now = timezone.now()
    ApiToken.objects.filter(user=user, expires_at__lte=now).delete()
    keep = settings.API_TOKEN_MAX_PER_USER - 1
    stale = (
        ApiToken.objects.filter(user=user)
        .order_by(Coalesce("last_used_at", "created_at").desc(), "-pk")
        .values_list("pk", flat=True)[keep:]
    )
    ApiToken.objects.filter(pk__in=list(stale)).delete()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[: ApiToken._meta.get_field("name").max_length],
        prefix=key[:PREFIX_LENGTH],
        digest=key_digest(key),
        created_at=now,
        expires_at=now + timedelta(days=days) if days else None,
    )
    return token, key


# Tokens with their users by key digest, kept per process: a program signs in with its token on
# every call. Strict (governance.processcache), and kept in parts, one per user (the user's,
# governance.auth.user_parts): a token of user A saved or deleted (issued, revoked: every revoking
# path deletes) or A saved (deactivated, a new password, a superuser flag taken) bumps A's part,
# so A's tokens stop or are read afresh at the next request on every process, and the others'
# stay kept. A save of A's last login only (a login) bumps nothing: a login made every process
# read every token again (issue 15). With the shared cache away nothing is kept. Watched in
# GovernanceConfig.ready.
TOKENS = ProcessCache("api-tokens", strict=True)
# Fields of the user a save of which alone changes nothing a token request relies on.
TOKEN_USER_IGNORED_FIELDS = ("last_login",)
# The owner of each key digest looked up in this process: which part a token's copy depends on
# must be known before the copy is read. A token's user never changes, so this names the part
# only; what is served is checked against that part, and against the owner read (a row of that
# digest owned by someone else — a database loaded afresh — is read afresh and learned again).
_owners: dict[str, int] = {}
_MAX_OWNERS = 10_000


def token_parts(token: ApiToken) -> tuple[str, ...]:
    """The part of :data:`TOKENS` a write of ``token`` touches: its user's."""
    return auth.user_id_parts(token.user_id)


def _read_token(digest: str) -> ApiToken | None:
    return ApiToken.objects.select_related("user").filter(digest=digest).first()


def token_for_key(key: str) -> ApiToken | None:
    """The live token with this key and its user, or None (unknown, expired or revoked). The
    token and its user are the caller's own copies (the request may keep things on its user).
    The first use of a key in a process reads it without keeping it and learns its owner; from
    the next one on it is kept, in its owner's part."""
    digest = key_digest(key)
    owner = _owners.get(digest)
    if owner is None:
        kept = _read_token(digest)
        if kept is not None:
            if len(_owners) >= _MAX_OWNERS:
                _owners.clear()
            _owners[digest] = kept.user_id
    else:
        kept = TOKENS.get(digest, lambda: _read_token(digest), parts=auth.user_id_parts(owner))
        if kept is not None and kept.user_id != owner:
            del _owners[digest]
            return token_for_key(key)
    if kept is None or kept.is_expired():
        return None
    token = row_copy(kept)
    token.user = row_copy(kept.user)
    token.kept = kept
    return token


def touch_last_used(key) -> None:
    """Record that ``key`` (any row with a ``last_used_at``: an API token, a wall link) was used
    now. One conditional update, at most once a ``LAST_USED_RESOLUTION`` per row, so that busy
    clients do not write on every call."""
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    row = type(key).objects.filter(pk=key.pk)
    row.exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(last_used_at=now)
    key.last_used_at = now


def token_touch(*, token: ApiToken) -> None:
    """Record that ``token`` was used now (:func:`touch_last_used`), on the process's kept copy
    too, so that the next calls know it was recorded."""
    touch_last_used(token)
    kept = getattr(token, "kept", None)
    if kept is not None:
        kept.last_used_at = token.last_used_at


def token_revoke(*, token: ApiToken) -> None:
    """Revoke one token: its key stops working at once."""
    token.delete()


def tokens_revoke_all(*, user) -> int:
    """Revoke every token of ``user``; return how many there were."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def tokens_of(user) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


class RevokeTokensOnPasswordChange:
    """A new password revokes every API token of its user. Listed with the password validators
    because Django tells each of them when a password has been set and saved (the user's own
    change, an admin's reset, ``changepassword``) and not when a login merely rehashes it; it
    accepts every password."""

    def validate(self, password, user=None):
        return None

    def password_changed(self, password, user=None):
        if user is not None and user.pk is not None:
            tokens_revoke_all(user=user)

    def get_help_text(self):
        return _("A new password signs out every program that uses one of your API tokens.")


def revoke_tokens_of_inactive_user(sender, instance, raw=False, update_fields=None, **kwargs):
    """A deactivated user keeps no token (post_save of the user model)."""
    if raw or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    tokens_revoke_all(user=instance)


def revoke_tokens_on_lockout(sender, request=None, username=None, **kwargs):
    """A login lockout (django-axes' ``user_locked_out``) revokes the user's tokens: whoever
    guessed at the password may have guessed a key's owner too."""
    if username:
        ApiToken.objects.filter(
            user__in=get_user_model().objects.filter(username=username)
        ).delete()
