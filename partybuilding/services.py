"""Writes of the party-building app. Every service checks the actor's scope, validates, and
runs in one transaction; bad input raises ValidationError with field messages and writes
nothing. The change log records every row written (see governance.changelog)."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.models import Case, Category, Source
from casework.services import case_report
from governance.scopes import visible
from grids.models import Area, AreaKind
from partybuilding.models import (
    REPORT_TRANSITIONS,
    STATUS_PROGRESS,
    Activity,
    CoConstructionUnit,
    Demand,
    DualReport,
    DualReportService,
    Meeting,
    MeetingSeries,
    MicroWish,
    OrganizationPost,
    Participation,
    PartyMember,
    PartyOrganization,
    PointEntry,
    Project,
    ProjectUpdate,
    Redemption,
    Resolution,
    Resource,
    Reward,
    Volunteer,
    WishStatus,
)
from partybuilding.models.cogovernance import ProjectStatus
from partybuilding.models.organizations import MemberStatus, ReportKind, ReportStatus
from partybuilding.models.volunteers import ActivityStatus, ParticipationStatus
from partybuilding.permissions import ensure_may_change_in
from partybuilding.selectors import points_balance


def _save(obj: Model, *, exclude: list[str] | None = None) -> Model:
    """Validate fully (fields, clean(), constraints) and save; integrity races become
    ValidationErrors so the caller gets a message instead of a 500."""
    obj.full_clean(exclude=exclude)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ValidationError(_("This conflicts with a record saved just now.")) from exc
    return obj


def _stored_area(obj: Model, path: str):
    """The area a stored row belonged to before this change (a move must be allowed at both ends)."""
    if obj.pk is None:
        return None
    target = type(obj)._default_manager.select_related(path).get(pk=obj.pk)
    for step in path.split("__"):
        target = getattr(target, step)
    return target


def record_save(*, actor, obj: Model, area_path: str) -> Model:
    """Create or change a plain record (unit, agreement, demand, resource, council, ...).

    The actor must be allowed to change records in the row's area, and, for an existing row,
    in the area it had before.
    """
    previous = _stored_area(obj, area_path)
    if previous is not None:
        ensure_may_change_in(actor, previous)
    target = obj
    for step in area_path.split("__"):
        target = getattr(target, step, None)
    ensure_may_change_in(actor, target)
    with transaction.atomic():
        return _save(obj)


# -- organizations ----------------------------------------------------------------------------
def organization_save(*, actor, organization: PartyOrganization) -> PartyOrganization:
    """Create, change or move an organization. Tree rules (kind order, area inside the parent's
    area, no cycle) are checked in ``PartyOrganization.clean``; the write holds the tree lock."""
    previous = _stored_area(organization, "area")
    if previous is not None:
        ensure_may_change_in(actor, previous)
    if organization.area_id:
        ensure_may_change_in(actor, organization.area)
    with transaction.atomic():
        PartyOrganization.lock_tree()
        if organization.pk and organization.parent_id:
            organization.parent.refresh_from_db()
            if organization.parent.is_within(PartyOrganization.objects.get(pk=organization.pk)):
                raise ValidationError(
                    {"parent": _("A node cannot be moved under one of its own descendants.")}
                )
        organization.full_clean(validate_constraints=False)
        stored_parent = (
            PartyOrganization.objects.filter(pk=organization.pk)
            .values_list("parent_id", flat=True)
            .first()
        )
        organization.save()
        if organization.pk and stored_parent != organization.parent_id:
            # mptt moves the subtree on save when the parent changed.
            organization.refresh_from_db()
    return organization


def organization_delete(*, actor, organization: PartyOrganization) -> None:
    ensure_may_change_in(actor, organization.area)
    if organization.get_descendant_count():
        raise ValidationError(_("This organization has organizations below it."))
    if organization.members.exists():
        raise ValidationError(_("Move this organization's members elsewhere first."))
    organization.delete()


def post_save(*, actor, post: OrganizationPost) -> OrganizationPost:
    """Seat a member on a committee; at most one sitting secretary (a database constraint)."""
    ensure_may_change_in(actor, post.organization.area)
    with transaction.atomic():
        return _save(post)


def post_cease(*, actor, post: OrganizationPost, on: dt.date) -> OrganizationPost:
    ensure_may_change_in(actor, post.organization.area)
    if post.ceased_on is not None:
        raise ValidationError(_("This post has ceased already."))
    post.ceased_on = on
    with transaction.atomic():
        return _save(post)


def member_save(*, actor, member: PartyMember) -> PartyMember:
    """Register or change a member; moving them to another organization needs rights at both."""
    return record_save(actor=actor, obj=member, area_path="organization__area")


def member_transfer_out(*, actor, member: PartyMember) -> PartyMember:
    """Mark a member transferred out; their open dual report is withdrawn in the same step."""
    ensure_may_change_in(actor, member.organization.area)
    with transaction.atomic():
        member.status = MemberStatus.TRANSFERRED_OUT
        _save(member)
        for report in DualReport.objects.filter(member=member).exclude(
            status=ReportStatus.WITHDRAWN
        ):
            dual_report_transition(
                actor=actor, report=report, action="withdraw", reason=_("Transferred out")
            )
    return member


# -- dual reporting ---------------------------------------------------------------------------
def dual_report_register(
    *,
    actor,
    kind: str,
    community: Area,
    service_post: str,
    member: PartyMember | None = None,
    unit: CoConstructionUnit | None = None,
    pledges: str = "",
    yearly_target: int = 4,
    registered_on: dt.date | None = None,
) -> DualReport:
    """Register a unit or an in-service member with a community (status "registered").

    A member reports to the community they live in and must be in service and not transferred
    out; one open report per member, one per unit and community (database constraints).
    """
    ensure_may_change_in(actor, community)
    errors: dict[str, list[str]] = {}
    if community.kind != AreaKind.COMMUNITY:
        errors.setdefault("community", []).append(_("Choose a community."))
    if kind == ReportKind.PERSONAL and member is not None:
        if not member.in_service:
            errors.setdefault("member", []).append(
                _("Only in-service members report to the community where they live.")
            )
        if member.status == MemberStatus.TRANSFERRED_OUT:
            errors.setdefault("member", []).append(_("This member has been transferred out."))
        if member.home_building_id and not member.home_building.is_within(community):
            errors.setdefault("community", []).append(_("The member lives in another community."))
    if errors:
        raise ValidationError(errors)
    report = DualReport(
        kind=kind,
        community=community,
        member=member if kind == ReportKind.PERSONAL else None,
        unit=unit if kind == ReportKind.UNIT else None,
        service_post=service_post,
        pledges=pledges,
        yearly_target=yearly_target,
        registered_on=registered_on or timezone.localdate(),
    )
    with transaction.atomic():
        return _save(report)


def dual_report_transition(
    *, actor, report: DualReport, action: str, reason: str = "", on: dt.date | None = None
) -> DualReport:
    """Move a report along REPORT_TRANSITIONS. The row is locked while its status is checked:
    of two people acting at once exactly one succeeds, the other gets a conflict message."""
    ensure_may_change_in(actor, report.community)
    if action not in REPORT_TRANSITIONS:
        raise ValidationError({"action": _("Unknown action.")})
    sources, target = REPORT_TRANSITIONS[action]
    if action == "withdraw" and not reason.strip():
        raise ValidationError({"reason": _("Say why the report is withdrawn.")})
    day = on or timezone.localdate()
    changes: dict = {"status": target}
    if target == ReportStatus.ACTIVE:
        changes["activated_on"] = day
    if target == ReportStatus.WITHDRAWN:
        changes.update(withdrawn_on=day, withdraw_reason=reason.strip()[:200])
    with transaction.atomic():
        locked = DualReport.objects.select_for_update().get(pk=report.pk)
        if locked.status not in sources:
            raise ValidationError(
                _("This report is %(status)s now; the step is not possible.")
                % {"status": locked.get_status_display()}
            )
        for name, value in changes.items():
            setattr(locked, name, value)
        _save(locked)
    return locked


def dual_report_record_service(
    *, actor, report: DualReport, served_on: dt.date, hours: Decimal, description: str
) -> DualReportService:
    """Record one service of an active report."""
    ensure_may_change_in(actor, report.community)
    if report.status != ReportStatus.ACTIVE:
        raise ValidationError(_("Services are recorded on active reports only."))
    if served_on > timezone.localdate():
        raise ValidationError({"served_on": _("A service cannot be recorded in advance.")})
    with transaction.atomic():
        return _save(
            DualReportService(
                report=report, served_on=served_on, hours=hours, description=description
            )
        )


# -- projects ---------------------------------------------------------------------------------
def project_save(
    *,
    actor,
    project: Project,
    units: list[CoConstructionUnit] | None = None,
    owners: list | None = None,
) -> Project:
    """Create, change or move a project (and set its units and owners when given).

    The write holds the project tree lock; a project cannot move under itself or a
    sub-project of its own. The progress of the old and the new parent is re-derived.
    Units must be visible to the actor.
    """
    previous = _stored_area(project, "area")
    if previous is not None:
        ensure_may_change_in(actor, previous)
    ensure_may_change_in(actor, project.area)
    if units is not None:
        seen = set(
            visible(
                actor, CoConstructionUnit.objects.filter(pk__in=[u.pk for u in units])
            ).values_list("pk", flat=True)
        )
        if any(u.pk not in seen for u in units):
            raise ValidationError({"units": _("Choose units of your area.")})
    is_new = project.pk is None
    if is_new and project.status in STATUS_PROGRESS and STATUS_PROGRESS[project.status] is not None:
        project.progress = STATUS_PROGRESS[project.status]
    with transaction.atomic():
        Project.lock_tree()
        old_parent_id = None
        if not is_new:
            stored = Project.objects.get(pk=project.pk)
            old_parent_id = stored.parent_id
            moved = project.parent_id and project.parent_id != old_parent_id
            if (
                moved
                and Project.objects.filter(Project.subtree_q(stored), pk=project.parent_id).exists()
            ):
                raise ValidationError(
                    {"parent": _("A project cannot be placed under its own sub-project.")}
                )
        project.full_clean(validate_constraints=False)
        project.save()
        if units is not None:
            project.units.set(units)
        if owners is not None:
            project.owners.set(owners)
        if project.parent_id:
            project_rollup(project=project.parent)
        if old_parent_id and old_parent_id != project.parent_id:
            project_rollup(project=Project.objects.get(pk=old_parent_id))
    return project


def series_save(
    *, actor, series: MeetingSeries, plan_until: dt.date | None = None
) -> MeetingSeries:
    """Create or change a fixed-day series and plan its meetings up to ``plan_until`` (see
    ``series_generate``: idempotent, meetings that exist are kept), in one transaction."""
    with transaction.atomic():
        record_save(actor=actor, obj=series, area_path="area")
        if plan_until is not None:
            series_generate(actor=actor, series=series, until=plan_until)
    return series


def project_set_status(
    *,
    actor,
    project: Project,
    status: str,
    text: str,
    progress: int | None = None,
    happened_on: dt.date | None = None,
) -> Project:
    """Set a leaf project's status (and progress: the status default unless given), add a
    timeline entry and re-derive the progress of every ancestor, all in one transaction with
    the project and its ancestors locked (children finishing at once never lose an update)."""
    ensure_may_change_in(actor, project.area)
    if status not in ProjectStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if not text.strip():
        raise ValidationError({"text": _("Say what happened.")})
    with transaction.atomic():
        # Tree fields of an instance loaded earlier may be stale (siblings inserted since).
        stored = Project.objects.get(pk=project.pk)
        chain = list(
            Project.objects.select_for_update()
            .filter(Project.ancestors_q(stored, include_self=True))
            .order_by("lft")
        )
        project = chain[-1]
        has_children = Project.objects.filter(parent=project).exists()
        if progress is not None and has_children:
            raise ValidationError(
                {"progress": _("A project with sub-projects takes its progress from them.")}
            )
        if progress is None:
            default = STATUS_PROGRESS[status]
            progress = project.progress if default is None or has_children else default
        if not 0 <= progress <= 100:
            raise ValidationError({"progress": _("Progress is between 0 and 100.")})
        project.status = status
        project.progress = progress
        project.save()
        ProjectUpdate.objects.create(
            project=project,
            happened_on=happened_on or timezone.localdate(),
            text=text.strip()[:300],
            status=status,
            progress=project.progress,
            author=actor,
        )
        if project.parent_id:
            project_rollup(project=project.parent)
    return project


def project_rollup(*, project: Project) -> None:
    """Re-derive the progress of ``project`` and of every ancestor from their children:
    weighted by ``weight`` when every child has one, else the plain average."""
    node = Project.objects.get(pk=project.pk)
    while node is not None:
        children = list(Project.objects.filter(parent=node).values_list("progress", "weight"))
        if children:
            if all(w is not None for _, w in children):
                total = sum(w for _, w in children)
                value = sum(Decimal(p) * w for p, w in children) / total
            else:
                value = Decimal(sum(p for p, _ in children)) / len(children)
            progress = int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
            if progress != node.progress:
                Project.objects.filter(pk=node.pk).update(progress=progress)
        node = Project.objects.filter(pk=node.parent_id).first() if node.parent_id else None


def project_publish_result(*, actor, project: Project, result: str) -> Project:
    ensure_may_change_in(actor, project.area)
    if not result.strip():
        raise ValidationError({"result": _("Write the result residents will read.")})
    project.result = result.strip()
    project.is_public = True
    with transaction.atomic():
        project.save()
    return project


def demand_match(
    *, actor, demand: Demand, resources: list[Resource], name: str, year: int | None = None
) -> Project:
    """Turn a demand into a project with the chosen resources (项目清单); the demand is marked
    matched. Resources must be available and inside the actor's scope."""
    ensure_may_change_in(actor, demand.area)
    if demand.status != Demand.Status.OPEN:
        raise ValidationError(_("This demand is not open any more."))
    if not resources:
        raise ValidationError({"resources": _("Choose at least one resource.")})
    if any(not r.is_available for r in resources):
        raise ValidationError({"resources": _("A chosen resource is no longer available.")})
    with transaction.atomic():
        if not Demand.objects.filter(pk=demand.pk, status=Demand.Status.OPEN).update(
            status=Demand.Status.MATCHED
        ):
            raise ValidationError(_("This demand was matched by someone else just now."))
        project = project_save(
            actor=actor,
            project=Project(
                name=name.strip() or demand.title,
                year=year or timezone.localdate().year,
                area=demand.area,
                demand=demand,
                beneficiary_count=demand.beneficiaries,
                description=demand.description,
            ),
        )
        project.resources.set(resources)
        units = {r.unit_id for r in resources if r.unit_id}
        if units:
            project.units.set(units)
    return project


