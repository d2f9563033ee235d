from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartybuildingConfig(AppConfig):
    name = "partybuilding"
    verbose_name = _("Party building and co-governance")

    def ready(self) -> None:
        from django.urls import reverse

        from casework.dispatch_hints import register_department_suggester
        from governance import changelog, privacy, scopes
        from governance.demo import register_seeder
        from governance.models import Role
        from governance.navigation import (
            NavItem,
            register_nav,
            register_start_page,
            register_unassigned_start_page,
        )
        from partybuilding import models as m
        from partybuilding.demo import (
            seed_compounds,
            seed_consortium,
            seed_partybuilding,
            seed_positions,
            seed_station,
            seed_unit_points,
        )
        from partybuilding.permissions import PARTY_CHANGE_ROLES

        # Model → lookup to its area. Every area role reads party work in its scope; party
        # officers and street admins change it.
        area_paths = {
            m.PartyOrganization: "area",
            m.OrganizationPost: "organization__area",
            m.PartyMember: "organization__area",
            m.DualReport: "community",
            m.DualReportService: "report__community",
            m.CoConstructionUnit: "area",
            m.PairingAgreement: "community",
            m.Demand: "area",
            m.Resource: "area",
            m.Project: "area",
            m.ProjectUpdate: "project__area",
            m.MicroWish: "area",
            m.Volunteer: "area",
            m.Activity: "area",
            m.Participation: "activity__area",
            m.PointEntry: "volunteer__area",
            m.Reward: "area",
            m.Redemption: "volunteer__area",
            m.Council: "area",
            m.CouncilMember: "council__area",
            m.MeetingSeries: "area",
            m.Meeting: "area",
            m.MeetingAttendee: "meeting__area",
            m.Resolution: "meeting__area",
            m.Compound: "area",
            m.OwnersCommittee: "compound__area",
            m.OwnersCommitteeMember: "committee__compound__area",
            m.PropertyContract: "compound__area",
            m.UnitPointRule: "area",
            m.Consortium: "area",
            m.ConsortiumMember: "consortium__area",
            m.UnitPointEntry: "unit__area",
            m.Opinion: "area",
        }
        for model, path in area_paths.items():
            scopes.register(
                model, scopes.ScopeRule(area_path=path, change_roles=PARTY_CHANGE_ROLES)
            )
            changelog.register(model, area_path=path)
        # A street's service centre serves its communities: their officers see it, its rooms
        # and its calendar (covering), and book it (services.positions.may_book_at). A property
        # company registered with the street serves compounds in its communities. A street's
        # deputies' contact station serves its communities too.
        covering_paths = {
            m.PropertyCompany: "area",
            m.Position: "area",
            m.PositionHours: "position__area",
            m.Room: "position__area",
            m.Booking: "room__position__area",
            # A street's contact station serves its communities: their officers see it, its
            # deputies and reception days; an opinion belongs to the place it is about.
            m.ContactStation: "area",
            m.Deputy: "area",
            m.Reception: "station__area",
        }
        for model, path in covering_paths.items():
            scopes.register(
                model,
                scopes.ScopeRule(area_path=path, change_roles=PARTY_CHANGE_ROLES, covering=True),
            )
            changelog.register(model, area_path=path)

        # Personal data (governance.privacy): who reads it in full, and how a search may match it.
        readers = frozenset(PARTY_CHANGE_ROLES)
        privacy.register(
            m.PartyMember,
            privacy.PersonalField("phone", privacy.Kind.PHONE, readers),
            privacy.PersonalField("id_number", privacy.Kind.ID_NUMBER, readers),
        )
        privacy.register(m.Volunteer, privacy.PersonalField("phone", privacy.Kind.PHONE, readers))
        privacy.register(
            m.CoConstructionUnit,
            privacy.PersonalField("contact_phone", privacy.Kind.PHONE, readers),
        )
        privacy.register(
            m.MicroWish, privacy.PersonalField("resident_phone", privacy.Kind.PHONE, readers)
        )
        privacy.register(
            m.Opinion,
            privacy.PersonalField("resident_name", privacy.Kind.NAME, readers),
            privacy.PersonalField("resident_phone", privacy.Kind.PHONE, readers),
        )

        from partybuilding import imports

        imports.register()

        register_seeder(30, "party building and co-governance", seed_partybuilding)
        register_seeder(31, "positions and room bookings", seed_positions)
        register_seeder(32, "compounds and their three carriages", seed_compounds)
        register_seeder(33, "units' points for last year and this year", seed_unit_points)
        register_seeder(34, "a governance consortium", seed_consortium)
        register_seeder(35, "a deputies' contact station", seed_station)

        party_roles = frozenset(
            {
                Role.PARTY_OFFICER,
                Role.STREET_ADMIN,
                Role.CENTER_SUPERVISOR,
                Role.COMMUNITY_DISPATCHER,
                Role.VIEWER,
            }
        )
        register_nav(
            NavItem(
                key="party",
                label=_("Party building"),
                url_name="partybuilding:home",
                roles=party_roles,
                order=40,
                tab=36,
            )
        )
        # The dashboard (casework) shows the party figures through its panel registry.
        from casework.stats.panels import Panel, register_panel
        from partybuilding.dashboard import party_panel

        register_panel(
            Panel(
                key="party",
                order=10,
                template="partybuilding/_dashboard_panel.html",
                context=party_panel,
            )
        )
        register_start_page(
            Role.PARTY_OFFICER, lambda user, assignment: reverse("partybuilding:home")
        )
        register_unassigned_start_page(volunteer_start_page)
        register_unassigned_start_page(deputy_start_page)
        register_department_suggester(property_department_for)


def volunteer_start_page(user) -> str | None:
    """A volunteer without a role starts on their own page (points, sign-ups, rewards)."""
    from django.urls import reverse

    from partybuilding.models import Volunteer

    if Volunteer.objects.filter(user=user).exists():
        return reverse("partybuilding:me")
    return None


def deputy_start_page(user) -> str | None:
    """A deputy without a role starts on their own page (the opinions they received)."""
    from django.urls import reverse

    from partybuilding.models import Deputy

    deputy = Deputy.objects.filter(user=user).only("pk").first()
    return reverse("partybuilding:deputy", args=[deputy.pk]) if deputy else None


def property_department_for(case):
    """A case in a compound goes, by default, to the property company under contract there."""
    from partybuilding.cogov_selectors import property_company_for

    if case.area_id is None:
        return None
    company = property_company_for(case.area)
    return company.department if company is not None else None
