"""Writes of the party-building app, one module per sub-domain (as its models). Every service
checks the actor's scope, validates, and runs in one transaction; bad input raises
ValidationError with field messages and writes nothing. The change log records every row
written (see governance.changelog)."""

from partybuilding.services.cogovernance import (
    demand_match,
    project_publish_result,
    project_rollup,
    project_save,
    project_set_status,
    wish_claim,
    wish_fulfil,
    wish_release,
    wish_withdraw,
)
from partybuilding.services.common import record_save
from partybuilding.services.meetings import (
    occurrence_dates,
    resolution_add,
    resolution_open_case,
    resolution_open_project,
    series_generate,
    series_save,
)
from partybuilding.services.organizations import (
    dual_report_record_service,
    dual_report_register,
    dual_report_transition,
    member_save,
    member_transfer_out,
    organization_delete,
    organization_save,
    post_cease,
    post_save,
)
from partybuilding.services.volunteers import (
    activity_sign_up,
    participation_approve,
    participation_check_in,
    participation_check_out,
    points_adjust,
    points_credit,
    reward_redeem,
    served_hours,
)

__all__ = [
    "activity_sign_up",
    "demand_match",
    "dual_report_record_service",
    "dual_report_register",
    "dual_report_transition",
    "member_save",
    "member_transfer_out",
    "occurrence_dates",
    "organization_delete",
    "organization_save",
    "participation_approve",
    "participation_check_in",
    "participation_check_out",
    "points_adjust",
    "points_credit",
    "post_cease",
    "post_save",
    "project_publish_result",
    "project_rollup",
    "project_save",
    "project_set_status",
    "record_save",
    "resolution_add",
    "resolution_open_case",
    "resolution_open_project",
    "reward_redeem",
    "series_generate",
    "series_save",
    "served_hours",
    "wish_claim",
    "wish_fulfil",
    "wish_release",
    "wish_withdraw",
]
