"""Django admin for areas and staff: scoped lists for street admins, validation, drag moves
through the move service."""

from __future__ import annotations

import pytest
from django.test import Client

from governance.models import Role
from grids.models import Area, GridStaff
from tests.factories import GridStaffFactory, RoleAssignmentFactory, grant_admin_site_access

AREAS = "/admin/grids/area/"
STAFF = "/admin/grids/gridstaff/"


@pytest.fixture
def admin_a(client, cast):
    """Street admin of community A, signed in to Django admin (not a superuser)."""
    grant_admin_site_access(cast.admin_a)
    client.force_login(cast.admin_a)
    return client


@pytest.fixture
def root(cast):
    client = Client()
    client.force_login(cast.superuser)
    return client


def area_form(area: Area, **changes) -> dict:
    data = {
        "name": area.name,
        "code": area.code,
        "boundary": "null",
        "latitude": "",
        "longitude": "",
        "households": area.households,
        "population": area.population,
        "notes": area.notes,
        "staff-TOTAL_FORMS": 0,
        "staff-INITIAL_FORMS": 0,
        "staff-MIN_NUM_FORMS": 0,
        "staff-MAX_NUM_FORMS": 1000,
    }
    data.update(changes)
    return data


def test_a_street_admin_lists_only_their_subtree(admin_a, tree):
    page = admin_a.get(AREAS).content.decode()
    assert tree.grid_a1.name in page
    assert tree.grid_b1.name not in page
    assert tree.community_b.name not in page


def test_a_street_admin_cannot_open_an_area_outside_their_subtree(admin_a, tree):
    assert admin_a.get(f"{AREAS}{tree.grid_a1.pk}/change/").status_code == 200
    response = admin_a.get(f"{AREAS}{tree.grid_b1.pk}/change/")
    assert response.status_code == 302
    assert response.url == "/admin/"


def test_a_street_admin_lists_only_staff_of_their_subtree(admin_a, tree):
    GridStaffFactory(area=tree.grid_a1, name="青松组长")
    other = GridStaffFactory(area=tree.grid_b1, name="柳荫组长")
    page = admin_a.get(STAFF).content.decode()
    assert "青松组长" in page
    assert "柳荫组长" not in page
    assert admin_a.get(f"{STAFF}{other.pk}/change/").status_code == 302


def test_a_street_admin_cannot_attach_staff_to_an_area_outside_their_subtree(admin_a, tree):
    response = admin_a.post(
        f"{STAFF}add/",
        {"area": tree.grid_b1.pk, "position": "grid_leader", "name": "越界", "phone": ""},
    )
    assert response.status_code == 200
    assert "area" in response.context["adminform"].form.errors
    assert not GridStaff.objects.exists()


def test_a_street_admin_adds_an_area_only_under_their_subtree(admin_a, tree):
    data = area_form(tree.micro_a1, name="新微网格", code=f"{tree.grid_b1.code}09")
    response = admin_a.post(
        f"{AREAS}add/", {**data, "parent": tree.grid_b1.pk, "kind": "micro_grid"}
    )
    assert "parent" in response.context["adminform"].form.errors
    data["code"] = f"{tree.grid_a1.code}09"
    response = admin_a.post(
        f"{AREAS}add/", {**data, "parent": tree.grid_a1.pk, "kind": "micro_grid"}
    )
    assert response.status_code == 302
    assert Area.objects.get(name="新微网格").parent_id == tree.grid_a1.pk
    assert Area.check_tree() == []


def test_a_street_admin_cannot_add_a_root(admin_a, tree):
    data = area_form(tree.street, name="新街道", code="110101077")
    response = admin_a.post(f"{AREAS}add/", {**data, "parent": "", "kind": "street"})
    assert "parent" in response.context["adminform"].form.errors


