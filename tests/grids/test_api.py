"""The area and staff API: scope on every read path, writes only by street admins in scope,
field messages for bad input, and bounded query counts."""

from __future__ import annotations

import pytest

from governance.models import Role
from grids.models import Area, AreaKind, GridStaff
from tests.factories import AreaFactory, GridStaffFactory, RoleAssignmentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

AREAS = "/api/v1/areas/"
STAFF = "/api/v1/staff/"
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[116.45, 39.93], [116.46, 39.93], [116.46, 39.94], [116.45, 39.93]]],
}


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def subtree_ids(node: Area) -> set[int]:
    return set(Area.objects.within(node).values_list("pk", flat=True))


# -- reads ------------------------------------------------------------------------------------
def test_a_dispatcher_lists_only_their_community(api, tree, cast):
    assert ids(api(cast.dispatcher_a).get(AREAS)) == subtree_ids(tree.community_a)


def test_a_grid_worker_lists_only_their_grid(api, tree, cast):
    assert ids(api(cast.worker_a).get(AREAS)) == subtree_ids(tree.grid_a1)


def test_the_superuser_lists_every_area(api, tree, cast):
    assert ids(api(cast.superuser).get(AREAS)) == set(Area.objects.values_list("pk", flat=True))


def test_anonymous_callers_are_refused(api, tree):
    assert api().get(AREAS).status_code in (401, 403)


def test_it_hides_another_communitys_area_by_id(api, tree, cast):
    client = api(cast.dispatcher_a)
    for node in (tree.community_b, tree.grid_b1, tree.building_b1):
        assert client.get(f"{AREAS}{node.pk}/").status_code == 404
    assert client.get(f"{AREAS}{tree.grid_a1.pk}/").status_code == 200


def test_search_finds_nothing_of_another_community(api, tree, cast):
    assert ids(api(cast.dispatcher_a).get(AREAS, {"search": "柳荫"})) == set()
    assert ids(api(cast.dispatcher_a).get(AREAS, {"search": tree.community_b.code})) == set()
    assert tree.grid_b1.pk in ids(api(cast.superuser).get(AREAS, {"search": "柳荫"}))


def test_within_another_community_is_empty(api, tree, cast):
    assert ids(api(cast.dispatcher_a).get(AREAS, {"within": tree.community_b.pk})) == set()
    assert ids(api(cast.dispatcher_a).get(AREAS, {"within": tree.grid_a1.pk})) == subtree_ids(
        tree.grid_a1
    )


@pytest.mark.parametrize("action", ["children", "ancestors", "subtree"])
def test_tree_actions_on_another_community_are_not_found(api, tree, cast, action):
    client = api(cast.dispatcher_a)
    assert client.get(f"{AREAS}{tree.grid_b1.pk}/{action}/").status_code == 404
    assert client.get(f"{AREAS}{tree.grid_a1.pk}/{action}/").status_code == 200


def test_children_and_subtree_stay_inside_the_scope(api, tree, cast):
    client = api(cast.worker_a)
    # The grid worker may open their grid but sees nothing of the sibling grid through its parent.
    assert client.get(f"{AREAS}{tree.community_a.pk}/children/").status_code == 404
    subtree = client.get(f"{AREAS}{tree.grid_a1.pk}/subtree/", {"depth": 3}).json()
    assert subtree["id"] == tree.grid_a1.pk
    assert [c["id"] for c in subtree["children"]] == [tree.micro_a1.pk]
    assert [c["id"] for c in subtree["children"][0]["children"]] == [tree.building_a1.pk]


def test_subtree_depth_must_be_a_small_whole_number(api, tree, cast):
    client = api(cast.street_admin)
    assert (
        "depth" in client.get(f"{AREAS}{tree.street.pk}/subtree/", {"depth": "x"}).json()["fields"]
    )
    assert "depth" in client.get(f"{AREAS}{tree.street.pk}/subtree/", {"depth": 9}).json()["fields"]


def test_ancestors_lead_from_the_root_down(api, tree, cast):
    rows = api(cast.dispatcher_a).get(f"{AREAS}{tree.building_a1.pk}/ancestors/").json()
    assert [r["id"] for r in rows] == [
        tree.street.pk,
        tree.community_a.pk,
        tree.grid_a1.pk,
        tree.micro_a1.pk,
    ]


def test_a_department_handler_sees_no_areas(api, tree, handler):
    assert ids(api(handler).get(AREAS)) == set()
    assert api(handler).get(f"{AREAS}{tree.grid_a1.pk}/").status_code == 404
    assert ids(api(handler).get(STAFF)) == set()


