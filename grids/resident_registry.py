"""What houses and residents register with the core when the app is ready: scope rules, personal
fields (PIPL), the change log, navigation and their part of the demo."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from governance import changelog, privacy, scopes
from governance.demo import register_seeder
from governance.models import Role
from governance.navigation import NavItem, register_nav

# Roles that keep the resident register: they may change residents in their scope.
KEEPER_ROLES = frozenset({Role.GRID_WORKER, Role.COMMUNITY_DISPATCHER, Role.STREET_ADMIN})
# Roles that see the register (masked): the keepers, the center and leaders, party officers.
REGISTER_ROLES = KEEPER_ROLES | {Role.CENTER_SUPERVISOR, Role.VIEWER, Role.PARTY_OFFICER}
# Roles whose work needs a resident's phone, document number or registered address in full
# (a grid worker calls on a household; the community and street answer for the register):
# they may reveal one, with a reason, inside their scope. Everyone else sees them masked.
PERSONAL_READERS = KEEPER_ROLES


def register() -> None:
    from grids.demo.residents import seed_residents
    from grids.models import (
        CareTag,
        Household,
        ImportRun,
        Resident,
        ResidentCareTag,
        Room,
        Visit,
    )

    rule = scopes.ScopeRule
    for model, path in (
        (Room, "area"),
        (Household, "area"),
        (Resident, "area"),
        (ResidentCareTag, "resident__area"),
    ):
        scopes.register(
            model, rule(area_path=path, view_roles=REGISTER_ROLES, change_roles=KEEPER_ROLES)
        )
    # Every role working in a street reads its list of care tags; its admin keeps it.
    scopes.register(CareTag, rule(area_path="street", covering=True, view_roles=REGISTER_ROLES))
    scopes.register(
        Visit,
        rule(
            area_path="area",
            view_roles=REGISTER_ROLES,
            change_roles=KEEPER_ROLES,
            owner_path="visitor",
        ),
    )

    field = privacy.PersonalField
    privacy.register(
        Resident,
        field("id_number", privacy.Kind.ID_NUMBER, PERSONAL_READERS),
        field("phone", privacy.Kind.PHONE, PERSONAL_READERS),
        field("registered_address", privacy.Kind.ADDRESS, PERSONAL_READERS),
    )
    # Residents themselves are not in the change log: its snapshots would keep their ID numbers
    # and phones in full. Their rooms and the street's care tags are.
    changelog.register(Room, area_path="area")
    changelog.register(CareTag, area_path="street")
    # An applied import is one entry of the change log (its rows are not logged one by one).
    scopes.register(ImportRun, rule(area_path="area", view_roles=REGISTER_ROLES))
    changelog.register(ImportRun, area_path="area")

    register_seeder(26, "houses, residents, care tags and a year of home visits", seed_residents)
    register_nav(
        NavItem(
            key="residents",
            label=_("Residents"),
            url_name="people:residents",
            roles=REGISTER_ROLES,
            order=11,
        )
    )
