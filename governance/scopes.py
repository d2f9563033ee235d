"""Which rows of a model a user may see or change: the one scope filter of the portal.

Every page, API view, export, search and the admin list for non-superusers narrows its queryset
through :func:`visible` (or :func:`changeable`). A model takes part by registering a
:class:`ScopeRule` that says how to reach its area (and, optionally, its department) from a row.

Scope is a subtree of the area tree; the check is a range query on the tree (``tree_id`` and
``lft`` between the scope node's ``lft`` and ``rght``), never a walk over descendants. A model
that keeps the ancestor of a given kind beside its area (a case keeps its community and grid)
says so in its rule (``level_paths``), and a scope at an area of that kind is then the plain
condition on that column: the same rows, without the join to the area table.
:func:`reachable` narrows to some roles only (an inbox). Questions about one area already loaded
(:func:`area_role`, :func:`can_change_under`) are answered in memory from the cached assignments,
and :func:`assignments_over` finds the people whose scope contains an area.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from django.apps import apps
from django.conf import settings
from django.db.models import Exists, Model, OuterRef, Q, QuerySet, Subquery

from governance.models import DEPARTMENT_ROLES, Department, Role, RoleAssignment, User
from governance.models.roles import IMPLIED_ROLES, roles_implying
from governance.processcache import ProcessCache

# Each user's role assignments with their areas and departments, kept per process: read on every
# request, changed a few times a year. Strict (governance.processcache): any save or delete of an
# assignment, a department or an area (and a tree rebuilt) bumps the version every process
# reads first, so a revoked role stops at the next request on every process; with the shared
# cache away, or a change of this transaction not yet committed, nothing is kept. Watched in
# GovernanceConfig.ready.
ASSIGNMENTS = ProcessCache("role-assignments", strict=True)


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
    # Rows attached to an area that contains the user's scope are visible too (a street-wide
    # task is seen by the grid worker of one of its grids). Never widens what may be changed.
    covering: bool = False
    # Lookup from the model to a user who sees their own rows whatever their roles (a
    # volunteer's sign-ups, a worker's patrols after a move to another grid).
    owner_path: str | None = None
    # Rows every signed-in user may see (a city-wide department), whatever their roles.
    public: Q | None = None
    # Rows every signed-in user of the row's own street (or district) may see, whatever their
    # roles (a task calling for volunteers); another street's users never reach them.
    open_to_street: Q | None = None
    # Area kind → lookup path from the model to a key that holds, for every row, the ancestor of
    # that kind of the row's area (or the area itself when it is of that kind; empty when there
    # is none): a case's {"community": "community", "grid": "grid"}. An assignment at an area of
    # such a kind reaches the rows whose key is that area, which are exactly the rows of its
    # subtree as long as the model's writers keep the key so, also when an area moves (a case's
    # are kept by casework.services.case_levels and cases_follow_area). A column of the row
    # where the subtree needs a join to the area table: with the join PostgreSQL read a search's
    # text index once per area of a community (issue 15). Other kinds keep the subtree range.
    level_paths: Mapping[str, str] = field(default_factory=dict)


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
        """The user's assignments (shared with other requests of this process: read only)."""
        if not getattr(self.user, "is_authenticated", False):
            return []
        user_id = self.user.pk
        return list(ASSIGNMENTS.get(user_id, lambda: _read_assignments(user_id)))

    def streets(self) -> set[int] | None:
        """The pks of the streets the user's roles lie in (no query), or None when a role
        reaches beyond one street: an area above streets (a district), a department (it serves
        any area), or a superuser."""
        if self.is_superuser:
            return None
        streets = set()
        for assignment in self.assignments:
            street = getattr(assignment, "street_pk", None)
            if street is None:
                return None
            streets.add(street)
        return streets

    @property
    def is_superuser(self) -> bool:
        return bool(getattr(self.user, "is_superuser", False))

    def roles(self) -> set[str]:
        """The roles held, with those they carry (a district admin is a street admin too)."""
        held = {a.role for a in self.assignments}
        return held.union(*(IMPLIED_ROLES.get(role, ()) for role in held))

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or bool(self.roles() & set(roles))

    def areas(self, roles: Iterable[str] | None = None) -> list:
        wanted = roles_implying(roles) if roles is not None else None
        return [
            a.area for a in self.assignments if a.area_id and (wanted is None or a.role in wanted)
        ]

    @cached_property
    def home_areas(self) -> list:
        """The streets (or districts) the user belongs to: the street around each assigned area
        (the area itself when it lies above streets), the owners of their departments, and for a
        user without any assignment the street where they were registered. One query (two for a
        user without assignments)."""
        if not getattr(self.user, "is_authenticated", False):
            return []
        Area = area_model()
        nodes = [a.area for a in self.assignments if a.area_id]
        if not self.assignments and getattr(self.user, "home_area_id", None):
            nodes += list(Area.objects.filter(pk=self.user.home_area_id))
        owners = [
            a.department.owner_id
            for a in self.assignments
            if a.department_id and a.department.owner_id
        ]
        if not nodes and not owners:
            return []
        q = Q(pk__in=owners)
        for node in nodes:
            q |= Area.ancestors_q(node, include_self=True) & Q(kind=Area.STREET_KIND)
        found = list(Area.objects.filter(q))
        streets = [a for a in found if a.kind == Area.STREET_KIND]
        above = [n for n in nodes if not any(n.is_within(s) for s in streets)]
        return found + above

    def departments(self, roles: Iterable[str] | None = None) -> list:
        wanted = set(roles) if roles is not None else None
        return [
            a.department
            for a in self.assignments
            if a.department_id and (wanted is None or a.role in wanted)
        ]

    def q(self, model: type[Model], roles: Iterable[str] | None, *, viewing: bool = False) -> Q:
        """The filter for rows of ``model`` reachable through assignments of ``roles``
        (``viewing``: for reading, where a rule's covering areas and own rows count too)."""
        rule = rule_for(model)
        roles = set(roles) if roles is not None else None
        q = Q(pk__in=[])
        if rule.area_path is not None:
            prefix = f"{rule.area_path}__" if rule.area_path else ""
            Area = area_model()
            for area in self.areas(roles):
                q |= under_q(model, area)
                if viewing and rule.covering:
                    q |= Area.ancestors_q(area, prefix=prefix)
        if viewing and getattr(self.user, "is_authenticated", False):
            if rule.owner_path:
                q |= Q(**{rule.owner_path: self.user})
            if rule.public is not None:
                q |= rule.public
            if rule.open_to_street is not None and rule.area_path is not None:
                prefix = f"{rule.area_path}__" if rule.area_path else ""
                q |= rule.open_to_street & area_model().subtrees_q(self.home_areas, prefix=prefix)
        if rule.department_path:
            handler_roles = DEPARTMENT_ROLES if roles is None else roles & DEPARTMENT_ROLES
            dept_ids = [d.pk for d in self.departments(handler_roles)]
            if dept_ids:
                q |= Q(**{f"{rule.department_path}__in": dept_ids})
        return q


