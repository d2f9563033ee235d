"""What the field work (patrols, hidden dangers, mobilization) registers with the core when the
app is ready: scope rules, the change log, navigation and its part of the demo."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from governance import changelog, scopes
from governance.demo import register_seeder
from governance.models import Role
from governance.navigation import NavItem, register_nav

FIELD_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.COMMUNITY_DISPATCHER,
        Role.CENTER_SUPERVISOR,
        Role.STREET_ADMIN,
        Role.VIEWER,
    }
)


def register() -> None:
    from grids.demo_fieldwork import seed_fieldwork
    from grids.mobilization_services import ISSUER_ROLES
    from grids.models import (
        DangerReminder,
        HiddenDanger,
        HiddenDangerEvent,
        MobilizationReport,
        MobilizationSignup,
        MobilizationTarget,
        MobilizationTask,
        Patrol,
        PatrolFinding,
        PatrolPoint,
        TaskStatus,
    )

    rule = scopes.ScopeRule
    scopes.register(Patrol, rule(area_path="area", owner_path="worker"))
    scopes.register(PatrolPoint, rule(area_path="patrol__area", owner_path="patrol__worker"))
    scopes.register(PatrolFinding, rule(area_path="area", owner_path="patrol__worker"))
    scopes.register(HiddenDanger, rule(area_path="area"))
    scopes.register(HiddenDangerEvent, rule(area_path="danger__area"))
    scopes.register(DangerReminder, rule(area_path="danger__area"))
    # A street-wide task is seen by everyone working inside it, and by every signed-in user of
    # its street while it is open and calls for volunteers (a public call, 吹哨); its buildings
    # likewise. Another street's users reach neither (404).
    open_call = Q(status=TaskStatus.OPEN, volunteers_welcome=True)
    scopes.register(
        MobilizationTask,
        rule(area_path="area", covering=True, change_roles=ISSUER_ROLES, open_to_street=open_call),
    )
    scopes.register(
        MobilizationTarget,
        rule(
            area_path="building",
            change_roles=ISSUER_ROLES,
            open_to_street=Q(task__status=TaskStatus.OPEN, task__volunteers_welcome=True),
        ),
    )
    scopes.register(MobilizationSignup, rule(area_path="target__building", owner_path="user"))
    scopes.register(MobilizationReport, rule(area_path="target__building", owner_path="reporter"))
    changelog.register(HiddenDanger, area_path="area")
    changelog.register(MobilizationTask, area_path="area")

    register_seeder(27, "field work: patrols, hidden dangers, a mobilization task", seed_fieldwork)
    register_nav(
        NavItem(
            key="patrols",
            label=_("Patrols"),
            url_name="field:patrols",
            roles=FIELD_ROLES,
            order=12,
            tab=35,
        )
    )
    register_nav(
        NavItem(
            key="dangers",
            label=_("Hidden dangers"),
            url_name="field:dangers",
            roles=FIELD_ROLES,
            order=13,
            tab=70,
        )
    )
    # Every signed-in user: volunteers and party members without a role sign up here.
    register_nav(
        NavItem(
            key="mobilization",
            label=_("Mobilization"),
            url_name="field:tasks",
            order=14,
            tab=60,
        )
    )