def test_a_department_handler_with_an_area_role_sees_that_area(api, tree, handler):
    RoleAssignmentFactory(user=handler, role=Role.VIEWER, area=tree.grid_b1)
    assert ids(api(handler).get(AREAS)) == subtree_ids(tree.grid_b1)


def test_staff_are_scoped_like_their_areas(api, tree, cast):
    mine = GridStaffFactory(area=tree.grid_a1)
    theirs = GridStaffFactory(area=tree.building_b1)
    client = api(cast.dispatcher_a)
    assert ids(client.get(STAFF)) == {mine.pk}
    assert client.get(f"{STAFF}{theirs.pk}/").status_code == 404
    assert ids(client.get(STAFF, {"within": tree.community_b.pk})) == set()
    assert ids(client.get(STAFF, {"within": tree.community_a.pk})) == {mine.pk}
    assert ids(api(cast.superuser).get(STAFF)) == {mine.pk, theirs.pk}


def test_token_authenticated_calls_are_scoped_the_same(api, tree, cast):
    cast.dispatcher_a.set_password("pass-word-123")
    cast.dispatcher_a.save()
    response = api().post(
        "/api/v1/auth/token/", {"username": "dispatcher_a", "password": "pass-word-123"}
    )
    assert response.status_code == 200
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert ids(client.get(AREAS)) == subtree_ids(tree.community_a)
    assert client.get(f"{AREAS}{tree.community_b.pk}/").status_code == 404
    assert client.get("/api/v1/me/").json()["username"] == "dispatcher_a"


def test_a_wrong_password_gets_no_token(api, tree, cast):
    response = api().post("/api/v1/auth/token/", {"username": "dispatcher_a", "password": "no"})
    assert response.status_code == 400


