"""Patrols (巡查): a grid worker's walk through their grid, its route and what was found on it.

A patrol is open from its start until its end. While it is open the worker's phone sends its
position every so often; the points are bounded per patrol (:data:`MAX_POINTS`) and in time
(:data:`MIN_POINT_SECONDS` between two points, :data:`MAX_PATROL_HOURS` in all), checked by the
services on the server. A finding becomes a case through casework's service, which fills
``case``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.models import LimitedTextField, TimeStampedModel
from grids.models.areas import Area
from grids.models.photos import PhotoMixin

# Route points kept per patrol: one every 15 s for eight hours.
MAX_POINTS = 2000
# The least time between two route points of a patrol; closer ones are refused.
MIN_POINT_SECONDS = 10
# A patrol open longer than this takes no more points and is ended when its worker starts the next.
MAX_PATROL_HOURS = 12
# Findings may still be added this long after the patrol ended (written up on the way back).
FINDING_GRACE_HOURS = 2


class Patrol(TimeStampedModel):
    state_fields = ("ended_at", "point_count", "distance_m", "last_point_at")

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("grid worker"),
        on_delete=models.PROTECT,
        related_name="patrols",
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("area patrolled"),
        on_delete=models.PROTECT,
        related_name="patrols",
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True, editable=False)
    point_count = models.PositiveIntegerField(_("route points"), default=0, editable=False)
    distance_m = models.PositiveIntegerField(_("distance (m)"), default=0, editable=False)
    last_point_at = models.DateTimeField(
        _("last position at"), null=True, blank=True, editable=False
    )
    summary = LimitedTextField(_("summary"), blank=True)

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ("-started_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=("worker",),
                condition=Q(ended_at__isnull=True),
                name="patrol_one_open_per_worker",
                violation_error_message=_("You have an open patrol already."),
            ),
            models.CheckConstraint(
                name="patrol_ends_after_start",
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
            ),
            models.CheckConstraint(
                name="patrol_points_bounded", condition=Q(point_count__lte=MAX_POINTS)
            ),
        ]
        indexes = [
            models.Index(fields=("area", "-started_at"), name="patrol_area_recent"),
            models.Index(fields=("worker", "-started_at"), name="patrol_worker_recent"),
        ]

    def __str__(self) -> str:
        moment = timezone.localtime(self.started_at).strftime("%Y-%m-%d %H:%M")
        return _("Patrol of %(moment)s") % {"moment": moment}

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def expires_at(self):
        return self.started_at + timedelta(hours=MAX_PATROL_HOURS)

    @property
    def duration(self) -> timedelta | None:
        return self.ended_at - self.started_at if self.ended_at else None


class PatrolPoint(models.Model):
    """A position of the worker's phone while the patrol was open (server time)."""

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("patrol"), on_delete=models.CASCADE, related_name="points"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    accuracy_m = models.PositiveIntegerField(_("accuracy (m)"), null=True, blank=True)

    class Meta:
        verbose_name = _("route point")
        verbose_name_plural = _("route points")
        ordering = ("patrol", "recorded_at", "pk")
        indexes = [models.Index(fields=("patrol", "recorded_at"), name="patrol_point_route")]
        constraints = [
            models.CheckConstraint(
                name="patrol_point_on_earth",
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.latitude}, {self.longitude}"


class PatrolFinding(PhotoMixin, TimeStampedModel):
    """Something the worker found on a patrol; filed as a case by casework's service."""

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("patrol"), on_delete=models.PROTECT, related_name="findings"
    )
    area = models.ForeignKey(
        Area, verbose_name=_("where"), on_delete=models.PROTECT, related_name="patrol_findings"
    )
    description = models.CharField(_("what was found"), max_length=500)
    address = models.CharField(_("address or landmark"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    found_at = models.DateTimeField(_("found at"))
    case = models.OneToOneField(
        settings.FIELD_CASE_MODEL,
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patrol_finding",
        editable=False,
    )

    class Meta:
        verbose_name = _("patrol finding")
        verbose_name_plural = _("patrol findings")
        ordering = ("-found_at", "-pk")
        indexes = [models.Index(fields=("patrol", "found_at"), name="finding_patrol")]

    def __str__(self) -> str:
        return self.description[:40]
