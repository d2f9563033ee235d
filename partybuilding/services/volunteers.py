"""Writes of volunteering: sign-ups, check-in and check-out, approved hours, the points ledger
and rewards."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Area
from partybuilding.models import (
    PARTICIPATION_STEPS,
    Activity,
    ActivityStatus,
    Participation,
    ParticipationStatus,
    PointEntry,
    Redemption,
    Reward,
    Volunteer,
)
from partybuilding.permissions import ensure_may_change_in, may_approve_hours
from partybuilding.selectors import activities_open_to, points_balance
from partybuilding.services.common import record_save, status_step, validated_save


def activity_create(*, actor, activity: Activity) -> Activity:
    """Open a new activity for sign-up, organized by the actor (who approves its hours)."""
    activity.organizer = actor
    return record_save(actor=actor, obj=activity)


def activity_set_status(*, actor, activity: Activity, status: str) -> Activity:
    """Close or reopen sign-up, or cancel the activity (ACTIVITY_STATUS_STEPS), with the row
    locked while its status is read."""
    return status_step(actor=actor, obj=activity, status=status)


def activity_sign_up(*, actor, activity: Activity, volunteer: Volunteer) -> Participation:
    """Sign a volunteer up. The activity row is locked while places are counted, so the
    capacity holds however many sign-ups arrive at once."""
    _ensure_volunteer_or_officer(actor, volunteer, activity.area)
    if not activities_open_to(volunteer).filter(pk=activity.pk).exists():
        raise PermissionDenied(_("This activity is not open to this volunteer."))
    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        if not activity.takes_sign_ups:
            raise ValidationError(
                _("This activity is not open for sign-up.")
                if activity.status != ActivityStatus.OPEN
                else _("This activity is over.")
            )
        taken = activity.participations.exclude(status=ParticipationStatus.CANCELLED).count()
        if taken >= activity.capacity:
            raise ValidationError(_("This activity is full."))
        existing = Participation.objects.filter(activity=activity, volunteer=volunteer).first()
        if existing is not None:
            if existing.status != ParticipationStatus.CANCELLED:
                raise ValidationError(_("This volunteer has signed up already."))
            existing.status = ParticipationStatus.SIGNED_UP
            return validated_save(existing)
        return validated_save(Participation(activity=activity, volunteer=volunteer))


def _ensure_volunteer_or_officer(actor, volunteer: Volunteer, area: Area) -> None:
    if volunteer.user_id and volunteer.user_id == getattr(actor, "pk", None):
        return
    ensure_may_change_in(actor, area)


def participation_check_in(
    *, actor, participation: Participation, at: dt.datetime | None = None
) -> Participation:
    """Check in (the volunteer themselves or an officer on site); once only."""
    _ensure_volunteer_or_officer(actor, participation.volunteer, participation.activity.area)
    at = at or timezone.now()
    activity = participation.activity
    if not activity.check_in_open_at(at):
        raise ValidationError(
            _("Check-in opens an hour before the activity and closes at its end.")
        )
    return _participation_step(participation, "check_in", checked_in_at=at)


def participation_check_out(
    *, actor, participation: Participation, at: dt.datetime | None = None
) -> Participation:
    """Check out; the hours served are the time between check-in and check-out, counted
    within the activity's own hours (arriving early or leaving late earns nothing extra)."""
    _ensure_volunteer_or_officer(actor, participation.volunteer, participation.activity.area)
    at = at or timezone.now()
    participation.refresh_from_db()
    if participation.checked_in_at is None:
        raise ValidationError(_("Check in first."))
    if at < participation.checked_in_at:
        raise ValidationError(_("Check-out comes after check-in."))
    return _participation_step(
        participation,
        "check_out",
        checked_out_at=at,
        hours=served_hours(participation.activity, participation.checked_in_at, at),
    )


def served_hours(activity: Activity, checked_in_at: dt.datetime, checked_out_at: dt.datetime):
    start = max(checked_in_at, activity.starts_at)
    end = min(checked_out_at, activity.ends_at)
    seconds = max((end - start).total_seconds(), 0)
    return (Decimal(seconds) / 3600).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _participation_step(participation: Participation, step: str, **changes) -> Participation:
    """Take ``step`` of PARTICIPATION_STEPS with the row locked while its status is read."""
    sources, target = PARTICIPATION_STEPS[step]
    with transaction.atomic():
        locked = Participation.objects.select_for_update().get(pk=participation.pk)
        if locked.status not in sources:
            raise ValidationError(
                _("This sign-up is %(status)s; the step is not possible.")
                % {"status": locked.get_status_display()}
            )
        locked.status = target
        for name, value in changes.items():
            setattr(locked, name, value)
        validated_save(locked)
    return locked


