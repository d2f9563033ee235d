"""Writes of party organizations, committee posts, members and dual reporting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Area, AreaKind
from partybuilding.models import (
    REPORT_STEPS,
    CoConstructionUnit,
    DualReport,
    DualReportService,
    OrganizationPost,
    PartyMember,
    PartyOrganization,
)
from partybuilding.models.organizations import MemberStatus, ReportKind, ReportStatus
from partybuilding.permissions import ensure_may_change_in
from partybuilding.services.common import (
    area_of,
    record_save,
    status_step,
    stored_copy,
    validated_save,
)


def organization_save(*, actor, organization: PartyOrganization) -> PartyOrganization:
    """Create, change or move an organization. Tree rules (kind order, area inside the parent's
    area, no cycle) are checked in ``PartyOrganization.clean``; the write holds the tree lock."""
    stored = stored_copy(organization)
    if stored is not None:
        ensure_may_change_in(actor, area_of(stored))
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
    """Delete an organization with no organizations and no members below it."""
    ensure_may_change_in(actor, organization.area)
    if organization.get_descendant_count():
        raise ValidationError(_("This organization has organizations below it."))
    if organization.members.exists():
        raise ValidationError(_("Move this organization's members elsewhere first."))
    organization.delete()


def post_save(*, actor, post: OrganizationPost) -> OrganizationPost:
    """Seat a member on a committee, change the seat or record when it ceased; at most one
    sitting secretary per organization (a database constraint)."""
    return record_save(actor=actor, obj=post)


def member_save(*, actor, member: PartyMember) -> PartyMember:
    """Register or change a member; moving them to another organization needs rights at both.
    A member registers as a full or probationary member; later the status moves only by
    ``member_set_status``."""
    return record_save(actor=actor, obj=member)


def member_set_status(*, actor, member: PartyMember, status: str) -> PartyMember:
    """Move a member along MEMBER_STATUS_STEPS (a probationary member becomes full, a member
    transfers out). A transfer out withdraws their open dual report in the same transaction."""
    with transaction.atomic():
        stored = status_step(actor=actor, obj=member, status=status)
        if status == MemberStatus.TRANSFERRED_OUT:
            for report in DualReport.objects.filter(member=member).exclude(
                status=ReportStatus.WITHDRAWN
            ):
                dual_report_step(
                    actor=actor, report=report, step="withdraw", reason=_("Transferred out")
                )
    return stored


def member_transfer_out(*, actor, member: PartyMember) -> PartyMember:
    """Mark a member transferred out; their open dual report is withdrawn in the same step."""
    return member_set_status(actor=actor, member=member, status=MemberStatus.TRANSFERRED_OUT)


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
        return validated_save(report)


def dual_report_step(
    *, actor, report: DualReport, step: str, reason: str = "", on: dt.date | None = None
) -> DualReport:
    """Take a step of REPORT_STEPS (activate, withdraw). The row is locked while its status is
    checked: of two people acting at once exactly one succeeds, the other gets a message."""
    ensure_may_change_in(actor, report.community)
    if step not in REPORT_STEPS:
        raise ValidationError({"step": _("Unknown step.")})
    sources, target = REPORT_STEPS[step]
    if step == "withdraw" and not reason.strip():
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
        validated_save(locked)
    return locked


def dual_report_record_service(
    *, actor, report: DualReport, served_on: dt.date, hours: Decimal, description: str
) -> DualReportService:
    """Record one service of an active report."""
    ensure_may_change_in(actor, report.community)
    if not report.takes_services:
        raise ValidationError(_("Services are recorded on active reports only."))
    if served_on > timezone.localdate():
        raise ValidationError({"served_on": _("A service cannot be recorded in advance.")})
    with transaction.atomic():
        return validated_save(
            DualReportService(
                report=report, served_on=served_on, hours=hours, description=description
            )
        )
