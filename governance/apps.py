from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance: users, roles and departments")

    def ready(self) -> None:
        from django.db.models import Q
        from django.db.models.signals import post_save

        from governance import changelog, scopes, webhooks
        from governance.demo import register_seeder
        from governance.demo.calendar import seed_holidays, seed_working_hours
        from governance.models import (
            CalendarDay,
            Department,
            ObjectChange,
            PersonalDataAccess,
            Role,
            RoleAssignment,
            User,
            WebhookEndpoint,
            WorkingHours,
        )
        from governance.navigation import NavItem, badges_follow, register_nav
        from governance.token_demo import seed_api_tokens
        from governance.workclock import watch_calendar

        webhooks.LISTENED.watch(WebhookEndpoint)
        scopes.ASSIGNMENTS.watch(RoleAssignment, Department, scopes.area_model())

        # Users and departments are read in the change log by who manages them now; a
        # department role by the area, else the department's owner.
        changelog.register(Department, readers=scopes.departments_managed_by)
        changelog.register(RoleAssignment, area_path=("area", "department__owner"))
        changelog.register(User, readers=scopes.users_managed_by)
        # Departments belong to a street or a district (none: city-wide, seen by everyone):
        # seen in the streets below and the areas inside their owner, and by their handlers;
        # managed by the street (or district) administrators of their owner.
        scopes.register(
            Department,
            scopes.ScopeRule(
                area_path="owner",
                department_path="pk",
                covering=True,
                public=Q(owner__isnull=True),
            ),
        )
        # Role assignments are granted and read by street admins within their subtree.
        scopes.register(
            RoleAssignment,
            scopes.ScopeRule(
                area_path="area",
                view_roles=frozenset({Role.STREET_ADMIN}),
                change_roles=frozenset({Role.STREET_ADMIN}),
            ),
        )
        scopes.register(
            ObjectChange,
            scopes.ScopeRule(
                area_path="area",
                view_roles=frozenset({Role.STREET_ADMIN}),
                change_roles=frozenset(),
            ),
        )
        # The personal-data access log is read by street admins for their own subtree.
        scopes.register(
            PersonalDataAccess,
            scopes.ScopeRule(
                area_path="area",
                view_roles=frozenset({Role.STREET_ADMIN}),
                change_roles=frozenset(),
            ),
        )
        register_nav(
            NavItem(
                key="changelog",
                label=_("Change log"),
                url_name="changelog",
                roles=frozenset({Role.STREET_ADMIN}),
                order=90,
            )
        )

        register_nav(
            NavItem(
                key="access-log",
                label=_("Personal data access"),
                url_name="access-log",
                roles=frozenset({Role.STREET_ADMIN}),
                order=91,
            )
        )

        changelog.register(CalendarDay)
        changelog.register(WorkingHours, area_path="area")
        scopes.register(WorkingHours, scopes.ScopeRule(area_path="area"))
        watch_calendar()
        from governance.models import Notification
        from governance.notifications import unread_count

        register_nav(
            NavItem(
                key="notifications",
                label=_("Notifications"),
                url_name="notifications:list",
                badge=unread_count,
                badge_reads=(Notification,),
                order=5,
                tab=50,
            )
        )
        # A notification moves its recipient's badges only; a role assignment its holder's
        # (their scope, so the streets their badges follow, is read again with it).
        badges_follow(Notification, user=lambda notification: notification.recipient_id)
        badges_follow(RoleAssignment, user=lambda assignment: assignment.user_id)
        from governance.models import WebhookDelivery, WebhookEndpoint

        # Webhook endpoints belong to their owner area; street admins manage their own.
        street_admins = frozenset({Role.STREET_ADMIN})
        scopes.register(
            WebhookEndpoint,
            scopes.ScopeRule(
                area_path="owner", view_roles=street_admins, change_roles=street_admins
            ),
        )
        scopes.register(
            WebhookDelivery,
            scopes.ScopeRule(
                area_path="endpoint__owner", view_roles=street_admins, change_roles=frozenset()
            ),
        )
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from governance import auth, sessions, tokens
        from governance.models import ApiToken

        tokens.TOKENS.watch(ApiToken)
        tokens.TOKENS.watch(User, ignoring=tokens.TOKEN_USER_IGNORED_FIELDS)
        tokens.TOKENS.partition(ApiToken, tokens.token_parts)
        tokens.TOKENS.partition(User, auth.user_parts)
        auth.USERS.watch(User)
        auth.USERS.partition(User, auth.user_parts)

        post_save.connect(
            tokens.revoke_tokens_of_inactive_user, sender=User, dispatch_uid="tokens:inactive"
        )
        user_locked_out.connect(tokens.revoke_tokens_on_lockout, dispatch_uid="tokens:lockout")
        user_logged_in.connect(sessions.mark_seen_on_login, dispatch_uid="sessions:login")
        register_seeder(5, "holiday calendar", seed_holidays)
        register_seeder(11, "working hours of the demo street", seed_working_hours)
        register_seeder(12, "API tokens of the demo users", seed_api_tokens)