def under_q(model: type[Model], area) -> Q:
    """The rows of ``model`` whose area lies in the subtree of ``area`` (``area`` itself
    included): the plain condition on the key the model keeps for ``area``'s kind
    (``ScopeRule.level_paths``: a case's community or grid), else the subtree range through the
    row's area. A scope at ``area`` reaches these rows, and a filter by ``area`` keeps them."""
    rule = rule_for(model)
    level = rule.level_paths.get(area.kind)
    if level is not None:
        return Q(**{level: area.pk})
    prefix = f"{rule.area_path}__" if rule.area_path else ""
    return area_model().subtree_q(area, prefix=prefix)


def _read_assignments(user_id: int) -> list[RoleAssignment]:
    """The assignments of ``user_id``, each with its area, its department and the pk of the
    street at or above its area (``street_pk``; None for a department or an area above streets):
    one query."""
    Area = area_model()
    street = Area._default_manager.filter(
        Area.outer_ancestors_q(outer="area"), kind=Area.STREET_KIND
    ).values("pk")[:1]
    return list(
        RoleAssignment.objects.filter(user_id=user_id)
        .select_related("area", "department")
        .annotate(street_pk=Subquery(street))
    )


def scope_of(user) -> UserScope:
    """The cached scope of ``user`` (kept on the user object for the rest of the request)."""
    scope = getattr(user, "_scope_cache", None)
    if scope is None:
        scope = UserScope(user)
        with contextlib.suppress(AttributeError):
            user._scope_cache = scope
    return scope


def forget_scope(user) -> None:
    """Drop the scope kept on ``user`` (its areas were renumbered in the tree, say, by a
    rebuild within the request): the next :func:`scope_of` reads it again."""
    with contextlib.suppress(AttributeError):
        user._scope_cache = None


