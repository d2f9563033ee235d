import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from governance.models import Role
from grids import services
from grids.models import Area, AreaKind, GridStaff
from tests.factories import GridStaffFactory, RoleAssignmentFactory

pytestmark = pytest.mark.usefixtures("in_english")


def test_area_create_gives_the_next_free_code(tree, cast):
    area = services.area_create(
        actor=cast.admin_a, parent=tree.community_a, kind=AreaKind.GRID, name="青松第三网格"
    )
    assert area.code == f"{tree.community_a.code}03"
    assert Area.check_tree() == []


def test_area_create_refuses_actors_outside_the_parents_scope(tree, cast):
    for actor in (cast.admin_a, cast.dispatcher_b, cast.nobody):
        with pytest.raises(PermissionDenied):
            services.area_create(
                actor=actor, parent=tree.community_b, kind=AreaKind.GRID, name="越界网格"
            )
    assert not Area.objects.filter(name="越界网格").exists()


def test_area_update_renumbers_the_subtree_with_the_new_code(tree, cast):
    new_code = f"{tree.community_a.code}07"
    services.area_update(actor=cast.admin_a, area=tree.grid_a1, code=new_code)
    tree.micro_a1.refresh_from_db()
    tree.building_a1.refresh_from_db()
    assert tree.micro_a1.code == f"{new_code}01"
    assert tree.building_a1.code == f"{new_code}01001"


def test_area_update_refuses_a_code_already_in_use(tree, cast):
    with pytest.raises(ValidationError) as exc:
        services.area_update(actor=cast.admin_a, area=tree.grid_a1, code=tree.grid_a2.code)
    assert "code" in exc.value.message_dict
    grid = Area.objects.get(pk=tree.grid_a1.pk)
    assert grid.code != tree.grid_a2.code
    assert Area.objects.get(pk=tree.micro_a1.pk).code.startswith(grid.code)


def test_area_update_keeps_the_kind(tree, cast):
    services.area_update(actor=cast.admin_a, area=tree.grid_a1, kind=AreaKind.MICRO_GRID)
    assert Area.objects.get(pk=tree.grid_a1.pk).kind == AreaKind.GRID


def test_area_update_refuses_other_roles(tree, cast):
    with pytest.raises(PermissionDenied):
        services.area_update(actor=cast.viewer_a, area=tree.grid_a1, name="改名")


def test_area_move_under_the_same_parent_changes_nothing(tree, cast):
    code = tree.micro_a1.code
    services.area_move(actor=cast.admin_a, area=tree.micro_a1, new_parent=tree.grid_a1)
    assert Area.objects.get(pk=tree.micro_a1.pk).code == code


def test_area_move_refuses_a_descendant_as_parent(tree, cast):
    with pytest.raises(ValidationError) as exc:
        services.area_move(actor=cast.street_admin, area=tree.community_a, new_parent=tree.grid_a1)
    assert "parent" in exc.value.message_dict
    assert Area.check_tree() == []


def test_area_delete_removes_a_leaf_and_its_staff(tree, cast):
    GridStaffFactory(area=tree.building_a1)
    services.area_delete(actor=cast.admin_a, area=tree.building_a1)
    assert not Area.objects.filter(pk=tree.building_a1.pk).exists()
    assert not GridStaff.objects.exists()
    assert Area.check_tree() == []


def test_area_delete_refuses_an_area_with_children(tree, cast):
    with pytest.raises(ValidationError, match="below it"):
        services.area_delete(actor=cast.admin_a, area=tree.grid_a1)


def test_area_delete_turns_protected_references_into_a_clear_error(tree, cast):
    RoleAssignmentFactory(role=Role.GRID_WORKER, area=tree.building_a1)
    staff = GridStaffFactory(area=tree.building_a1)
    with pytest.raises(ValidationError, match="role assignments"):
        services.area_delete(actor=cast.admin_a, area=tree.building_a1)
    assert Area.objects.filter(pk=tree.building_a1.pk).exists()
    assert GridStaff.objects.filter(pk=staff.pk).exists()
    assert Area.check_tree() == []


def test_staff_save_validates_and_checks_scope(tree, cast):
    staff = GridStaff(area=tree.grid_a1, position=GridStaff.Position.GRID_LEADER, name="张三")
    services.staff_save(actor=cast.admin_a, staff=staff)
    assert staff.pk
    with pytest.raises(PermissionDenied):
        services.staff_save(
            actor=cast.admin_a,
            staff=GridStaff(
                area=tree.grid_b1, position=GridStaff.Position.GRID_LEADER, name="李四"
            ),
        )
    with pytest.raises(ValidationError) as exc:
        services.staff_save(
            actor=cast.admin_a,
            staff=GridStaff(area=tree.grid_a1, position="mayor", name="王五", phone="?"),
        )
    assert {"position", "phone"} <= set(exc.value.message_dict)
    with pytest.raises(PermissionDenied):
        services.staff_delete(actor=cast.dispatcher_a, staff=staff)
