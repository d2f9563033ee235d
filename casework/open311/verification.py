"""Residents' phone numbers, verified by a code, and the limits that keep the page usable.

A code is six digits, valid ten minutes and five tries, kept in the cache only as an HMAC. It is
sent through the notification channel named by ``settings.RESIDENT_CODE_CHANNEL`` (default
``"sms"``; see :mod:`governance.notifications` for how a deployment registers an SMS sender).
With no such sender installed the code is written to the log instead — a development setup.

Limits, counted per phone number and per address (the client's IP): codes — one a minute and
five a day per phone, ten an hour per address; reports — five a day per phone, ten an hour per
address.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from casework.open311 import throttle
from governance.models import Notification
from governance.notifications import DeliveryError, channel_named

logger = logging.getLogger(__name__)

CODE_TTL = 600
CODE_TRIES = 5
HOUR, DAY = 3600, 86400
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


@dataclass(frozen=True)
class CodeSent:
    # False: no sender is installed and the code went to the log.
    by_channel: bool


def normalize_phone(value: str) -> str:
    """Digits only, without a +86 / 0086 country prefix."""
    digits = re.sub(r"[^0-9]", "", value or "")
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            return digits[len(prefix) :]
    return digits


def is_mobile(phone: str) -> bool:
    return bool(_MOBILE.match(phone))


def masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def _refuse_if_limited(checks: list[tuple[str, int, int]], message: str) -> None:
    for key, limit, window in checks:
        verdict = throttle.hit(key, limit=limit, window=window)
        if not verdict.allowed:
            minutes = max(1, round(verdict.retry_after / 60))
            raise ValidationError(
                {"phone": ValidationError(message % {"minutes": minutes}, code="throttled")}
            )


def code_send(*, phone: str, address: str) -> CodeSent:
    """Send a new code to ``phone`` (a mainland mobile number). Refused (ValidationError on
    ``phone``, code ``"throttled"`` when a limit is reached) before anything is sent."""
    phone = normalize_phone(phone)
    if not is_mobile(phone):
        raise ValidationError({"phone": _("Enter an 11-digit mobile number.")})
    _refuse_if_limited(
        [
            (f"code-phone-minute:{phone}", 1, 60),
            (f"code-phone-day:{phone}", 5, DAY),
            (f"code-address:{address}", 10, HOUR),
        ],
        _("Too many codes asked for: try again in %(minutes)d minutes."),
    )
    code = f"{secrets.randbelow(10**6):06d}"
    cache.set(_key(phone), {"digest": _digest(phone, code), "tries": 0}, timeout=CODE_TTL)
    channel = channel_named(settings.RESIDENT_CODE_CHANNEL)
    if channel is None:
        logger.warning(
            "No SMS sender is installed: the verification code for %s is %s", masked(phone), code
        )
        return CodeSent(by_channel=False)
    message = Notification(
        kind="resident.code",
        title=_("Verification code"),
        body=_("Your verification code is %(code)s. It is valid for 10 minutes.") % {"code": code},
    )
    try:
        channel.send(message, phone)
    except DeliveryError as exc:
        logger.warning("Verification code to %s not sent: %s", masked(phone), exc)
        raise ValidationError(
            {"phone": _("The code could not be sent; try again in a few minutes.")}
        ) from None
    return CodeSent(by_channel=True)


def code_check(*, phone: str, code: str) -> bool:
    """Whether ``code`` is the live code of ``phone``; a right code is used up, and five wrong
    tries use the code up too."""
    phone = normalize_phone(phone)
    stored = cache.get(_key(phone))
    if not stored:
        return False
    if hmac.compare_digest(stored["digest"], _digest(phone, (code or "").strip())):
        cache.delete(_key(phone))
        return True
    stored["tries"] += 1
    if stored["tries"] >= CODE_TRIES:
        cache.delete(_key(phone))
    else:
        cache.set(_key(phone), stored, timeout=CODE_TTL)
    return False


def report_admit(*, phone: str, address: str) -> None:
    """Count one report from ``address`` (and ``phone`` when given); ValidationError (code
    ``"throttled"``) past the limits."""
    checks = [(f"report-address:{address}", 10, HOUR)]
    if phone:
        checks.append((f"report-phone:{normalize_phone(phone)}", 5, DAY))
    _refuse_if_limited(checks, _("Too many reports from here: try again in %(minutes)d minutes."))


def _key(phone: str) -> str:
    return f"resident-code:{phone}"


def _digest(phone: str, code: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256
    ).hexdigest()
