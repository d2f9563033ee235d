"""The wall screen's link tokens (大屏链接): a read-only key that opens one area's wall screen on
the center's wall computer without a personal login.

Only a digest of the key is stored (:mod:`governance.keys`; the key is shown once, when issued).
A token grants the wall page and its data feed of its area's subtree, nothing else. Written only
by :mod:`casework.stats.wall` (issue, revoke, last use).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WallLinkState(models.TextChoices):
    LIVE = "live", _("active")
    REVOKED = "revoked", _("revoked")
    EXPIRED = "expired", _("expired")
    # A key that matches no link at all (mistyped, or a link never made here).
    UNKNOWN = "unknown", _("unknown")


class WallToken(models.Model):
    # Revocation and use are recorded by the service, never by a form, serializer or the admin.
    state_fields = ("revoked_at", "last_used_at")

    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(
        "grids.Area",
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="wall_tokens",
        help_text=_("The wall shows this area and the areas below it."),
    )
    # The key's first characters, so that its owner can tell which link a row is.
    prefix = models.CharField(_("key begins with"), max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    # None: valid until revoked.
    expires_at = models.DateTimeField(
        _("valid until"),
        null=True,
        blank=True,
        help_text=_("Leave empty for a link that stays valid until it is revoked."),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("wall screen link")
        verbose_name_plural = _("wall screen links")
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(fields=("area",), name="wall_token_area", condition=Q(revoked_at=None))
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def state(self, now: datetime | None = None) -> str:
        """What the link does now: opens the wall (``live``), or not (``revoked``, ``expired``);
        a revoked link counts as revoked even after its expiry."""
        if self.is_revoked:
            return WallLinkState.REVOKED
        if self.is_expired(now):
            return WallLinkState.EXPIRED
        return WallLinkState.LIVE
