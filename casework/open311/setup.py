"""Wiring of the public intake, called from casework's AppConfig.ready: scope rules, the change
log, the admin pages and the demo."""

from __future__ import annotations


def ready() -> None:
    from casework.open311 import admin  # noqa: F401 (registers the admin pages)
    from casework.open311.demo import seed_public_intake
    from casework.open311.models import (
        ApiKey,
        Intake,
        Jurisdiction,
        ServiceAttribute,
        ServiceDefinition,
    )
    from governance import changelog, scopes
    from governance.demo import register_seeder
    from governance.models import Role

    street_admins = frozenset({Role.STREET_ADMIN})
    scopes.register(
        Jurisdiction,
        scopes.ScopeRule(area_path="area", view_roles=street_admins, change_roles=street_admins),
    )
    scopes.register(
        ApiKey,
        scopes.ScopeRule(area_path="owner", view_roles=street_admins, change_roles=street_admins),
    )
    scopes.register(
        Intake, scopes.ScopeRule(area_path="case__area", department_path="case__department")
    )
    changelog.register(Jurisdiction, area_path="area")
    changelog.register(ApiKey, area_path="owner")
    changelog.register(ServiceDefinition)
    changelog.register(ServiceAttribute)

    from casework.models import Category
    from casework.open311.selectors import PUBLIC_SERVICES

    PUBLIC_SERVICES.watch(Category, ServiceDefinition)

    register_seeder(
        30, "public intake: Open311 services, an API key, residents' reports", seed_public_intake
    )
