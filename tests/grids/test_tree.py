import pytest
from django.core.exceptions import ValidationError

from grids.models import Area, AreaKind
from grids.services import area_move
from tests.factories import AreaFactory


def test_it_builds_a_sound_tree(tree):
    assert Area.check_tree() == []
    assert tree.building_a1.is_within(tree.community_a)
    assert not tree.building_b1.is_within(tree.community_a)


def test_it_refuses_a_child_no_deeper_than_its_parent(tree):
    with pytest.raises(ValidationError) as exc:
        AreaFactory(
            kind=AreaKind.COMMUNITY, name="错误社区", parent=tree.grid_a1, code="110101001001"
        )
    assert "kind" in exc.value.message_dict
    assert not Area.objects.filter(name="错误社区").exists()


def test_it_refuses_a_code_not_extending_the_parents(tree):
    with pytest.raises(ValidationError) as exc:
        AreaFactory(
            kind=AreaKind.GRID, name="错码网格", parent=tree.community_a, code="11010100200201"
        )
    assert "code" in exc.value.message_dict


def test_move_rewrites_codes_of_the_subtree(tree, cast):
    micro = tree.micro_a1
    building = tree.building_a1
    area_move(actor=cast.street_admin, area=micro, new_parent=tree.grid_b1)
    micro.refresh_from_db()
    building.refresh_from_db()
    assert micro.parent_id == tree.grid_b1.pk
    assert micro.code.startswith(tree.grid_b1.code)
    assert building.code.startswith(micro.code)
    assert building.is_within(tree.community_b)
    assert Area.check_tree() == []
