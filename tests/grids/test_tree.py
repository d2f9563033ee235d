import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.scopes import visible
from grids.models import Area, AreaKind
from grids.services import area_create, area_move
from tests.factories import AreaFactory, AreaTreeFactory, UserFactory


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


def test_levels_may_be_skipped(tree):
    micro = AreaFactory(kind=AreaKind.MICRO_GRID, name="直属微网格", parent=tree.community_a)
    assert micro.code.startswith(tree.community_a.code)
    assert Area.check_tree() == []


def test_a_free_code_is_never_the_prefix_of_another_areas_code(tree):
    # A building filed straight under grid A2 owns a code that looks like micro-grid 01's.
    AreaFactory(
        kind=AreaKind.BUILDING, name="直属楼", parent=tree.grid_a2, code=f"{tree.grid_a2.code}01001"
    )
    assert tree.grid_a2.next_child_code(AreaKind.MICRO_GRID) == f"{tree.grid_a2.code}02"
    with pytest.raises(ValidationError) as exc:
        AreaFactory(
            kind=AreaKind.MICRO_GRID,
            name="抢码",
            parent=tree.grid_a2,
            code=f"{tree.grid_a2.code}01",
        )
    assert "code" in exc.value.message_dict


@pytest.mark.parametrize("change", ["rename", "new code", "create"])
def test_a_save_takes_the_tree_lock_and_a_savepoint_once(tree, change):
    if change == "create":
        area = Area(kind=AreaKind.GRID, name="新网格", parent=tree.community_a)
        area.code = tree.community_a.next_child_code(AreaKind.GRID)
    else:
        area = Area.objects.get(pk=tree.micro_a1.pk)
        area.name = "改名微网格"
        if change == "new code":
            area.code = tree.grid_a1.next_child_code(AreaKind.MICRO_GRID)
    with CaptureQueriesContext(connection) as captured:
        area.save()
    statements = [q["sql"] for q in captured.captured_queries]
    locks = sum("pg_advisory_xact_lock" in s for s in statements)
    assert locks == (1 if connection.vendor == "postgresql" else 0)
    assert sum(s.startswith("SAVEPOINT") for s in statements) == 1
    assert Area.check_tree() == []
    if change == "new code":
        assert Area.objects.get(pk=tree.building_a1.pk).code.startswith(area.code)


def test_a_node_cannot_become_its_own_descendant(tree):
    grid = Area.objects.get(pk=tree.grid_a1.pk)
    grid.parent = Area.objects.get(pk=tree.micro_a1.pk)
    with pytest.raises(ValidationError) as exc:
        grid.save()
    assert "parent" in exc.value.message_dict
    assert Area.check_tree() == []


def test_a_move_takes_a_free_code_under_the_new_grid_and_rewrites_the_subtree(tree, cast):
    micro, building = tree.micro_a1, tree.building_a1
    area_move(actor=cast.street_admin, area=micro, new_parent=tree.grid_b1)
    micro.refresh_from_db()
    building.refresh_from_db()
    assert micro.parent_id == tree.grid_b1.pk
    # micro_b1 holds ...01 under grid B1 already.
    assert micro.code == f"{tree.grid_b1.code}02"
    assert building.code == f"{micro.code}001"
    assert building.is_within(tree.community_b)
    assert Area.check_tree() == []


def test_scopes_follow_a_move(tree, cast):
    area_move(actor=cast.street_admin, area=tree.micro_a1, new_parent=tree.grid_b1)
    moved = Area.objects.filter(pk__in=[tree.micro_a1.pk, tree.building_a1.pk])
    assert visible(cast.dispatcher_b, moved).count() == 2
    assert visible(cast.dispatcher_a, moved).count() == 0


def test_a_street_admin_cannot_move_an_area_out_of_their_scope(tree, cast):
    with pytest.raises(PermissionDenied):
        area_move(actor=cast.admin_a, area=tree.micro_a1, new_parent=tree.grid_b1)
    tree.micro_a1.refresh_from_db()
    assert tree.micro_a1.parent_id == tree.grid_a1.pk


def test_check_trees_passes_a_sound_tree(tree, capsys):
    call_command("check_trees")
    assert "grids.Area: sound" in capsys.readouterr().out


