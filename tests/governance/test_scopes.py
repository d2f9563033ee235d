"""The in-memory scope questions of governance.scopes: one area, one user, no query."""

from __future__ import annotations

from governance.models import Role
from governance.scopes import (
    area_role,
    assignments_over,
    can_change_under,
    department_role,
    reachable,
)
from grids.models import Area
from tests.factories import DepartmentFactory, RoleAssignmentFactory, UserFactory


def test_area_role_names_the_first_role_that_reaches_the_area(cast, tree):
    user = UserFactory(username="both")
    RoleAssignmentFactory(user=user, role=Role.STREET_ADMIN, area=tree.street)
    RoleAssignmentFactory(user=user, role=Role.CENTER_SUPERVISOR, area=tree.community_a)
    roles = (Role.CENTER_SUPERVISOR, Role.STREET_ADMIN)
    assert area_role(user, tree.building_a1, roles) == Role.CENTER_SUPERVISOR
    assert area_role(user, tree.building_b1, roles) == Role.STREET_ADMIN
    assert area_role(user, tree.building_b1, [Role.CENTER_SUPERVISOR]) is None


def test_area_role_reads_the_cached_assignments_only(cast, tree, django_assert_num_queries):
    area_role(cast.dispatcher_a, tree.street, [Role.COMMUNITY_DISPATCHER])
    with django_assert_num_queries(0):
        for area in (tree.building_a1, tree.building_b1, tree.grid_a2, None):
            area_role(cast.dispatcher_a, area, [Role.COMMUNITY_DISPATCHER])


def test_a_superuser_holds_no_role_but_may_change_anywhere(cast, tree):
    assert area_role(cast.superuser, tree.building_a1, list(Role)) is None
    assert can_change_under(cast.superuser, tree.building_b1)


def test_department_role_matches_the_department_only(db):
    one, other = DepartmentFactory(), DepartmentFactory()
    user = UserFactory(username="handler")
    RoleAssignmentFactory(user=user, role=Role.DEPARTMENT_HANDLER, department=one)
    assert department_role(user, one.pk, [Role.DEPARTMENT_HANDLER]) == Role.DEPARTMENT_HANDLER
    assert department_role(user, other.pk, [Role.DEPARTMENT_HANDLER]) is None
    assert department_role(user, None, [Role.DEPARTMENT_HANDLER]) is None


def test_can_change_under_uses_the_area_rules_roles_unless_told_others(cast, tree):
    assert can_change_under(cast.admin_a, tree.grid_a1)
    assert not can_change_under(cast.admin_a, tree.grid_b1)
    assert not can_change_under(cast.dispatcher_a, tree.grid_a1)
    assert can_change_under(cast.dispatcher_a, tree.grid_a1, roles=[Role.COMMUNITY_DISPATCHER])
    assert not can_change_under(cast.admin_a, None)


def test_assignments_over_an_area_are_those_whose_scope_contains_it(
    cast, tree, django_assert_num_queries
):
    with django_assert_num_queries(1):
        users = {a.user for a in assignments_over(tree.building_a1, [Role.STREET_ADMIN])}
    assert users == {cast.street_admin, cast.admin_a}
    dispatchers = {a.user for a in assignments_over(tree.grid_b1, [Role.COMMUNITY_DISPATCHER])}
    assert dispatchers == {cast.dispatcher_b}


def test_reachable_narrows_to_the_assignments_of_the_roles_asked(cast, tree):
    user = UserFactory(username="two-hats")
    RoleAssignmentFactory(user=user, role=Role.VIEWER, area=tree.street)
    RoleAssignmentFactory(user=user, role=Role.COMMUNITY_DISPATCHER, area=tree.community_a)
    areas = Area.objects.all()
    dispatched = set(reachable(user, areas, [Role.COMMUNITY_DISPATCHER]))
    assert tree.building_a1 in dispatched and tree.building_b1 not in dispatched
    assert set(reachable(user, areas, [Role.VIEWER])) == set(areas)
    assert not reachable(user, areas, [Role.STREET_ADMIN]).exists()
    assert reachable(cast.superuser, areas, []).count() == areas.count()


PARTY = {Role.PARTY_OFFICER, Role.STREET_ADMIN}


def test_an_area_is_reached_through_an_assignment_of_the_roles_asked(cast, tree):
    assert can_change_under(cast.admin_a, tree.grid_a1, PARTY)
    assert not can_change_under(cast.admin_a, tree.grid_b1, PARTY)
    # The dispatcher of A holds A, but not in a role that was asked about.
    assert not can_change_under(cast.dispatcher_a, tree.grid_a1, PARTY)
    assert can_change_under(cast.dispatcher_a, tree.grid_a1, {Role.COMMUNITY_DISPATCHER})
    assert not can_change_under(cast.nobody, tree.grid_a1, PARTY)
    assert can_change_under(cast.superuser, tree.grid_b1, PARTY)
    assert not can_change_under(cast.admin_a, None, PARTY)


def test_rows_are_narrowed_to_the_subtrees_of_the_roles_asked(
    cast, tree, django_assert_max_num_queries
):
    areas = Area.objects.all()
    # One query for the user's assignments, one for the rows.
    with django_assert_max_num_queries(2):
        mine = set(reachable(cast.admin_a, areas, PARTY))
    assert tree.grid_a1 in mine and tree.community_a in mine
    assert tree.grid_b1 not in mine and tree.street not in mine
    assert not reachable(cast.dispatcher_a, areas, PARTY).exists()
    assert reachable(cast.superuser, areas, PARTY).count() == areas.count()
