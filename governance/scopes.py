"""Which rows of a model a user may see or change: the one scope filter of the portal.

Every page, API view, export, search and the admin list for non-superusers narrows its queryset
through :func:`visible` (or :func:`changeable`). A model takes part by registering a
:class:`ScopeRule` that says how to reach its area (and, optionally, its department) from a row.

Scope is a subtree of the area tree; the check is a range query on the tree (``tree_id`` and
``lft`` between the scope node's ``lft`` and ``rght``), never a walk over descendants.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from django.apps import apps
from django.conf import settings
from django.db.models import Model, Q, QuerySet

from governance.models import DEPARTMENT_ROLES, Role, RoleAssignment


@dataclass(frozen=True)
class ScopeRule:
    # Lookup from the model to its area: "" for the area model itself, "area" for an ``area`` key.
    area_path: str | None = None
    # Lookup from the model to a department; department handlers see rows of their department.
    department_path: str | None = None
    # Roles that may see rows in their scope (None: every role).
    view_roles: frozenset[str] | None = None
    # Roles that may change rows in their scope.
    change_roles: frozenset[str] = field(default_factory=lambda: frozenset({Role.STREET_ADMIN}))


_rules: dict[type[Model], ScopeRule] = {}


def register(model: type[Model], rule: ScopeRule) -> None:
    _rules[model] = rule


def rule_for(model: type[Model]) -> ScopeRule:
    try:
        return _rules[model]
    except KeyError:
        raise LookupError(
            f"{model._meta.label} has no scope rule; register one in its AppConfig"
        ) from None


def area_model():
    return apps.get_model(settings.SCOPE_AREA_MODEL)


class UserScope:
    """The role assignments of one user, read once per request."""

    def __init__(self, user) -> None:
        self.user = user

    @cached_property
    def assignments(self) -> list[RoleAssignment]:
        if not getattr(self.user, "is_authenticated", False):
            return []
        return list(
            RoleAssignment.objects.filter(user=self.user).select_related("area", "department")
        )

    @property
    def is_superuser(self) -> bool:
        return bool(getattr(self.user, "is_superuser", False))

    def roles(self) -> set[str]:
        return {a.role for a in self.assignments}

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or bool(self.roles() & set(roles))

    def areas(self, roles: Iterable[str] | None = None) -> list:
        wanted = set(roles) if roles is not None else None
        return [
            a.area for a in self.assignments if a.area_id and (wanted is None or a.role in wanted)
        ]

    def departments(self, roles: Iterable[str] | None = None) -> list:
        wanted = set(roles) if roles is not None else None
        return [
            a.department
            for a in self.assignments
            if a.department_id and (wanted is None or a.role in wanted)
        ]

    def q(self, model: type[Model], roles: Iterable[str] | None) -> Q:
        """The filter for rows of ``model`` reachable through assignments of ``roles``."""
        rule = rule_for(model)
        roles = set(roles) if roles is not None else None
        q = Q(pk__in=[])
        if rule.area_path is not None:
            prefix = f"{rule.area_path}__" if rule.area_path else ""
            Area = area_model()
            for area in self.areas(roles):
                q |= Area.subtree_q(area, prefix=prefix)
        if rule.department_path:
            handler_roles = DEPARTMENT_ROLES if roles is None else roles & DEPARTMENT_ROLES
            dept_ids = [d.pk for d in self.departments(handler_roles)]
            if dept_ids:
                q |= Q(**{f"{rule.department_path}__in": dept_ids})
        return q


def scope_of(user) -> UserScope:
    """The cached scope of ``user`` (kept on the user object for the rest of the request)."""
    scope = getattr(user, "_scope_cache", None)
    if scope is None:
        scope = UserScope(user)
        with contextlib.suppress(AttributeError):
            user._scope_cache = scope
    return scope


def visible(user, queryset: QuerySet) -> QuerySet:
    """Rows of ``queryset`` that ``user`` may see."""
    scope = scope_of(user)
    if scope.is_superuser:
        return queryset
    rule = rule_for(queryset.model)
    return queryset.filter(scope.q(queryset.model, rule.view_roles))


def changeable(user, queryset: QuerySet) -> QuerySet:
    """Rows of ``queryset`` that ``user`` may change."""
    scope = scope_of(user)
    if scope.is_superuser:
        return queryset
    rule = rule_for(queryset.model)
    return queryset.filter(scope.q(queryset.model, rule.change_roles))


def can_view(user, obj: Model) -> bool:
    return visible(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def can_change(user, obj: Model) -> bool:
    return changeable(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def can_change_under(user, area) -> bool:
    """May ``user`` create or change rows attached to ``area``? (e.g. a new child area)"""
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    if area is None:
        return False
    rule = rule_for(area_model())
    return any(area.is_within(s) for s in scope.areas(rule.change_roles))


# -- Subtrees of chosen roles ------------------------------------------------------------------
# For an app whose rows are changed by roles of its own (party building: party officers and
# street administrators), when it asks about an area rather than a stored row: "may this user
# write records here?", "which areas may this user choose?", "may this user read the personal
# data of members here?".


def reaches(user, area, roles: Iterable[str]) -> bool:
    """Does ``area`` lie in the subtree of one of ``user``'s assignments of ``roles``?

    Superusers reach every area; nobody reaches no area. Reads the assignments cached for the
    request, so asking per row costs no query.
    """
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    if area is None:
        return False
    return any(area.is_within(node) for node in scope.areas(roles))


def reachable(user, queryset: QuerySet, roles: Iterable[str]) -> QuerySet:
    """Rows of ``queryset`` (a model with a scope rule) in the subtree of one of ``user``'s
    assignments of ``roles``: one range query per assignment; every row for superusers."""
    scope = scope_of(user)
    if scope.is_superuser:
        return queryset
    return queryset.filter(scope.q(queryset.model, roles))