def test_check_trees_reports_a_corrupt_tree_and_rebuild_repairs_it(tree, capsys):
    Area.objects.filter(pk=tree.grid_a1.pk).update(lft=999)
    with pytest.raises(CommandError, match=r"grids\.Area"):
        call_command("check_trees")
    assert "outside their parent's range" in capsys.readouterr().out
    call_command("check_trees", "--rebuild")
    assert "grids.Area: rebuilt" in capsys.readouterr().out
    assert Area.check_tree() == []
    assert tree.building_a1.pk in Area.objects.within(
        Area.objects.get(pk=tree.grid_a1.pk)
    ).values_list("pk", flat=True)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_inserts_under_one_parent_leave_the_tree_sound():
    t = AreaTreeFactory.build_street()
    parent_pk, parent_code = t.micro_a1.pk, t.micro_a1.code
    workers, per_worker = 8, 4
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def insert(w: int) -> None:
        try:
            barrier.wait(timeout=60)
            for i in range(per_worker):
                n = 100 + w * per_worker + i
                Area(
                    kind=AreaKind.BUILDING,
                    name=f"并发{n}号楼",
                    code=f"{parent_code}{n:03d}",
                    parent=Area.objects.get(pk=parent_pk),
                ).save()
        except BaseException as exc:  # reported below, in the test's own thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=insert, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Area.check_tree() == []
    parent = Area.objects.get(pk=parent_pk)
    assert Area.objects.within(parent, include_self=False).count() == 1 + workers * per_worker


def test_mptts_move_to_keeps_codes_consistent(tree):
    micro = Area.objects.get(pk=tree.micro_a1.pk)
    micro.move_to(Area.objects.get(pk=tree.micro_b1.pk), "right")
    micro.refresh_from_db()
    assert micro.parent_id == tree.grid_b1.pk
    assert micro.code == f"{tree.grid_b1.code}02"
    assert Area.objects.get(pk=tree.building_a1.pk).code == f"{micro.code}001"
    assert Area.check_tree() == []
    with pytest.raises(ValidationError):
        micro.move_to(Area.objects.get(pk=tree.building_b1.pk), "last-child")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_area_create_hands_out_distinct_codes():
    t = AreaTreeFactory.build_street()
    actor = UserFactory(username="root", is_superuser=True)
    workers = 6
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def create(w: int) -> None:
        try:
            barrier.wait(timeout=60)
            for i in range(3):
                area_create(
                    actor=actor,
                    parent=Area.objects.get(pk=t.grid_a2.pk),
                    kind=AreaKind.MICRO_GRID,
                    name=f"并发{w}-{i}微网格",
                )
        except BaseException as exc:  # reported below, in the test's own thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    codes = list(Area.objects.filter(parent=t.grid_a2).values_list("code", flat=True))
    assert sorted(codes) == [f"{t.grid_a2.code}{n:02d}" for n in range(1, workers * 3 + 1)]
    assert Area.check_tree() == []


def test_move_to_refuses_a_descendant_before_looking_for_a_code(tree):
    # A community under its own grid: the cycle check answers, not the code search.
    community = Area.objects.get(pk=tree.community_a.pk)
    with pytest.raises(ValidationError) as exc:
        community.move_to(Area.objects.get(pk=tree.grid_a1.pk))
    assert "parent" in exc.value.message_dict
    assert Area.check_tree() == []


def test_working_hours_belong_to_streets_as_the_area_model_names_them(tree):
    from django.forms import modelform_factory

    from governance.models import WorkingHours

    form = modelform_factory(WorkingHours, fields=("area",))()
    assert list(form.fields["area"].queryset) == [tree.street]


def _as_mptt_remembers(node: Area) -> dict:
    """What django-mptt's own __init__ would remember of ``node`` for save() to tell a move."""
    copy_ = Area.__new__(Area)
    copy_.__dict__.update(node.__dict__)
    Area._mptt_meta.update_mptt_cached_fields(copy_)
    return copy_._mptt_cached_fields