def visible(user, queryset: QuerySet) -> QuerySet:
    """Rows of ``queryset`` that ``user`` may see."""
    scope = scope_of(user)
    if scope.is_superuser:
        return queryset
    rule = rule_for(queryset.model)
    return queryset.filter(scope.q(queryset.model, rule.view_roles, viewing=True))


def narrow(user, model: type[Model]) -> bool:
    """True when every row of ``model`` that ``user`` may see (:func:`visible`) is reached
    through a key of the row itself: a level column (``level_paths``: one community's or one
    grid's cases) or a department, and no subtree range, covering area or rows open to all
    (those may reach a street or more). Such a scope is a small share of the table (a fifth of
    the bench street's cases, a 40th to a 400th of a district's), so the table's newest rows
    hold only that share of it (a search's window: governance.api.pagination). A superuser's
    is the whole table."""
    scope = scope_of(user)
    if scope.is_superuser:
        return False
    rule = rule_for(model)
    if rule.covering or rule.public is not None or rule.open_to_street is not None:
        return False
    if rule.area_path is None:
        return True
    return all(area.kind in rule.level_paths for area in scope.areas(rule.view_roles))


def changeable(user, queryset: QuerySet) -> QuerySet:
    """Rows of ``queryset`` that ``user`` may change."""
    scope = scope_of(user)
    if scope.is_superuser:
        return queryset
    rule = rule_for(queryset.model)
    return queryset.filter(scope.q(queryset.model, rule.change_roles))


def reachable(user, queryset: QuerySet, roles: Iterable[str]) -> QuerySet:
    """Rows of ``queryset`` that ``user`` reaches through assignments of ``roles`` only: a
    narrower question than :func:`visible` (an inbox, the center's desk, where a role may file).
    A superuser reaches every row."""
    scope = scope_of(user)
    if scope.is_superuser:
        return queryset
    return queryset.filter(scope.q(queryset.model, set(roles)))


