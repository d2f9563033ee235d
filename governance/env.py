"""Strict reading of settings from the environment.

A setting that is present but malformed is an error at start-up, never a silent default:
``DEBUG=ture`` must not quietly mean False. ``NAME_FILE`` is read instead of ``NAME`` when set,
so that secrets can come from mounted files (Docker/Kubernetes secrets).
"""

from __future__ import annotations

import os
import re

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    """The value of ``name``: the content of the file named by ``NAME_FILE`` when that is set."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.read().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    return os.environ.get(name)


def env_str(name: str, default: str = "") -> str:
    raw = _raw(name)
    return default if raw is None else raw


def env_bool(name: str, default: bool = False) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)"
    )


def env_int(name: str, default: int) -> int:
    raw = _raw(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = _raw(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


_RATE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def env_rate(name: str, default: str) -> str:
    """A request rate such as ``60/minute`` (per second, minute, hour or day)."""
    value = env_str(name, default).strip()
    if not _RATE.match(value):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate (write it as 60/minute, 10/second, 1000/hour, 5000/day)"
        )
    return value


def env_header(name: str) -> tuple[str, str] | None:
    """An HTTP header and its value, ``X-Forwarded-Proto: https``, as Django names it in
    ``request.META``: ``("HTTP_X_FORWARDED_PROTO", "https")``. Unset or empty: None."""
    raw = env_str(name).strip()
    if not raw:
        return None
    header, sep, value = raw.partition(":")
    if not sep or not header.strip() or not value.strip() or " " in header.strip():
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a header (write X-Forwarded-Proto: https)"
        )
    return "HTTP_" + header.strip().upper().replace("-", "_"), value.strip()


_LOCKOUT_PARTS = {"username", "ip_address", "user_agent"}


def env_lockout_parameters(name: str, default: str) -> list:
    """What a login lockout counts failures by, for django-axes: alternatives separated by
    commas, each one field or several joined by ``+`` (``username+ip_address``: one user from
    one address; ``username,ip_address``: a user from anywhere, or an address for any user)."""
    raw = env_str(name, default)
    result: list = []
    for alternative in raw.split(","):
        parts = [part.strip() for part in alternative.split("+")]
        if not all(parts) or not set(parts) <= _LOCKOUT_PARTS:
            raise ImproperlyConfigured(
                f"{name}={raw!r}: give username, ip_address or user_agent, joined by + "
                "(all at once) or by , (any one)"
            )
        result.append(parts[0] if len(parts) == 1 else parts)
    return result