def test_the_admin_form_applies_the_tree_rules(root, tree):
    data = area_form(tree.micro_a1, name="错层", code=f"{tree.grid_a1.code}09")
    response = root.post(f"{AREAS}add/", {**data, "parent": tree.grid_a1.pk, "kind": "community"})
    errors = response.context["adminform"].form.errors
    assert "kind" in errors
    response = root.post(
        f"{AREAS}{tree.grid_a1.pk}/change/",
        area_form(tree.grid_a1, code=tree.grid_a2.code, latitude="39.9"),
    )
    errors = response.context["adminform"].form.errors
    assert {"code", "latitude"} <= set(errors)
    assert Area.objects.get(pk=tree.grid_a1.pk).code != tree.grid_a2.code


def test_renumbering_in_the_admin_carries_the_subtree_along(root, tree):
    new_code = f"{tree.community_a.code}08"
    response = root.post(
        f"{AREAS}{tree.grid_a1.pk}/change/", area_form(tree.grid_a1, code=new_code)
    )
    assert response.status_code == 302
    assert Area.objects.get(pk=tree.building_a1.pk).code.startswith(new_code)


def test_dragging_an_area_moves_it_through_the_service_and_renumbers(admin_a, tree):
    response = admin_a.post(
        AREAS,
        {
            "cmd": "move_node",
            "position": "last-child",
            "cut_item": tree.micro_a1.pk,
            "pasted_on": tree.grid_a2.pk,
        },
    )
    assert response.content == b"OK, moved."
    micro = Area.objects.get(pk=tree.micro_a1.pk)
    assert micro.parent_id == tree.grid_a2.pk
    assert micro.code == f"{tree.grid_a2.code}01"
    assert Area.objects.get(pk=tree.building_a1.pk).code.startswith(micro.code)
    assert Area.check_tree() == []


def test_dragging_beside_a_node_moves_under_that_nodes_parent(root, tree):
    response = root.post(
        AREAS,
        {
            "cmd": "move_node",
            "position": "right",
            "cut_item": tree.micro_a1.pk,
            "pasted_on": tree.micro_b1.pk,
        },
    )
    assert response.content == b"OK, moved."
    assert Area.objects.get(pk=tree.micro_a1.pk).parent_id == tree.grid_b1.pk


def test_dragging_out_of_scope_or_into_an_invalid_place_is_refused(admin_a, root, tree):
    move = {"cmd": "move_node", "position": "last-child", "cut_item": tree.micro_a1.pk}
    assert admin_a.post(AREAS, {**move, "pasted_on": tree.grid_b1.pk}).content.startswith(b"FAIL")
    root_response = root.post(AREAS, {**move, "pasted_on": tree.building_b1.pk})
    assert root_response.content == b"FAIL, invalid move."
    assert Area.objects.get(pk=tree.micro_a1.pk).parent_id == tree.grid_a1.pk
    assert Area.check_tree() == []


def test_parent_and_kind_are_fixed_once_an_area_exists(root, tree):
    form = root.get(f"{AREAS}{tree.grid_a1.pk}/change/").context["adminform"].form
    assert "parent" not in form.fields
    assert "kind" not in form.fields


def test_deleting_an_area_with_protected_references_is_explained(root, tree):
    RoleAssignmentFactory(role=Role.GRID_WORKER, area=tree.building_a1)
    response = root.get(f"{AREAS}{tree.building_a1.pk}/delete/")
    assert response.context["protected"]
    root.post(f"{AREAS}{tree.building_a1.pk}/delete/", {"post": "yes"})
    assert Area.objects.filter(pk=tree.building_a1.pk).exists()
    changelist = root.get(AREAS)
    actions = changelist.context["cl"].model_admin.get_actions(changelist.wsgi_request)
    assert "delete_selected" not in actions


def test_a_street_admin_deletes_a_leaf_in_scope(admin_a, tree):
    response = admin_a.post(f"{AREAS}{tree.building_a1.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Area.objects.filter(pk=tree.building_a1.pk).exists()
    assert Area.check_tree() == []
