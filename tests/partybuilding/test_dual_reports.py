import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from partybuilding import selectors, services
from partybuilding.models import DualReport
from tests.partybuilding.factories import MemberFactory


def register(party, member=None, **kwargs):
    return services.dual_report_register(
        actor=party.officer_a,
        kind="personal",
        community=party.tree.community_a,
        member=member or party.member_a,
        service_post="elderly_care",
        pledges="每月看望独居老人",
        **kwargs,
    )


def test_the_dual_report_lifecycle(party):
    report = register(party)
    assert report.status == "registered"
    with pytest.raises(ValidationError):
        services.dual_report_record_service(
            actor=party.officer_a,
            report=report,
            served_on=timezone.localdate(),
            hours=Decimal("2"),
            description="看望老人",
        )
    report = services.dual_report_step(actor=party.officer_a, report=report, step="activate")
    assert report.status == "active" and report.activated_on == timezone.localdate()
    services.dual_report_record_service(
        actor=party.officer_a,
        report=report,
        served_on=timezone.localdate(),
        hours=Decimal("2"),
        description="看望老人",
    )
    with pytest.raises(ValidationError):
        services.dual_report_step(actor=party.officer_a, report=report, step="activate")
    with pytest.raises(ValidationError) as exc:
        services.dual_report_step(actor=party.officer_a, report=report, step="withdraw")
    assert "reason" in exc.value.message_dict
    report = services.dual_report_step(
        actor=party.officer_a, report=report, step="withdraw", reason="工作调动"
    )
    assert report.status == "withdrawn" and report.withdraw_reason == "工作调动"
    # After a withdrawal the member may report again.
    assert register(party).status == "registered"


def test_a_member_has_one_open_report(party):
    register(party)
    with pytest.raises(ValidationError):
        register(party)
    assert DualReport.objects.filter(member=party.member_a).count() == 1


def test_only_in_service_members_report_personally(party):
    retired = MemberFactory(
        organization=party.branch_a1,
        in_service=False,
        work_unit="",
        home_building=party.tree.building_a1,
    )
    with pytest.raises(ValidationError) as exc:
        register(party, member=retired)
    assert "member" in exc.value.message_dict


def test_a_member_reports_where_they_live(party):
    with pytest.raises(ValidationError) as exc:
        services.dual_report_register(
            actor=party.officer_a,
            kind="personal",
            community=party.tree.community_a,
            member=party.member_b,
            service_post="mediation",
        )
    assert "community" in exc.value.message_dict


def test_an_officer_cannot_register_with_another_community(party):
    with pytest.raises(PermissionDenied):
        services.dual_report_register(
            actor=party.officer_a,
            kind="personal",
            community=party.tree.community_b,
            member=party.member_b,
            service_post="mediation",
        )


def test_a_unit_reports_once_per_community(party):
    services.dual_report_register(
        actor=party.officer_a,
        kind="unit",
        community=party.tree.community_a,
        unit=party.unit_a,
        service_post="child_care",
    )
    with pytest.raises(ValidationError):
        services.dual_report_register(
            actor=party.officer_a,
            kind="unit",
            community=party.tree.community_a,
            unit=party.unit_a,
            service_post="child_care",
        )


def test_transferring_a_member_out_withdraws_their_report(party):
    report = register(party)
    services.member_transfer_out(actor=party.officer_a, member=party.member_a)
    report.refresh_from_db()
    assert report.status == "withdrawn"


def test_the_feedback_sheet_counts_the_quarter(party):
    report = register(party)
    services.dual_report_step(actor=party.officer_a, report=report, step="activate")
    for day, hours in (
        (dt.date(2026, 1, 10), "2"),
        (dt.date(2026, 2, 3), "1.5"),
        (dt.date(2026, 4, 1), "3"),
    ):
        report.services.create(served_on=day, hours=Decimal(hours), description="服务")
    sheet = selectors.feedback_sheet(report, year=2026, quarter=1)
    assert len(sheet["services"]) == 2
    assert sheet["hours"] == Decimal("3.5")
    assert sheet["year_count"] == 3


def test_the_board_counts_reports_per_community(party):
    register(party)
    board = selectors.dual_report_board(party.officer_a)
    assert [(row["name"], row["personal"], row["registered"]) for row in board] == [
        ("青松社区", 1, 1)
    ]
    assert selectors.dual_report_board(party.officer_b) == []
