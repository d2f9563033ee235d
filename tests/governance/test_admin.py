"""Django admin for users, role assignments and the change log."""

from __future__ import annotations

import pytest

from governance.models import ObjectChange, Role, RoleAssignment, User
from tests.factories import DepartmentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

USERS = "/admin/governance/user/"
ROLES = "/admin/governance/roleassignment/"
CHANGES = "/admin/governance/objectchange/"


def listed(response) -> set:
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


def register_nobody_in(cast, area):
    cast.nobody.home_area = area
    cast.nobody.save()


def test_a_street_admin_lists_only_users_of_their_subtree(site, tree, cast):
    register_nobody_in(cast, tree.grid_a1)
    users = listed(site(cast.admin_a, admin_access=True).get(USERS))
    assert {cast.admin_a, cast.dispatcher_a, cast.worker_a, cast.viewer_a, cast.nobody} <= users
    assert not users & {cast.superuser, cast.street_admin, cast.dispatcher_b}


def test_a_user_without_roles_registered_nowhere_is_the_superusers_alone(site, tree, cast):
    assert cast.nobody not in listed(site(cast.admin_a, admin_access=True).get(USERS))
    assert cast.nobody not in listed(site(cast.street_admin, admin_access=True).get(USERS))
    assert cast.nobody in listed(site(cast.superuser).get(USERS))


def test_a_street_admin_cannot_open_a_user_outside_their_subtree(site, cast):
    client = site(cast.admin_a, admin_access=True)
    assert client.get(f"{USERS}{cast.dispatcher_a.pk}/change/").status_code == 200
    assert client.get(f"{USERS}{cast.dispatcher_b.pk}/change/").status_code == 302
    assert client.get(f"{USERS}{cast.superuser.pk}/change/").status_code == 302


def test_a_street_admin_cannot_grant_admin_rights(site, tree, cast):
    register_nobody_in(cast, tree.community_a)
    client = site(cast.admin_a, admin_access=True)
    form = client.get(f"{USERS}{cast.nobody.pk}/change/").context["adminform"].form
    assert not {"is_superuser", "is_staff", "user_permissions", "groups"} & set(form.fields)
    response = client.post(
        f"{USERS}{cast.nobody.pk}/change/",
        {
            "username": "nobody",
            "full_name": "新名字",
            "phone": "",
            "email": "",
            "home_area": tree.community_a.pk,
            "is_active": "on",
            "is_superuser": "on",
            "is_staff": "on",
            "role_assignments-TOTAL_FORMS": 0,
            "role_assignments-INITIAL_FORMS": 0,
            "role_assignments-MIN_NUM_FORMS": 0,
            "role_assignments-MAX_NUM_FORMS": 1000,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(pk=cast.nobody.pk)
    assert user.full_name == "新名字"
    assert not user.is_superuser
    assert not user.is_staff
    entry = ObjectChange.objects.filter(object_id=str(user.pk), action="update").latest("pk")
    assert (entry.interface, entry.user) == ("admin", cast.admin_a)
    assert entry.diff == [("full_name", cast.nobody.full_name, "新名字")]


def test_role_assignment_admin_explains_a_wrong_scope_for_the_role(site, tree, cast):
    client = site(cast.superuser)
    department = DepartmentFactory()
    response = client.post(
        f"{ROLES}add/", {"user": cast.nobody.pk, "role": "grid_worker", "department": department.pk}
    )
    assert "Choose the area this role covers." in str(response.context["adminform"].form.errors)
    response = client.post(
        f"{ROLES}add/",
        {"user": cast.nobody.pk, "role": Role.DEPARTMENT_HANDLER, "area": tree.grid_a1.pk},
    )
    assert "Choose the department of this handler." in str(
        response.context["adminform"].form.errors
    )
    response = client.post(
        f"{ROLES}add/",
        {
            "user": cast.nobody.pk,
            "role": Role.DEPARTMENT_HANDLER,
            "area": tree.grid_a1.pk,
            "department": department.pk,
        },
    )
    assert "A department handler has no area scope." in str(
        response.context["adminform"].form.errors
    )
    assert not RoleAssignment.objects.filter(user=cast.nobody).exists()
    response = client.post(
        f"{ROLES}add/", {"user": cast.nobody.pk, "role": "grid_worker", "area": tree.grid_a1.pk}
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=cast.nobody, area=tree.grid_a1).exists()


def test_a_street_admin_assigns_roles_only_inside_their_subtree(site, tree, cast):
    register_nobody_in(cast, tree.community_a)
    client = site(cast.admin_a, admin_access=True)
    response = client.post(
        f"{ROLES}add/", {"user": cast.nobody.pk, "role": "grid_worker", "area": tree.grid_b1.pk}
    )
    assert "area" in response.context["adminform"].form.errors
    response = client.post(
        f"{ROLES}add/",
        {"user": cast.dispatcher_b.pk, "role": "grid_worker", "area": tree.grid_a1.pk},
    )
    assert "user" in response.context["adminform"].form.errors
    assert not RoleAssignment.objects.filter(role="grid_worker", user=cast.nobody).exists()
    assignments = listed(client.get(ROLES))
    assert {a.area for a in assignments} <= {tree.community_a, tree.grid_a1}


def test_the_change_log_admin_is_read_only_even_for_superusers(site, tree, cast):
    client = site(cast.superuser)
    entry = ObjectChange.objects.first()
    page = client.get(f"{CHANGES}{entry.pk}/change/")
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert client.post(f"{CHANGES}{entry.pk}/change/", {"object_repr": "x"}).status_code == 403
    assert client.post(f"{CHANGES}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{CHANGES}add/").status_code == 403
    assert ObjectChange.objects.get(pk=entry.pk).object_repr == entry.object_repr
    assert listed(client.get(CHANGES))


def test_a_street_admin_reads_only_their_subtree_in_the_change_log_admin(site, tree, cast):
    entries = listed(site(cast.admin_a, admin_access=True).get(CHANGES))
    assert entries
    assert all(e.area_id is None or e.area.is_within(tree.community_a) for e in entries)


def test_the_change_log_admin_is_closed_to_other_roles(site, tree, cast):
    assert site(cast.dispatcher_a, admin_access=True).get(CHANGES).context["cl"].result_count == 0