# -- micro-wishes -----------------------------------------------------------------------------
def wish_claim(
    *,
    actor,
    wish: MicroWish,
    member: PartyMember | None = None,
    unit: CoConstructionUnit | None = None,
) -> MicroWish:
    """Claim a published wish for one member or one unit.

    The wish row is locked (SELECT ... FOR UPDATE) while its status is checked: of any number
    of simultaneous claims exactly one succeeds; the others wait, then get a clear message.
    """
    ensure_may_change_in(actor, wish.area)
    if (member is None) == (unit is None):
        raise ValidationError(_("A wish is claimed by one member or one unit."))
    with transaction.atomic():
        locked = MicroWish.objects.select_for_update().get(pk=wish.pk)
        if locked.status != WishStatus.PUBLISHED:
            raise ValidationError(_("This wish has been claimed by someone else already."))
        locked.status = WishStatus.CLAIMED
        locked.claimed_by_member = member
        locked.claimed_by_unit = unit
        locked.claimed_at = timezone.now()
        _save(locked)
    return locked


def wish_fulfil(*, actor, wish: MicroWish, note: str, photo=None) -> MicroWish:
    """Mark a claimed wish fulfilled, with a note and (usually) a photo."""
    ensure_may_change_in(actor, wish.area)
    if not note.strip():
        raise ValidationError({"fulfilment_note": _("Say how the wish was fulfilled.")})
    with transaction.atomic():
        locked = MicroWish.objects.select_for_update().get(pk=wish.pk)
        if locked.status != WishStatus.CLAIMED:
            raise ValidationError(_("Only a claimed wish can be fulfilled."))
        locked.status = WishStatus.FULFILLED
        locked.fulfilled_at = timezone.now()
        locked.fulfilment_note = note.strip()[:200]
        if photo:
            locked.photo = photo
        _save(locked)
    return locked


