from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Areas and grids")

    def ready(self) -> None:
        from django.urls import reverse

        from governance import changelog, scopes
        from governance.demo import register_seeder
        from governance.models import Role
        from governance.navigation import (
            NavItem,
            register_nav,
            register_start_page,
            register_superuser_start_page,
        )
        from grids.demo import seed_grids
        from grids.models import Area, GridStaff

        scopes.register(Area, scopes.ScopeRule(area_path=""))
        scopes.register(GridStaff, scopes.ScopeRule(area_path="area"))
        changelog.register(Area, area_path="")
        changelog.register(GridStaff, area_path="area")

        register_seeder(10, "areas, staff, departments and users", seed_grids)
        from grids import field_registry

        field_registry.register()
        from grids import resident_registry

        resident_registry.register()
        from grids import staff_imports

        staff_imports.register()
        # Signed-in users without a role (volunteers) have no area to see.
        register_nav(
            NavItem(
                key="areas",
                label=_("Areas"),
                url_name="grids:tree",
                roles=frozenset(Role),
                order=10,
                tab=40,
            )
        )

        def own_area(user, assignment):
            return reverse("grids:area", args=[assignment.area_id])

        for role in Role:
            if role != Role.DEPARTMENT_HANDLER:
                register_start_page(role, own_area)
        register_superuser_start_page(lambda user: reverse("grids:tree"))
