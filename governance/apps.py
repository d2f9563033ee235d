from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance: users, roles and departments")

    def ready(self) -> None:
        from governance import changelog, scopes
        from governance.models import Department, ObjectChange, Role, RoleAssignment, User
        from governance.navigation import NavItem, register_nav

        changelog.register(Department)
        changelog.register(RoleAssignment, area_path="area")
        changelog.register(User)
        scopes.register(
            ObjectChange,
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