def can_view(user, obj: Model) -> bool:
    return visible(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def can_change(user, obj: Model) -> bool:
    return changeable(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


# -- one area, in memory --------------------------------------------------------------------
# The questions above filter querysets. The ones below ask about one area already loaded (a
# case's, a new record's parent) and read only the user's cached assignments: no query.


def area_role(user, area, roles: Iterable[str], *, ancestry: set | None = None) -> str | None:
    """The first of ``roles`` (in the order given) through which ``area`` lies in ``user``'s
    scope, or None. A superuser holds no role here: callers say what a superuser may do.

    ``ancestry``, the pks of ``area`` and its ancestors as the tree stands now
    (``stored_ancestry``), answers for that tree instead of the nested-set numbers ``area`` and
    the user's areas were loaded with: for a write that checks again after a move may have
    committed (filing a case, ``casework.services.case_report``)."""
    if area is None:
        return None
    scope = scope_of(user)
    for role in roles:
        nodes = scope.areas([role])
        if ancestry is not None:
            found = any(node.pk in ancestry for node in nodes)
        else:
            found = any(area.is_within(node) for node in nodes)
        if found:
            return role
    return None


def can_view_area(user, area) -> bool:
    """May ``user`` see ``area``? The answer of :func:`visible` on the area model for this one
    row, from the user's cached assignments when the area model's rule is a plain subtree rule
    (no query); otherwise the query."""
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    Area = area_model()
    rule = rule_for(Area)
    plain = rule.area_path == "" and not (
        rule.owner_path
        or rule.department_path
        or rule.public is not None
        or rule.open_to_street is not None
    )
    if not plain:
        return visible(user, Area._default_manager.filter(pk=area.pk)).exists()
    return any(
        area.is_within(node) or (rule.covering and node.is_within(area))
        for node in scope.areas(rule.view_roles)
    )


def department_role(user, department_id: int | None, roles: Iterable[str]) -> str | None:
    """The first of ``roles`` in which ``user`` serves the department ``department_id``."""
    if department_id is None:
        return None
    scope = scope_of(user)
    for role in roles:
        if any(d.pk == department_id for d in scope.departments([role])):
            return role
    return None


def can_change_under(user, area, roles: Iterable[str] | None = None) -> bool:
    """May ``user`` create or change rows attached to ``area`` (a new child area, a staff post,
    a party-building record)? Through ``roles``, by default the area model's change roles."""
    if scope_of(user).is_superuser:
        return True
    if roles is None:
        roles = rule_for(area_model()).change_roles
    return area_role(user, area, roles) is not None


def assignments_over(area, roles: Iterable[str]) -> QuerySet[RoleAssignment]:
    """The assignments of ``roles`` whose scope contains ``area`` (the people to tell about
    something there), with their users: one query."""
    Area = area_model()
    return RoleAssignment.objects.filter(
        Area.ancestors_q(area, prefix="area__", include_self=True),
        role__in=sorted(roles_implying(roles)),
    ).select_related("user")


# -- departments, users and shared configuration ---------------------------------------------
# Departments belong to a street or a district (their ``owner``; none: city-wide). Users belong
# to whoever manages every one of their role assignments, or, without any, to the area where
# they were registered. These are the only answers to "which departments may this user choose"
# and "whose account may this user manage".


def departments_for(user, *, area=None, active: bool = True) -> QuerySet[Department]:
    """Departments ``user`` may choose (dispatch, filters, lists): the city-wide ones, those of
    the streets and districts their scope lies in or contains, and their own. With ``area``, only
    those that serve it (owned by it or above it, or city-wide); ``active=False``: the inactive
    ones too (to filter past cases)."""
    qs = Department.objects.filter(is_active=True) if active else Department.objects.all()
    qs = visible(user, qs)
    if area is not None:
        qs = qs.filter(
            Q(owner__isnull=True)
            | area_model().ancestors_q(area, prefix="owner__", include_self=True)
        )
    return qs.order_by("name_sort", "name")


def departments_managed_by(user) -> QuerySet[Department]:
    """Departments ``user`` manages: owned inside their street (or district) admin scope."""
    return changeable(user, Department.objects.all())


def users_managed_by(user) -> QuerySet[User]:
    """Accounts ``user`` may manage (edit, reset the password of, grant roles to, activate):
    for a street admin, users (never superusers) whose every role assignment is an area in
    their subtree or a department they manage, and users without any assignment registered in
    their subtree. A superuser manages everyone; nobody else manages anyone."""
    qs = User.objects.all()
    scope = scope_of(user)
    if scope.is_superuser:
        return qs
    if not scope.has_role(Role.STREET_ADMIN):
        return qs.none()
    managed_assignments = scope.q(RoleAssignment, {Role.STREET_ADMIN}) | Q(
        department__in=departments_managed_by(user)
    )
    outside = RoleAssignment.objects.exclude(managed_assignments)
    has_role = Exists(RoleAssignment.objects.filter(user=OuterRef("pk")))
    registered_here = Q(pk__in=[])
    Area = area_model()
    for node in scope.areas([Role.STREET_ADMIN]):
        registered_here |= Area.subtree_q(node, prefix="home_area__")
    return (
        qs.filter(is_superuser=False)
        .exclude(pk__in=outside.values("user_id"))
        .filter(has_role | registered_here)
    )


def users_within(user, roles: Iterable[str]) -> QuerySet[User]:
    """Active accounts lying wholly inside ``user``'s scope through ``roles`` (to link one to a
    record there, such as a deputy's portal account): users (never superusers) whose every role
    assignment is an area in the subtree of such an assignment, and users without any assignment
    registered there. A superuser: every active account. Choosing an account is not managing
    it; that stays :func:`users_managed_by`'s."""
    qs = User.objects.filter(is_active=True)
    scope = scope_of(user)
    if scope.is_superuser:
        return qs
    areas = scope.areas(roles)
    if not areas:
        return qs.none()
    Area = area_model()
    inside = RoleAssignment.objects.filter(Area.subtrees_q(areas, prefix="area__"))
    outside = RoleAssignment.objects.exclude(pk__in=inside.values("pk"))
    has_role = Exists(RoleAssignment.objects.filter(user=OuterRef("pk")))
    return (
        qs.filter(is_superuser=False)
        .exclude(pk__in=outside.values("user_id"))
        .filter(has_role | Area.subtrees_q(areas, prefix="home_area__"))
    )


def can_edit_shared_config(user) -> bool:
    """May ``user`` edit what every street shares (the holiday calendar, the category tree and its
    time limits)? Superusers and district administrators; street administrators read it only."""
    scope = scope_of(user)
    return scope.is_superuser or any(a.role == Role.DISTRICT_ADMIN for a in scope.assignments)
