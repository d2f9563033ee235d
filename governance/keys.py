"""Secret keys handed out once: personal API tokens, wall screen links, Open311 keys.

The one home for how such a key is made and kept. A key is shown to its owner once, when it is
issued; only its SHA-256 digest is stored. The keys are random (190–256 bits), so an unsalted fast
digest is as strong as the key itself (a stolen table gives nothing to replay) and a lookup by
digest is one index probe.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# How many characters of a key are stored in clear, so that its owner can tell which one a row is.
PREFIX_LENGTH = 8


def new_key(nbytes: int = 32) -> str:
    """A new random key of ``nbytes`` random bytes, URL-safe."""
    return secrets.token_urlsafe(nbytes)


def key_digest(key: str) -> str:
    """The stored form of ``key``: its SHA-256 digest in hex (64 characters)."""
    return hashlib.sha256(key.encode()).hexdigest()


def digest_matches(digest: str, key: str) -> bool:
    """Whether ``key`` is the key behind the stored ``digest``, compared in constant time."""
    return hmac.compare_digest(digest, key_digest(key))