@pytest.mark.parametrize(
    "read",
    [
        lambda pk: Area.objects.get(pk=pk),
        lambda pk: Area.objects.only("name").get(pk=pk),
        lambda pk: Area.objects.defer("code").get(pk=pk),
        lambda pk: Area.objects.only("code", "parent").get(pk=pk),
    ],
    ids=["whole", "only-name", "code-deferred", "only-code-and-parent"],
)
def test_a_node_remembers_its_parent_and_order_as_mptt_does(tree, read):
    node = read(tree.grid_a1.pk)
    assert node._mptt_cached_fields == _as_mptt_remembers(node)
    assert set(node._mptt_cached_fields) == {"parent", "code"}


def test_a_node_built_in_python_remembers_its_parent(tree):
    node = Area(kind=AreaKind.GRID, name="新网格", parent=tree.community_a)
    assert node._mptt_cached_fields == {"parent": tree.community_a.pk, "code": ""}
    assert node._mptt_cached_fields == _as_mptt_remembers(node)


def test_a_node_read_with_some_columns_moves_when_its_parent_changes(tree):
    leaf = AreaFactory(kind=AreaKind.BUILDING, name="待迁楼", parent=tree.micro_a1)
    node = Area.objects.only("parent", "code", "kind").get(pk=leaf.pk)
    node.parent = Area.objects.get(pk=tree.micro_b1.pk)
    node.code = f"{tree.micro_b1.code}901"
    node.save()
    moved = Area.objects.get(pk=leaf.pk)
    assert moved.is_within(tree.micro_b1)
    assert not moved.is_within(tree.micro_a1)
    assert Area.check_tree() == []


def _numbers() -> list[tuple]:
    return sorted(Area.objects.values_list("pk", "tree_id", "lft", "rght", "level"))


def _as_rebuilt(numbers) -> tuple:
    """What a rebuild must give again: the positions, and which nodes share a tree (a rebuild
    numbers the trees after their roots' names, in the database's collation)."""
    trees: dict[int, set] = {}
    for pk, tree_id, *_ in numbers:
        trees.setdefault(tree_id, set()).add(pk)
    return [(pk, *rest) for pk, _, *rest in numbers], sorted(map(sorted, trees.values()))


def _new(parent, kind, suffix, name):
    return Area(kind=kind, name=name, code=f"{parent.code}{suffix}", parent=parent)


@pytest.mark.django_db(transaction=True)
def test_nodes_inserted_in_bulk_are_numbered_into_their_subtree_as_a_rebuild_would(tree):
    # A second street (a tree of its own) gets a node too; a grid of community A gets a
    # micro-grid with buildings. Only the subtrees above them are numbered again.
    other = Area.objects.create(kind=AreaKind.STREET, name="第二街道", code="110101002")
    community = Area.objects.create(
        kind=AreaKind.COMMUNITY, name="第二社区", code="110101002001", parent=other
    )
    micro = _new(tree.grid_a2, AreaKind.MICRO_GRID, "09", "青松九微网格")
    Area.bulk_insert_level([micro, _new(community, AreaKind.GRID, "01", "第二社区第一网格")])
    Area.bulk_insert_level(
        [_new(micro, AreaKind.BUILDING, f"{n:03d}", f"新{n}号楼") for n in (3, 1, 2)]
    )
    unmoved = {
        pk: numbers
        for pk, *numbers in _numbers()
        if numbers[0] == tree.street.tree_id and numbers[2] < tree.grid_a2.lft
    }
    assert unmoved

    Area.number_inserted()

    numbered = _numbers()
    assert Area.check_tree() == []
    assert not Area.objects.filter(tree_id=0).exists()
    assert {pk: numbers for pk, *numbers in numbered if pk in unmoved} == unmoved
    building = Area.objects.get(code=f"{micro.code}002")
    assert building.is_within(Area.objects.get(pk=tree.grid_a2.pk))
    Area.rebuild_tree()
    assert _as_rebuilt(_numbers()) == _as_rebuilt(numbered)


@pytest.mark.django_db(transaction=True)
def test_a_new_root_inserted_in_bulk_numbers_the_whole_tree(tree):
    root = Area(kind=AreaKind.STREET, name="新街道", code="110101003")
    Area.bulk_insert_level([root])
    Area.bulk_insert_level([_new(root, AreaKind.COMMUNITY, "001", "新社区")])

    Area.number_inserted()

    assert Area.check_tree() == []
    numbered = _numbers()
    Area.rebuild_tree()
    assert _as_rebuilt(_numbers()) == _as_rebuilt(numbered)