def wish_release(*, actor, wish: MicroWish) -> MicroWish:
    """Give a claimed wish back to the wall (the claimant could not fulfil it)."""
    return _wish_step(actor=actor, wish=wish, sources={WishStatus.CLAIMED}, target="published")


def wish_withdraw(*, actor, wish: MicroWish) -> MicroWish:
    return _wish_step(
        actor=actor,
        wish=wish,
        sources={WishStatus.PUBLISHED, WishStatus.CLAIMED},
        target=WishStatus.WITHDRAWN,
    )


def _wish_step(*, actor, wish: MicroWish, sources: set, target: str) -> MicroWish:
    ensure_may_change_in(actor, wish.area)
    with transaction.atomic():
        locked = MicroWish.objects.select_for_update().get(pk=wish.pk)
        if locked.status not in sources:
            raise ValidationError(
                _("This wish is %(status)s; the step is not possible.")
                % {"status": locked.get_status_display()}
            )
        locked.status = target
        locked.claimed_by_member = locked.claimed_by_unit = None
        locked.claimed_at = None
        _save(locked)
    return locked


# -- volunteers and points --------------------------------------------------------------------
def activity_sign_up(*, actor, activity: Activity, volunteer: Volunteer) -> Participation:
    """Sign a volunteer up. The activity row is locked while places are counted, so the
    capacity holds however many sign-ups arrive at once."""
    _ensure_volunteer_or_officer(actor, volunteer, activity.area)
    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        if activity.status != ActivityStatus.OPEN:
            raise ValidationError(_("This activity is not open for sign-up."))
        if activity.ends_at <= timezone.now():
            raise ValidationError(_("This activity is over."))
        taken = activity.participations.exclude(status=ParticipationStatus.CANCELLED).count()
        if taken >= activity.capacity:
            raise ValidationError(_("This activity is full."))
        existing = Participation.objects.filter(activity=activity, volunteer=volunteer).first()
        if existing is not None:
            if existing.status != ParticipationStatus.CANCELLED:
                raise ValidationError(_("This volunteer has signed up already."))
            existing.status = ParticipationStatus.SIGNED_UP
            return _save(existing)
        return _save(Participation(activity=activity, volunteer=volunteer))


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
    return _participation_step(
        participation,
        sources={ParticipationStatus.SIGNED_UP},
        status=ParticipationStatus.CHECKED_IN,
        checked_in_at=at,
    )


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
        sources={ParticipationStatus.CHECKED_IN},
        status=ParticipationStatus.CHECKED_OUT,
        checked_out_at=at,
        hours=served_hours(participation.activity, participation.checked_in_at, at),
    )


