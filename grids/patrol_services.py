"""Writes to patrols: start, route points, end, findings.

Bounds are the server's, whatever the phone sends: one open patrol per worker (a unique partial
index), at most :data:`~grids.models.patrols.MAX_POINTS` points per patrol, at least
:data:`~grids.models.patrols.MIN_POINT_SECONDS` between two of them, none after
:data:`~grids.models.patrols.MAX_PATROL_HOURS`. A point is claimed by one conditional UPDATE of
the patrol row (count, time and distance together), so two requests racing from one phone add
one point, never more than the cap.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.models import Role
from governance.scopes import can_change, scope_of
from grids.field_common import (
    FIELD_AREA_KINDS,
    clean_coordinates,
    clean_text,
    prepare_one_photo,
)
from grids.models import Area, AreaKind, Patrol, PatrolFinding, PatrolPoint
from grids.models.patrols import (
    FINDING_GRACE_HOURS,
    MAX_PATROL_HOURS,
    MAX_POINTS,
    MIN_POINT_SECONDS,
)
from grids.models.photos import discard_files

# Phones report their accuracy; a fix worse than this says nothing about the route.
MAX_ACCURACY_M = 500
EARTH_RADIUS_M = 6_371_000


class PointRefused(ValidationError):
    """A route point the server does not keep (too soon, too many, patrol over). ``code`` says
    which, so that the API can answer 429 for "too soon"."""


def patrol_areas_for(user) -> list[Area]:
    """The areas ``user`` may patrol: the scope nodes of their grid-worker assignments (no
    query beyond the user's cached role assignments)."""
    return scope_of(user).areas([Role.GRID_WORKER])


def patrol_start(*, actor, area: Area | None = None, now: datetime | None = None) -> Patrol:
    """Start a patrol of ``area`` (default: the worker's own grid).

    Only grid workers patrol, inside their scope. A worker has one open patrol at a time: one
    left open past the time limit is ended first (at its last position); a fresh one is a
    ValidationError. The unique index decides between two starts at the same moment.
    """
    now = now or timezone.now()
    own = patrol_areas_for(actor)
    if not own:
        raise PermissionDenied(_("Only grid workers start patrols."))
    if area is None:
        area = own[0]
    elif not any(area.is_within(a) for a in own):
        raise PermissionDenied(_("You may not patrol %(area)s.") % {"area": area.name})
    if area.kind not in FIELD_AREA_KINDS:
        raise ValidationError({"area": _("Choose your grid or an area inside it.")})
    with transaction.atomic():
        stale = Patrol.objects.filter(
            worker=actor,
            ended_at__isnull=True,
            started_at__lte=now - timedelta(hours=MAX_PATROL_HOURS),
        ).first()
        if stale is not None:
            _close(stale, ended_at=stale.last_point_at or stale.expires_at)
        if Patrol.objects.filter(worker=actor, ended_at__isnull=True).exists():
            raise ValidationError({"patrol": _("You have an open patrol already: end it first.")})
        try:
            with transaction.atomic():
                return Patrol.objects.create(worker=actor, area=area, started_at=now)
        except IntegrityError:
            raise ValidationError(
                {"patrol": _("You have an open patrol already: end it first.")}
            ) from None


def patrol_add_point(
    *,
    actor,
    patrol: Patrol,
    latitude,
    longitude,
    accuracy=None,
    now: datetime | None = None,
) -> PatrolPoint:
    """Add a route point to ``actor``'s open patrol, within the bounds (see the module).

    Raises :class:`PointRefused` (code ``too_soon``, ``full``, ``ended`` or ``expired``) when the
    point is not kept, ValidationError for a malformed position.
    """
    if patrol.worker_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the worker on the patrol sends its route."))
    errors: dict[str, list] = {}
    latitude, longitude = clean_coordinates(latitude, longitude, errors, required=True)
    accuracy_m = None
    if accuracy not in (None, ""):
        try:
            accuracy_m = max(0, round(float(accuracy)))
        except (TypeError, ValueError):
            errors.setdefault("accuracy", []).append(_("The accuracy is a number of metres."))
        else:
            if not math.isfinite(float(accuracy)) or accuracy_m > MAX_ACCURACY_M:
                errors.setdefault("accuracy", []).append(
                    _("The position is too inaccurate (more than %(m)d m).") % {"m": MAX_ACCURACY_M}
                )
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    if patrol.ended_at is not None:
        raise PointRefused(_("This patrol has ended."), code="ended")
    if now >= patrol.expires_at:
        raise PointRefused(
            _("A patrol takes points for %(h)d hours; start a new one.") % {"h": MAX_PATROL_HOURS},
            code="expired",
        )
    last = patrol.points.order_by("-recorded_at", "-pk").values("latitude", "longitude").first()
    step = distance_m(last["latitude"], last["longitude"], latitude, longitude) if last else 0
    with transaction.atomic():
        claimed = (
            Patrol.objects.filter(pk=patrol.pk, ended_at__isnull=True, point_count__lt=MAX_POINTS)
            .filter(
                Q(last_point_at__isnull=True)
                | Q(last_point_at__lte=now - timedelta(seconds=MIN_POINT_SECONDS))
            )
            .update(
                point_count=F("point_count") + 1,
                distance_m=F("distance_m") + round(step),
                last_point_at=now,
                updated_at=now,
            )
        )
        if not claimed:
            raise _refusal(patrol.pk)
        return PatrolPoint.objects.create(
            patrol=patrol,
            recorded_at=now,
            latitude=latitude,
            longitude=longitude,
            accuracy_m=accuracy_m,
        )


def _refusal(patrol_pk: int) -> PointRefused:
    current = Patrol.objects.filter(pk=patrol_pk).values("ended_at", "point_count").first()
    if current is None or current["ended_at"] is not None:
        return PointRefused(_("This patrol has ended."), code="ended")
    if current["point_count"] >= MAX_POINTS:
        return PointRefused(
            _("This patrol has its %(n)d route points; start a new one.") % {"n": MAX_POINTS},
            code="full",
        )
    return PointRefused(
        _("Positions are kept every %(s)d seconds at most.") % {"s": MIN_POINT_SECONDS},
        code="too_soon",
    )


def patrol_end(*, actor, patrol: Patrol, summary: str = "", now: datetime | None = None) -> Patrol:
    """End ``patrol`` with a summary of what was seen. The worker ends their own patrol; a
    street admin may end a forgotten one in their scope. Ending twice is refused."""
    if patrol.worker_id != getattr(actor, "pk", None) and not can_change(actor, patrol):
        raise PermissionDenied(_("You may not end this patrol."))
    errors: dict[str, list] = {}
    summary = clean_text(summary, field="summary", limit=2000, errors=errors)
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    ended = _close(patrol, ended_at=max(now, patrol.started_at), summary=summary)
    if not ended:
        raise ValidationError({"patrol": _("This patrol has ended already.")})
    patrol.refresh_from_db()
    return patrol


def _close(patrol: Patrol, *, ended_at: datetime, summary: str | None = None) -> bool:
    values = {"ended_at": ended_at, "updated_at": timezone.now()}
    if summary:
        values["summary"] = summary
    return bool(Patrol.objects.filter(pk=patrol.pk, ended_at__isnull=True).update(**values))


def finding_record(
    *,
    actor,
    patrol: Patrol,
    description: str,
    area: Area | None = None,
    address: str = "",
    latitude=None,
    longitude=None,
    photo=None,
    now: datetime | None = None,
) -> PatrolFinding:
    """Record what ``actor`` found on their patrol (open, or ended within the grace period),
    in the patrol's area or below it, with a photo. Filing it as a case is casework's
    (``casework.patrols``)."""
    if patrol.worker_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the worker on the patrol records its findings."))
    now = now or timezone.now()
    if patrol.ended_at is not None and now > patrol.ended_at + timedelta(hours=FINDING_GRACE_HOURS):
        raise ValidationError(
            {"patrol": _("This patrol ended too long ago to add findings to it.")}
        )
    errors: dict[str, list] = {}
    description = clean_text(
        description, field="description", limit=500, errors=errors, required=True
    )
    address = clean_text(address, field="address", limit=200, errors=errors)
    latitude, longitude = clean_coordinates(latitude, longitude, errors)
    area = area or patrol.area
    if not area.is_within(patrol.area) or area.kind == AreaKind.STREET:
        errors.setdefault("area", []).append(_("Choose a place inside the area patrolled."))
    if errors:
        raise ValidationError(errors)
    prepared = prepare_one_photo(photo)
    finding = PatrolFinding(
        patrol=patrol,
        area=area,
        description=description,
        address=address,
        latitude=latitude,
        longitude=longitude,
        found_at=now,
    )
    saved: list[str] = []
    try:
        finding.attach_photo(prepared, saved=saved)
        finding.save()
    except BaseException:
        discard_files(saved)
        raise
    return finding


def finding_link_case(*, finding: PatrolFinding, case) -> bool:
    """Link ``finding`` to the case filed from it, once: a conditional update, so a finding is
    filed at most once whoever files it at the same moment (casework's service calls this in
    the transaction that filed the case; False means someone else was first)."""
    return bool(
        PatrolFinding.objects.filter(pk=finding.pk, case__isnull=True).update(
            case=case, updated_at=timezone.now()
        )
    )


def distance_m(lat1, lng1, lat2, lng2) -> float:
    """Great-circle distance in metres between two positions (haversine)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp = p2 - p1
    dl = math.radians(float(lng2) - float(lng1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
