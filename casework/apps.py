from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Case handling")

    def ready(self) -> None:
        from django.db.models import Q
        from django.urls import NoReverseMatch, reverse

        from casework import selectors
        from casework.deadlines.selectors import desk_badge
        from casework.demo import (
            seed_assessment,
            seed_case_exports,
            seed_casework,
            seed_deadlines,
            seed_stats_rollup,
        )
        from casework.demo.wall import seed_wall
        from casework.models import (
            Attachment,
            Case,
            CaseCounter,
            CaseEvent,
            Category,
            DeadlineRequest,
            Reminder,
            ResponseTemplate,
            SupervisionOrder,
            TimeLimit,
        )
        from casework.workflow import HOLDER_ROLES, REPORT_SOURCES, STEPS
        from governance import changelog, privacy, scopes
        from governance.demo import register_seeder
        from governance.models import Role, RoleAssignment
        from governance.navigation import (
            NavItem,
            badges_follow,
            register_nav,
            register_start_page,
            street_row_parts,
        )
        from grids.models import Area

        selectors.TIME_LIMITS.watch(Category, TimeLimit)
        selectors.CATEGORIES.watch(Category)
        selectors.AREAS.watch(Area)
        from casework.page_selectors import FILTER_OPTIONS
        from governance.models import Department

        selectors.DEPARTMENTS.watch(Department)
        selectors.QUICK_REPLY_USERS.watch(ResponseTemplate, RoleAssignment, Area)

        FILTER_OPTIONS.watch(Area, Department, RoleAssignment)
        # A case list's count: a case written moves the counts of its street (and of the users
        # reaching beyond one street); an area or a category (their trees' numbers are in the
        # lists' conditions) moves every count.
        selectors.CASE_COUNTS.watch(Case, Area, Category)
        selectors.CASE_COUNTS.partition(Case, lambda case: street_row_parts(case.street_id))

        # A community's or a grid's scope is the case's kept community or grid (a column of the
        # case, no join to the area table; kept by casework.services, which also brings them in
        # line when an area moves); a street's, a district's or a lower area's is the subtree.
        def case_rule(prefix: str = "") -> scopes.ScopeRule:
            return scopes.ScopeRule(
                area_path=f"{prefix}area",
                department_path=f"{prefix}department",
                level_paths={
                    Area.COMMUNITY_KIND: f"{prefix}community",
                    Area.GRID_KIND: f"{prefix}grid",
                },
            )

        scopes.register(Case, case_rule())
        scopes.register(CaseEvent, case_rule("case__"))
        scopes.register(Attachment, case_rule("case__"))
        from casework.services import cases_follow_area
        from grids.models.areas import area_moved

        area_moved.connect(
            lambda sender, area, **kwargs: cases_follow_area(area),
            sender=Area,
            weak=False,
            dispatch_uid="casework.cases_follow_area",
        )
        # A street's case numbers are its own business (the admin lists the counters).
        scopes.register(
            CaseCounter,
            scopes.ScopeRule(area_path="street", view_roles=frozenset({Role.STREET_ADMIN})),
        )
        changelog.register(Case, area_path="area")
        # A resident reporter's name and phone are shown masked to everyone; those who work the
        # case read them in full through a logged reveal, a viewer never.
        case_workers = frozenset(
            {
                Role.STREET_ADMIN,
                Role.CENTER_SUPERVISOR,
                Role.COMMUNITY_DISPATCHER,
                Role.GRID_WORKER,
                Role.DEPARTMENT_HANDLER,
            }
        )
        privacy.register(
            Case,
            privacy.PersonalField("reporter_name", privacy.Kind.NAME, case_workers),
            privacy.PersonalField("reporter_phone", privacy.Kind.PHONE, case_workers),
        )
        changelog.register(Category)
        # Quick replies belong to a street or district (none: every street): seen below and
        # inside their owner, kept by its administrators.
        scopes.register(
            ResponseTemplate,
            scopes.ScopeRule(area_path="owner", covering=True, public=Q(owner__isnull=True)),
        )
        changelog.register(
            ResponseTemplate,
            readers=lambda user: scopes.visible(user, ResponseTemplate.objects.all()),
        )

        register_seeder(20, "case categories, quick replies and a year of cases", seed_casework)
        for model in (DeadlineRequest, Reminder, SupervisionOrder):
            scopes.register(model, case_rule("case__"))
        register_seeder(25, "deadlines: reminders, requests, supervision orders", seed_deadlines)
        register_seeder(27, "the monthly assessment and its frozen months", seed_assessment)
        register_seeder(28, "the command center's wall screen link", seed_wall)
        register_seeder(29, "a finished background case export", seed_case_exports)
        register_seeder(90, "statistics rollups", seed_stats_rollup)
        from casework.stats.models import (
            AssessmentItem,
            AssessmentMonth,
            AssessmentRecompute,
            AssessmentResult,
            AssessmentScheme,
            ManualScore,
        )

        # The assessment belongs to its street (the scheme is read below it too; the results,
        # which compare communities, only by the street); the center enters the manual scores.
        center_and_admin = frozenset({Role.STREET_ADMIN, Role.CENTER_SUPERVISOR})
        scopes.register(AssessmentScheme, scopes.ScopeRule(area_path="street", covering=True))
        scopes.register(AssessmentItem, scopes.ScopeRule(area_path="scheme__street", covering=True))
        for model, path in (
            (AssessmentMonth, "scheme__street"),
            (AssessmentResult, "assessment__scheme__street"),
            (AssessmentRecompute, "assessment__scheme__street"),
        ):
            scopes.register(model, scopes.ScopeRule(area_path=path))
        # Wall links are the street administrator's business (the wall itself reads by key).
        from casework.stats.wall_models import WallToken

        scopes.register(
            WallToken,
            scopes.ScopeRule(area_path="area", view_roles=frozenset({Role.STREET_ADMIN})),
        )
        scopes.register(
            ManualScore,
            scopes.ScopeRule(area_path="item__scheme__street", change_roles=center_and_admin),
        )
        # Whoever may hold a case has the supervision desk (orders to answer, requests to decide).
        holder_roles = frozenset(role for roles in HOLDER_ROLES.values() for role in roles)
        register_nav(
            NavItem(
                key="supervision",
                label=_("Supervision"),
                url_name="deadlines:desk",
                roles=holder_roles,
                badge=desk_badge,
                badge_reads=(DeadlineRequest, SupervisionOrder, Case, RoleAssignment),
                order=23,
                tab=38,
            )
        )

        # A case moves the badges of its street's users; a request or an order those of its
        # case's street, when the case came with it (else every user's: no query to find it).
        badges_follow(Case, street=lambda case: case.street_id)
        for model in (DeadlineRequest, SupervisionOrder):
            badges_follow(
                model,
                street=lambda row, model=model: (
                    row.case.street_id if model.case.is_cached(row) else None
                ),
            )

        # Grid workers have an inbox too: the cases to verify on site.
        inbox_roles = holder_roles | {Role.GRID_WORKER}
        register_nav(
            NavItem(
                key="case-inbox",
                label=_("Inbox"),
                url_name="casework:inbox",
                roles=inbox_roles,
                badge=selectors.inbox_count,
                badge_reads=(Case, RoleAssignment),
                order=20,
                tab=10,
            )
        )
        # Signed-in users without a role (volunteers) have no case to see.
        register_nav(
            NavItem(
                key="cases",
                label=_("Cases"),
                url_name="casework:list",
                roles=frozenset(Role),
                order=21,
                tab=30,
            )
        )
        register_nav(
            NavItem(
                key="case-new",
                label=_("Report a case"),
                url_name="casework:new",
                roles=frozenset(STEPS["report"].roles) - frozenset(REPORT_SOURCES),
                order=22,
                tab=20,
            )
        )

        def inbox(user, assignment):
            try:
                return reverse("casework:inbox")
            except NoReverseMatch:
                # Until the case pages are routed, area roles start on their own area.
                return (
                    reverse("grids:area", args=[assignment.area_id]) if assignment.area_id else None
                )

        for role in inbox_roles - {Role.STREET_ADMIN}:
            register_start_page(role, inbox)

        # The leaders, the street and the center start on the dashboard of their scope.
        from casework.stats.selectors import DASHBOARD_ROLES

        register_nav(
            NavItem(
                key="dashboard",
                label=_("Dashboard"),
                url_name="stats:dashboard",
                roles=DASHBOARD_ROLES,
                order=15,
            )
        )
        for role in (Role.VIEWER, Role.STREET_ADMIN, Role.CENTER_SUPERVISOR):
            register_start_page(role, lambda user, assignment: reverse("stats:dashboard"))

        from casework import webhooks
        from casework.open311 import setup as public_intake

        webhooks.connect()
        public_intake.ready()