def served_hours(activity: Activity, checked_in_at: dt.datetime, checked_out_at: dt.datetime):
    start = max(checked_in_at, activity.starts_at)
    end = min(checked_out_at, activity.ends_at)
    seconds = max((end - start).total_seconds(), 0)
    return (Decimal(seconds) / 3600).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _participation_step(participation: Participation, *, sources: set, **changes):
    with transaction.atomic():
        locked = Participation.objects.select_for_update().get(pk=participation.pk)
        if locked.status not in sources:
            raise ValidationError(
                _("This sign-up is %(status)s; the step is not possible.")
                % {"status": locked.get_status_display()}
            )
        for name, value in changes.items():
            setattr(locked, name, value)
        _save(locked)
    return locked


def participation_approve(
    *, actor, participation: Participation, hours: Decimal | None = None
) -> Participation:
    """The organizer approves the hours and the volunteer is paid points for them, once.

    The status change is conditional and the ledger line's source key is unique
    (``participation:<id>``): approving twice, or two approvals at once, never pays twice.
    """
    activity = participation.activity
    if not (
        getattr(actor, "is_superuser", False) or activity.organizer_id == getattr(actor, "pk", None)
    ):
        raise PermissionDenied(_("Only the organizer approves the hours of this activity."))
    participation.refresh_from_db()
    hours = participation.hours if hours is None else Decimal(hours)
    if hours < 0 or hours > participation.hours:
        raise ValidationError({"hours": _("Approve at most the hours served.")})
    with transaction.atomic():
        step = _participation_step(
            participation,
            sources={ParticipationStatus.CHECKED_OUT},
            status=ParticipationStatus.APPROVED,
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


# -- meetings ---------------------------------------------------------------------------------
def series_generate(*, actor, series: MeetingSeries, until: dt.date) -> int:
    """Create the meetings of a fixed-day series up to ``until`` (inclusive).

    Idempotent: an occurrence that exists is skipped (unique series + start time), so running
    it again, or from two places at once, never doubles a meeting. A day the month lacks
    (the 31st in April) is skipped. Returns how many meetings were created.
    """
    ensure_may_change_in(actor, series.area)
    last = min(until, series.ends_on) if series.ends_on else until
    tz = timezone.get_current_timezone()
    meetings = []
    for day in occurrence_dates(series.days_of_month, series.starts_on, last):
        starts_at = dt.datetime.combine(day, series.time, tzinfo=tz)
        meetings.append(
            Meeting(
                title=series.title,
                kind=series.kind,
                council=series.council,
                series=series,
                area=series.area,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=series.duration_minutes),
                place=series.place,
            )
        )
    with transaction.atomic():
        before = Meeting.objects.filter(series=series).count()
        Meeting.objects.bulk_create(meetings, ignore_conflicts=True)
        return Meeting.objects.filter(series=series).count() - before


