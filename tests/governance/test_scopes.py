"""Scope questions about an area for chosen roles (governance.scopes.reaches / reachable)."""

from governance.models import Role
from governance.scopes import reachable, reaches
from grids.models import Area

PARTY = {Role.PARTY_OFFICER, Role.STREET_ADMIN}


def test_an_area_is_reached_through_an_assignment_of_the_roles_asked(cast, tree):
    assert reaches(cast.admin_a, tree.grid_a1, PARTY)
    assert not reaches(cast.admin_a, tree.grid_b1, PARTY)
    # The dispatcher of A holds A, but not in a role that was asked about.
    assert not reaches(cast.dispatcher_a, tree.grid_a1, PARTY)
    assert reaches(cast.dispatcher_a, tree.grid_a1, {Role.COMMUNITY_DISPATCHER})
    assert not reaches(cast.nobody, tree.grid_a1, PARTY)
    assert reaches(cast.superuser, tree.grid_b1, PARTY)
    assert not reaches(cast.admin_a, None, PARTY)


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
