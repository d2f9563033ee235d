"""The change log: who changed what, through which interface, before and after; append-only;
read by street admins for their subtree (plus changes that belong to no area)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.changelog import ChangeContextMiddleware, change_context
from governance.models import Department, ObjectChange, Role, RoleAssignment, User
from governance.tokens import token_issue
from grids.models import Area, AreaKind, GridStaff
from tests.factories import AreaFactory, DepartmentFactory, GridStaffFactory, UserFactory

CHANGES = "/api/v1/changes/"


def last_change(model, pk=None) -> ObjectChange:
    qs = ObjectChange.objects.filter(content_type=ContentType.objects.get_for_model(model))
    if pk is not None:
        qs = qs.filter(object_id=str(pk))
    return qs.order_by("-pk").first()


def test_a_token_api_call_records_the_caller_and_the_api_interface(api, tree, cast):
    _, key = token_issue(user=cast.admin_a, name="tests")
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.patch(f"/api/v1/areas/{tree.grid_a1.pk}/", {"name": "青松一网格"}, "json")
    assert response.status_code == 200
    entry = last_change(Area, tree.grid_a1.pk)
    assert (entry.action, entry.interface) == ("update", "api")
    assert (entry.user, entry.user_name) == (cast.admin_a, "admin_a")
    assert entry.area_id == tree.grid_a1.pk
    assert entry.prechange_data["name"] == "青松第一网格"
    assert entry.postchange_data["name"] == "青松一网格"
    assert entry.diff == [("name", "青松第一网格", "青松一网格")]


def test_api_writes_of_staff_are_logged_with_their_area(api, tree, cast):
    response = api(cast.admin_a).post(
        "/api/v1/staff/",
        {
            "area": tree.grid_a1.pk,
            "position": "grid_leader",
            "name": "王建国",
            "phone": "13800001111",
        },
        "json",
    )
    entry = last_change(GridStaff, response.json()["id"])
    assert (entry.action, entry.interface, entry.user) == ("create", "api", cast.admin_a)
    assert entry.area_id == tree.grid_a1.pk
    assert entry.prechange_data is None


def test_a_delete_keeps_the_last_values_and_the_area(api, tree, cast):
    pk = tree.building_a1.pk
    api(cast.admin_a).delete(f"/api/v1/areas/{pk}/")
    entry = last_change(Area, pk)
    assert entry.action == "delete"
    assert entry.prechange_data["name"] == "青松里1号楼"
    assert entry.postchange_data is None
    assert entry.area_id == pk


def test_a_move_is_one_update_with_the_old_and_new_code(api, tree, cast):
    old = tree.micro_a1.code
    api(cast.admin_a).post(f"/api/v1/areas/{tree.micro_a1.pk}/move/", {"parent": tree.grid_a2.pk})
    entry = last_change(Area, tree.micro_a1.pk)
    assert entry.prechange_data["code"] == old
    assert entry.postchange_data["code"] == f"{tree.grid_a2.code}01"
    assert entry.postchange_data["parent"] == tree.grid_a2.pk


def test_admin_writes_record_the_admin_interface(site, tree, cast):
    client = site(cast.superuser)
    response = client.post(
        "/admin/governance/department/add/",
        {
            "name": "环卫所",
            "code": "sanitation",
            "kind": "government",
            "phone": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    entry = last_change(Department, Department.objects.get(code="sanitation").pk)
    assert (entry.action, entry.interface, entry.user) == ("create", "admin", cast.superuser)
    assert entry.area_id is None


def test_web_pages_record_the_web_interface(tree, cast):
    request = RequestFactory().post("/areas/1/edit/")
    request.user = cast.admin_a

    def view(request):
        AreaFactory(kind=AreaKind.MICRO_GRID, name="网页新建", parent=tree.grid_a2)
        return None

    ChangeContextMiddleware(view)(request)
    entry = last_change(Area, Area.objects.get(name="网页新建").pk)
    assert (entry.interface, entry.user) == ("web", cast.admin_a)


def test_role_assignments_and_users_are_logged_without_secrets(tree, cast):
    with change_context(user=cast.superuser):
        user = User.objects.create_user("newcomer", password="secret-pass-1")
        assignment = RoleAssignment.objects.create(user=user, role=Role.VIEWER, area=tree.grid_a1)
    user_entry = last_change(User, user.pk)
    assert user_entry.interface == "system"
    assert user_entry.user == cast.superuser
    assert "password" not in user_entry.postchange_data
    ra_entry = last_change(RoleAssignment, assignment.pk)
    assert ra_entry.area_id == tree.grid_a1.pk
    assert ra_entry.postchange_data["role"] == "viewer"


def _reads_of_groups_and_permissions(captured) -> int:
    tables = (User.groups.through._meta.db_table, User.user_permissions.through._meta.db_table)
    return sum(any(t in q["sql"] for t in tables) for q in captured.captured_queries)


def test_a_new_users_empty_groups_and_permissions_are_logged_without_reading_them(tree, cast):
    with CaptureQueriesContext(connection) as captured, change_context(user=cast.superuser):
        user = User.objects.create_user("newcomer", full_name="新来的")
    assert _reads_of_groups_and_permissions(captured) == 0
    entry = last_change(User, user.pk)
    assert entry.action == "create"
    assert (entry.postchange_data["groups"], entry.postchange_data["user_permissions"]) == ([], [])
    assert entry.postchange_data["full_name"] == "新来的"


def test_a_users_save_reads_its_groups_and_permissions_once_and_logs_them(tree):
    group = Group.objects.create(name="巡查组")
    user = UserFactory(full_name="旧名")
    user.groups.add(group)
    user = User.objects.get(pk=user.pk)
    user.full_name = "新名"
    with CaptureQueriesContext(connection) as captured:
        user.save()
    # Read once, for the state before the save (a save writes no group), not again after it.
    assert _reads_of_groups_and_permissions(captured) == 2
    entry = last_change(User, user.pk)
    assert (entry.prechange_data["full_name"], entry.postchange_data["full_name"]) == (
        "旧名",
        "新名",
    )
    assert entry.prechange_data["groups"] == entry.postchange_data["groups"] == [group.pk]


def test_a_login_stamp_costs_the_change_log_nothing(tree, django_assert_num_queries):
    user = UserFactory()
    before = ObjectChange.objects.count()
    user.last_login = timezone.now()
    with django_assert_num_queries(1):  # the UPDATE itself
        user.save(update_fields=["last_login"])
    assert ObjectChange.objects.count() == before
    user.set_password("another-pass-9")
    user.save(update_fields=["password"])
    entry = last_change(User, user.pk)
    assert entry.postchange_data["password"] == "[changed]"


def test_a_save_without_changes_writes_no_entry(tree):
    before = ObjectChange.objects.count()
    Area.objects.get(pk=tree.grid_a1.pk).save()
    assert ObjectChange.objects.count() == before


def test_entries_cannot_be_edited_or_deleted(tree):
    entry = ObjectChange.objects.first()
    entry.object_repr = "tampered"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    assert ObjectChange.objects.get(pk=entry.pk).object_repr != "tampered"


# -- reading ----------------------------------------------------------------------------------
def entry_areas(response) -> set:
    assert response.status_code == 200, response.content
    return {row["area"] for row in response.json()["results"]}


def test_a_street_admin_reads_their_subtree_and_area_less_changes(api, tree, cast):
    DepartmentFactory(name="市场监管所")
    GridStaffFactory(area=tree.grid_b1)
    areas = entry_areas(api(cast.admin_a).get(CHANGES))
    a_nodes = set(Area.objects.within(tree.community_a).values_list("pk", flat=True))
    assert None in areas
    assert areas - {None} <= a_nodes
    assert tree.grid_b1.pk not in areas
    assert tree.street.pk not in areas


def test_the_street_admin_of_the_street_reads_everything_below_it(api, tree, cast):
    areas = entry_areas(api(cast.street_admin).get(CHANGES))
    assert {tree.grid_b1.pk, tree.grid_a1.pk} <= areas


@pytest.mark.parametrize("who", ["dispatcher_a", "worker_a", "viewer_a", "nobody"])
def test_other_roles_cannot_read_the_change_log(api, tree, cast, who):
    assert api(getattr(cast, who)).get(CHANGES).status_code == 403


def test_the_change_log_api_is_read_only(api, tree, cast):
    client = api(cast.superuser)
    entry = ObjectChange.objects.first()
    assert client.post(CHANGES, {}).status_code == 405
    assert client.delete(f"{CHANGES}{entry.pk}/").status_code == 405
    assert client.patch(f"{CHANGES}{entry.pk}/", {"object_repr": "x"}).status_code == 405


def test_the_change_log_api_filters_by_object_type(api, tree, cast):
    GridStaffFactory(area=tree.grid_a1)
    staff_type = ContentType.objects.get_for_model(GridStaff)
    rows = api(cast.admin_a).get(CHANGES, {"content_type": staff_type.pk}).json()["results"]
    assert rows and {r["object_type"] for r in rows} == {"grids.gridstaff"}


@pytest.mark.parametrize("n", [0, 20])
def test_the_change_log_api_takes_a_fixed_number_of_queries(
    api, tree, cast, django_assert_max_num_queries, n
):
    for i in range(n):
        GridStaffFactory(area=tree.grid_a1, name=f"员{i}")
    client = api(cast.admin_a)
    with django_assert_max_num_queries(3 + api.auth_queries):
        response = client.get(CHANGES)
    assert response.status_code == 200