def occurrence_dates(days: list[int], first: dt.date, last: dt.date) -> list[dt.date]:
    """The dates between ``first`` and ``last`` that fall on one of ``days`` of their month."""
    result = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        length = calendar.monthrange(year, month)[1]
        for d in sorted(days):
            if d <= length:
                day = dt.date(year, month, d)
                if first <= day <= last:
                    result.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


def resolution_add(
    *, actor, meeting: Meeting, text: str, votes_for: int = 0, votes_against: int = 0
) -> Resolution:
    ensure_may_change_in(actor, meeting.area)
    with transaction.atomic():
        Meeting.objects.select_for_update().get(pk=meeting.pk)
        number = (
            meeting.resolutions.order_by("-number").values_list("number", flat=True).first() or 0
        ) + 1
        return _save(
            Resolution(
                meeting=meeting,
                number=number,
                text=text.strip(),
                votes_for=votes_for,
                votes_against=votes_against,
            )
        )


def resolution_open_project(
    *, actor, resolution: Resolution, name: str = "", area: Area | None = None
) -> Project:
    """Open a co-governance project from a resolution, in one step.

    The resolution row is locked while the project is created, so a double click or two
    officers at once open one project; the project's first timeline entry names the meeting.
    """
    meeting = resolution.meeting
    area = area or meeting.area
    ensure_may_change_in(actor, area)
    if not area.is_within(meeting.area):
        raise ValidationError({"area": _("The project lies within the meeting's area.")})
    with transaction.atomic():
        locked = Resolution.objects.select_for_update().get(pk=resolution.pk)
        if locked.project_id:
            raise ValidationError(_("This resolution has opened a project already."))
        title = name.strip() or locked.text.strip().splitlines()[0][:150]
        project = project_save(
            actor=actor,
            project=Project(
                name=title,
                year=timezone.localtime(meeting.starts_at).year,
                area=area,
                status=ProjectStatus.APPROVED,
                description=locked.text,
            ),
        )
        ProjectUpdate.objects.create(
            project=project,
            happened_on=timezone.localdate(),
            text=_("Opened by resolution %(n)d of “%(meeting)s”")
            % {"n": locked.number, "meeting": meeting.title},
            status=project.status,
            progress=project.progress,
            author=actor,
        )
        locked.project = project
        locked.project_opened_by = actor
        locked.save()
    resolution.refresh_from_db()
    return project