def participation_approve(
    *, actor, participation: Participation, hours: Decimal | None = None
) -> Participation:
    """The organizer approves the hours and the volunteer is paid points for them, once.

    The status change is conditional and the ledger line's source key is unique
    (``participation:<id>``): approving twice, or two approvals at once, never pays twice.
    """
    activity = participation.activity
    if not may_approve_hours(actor, activity):
        raise PermissionDenied(_("Only the organizer approves the hours of this activity."))
    participation.refresh_from_db()
    hours = participation.hours if hours is None else Decimal(hours)
    if hours < 0 or hours > participation.hours:
        raise ValidationError({"hours": _("Approve at most the hours served.")})
    with transaction.atomic():
        step = _participation_step(
            participation,
            "approve",
            approved_hours=hours,
            approved_by=actor,
            approved_at=timezone.now(),
        )
        points = int((hours * activity.points_per_hour).quantize(Decimal("1"), ROUND_HALF_UP))
        if points > 0:
            points_credit(
                actor=actor,
                volunteer=participation.volunteer,
                amount=points,
                reason=_("%(hours)s h at “%(activity)s”")
                % {"hours": hours.normalize(), "activity": activity.title},
                source_key=f"participation:{participation.pk}",
                expires_on=None,
            )
    return step


def points_credit(
    *,
    actor,
    volunteer: Volunteer,
    amount: int,
    reason: str,
    source_key: str,
    expires_on: dt.date | None = None,
) -> PointEntry:
    """Append a ledger line. A second line with the same source key is refused (database
    unique constraint), so whatever retries or races happen a source pays once."""
    if amount == 0:
        raise ValidationError({"amount": _("A ledger line moves at least one point.")})
    if expires_on is not None and amount < 0:
        raise ValidationError({"expires_on": _("Only credited points expire.")})
    try:
        with transaction.atomic():
            return PointEntry.objects.create(
                volunteer=volunteer,
                amount=amount,
                reason=reason[:200],
                source_key=source_key,
                expires_on=expires_on,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"source_key": _("Points for this source have been booked already.")}
        ) from exc


def points_adjust(
    *, actor, volunteer: Volunteer, amount: int, reason: str, expires_on: dt.date | None = None
) -> PointEntry:
    """A manual credit or correction by an officer; a debit may not take the balance below 0."""
    ensure_may_change_in(actor, volunteer.area)
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason; the volunteer will read it.")})
    if not amount or abs(amount) > PointEntry.MAX_ADJUSTMENT:
        raise ValidationError(
            {
                "amount": _("Give a number of points from %(min)d to %(max)d, not zero.")
                % {"min": -PointEntry.MAX_ADJUSTMENT, "max": PointEntry.MAX_ADJUSTMENT}
            }
        )
    with transaction.atomic():
        Volunteer.objects.select_for_update().get(pk=volunteer.pk)
        if amount < 0 and points_balance(volunteer) + amount < 0:
            raise ValidationError({"amount": _("The balance cannot go below zero.")})
        return points_credit(
            actor=actor,
            volunteer=volunteer,
            amount=amount,
            reason=reason.strip(),
            source_key=f"adjust:{uuid.uuid4()}",
            expires_on=expires_on,
        )


def reward_redeem(*, actor, volunteer: Volunteer, reward: Reward) -> Redemption:
    """Redeem points for a reward.

    The volunteer row and the reward row are locked (in that order, everywhere) while the
    balance is read from the ledger and the stock checked: the balance never goes below zero
    and the stock never below nothing, however many redemptions run at once.
    """
    _ensure_volunteer_or_officer(actor, volunteer, volunteer.area)
    if not volunteer.area.is_within(reward.area):
        raise ValidationError(
            {"reward": _("This reward is not offered where the volunteer lives.")}
        )
    with transaction.atomic():
        volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
        reward = Reward.objects.select_for_update().get(pk=reward.pk)
        if not reward.is_active:
            raise ValidationError(_("This reward is not offered any more."))
        if reward.stock <= 0:
            raise ValidationError(_("This reward is out of stock."))
        balance = points_balance(volunteer)
        if balance < reward.cost:
            raise ValidationError(
                _("Not enough points: %(balance)d of %(cost)d.")
                % {"balance": balance, "cost": reward.cost}
            )
        Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - 1)
        redemption = Redemption.objects.create(
            volunteer=volunteer,
            reward=reward,
            points=reward.cost,
            handled_by=actor if getattr(actor, "pk", None) else None,
        )
        points_credit(
            actor=actor,
            volunteer=volunteer,
            amount=-reward.cost,
            reason=_("Redeemed “%(reward)s”") % {"reward": reward.name},
            source_key=f"redemption:{redemption.pk}",
        )
    return redemption