# -- writes -----------------------------------------------------------------------------------
def test_a_street_admin_creates_an_area_in_scope_with_the_next_free_code(api, tree, cast):
    response = api(cast.admin_a).post(
        AREAS, {"parent": tree.grid_a1.pk, "kind": "micro_grid", "name": "青松二微网格"}, "json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["code"] == f"{tree.grid_a1.code}02"
    assert Area.check_tree() == []


@pytest.mark.parametrize("who", ["dispatcher_a", "viewer_a", "worker_a", "nobody"])
def test_other_roles_cannot_create_areas(api, tree, cast, who):
    before = Area.objects.count()
    response = api(getattr(cast, who)).post(
        AREAS, {"parent": tree.grid_a1.pk, "kind": "micro_grid", "name": "新微网格"}, "json"
    )
    assert response.status_code in (400, 403)
    if who != "nobody":
        assert response.status_code == 403
    assert Area.objects.count() == before


def test_a_street_admin_cannot_create_outside_their_scope(api, tree, cast):
    response = api(cast.admin_a).post(
        AREAS, {"parent": tree.grid_b1.pk, "kind": "micro_grid", "name": "越界微网格"}, "json"
    )
    assert response.status_code == 400
    assert "parent" in response.json()["fields"]
    assert not Area.objects.filter(name="越界微网格").exists()


def test_only_a_superuser_creates_a_root(api, tree, cast):
    data = {"kind": "street", "name": "新街道", "code": "110101009"}
    assert api(cast.street_admin).post(AREAS, data, "json").status_code == 403
    assert api(cast.superuser).post(AREAS, data, "json").status_code == 201


@pytest.mark.parametrize(
    "data,field",
    [
        ({"kind": "community", "name": "错层"}, "kind"),
        ({"kind": "micro_grid", "name": "错码", "code": "1101019990101"[:16]}, "code"),
        ({"kind": "micro_grid", "name": "短码", "code": "123"}, "code"),
        ({"kind": "micro_grid", "name": "坏边界", "boundary": {"type": "Point"}}, "boundary"),
        (
            {"kind": "micro_grid", "name": "开口边界", "boundary": {**SQUARE, "coordinates": [[]]}},
            "boundary",
        ),
        ({"kind": "micro_grid", "name": "缺经度", "latitude": "39.93"}, "latitude"),
        ({"kind": "wormhole", "name": "未知"}, "kind"),
    ],
)
def test_invalid_areas_get_field_messages_and_nothing_is_written(api, tree, cast, data, field):
    before = Area.objects.count()
    response = api(cast.admin_a).post(AREAS, {"parent": tree.grid_a1.pk, **data}, "json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert Area.objects.count() == before


def test_a_duplicate_code_is_refused(api, tree, cast):
    response = api(cast.admin_a).post(
        AREAS,
        {
            "parent": tree.grid_a1.pk,
            "kind": "micro_grid",
            "name": "重码",
            "code": tree.micro_a1.code,
        },
        "json",
    )
    assert response.status_code == 400
    assert "already used" in response.json()["fields"]["code"][0]


def test_a_good_boundary_and_centre_are_stored(api, tree, cast):
    response = api(cast.admin_a).post(
        AREAS,
        {
            "parent": tree.grid_a1.pk,
            "kind": "micro_grid",
            "name": "有边界",
            "boundary": SQUARE,
            "latitude": "39.935",
            "longitude": "116.455",
        },
        "json",
    )
    assert response.status_code == 201, response.content
    assert Area.objects.get(name="有边界").boundary == SQUARE


def test_a_street_admin_updates_in_scope_only(api, tree, cast):
    client = api(cast.admin_a)
    assert client.patch(f"{AREAS}{tree.grid_a1.pk}/", {"name": "新名"}, "json").status_code == 200
    assert client.patch(f"{AREAS}{tree.grid_b1.pk}/", {"name": "越界"}, "json").status_code == 404
    response = api(cast.dispatcher_a).patch(
        f"{AREAS}{tree.grid_a1.pk}/", {"name": "调度改"}, "json"
    )
    assert response.status_code == 403
    tree.grid_a1.refresh_from_db()
    assert tree.grid_a1.name == "新名"


def test_an_update_cannot_change_kind_or_parent(api, tree, cast):
    response = api(cast.admin_a).patch(
        f"{AREAS}{tree.grid_a1.pk}/", {"kind": "micro_grid", "parent": tree.grid_a2.pk}, "json"
    )
    assert response.status_code == 200
    tree.grid_a1.refresh_from_db()
    assert (tree.grid_a1.kind, tree.grid_a1.parent_id) == (AreaKind.GRID, tree.community_a.pk)


def test_a_renumbered_area_carries_its_subtree_along(api, tree, cast):
    new_code = f"{tree.community_a.code}09"
    response = api(cast.admin_a).patch(f"{AREAS}{tree.grid_a1.pk}/", {"code": new_code}, "json")
    assert response.status_code == 200, response.content
    tree.building_a1.refresh_from_db()
    assert tree.building_a1.code.startswith(new_code)


def test_a_street_admin_moves_an_area_and_codes_follow(api, tree, cast):
    response = api(cast.admin_a).post(
        f"{AREAS}{tree.micro_a1.pk}/move/", {"parent": tree.grid_a2.pk}, "json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["code"] == f"{tree.grid_a2.code}01"
    tree.building_a1.refresh_from_db()
    assert tree.building_a1.code.startswith(response.json()["code"])


def test_moves_are_refused_outside_scope_and_for_other_roles(api, tree, cast):
    url = f"{AREAS}{tree.micro_a1.pk}/move/"
    assert api(cast.admin_a).post(url, {"parent": tree.grid_b1.pk}, "json").status_code == 400
    assert api(cast.dispatcher_a).post(url, {"parent": tree.grid_a2.pk}, "json").status_code == 403
    response = api(cast.street_admin).post(
        f"{AREAS}{tree.grid_a1.pk}/move/", {"parent": tree.micro_a1.pk}, "json"
    )
    assert response.status_code == 400
    assert "parent" in response.json()["fields"]
    tree.micro_a1.refresh_from_db()
    assert tree.micro_a1.parent_id == tree.grid_a1.pk


def test_a_move_to_a_parent_of_the_same_kind_is_refused(api, tree, cast):
    response = api(cast.street_admin).post(
        f"{AREAS}{tree.grid_a1.pk}/move/", {"parent": tree.grid_b1.pk}, "json"
    )
    assert response.status_code == 400
    assert "kind" in response.json()["fields"]
    assert Area.check_tree() == []


def test_a_street_admin_deletes_a_leaf_in_scope(api, tree, cast):
    GridStaffFactory(area=tree.building_a1)
    assert api(cast.admin_a).delete(f"{AREAS}{tree.building_a1.pk}/").status_code == 204
    assert not Area.objects.filter(pk=tree.building_a1.pk).exists()
    assert Area.check_tree() == []


def test_deleting_an_area_with_children_is_refused_with_a_message(api, tree, cast):
    response = api(cast.admin_a).delete(f"{AREAS}{tree.micro_a1.pk}/")
    assert response.status_code == 400
    assert "below it" in response.json()["fields"]["non_field_errors"][0]
    assert Area.objects.filter(pk=tree.micro_a1.pk).exists()


def test_deleting_an_area_someone_is_assigned_to_is_refused(api, tree, cast):
    RoleAssignmentFactory(role=Role.GRID_WORKER, area=tree.building_a1)
    staff = GridStaffFactory(area=tree.building_a1)
    response = api(cast.admin_a).delete(f"{AREAS}{tree.building_a1.pk}/")
    assert response.status_code == 400
    assert "role assignments" in response.json()["fields"]["non_field_errors"][0]
    assert GridStaff.objects.filter(pk=staff.pk).exists()


def test_other_roles_cannot_delete(api, tree, cast):
    assert api(cast.dispatcher_a).delete(f"{AREAS}{tree.building_a1.pk}/").status_code == 403
    assert api(cast.admin_a).delete(f"{AREAS}{tree.building_b1.pk}/").status_code == 404


def test_a_street_admin_manages_staff_in_scope(api, tree, cast):
    client = api(cast.admin_a)
    data = {
        "area": tree.grid_a1.pk,
        "position": "grid_leader",
        "name": "王建国",
        "phone": "13800001111",
    }
    response = client.post(STAFF, data, "json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert client.patch(f"{STAFF}{pk}/", {"phone": "13900002222"}, "json").status_code == 200
    assert client.patch(f"{STAFF}{pk}/", {"area": tree.grid_b1.pk}, "json").status_code == 403
    assert GridStaff.objects.get(pk=pk).area_id == tree.grid_a1.pk
    assert client.delete(f"{STAFF}{pk}/").status_code == 204


def test_staff_writes_are_refused_outside_scope_and_for_other_roles(api, tree, cast):
    data = {
        "area": tree.grid_b1.pk,
        "position": "grid_leader",
        "name": "越界",
        "phone": "13800001111",
    }
    assert api(cast.admin_a).post(STAFF, data, "json").status_code == 403
    data["area"] = tree.grid_a1.pk
    assert api(cast.dispatcher_a).post(STAFF, data, "json").status_code == 403
    staff = GridStaffFactory(area=tree.grid_a1)
    assert api(cast.dispatcher_a).delete(f"{STAFF}{staff.pk}/").status_code == 403
    assert not GridStaff.objects.filter(name="越界").exists()


@pytest.mark.parametrize(
    "data,field",
    [
        ({"phone": "call me"}, "phone"),
        ({"position": "mayor"}, "position"),
        ({"started_on": "2026-05-01", "ended_on": "2026-04-01"}, "non_field_errors"),
    ],
)
def test_invalid_staff_get_field_messages(api, tree, cast, data, field):
    payload = {"area": tree.grid_a1.pk, "position": "grid_leader", "name": "李四", **data}
    response = api(cast.admin_a).post(STAFF, payload, "json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not GridStaff.objects.exists()


# -- query counts -----------------------------------------------------------------------------
def grow(tree, n: int) -> None:
    """Add ``n`` micro-grids with a building and two staff each under grid A1."""
    for i in range(n):
        micro = AreaFactory(kind=AreaKind.MICRO_GRID, name=f"扩展{i}微网格", parent=tree.grid_a1)
        building = AreaFactory(kind=AreaKind.BUILDING, name=f"扩展{i}号楼", parent=micro)
        GridStaffFactory(area=micro)
        GridStaffFactory(area=building, position=GridStaff.Position.BUILDING_LEADER)


LIST_QUERIES = 4  # role assignments, count, page, one spare (plus signing in: api.auth_queries)


@pytest.mark.parametrize("n", [0, 12])
def test_the_area_list_takes_a_fixed_number_of_queries(
    api, tree, cast, django_assert_max_num_queries, n
):
    grow(tree, n)
    client = api(cast.dispatcher_a)
    with django_assert_max_num_queries(LIST_QUERIES + api.auth_queries):
        response = client.get(
            AREAS,
            {"within": tree.community_a.pk, "kind": ["micro_grid", "building"], "search": "扩"},
        )
    assert response.json()["count"] == 2 * n


@pytest.mark.parametrize("n", [0, 12])
def test_the_staff_list_takes_a_fixed_number_of_queries(
    api, tree, cast, django_assert_max_num_queries, n
):
    grow(tree, n)
    client = api(cast.dispatcher_a)
    with django_assert_max_num_queries(LIST_QUERIES + api.auth_queries):
        response = client.get(STAFF, {"within": tree.community_a.pk})
    assert response.json()["count"] == 2 * n


@pytest.mark.parametrize("n", [0, 12])
def test_children_and_subtree_take_a_fixed_number_of_queries(
    api, tree, cast, django_assert_max_num_queries, n
):
    grow(tree, n)
    client = api(cast.dispatcher_a)
    with django_assert_max_num_queries(LIST_QUERIES + api.auth_queries):
        children = client.get(f"{AREAS}{tree.grid_a1.pk}/children/").json()
    assert children["count"] == n + 1
    with django_assert_max_num_queries(LIST_QUERIES + api.auth_queries):
        subtree = client.get(f"{AREAS}{tree.community_a.pk}/subtree/", {"depth": 3}).json()
    assert len(subtree["children"][0]["children"]) == n + 1
