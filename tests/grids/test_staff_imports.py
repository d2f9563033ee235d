"""Import of grid staff (accounts and roles) and of a street's departments: preview problems,
all or nothing, idempotent re-import, the importer's scope."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from governance.changelog import change_context
from governance.models import Department, ObjectChange, Role, RoleAssignment, User
from governance.models.people import DUPLICATE_NAME
from grids import imports, staff_imports
from grids.models import AreaKind, GridStaff
from tests.factories import AreaFactory, DepartmentFactory, UserFactory
from tests.grids.test_imports import _dataset, assert_queries_do_not_grow

pytestmark = pytest.mark.django_db


def _staff(area, name, username="", role="", position="专职网格员"):
    return [area.code, position, name, "13800001234", "是", "2023-03-01", username, role]


def test_staff_are_imported_with_their_accounts_and_roles_once(field, tree):
    rows = [
        _staff(tree.grid_a1, "李建国", "lijianguo", "网格员"),
        _staff(tree.building_a1, "王阿姨", position="楼组长"),
    ]
    run = imports.import_apply(
        user=field.street_admin, kind="staff", dataset=_dataset("staff", rows), file_name="s"
    )
    assert run.new_rows == 2
    staff = GridStaff.objects.get(name="李建国")
    user = User.objects.get(username="lijianguo")
    assert staff.user == user and staff.is_party_member and not user.has_usable_password()
    assert user.home_area == tree.grid_a1
    assert RoleAssignment.objects.filter(
        user=user, role=Role.GRID_WORKER, area=tree.grid_a1
    ).exists()
    again = imports.import_apply(
        user=field.street_admin, kind="staff", dataset=_dataset("staff", rows), file_name="s"
    )
    assert (again.new_rows, again.updated_rows, again.skipped_rows) == (0, 0, 2)
    assert RoleAssignment.objects.filter(user=user).count() == 1
    assert GridStaff.objects.filter(name="李建国").count() == 1


def test_a_new_role_for_an_imported_account_is_a_change(field, tree):
    rows = [_staff(tree.grid_a1, "李建国", "lijianguo", "网格员")]
    imports.import_apply(
        user=field.street_admin, kind="staff", dataset=_dataset("staff", rows), file_name="s"
    )
    rows[0][7] = "党建专干"
    run = imports.import_apply(
        user=field.street_admin, kind="staff", dataset=_dataset("staff", rows), file_name="s"
    )
    assert run.updated_rows == 1
    assert set(
        RoleAssignment.objects.filter(user__username="lijianguo").values_list("role", flat=True)
    ) == {Role.GRID_WORKER, Role.PARTY_OFFICER}


def test_the_staff_preview_lists_each_rows_problem_and_applies_nothing(field, tree):
    UserFactory(username="outsider_b")
    RoleAssignment.objects.create(
        user=User.objects.get(username="outsider_b"), role=Role.GRID_WORKER, area=tree.grid_b1
    )
    rows = [
        _staff(tree.grid_a1, "好人", "good_one", "网格员"),
        _staff(tree.grid_b1, "别处的人"),
        _staff(tree.grid_a1, "夺号", "outsider_b", "网格员"),
        _staff(tree.grid_a1, "提权", "boss", "街道管理员"),
        _staff(tree.grid_a1, "坏岗位", position="队长"),
    ]
    preview = imports.import_preview(
        user=field.admin_a, kind="staff", dataset=_dataset("staff", rows)
    )
    found = {(p.row, p.column) for p in preview.problems}
    assert found == {(3, "区域编码"), (4, "登录账号"), (5, "系统角色"), (6, "岗位")}
    with pytest.raises(ValidationError):
        imports.import_apply(
            user=field.admin_a, kind="staff", dataset=_dataset("staff", rows), file_name="s"
        )
    assert not User.objects.filter(username="good_one").exists()
    assert not GridStaff.objects.filter(name="好人").exists()


def test_only_a_street_admin_imports_staff_and_departments(field, tree):
    for kind in ("staff", "departments"):
        with pytest.raises(PermissionDenied):
            imports.import_preview(user=field.worker_a, kind=kind, dataset=_dataset(kind, []))
    assert "staff" in dict(imports.kinds_for(field.admin_a))
    # An admin of one community is no street's admin: departments are owned by a street.
    assert "departments" not in dict(imports.kinds_for(field.admin_a))
    assert "departments" in dict(imports.kinds_for(field.street_admin))


def test_departments_are_owned_by_the_importing_street_and_upserted_by_code(field, tree):
    DepartmentFactory(name="全市水务", code="water", owner=None)
    rows = [
        ["cgzf", "城管执法队", "职能部门", "010-65001234", "是"],
        ["wy-qsl", "青松里物业", "物业公司", "", "是"],
    ]
    run = imports.import_apply(
        user=field.street_admin,
        kind="departments",
        dataset=_dataset("departments", rows),
        file_name="d",
    )
    assert run.new_rows == 2
    assert Department.objects.get(code="wy-qsl").kind == Department.Kind.PROPERTY
    assert set(
        Department.objects.filter(code__in=["cgzf", "wy-qsl"]).values_list("owner", flat=True)
    ) == {tree.street.pk}
    again = imports.import_apply(
        user=field.street_admin,
        kind="departments",
        dataset=_dataset("departments", rows),
        file_name="d",
    )
    assert again.skipped_rows == 2
    preview = imports.import_preview(
        user=field.street_admin,
        kind="departments",
        dataset=_dataset(
            "departments", [["water", "水务", "职能部门", "", "是"], ["x y", "坏", "", "", "也许"]]
        ),
    )
    assert {(p.row, p.column) for p in preview.problems} == {
        (2, "部门编码"),
        (3, "部门编码"),
        (3, "启用"),
    }
    assert Department.objects.get(code="water").owner is None


def test_a_code_another_street_uses_too_is_the_importers_own_department(field, tree):
    ours = DepartmentFactory(name="城管执法队", code="cgzf", owner=tree.street)
    # Written after ours, so that a lookup by code alone would find this one last.
    theirs = DepartmentFactory(
        name="柳荫城管", code="cgzf", owner=AreaFactory(kind=AreaKind.STREET, name="柳荫街道")
    )
    run = imports.import_apply(
        user=field.street_admin,
        kind="departments",
        dataset=_dataset("departments", [["cgzf", "城管执法中队", "职能部门", "", "是"]]),
        file_name="d",
    )
    assert (run.new_rows, run.updated_rows) == (0, 1)
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert (ours.name, theirs.name) == ("城管执法中队", "柳荫城管")


def test_the_import_page_offers_only_the_kinds_the_user_imports(client, field):
    client.force_login(field.worker_a)
    kinds = dict(client.get("/people/import/").context["kinds"])
    assert "residents" in kinds and "staff" not in kinds
    assert client.get("/people/import/templates/staff/").status_code == 404
    client.force_login(field.street_admin)
    assert client.get("/people/import/templates/staff/").status_code == 200


def test_the_queries_of_a_staff_import_with_accounts_do_not_grow_with_its_rows(field, tree):
    def rows_of(first, n):
        return [
            _staff(tree.grid_a1, f"员工{i}", f"staff{i}", "网格员") for i in range(first, first + n)
        ]

    assert_queries_do_not_grow(field.street_admin, "staff", rows_of)
    assert RoleAssignment.objects.filter(user__username__startswith="staff").count() == 66
    user = User.objects.get(username="staff120")
    assert GridStaff.objects.get(name="员工120").user == user
    assert user.home_area == tree.grid_a1 and not user.has_usable_password()


def test_imported_staff_accounts_and_roles_are_in_the_change_log(field, tree):
    rows = [_staff(tree.grid_a1, "李建国", "lijianguo", "网格员"), _staff(tree.grid_a1, "王芳")]
    with change_context(user=field.street_admin):
        imports.import_apply(
            user=field.street_admin, kind="staff", dataset=_dataset("staff", rows), file_name="s"
        )
    user = User.objects.get(username="lijianguo")
    staff = GridStaff.objects.get(name="李建国")
    assignment = RoleAssignment.objects.get(user=user)
    for obj, area_id in ((user, None), (assignment, tree.grid_a1.pk), (staff, tree.grid_a1.pk)):
        entry = ObjectChange.objects.get(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        )
        assert (entry.action, entry.user, entry.area_id) == ("create", field.street_admin, area_id)
    assert (
        ObjectChange.objects.get(
            content_type=ContentType.objects.get_for_model(GridStaff), object_id=str(staff.pk)
        ).postchange_data["user"]
        == user.pk
    )
    rows[1][3] = "13800009999"
    with change_context(user=field.street_admin):
        imports.import_apply(
            user=field.street_admin, kind="staff", dataset=_dataset("staff", rows), file_name="s"
        )
    update = ObjectChange.objects.get(action="update", object_repr__startswith="王芳")
    assert update.prechange_data["phone"] != update.postchange_data["phone"]
    assert (update.user, update.area_id) == (field.street_admin, tree.grid_a1.pk)


def test_a_department_import_of_200_rows_is_written_in_bulk(
    field, tree, django_assert_max_num_queries
):
    rows = [[f"d{i}", f"部门{i}", "职能部门", "", "是"] for i in range(200)]
    with change_context(user=field.street_admin), django_assert_max_num_queries(25):
        run = imports.import_apply(
            user=field.street_admin,
            kind="departments",
            dataset=_dataset("departments", rows),
            file_name="d",
        )
    assert run.new_rows == 200
    department = Department.objects.get(code="d7")
    assert department.owner == tree.street and department.name == "部门7"
    entry = ObjectChange.objects.get(
        content_type=ContentType.objects.get_for_model(Department),
        object_id=str(department.pk),
    )
    assert (entry.action, entry.user) == ("create", field.street_admin)
    rows[7][3] = "010-1234"
    with django_assert_max_num_queries(25):
        again = imports.import_apply(
            user=field.street_admin,
            kind="departments",
            dataset=_dataset("departments", rows),
            file_name="d",
        )
    assert (again.updated_rows, again.skipped_rows) == (1, 199)
    update = ObjectChange.objects.get(action="update", object_id=str(department.pk))
    assert update.postchange_data["phone"] == "010-1234"


def test_a_department_name_taken_in_the_street_or_twice_in_a_file_is_a_problem(field, tree):
    DepartmentFactory(name="城管执法队", code="old", owner=tree.street)
    rows = [
        ["cgzf", "城管执法队", "职能部门", "", "是"],  # another of the street's departments
        ["new1", "新队", "职能部门", "", "是"],
        ["new2", "新队", "职能部门", "", "是"],  # the name of an earlier row
        ["new1", "新队一", "职能部门", "", "是"],  # the code of an earlier row
        ["old", "城管执法队", "职能部门", "", "否"],  # its own name: no problem
    ]
    with pytest.raises(ValidationError) as raised:
        imports.apply_rows(
            user=field.street_admin, kind="departments", dataset=_dataset("departments", rows)
        )
    assert {(p.row, p.column) for p in raised.value.preview.problems} == {
        (2, "部门名称"),
        (4, "部门名称"),
        (5, "部门编码"),
    }
    assert not Department.objects.filter(code__startswith="new").exists()
    assert Department.objects.get(code="old").is_active


def test_two_departments_swapping_names_are_problems_of_their_rows(field, tree):
    # Names are unique per street, and each row is checked against the street's departments as
    # they are: a swap would pass through two departments of one name (the database's
    # constraint refuses that mid-statement), so both rows say so and nothing is written.
    DepartmentFactory(name="甲", code="a", owner=tree.street)
    DepartmentFactory(name="乙", code="b", owner=tree.street)
    rows = [["a", "乙", "职能部门", "", "是"], ["b", "甲", "职能部门", "", "是"]]
    preview = imports.import_preview(
        user=field.street_admin, kind="departments", dataset=_dataset("departments", rows)
    )
    with pytest.raises(ValidationError) as raised:
        imports.apply_rows(
            user=field.street_admin, kind="departments", dataset=_dataset("departments", rows)
        )
    for problems in (preview.problems, raised.value.preview.problems):
        assert [(p.row, p.column, p.message) for p in problems] == [
            (2, "部门名称", DUPLICATE_NAME),
            (3, "部门名称", DUPLICATE_NAME),
        ]
    assert dict(Department.objects.filter(owner=tree.street).values_list("code", "name")) == {
        "a": "甲",
        "b": "乙",
    }


def test_a_write_the_database_refuses_is_a_problem_of_the_file_in_words(
    field, tree, monkeypatch, in_english
):
    # The backstop for a case the rows' checks would miss (here: without them): no
    # IntegrityError escapes, no database text is shown, nothing is written.
    monkeypatch.setattr(staff_imports.DepartmentResource, "check_row", lambda *args: None)
    DepartmentFactory(name="甲", code="a", owner=tree.street)
    DepartmentFactory(name="乙", code="b", owner=tree.street)
    rows = [["a", "乙", "职能部门", "", "是"], ["b", "甲", "职能部门", "", "是"]]
    with pytest.raises(ValidationError) as raised:
        imports.apply_rows(
            user=field.street_admin, kind="departments", dataset=_dataset("departments", rows)
        )
    assert [(p.row, p.column) for p in raised.value.preview.problems] == [(1, "")]
    message = raised.value.preview.problems[0].message
    assert "nothing was imported" in message and "constraint" not in message.lower()
    assert dict(Department.objects.filter(owner=tree.street).values_list("code", "name")) == {
        "a": "甲",
        "b": "乙",
    }