def resolution_open_case(
    *,
    actor,
    resolution: Resolution,
    category: Category,
    area: Area,
    title: str = "",
    address: str = "",
    priority: str | None = None,
) -> Case:
    """File a case (source: council resolution) from a resolution, in one step, at most once.

    The actor must see the meeting and must be allowed to file cases in ``area`` (casework's
    own rule, applied by ``casework.services.case_report``); the area lies within the
    meeting's. The resolution row is locked and then linked by a conditional update, inside
    the same transaction as the filing: a double click or two people at once file one case,
    the other gets a clear message and nothing is written.
    """
    meeting = resolution.meeting
    if not visible(actor, Meeting.objects.filter(pk=meeting.pk)).exists():
        raise PermissionDenied(_("You may not act on this meeting."))
    if area is not None and not area.is_within(meeting.area):
        raise ValidationError({"area": _("The case lies within the meeting's area.")})
    with transaction.atomic():
        locked = Resolution.objects.select_for_update().get(pk=resolution.pk)
        if locked.case_id:
            raise ValidationError(_("This resolution has opened a case already."))
        text = locked.text.strip()
        first_line = text.splitlines()[0] if text else ""
        case = case_report(
            actor=actor,
            title=title.strip() or first_line[:100],
            category=category,
            area=area,
            source=Source.COUNCIL,
            description=text,
            priority=priority,
            # A resolution names an area, not a point: the area's name stands for the place
            # until whoever handles the case pins it down.
            address=address.strip() or (area.name if area is not None else ""),
            comment=_("Opened by resolution %(n)d of “%(meeting)s” (%(day)s)")
            % {
                "n": locked.number,
                "meeting": meeting.title,
                "day": timezone.localtime(meeting.starts_at).date().isoformat(),
            },
        )
        if not Resolution.objects.filter(pk=locked.pk, case__isnull=True).update(
            case=case, case_opened_by=actor
        ):
            raise ValidationError(_("This resolution has opened a case already."))
    resolution.refresh_from_db()
    return case
