"""Import of rooms and residents: template, preview with every row's problems (row, column,
message), all or nothing, idempotent re-import, scope, the change log."""

from __future__ import annotations

import csv
import io
from io import BytesIO

import pytest
import tablib
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from governance.changelog import change_context
from governance.models import ObjectChange
from grids import imports
from grids.models import Area, ImportRun, Resident, ResidentCareTag, Room
from tests.grids.resident_factories import CareTagFactory, id_number

pytestmark = pytest.mark.django_db


def _dataset(kind, rows):
    """An import file of ``kind`` (its template's columns) with these rows (the other import
    tests use it too)."""
    data = tablib.Dataset(headers=imports.template_headers(kind))
    for row in rows:
        data.append(row)
    return data


def _resident_row(building, number, name="王秀兰", tags="", room=""):
    return [
        building.code,
        room,
        name,
        "居民身份证",
        number,
        "13912345678",
        "女",
        "",
        "汉族",
        "群众",
        "常住",
        "户主",
        "",
        "2001-05-01",
        tags,
    ]


@pytest.fixture
def tags(tree):
    return CareTagFactory(street=tree.street, name="独居老人", visit_every_days=7)


def test_a_valid_file_is_imported_and_a_second_time_changes_nothing(field, tree, tags):
    rows = [
        _resident_row(tree.building_a1, id_number(serial=1), "甲", tags="独居老人"),
        _resident_row(tree.building_a1, id_number(serial=2), "乙"),
    ]
    run = imports.import_apply(
        user=field.worker_a, kind="residents", dataset=_dataset("residents", rows), file_name="a"
    )
    assert (run.new_rows, run.updated_rows) == (2, 0)
    first = Resident.objects.get(name="甲")
    assert first.birth_date is not None and first.next_visit_due is not None
    assert ResidentCareTag.objects.filter(resident=first, tag=tags).exists()
    again = imports.import_apply(
        user=field.worker_a, kind="residents", dataset=_dataset("residents", rows), file_name="a"
    )
    assert (again.new_rows, again.updated_rows, again.skipped_rows) == (0, 0, 2)
    assert Resident.objects.count() == 2
    assert (
        ObjectChange.objects.filter(
            object_repr__contains="a", content_type__model="importrun"
        ).count()
        == 2
    )


def test_the_preview_lists_every_rows_problem_and_nothing_is_applied(field, tree, tags):
    rows = [
        _resident_row(tree.building_a1, id_number(serial=1), "好"),
        _resident_row(tree.building_a1, "110105194912310021", "坏号码"),
        _resident_row(tree.building_b1, id_number(serial=3), "别的网格"),
        _resident_row(tree.building_a1, id_number(serial=4), "坏标签", tags="不存在"),
        _resident_row(tree.building_a1, id_number(serial=5), "", room="999"),
    ]
    preview = imports.import_preview(
        user=field.worker_a, kind="residents", dataset=_dataset("residents", rows)
    )
    found = {(p.row, p.column) for p in preview.problems}
    assert (3, "证件号码") in found
    assert (4, "楼栋编码") in found
    assert (5, "关爱标签") in found
    assert (6, "姓名") in found and (6, "房号") in found
    assert not any(p.row == 2 for p in preview.problems)
    with pytest.raises(ValidationError):
        imports.import_apply(
            user=field.worker_a,
            kind="residents",
            dataset=_dataset("residents", rows),
            file_name="x",
        )
    assert not Resident.objects.exists()
    assert not ImportRun.objects.exists()


def test_a_person_of_another_area_is_not_overwritten(field, tree):
    number = id_number(serial=9)
    imports.import_apply(
        user=field.worker_b,
        kind="residents",
        dataset=_dataset("residents", [_resident_row(tree.building_b1, number, "乙网格")]),
        file_name="b",
    )
    preview = imports.import_preview(
        user=field.worker_a,
        kind="residents",
        dataset=_dataset("residents", [_resident_row(tree.building_a1, number, "冒名")]),
    )
    assert [p.column for p in preview.problems] == ["证件号码"]
    assert Resident.objects.get().name == "乙网格"


def test_rooms_are_upserted_by_building_and_number(field, tree):
    rows = [[tree.building_a1.code, "302", 3, 88.5, "出租", ""]]
    imports.import_apply(
        user=field.worker_a, kind="rooms", dataset=_dataset("rooms", rows), file_name="r"
    )
    rows[0][4] = "自住"
    run = imports.import_apply(
        user=field.worker_a, kind="rooms", dataset=_dataset("rooms", rows), file_name="r"
    )
    assert run.updated_rows == 1
    assert Room.objects.get().use == "self_occupied"


def test_a_missing_column_is_reported(field, tree):
    data = tablib.Dataset(headers=["楼栋编码", "姓名"])
    data.append([tree.building_a1.code, "甲"])
    preview = imports.import_preview(user=field.worker_a, kind="residents", dataset=data)
    assert {p.column for p in preview.problems} >= {"证件号码"}


def test_the_pages_template_upload_preview_and_apply(client, field, tree, tags):
    client.force_login(field.worker_a)
    response = client.get("/people/import/templates/residents/")
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    header, example = list(sheet.iter_rows(values_only=True))[:2]
    assert header[:3] == ("楼栋编码", "房号", "姓名") and example[2] == "王秀兰"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(imports.template_headers("residents"))
    writer.writerow(_resident_row(tree.building_a1, id_number(serial=1), "甲"))
    bad = out.getvalue() + ",".join(_resident_row(tree.building_a1, "123", "乙")) + "\n"
    upload = SimpleUploadedFile("r.csv", bad.encode("gb18030"))
    response = client.post("/people/import/", {"kind": "residents", "file": upload})
    assert response.status_code == 400
    assert "证件号码" in response.content.decode()
    upload = SimpleUploadedFile("r.csv", out.getvalue().encode("utf-8-sig"))
    response = client.post("/people/import/", {"kind": "residents", "file": upload})
    assert response.status_code == 200
    token = response.context["token"]
    response = client.post(
        "/people/import/apply/", {"token": token, "kind": "residents", "file_name": "r.csv"}
    )
    assert response.status_code == 302
    assert Resident.objects.filter(name="甲").exists()
    client.force_login(field.viewer_a)
    assert client.get("/people/import/").status_code == 403


def test_the_area_tree_is_imported_by_code_under_the_admins_subtree(field, tree):
    grid = tree.grid_a2.code
    rows = [
        [f"{grid}07", "青松七微网格", 0, 0, ""],
        [f"{grid}07001", "青松里7号楼", 48, 130, ""],
        [f"{tree.community_b.code}09", "柳荫第九网格", 0, 0, ""],
        ["12345", "坏编码", 0, 0, ""],
    ]
    preview = imports.import_preview(
        user=field.admin_a, kind="areas", dataset=_dataset("areas", rows)
    )
    assert {(p.row, p.column) for p in preview.problems} == {(4, "编码"), (5, "编码")}
    run = imports.import_apply(
        user=field.admin_a, kind="areas", dataset=_dataset("areas", rows[:2]), file_name="t"
    )
    assert run.new_rows == 2
    building = Area.objects.get(code=f"{grid}07001")
    assert building.kind == "building" and building.parent.code == f"{grid}07"
    tree.grid_a2.refresh_from_db()
    assert building.is_within(tree.grid_a2)
    again = imports.import_apply(
        user=field.admin_a, kind="areas", dataset=_dataset("areas", rows[:2]), file_name="t"
    )
    assert again.skipped_rows == 2
    with pytest.raises(PermissionDenied):
        imports.import_preview(user=field.worker_a, kind="areas", dataset=_dataset("areas", rows))


def test_one_id_number_twice_in_a_file_is_a_problem_of_the_second_row(field, tree):
    number = id_number(serial=3)
    rows = [
        _resident_row(tree.building_a1, number, "甲"),
        _resident_row(tree.building_a1, number, "乙"),
    ]
    preview = imports.import_preview(
        user=field.worker_a, kind="residents", dataset=_dataset("residents", rows)
    )
    assert [(p.row, p.column) for p in preview.problems] == [(3, "证件号码")]


def test_an_applied_import_analyzes_its_tables_on_postgresql(
    field, tree, tags, django_capture_on_commit_callbacks
):
    def analyzed(kind, user, rows):
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            imports.import_preview(user=user, kind=kind, dataset=_dataset(kind, rows))
            previewed = len(queries.captured_queries)
            imports.import_apply(user=user, kind=kind, dataset=_dataset(kind, rows), file_name="t")
        statements = [q["sql"] for q in queries.captured_queries]
        assert not any(s.startswith("ANALYZE") for s in statements[:previewed])
        return [s for s in statements if s.startswith("ANALYZE")]

    areas = analyzed("areas", field.admin_a, [[f"{tree.grid_a2.code}07", "七微网格", 0, 0, ""]])
    residents = analyzed(
        "residents", field.worker_a, [_resident_row(tree.building_a1, id_number(serial=1), "甲")]
    )
    if connection.vendor == "postgresql":
        assert areas == ['ANALYZE "grids_area"']
        assert residents == ['ANALYZE "grids_resident", "grids_residentcaretag"']
    else:
        assert areas == residents == []


def test_a_person_twice_in_a_reimported_file_is_a_problem_even_when_unchanged(field, tree):
    number = id_number(serial=4)
    row = _resident_row(tree.building_a1, number, "甲")
    imports.import_apply(
        user=field.worker_a, kind="residents", dataset=_dataset("residents", [row]), file_name="a"
    )
    preview = imports.import_preview(
        user=field.worker_a, kind="residents", dataset=_dataset("residents", [row, row])
    )
    assert [(p.row, p.column) for p in preview.problems] == [(3, "证件号码")]


def test_the_queries_of_an_import_do_not_grow_with_its_rows(field, tree, tags):
    def queries(start, n):
        rows = [
            _resident_row(tree.building_a1, id_number(serial=i), f"居民{i}", tags="独居老人")
            for i in range(start, start + n)
        ]
        with CaptureQueriesContext(connection) as captured:
            preview = imports.import_preview(
                user=field.worker_a, kind="residents", dataset=_dataset("residents", rows)
            )
            previewed = len(captured.captured_queries)
            run = imports.import_apply(
                user=field.worker_a,
                kind="residents",
                dataset=_dataset("residents", rows),
                file_name="q",
            )
        assert preview.valid and run.new_rows == n
        assert ResidentCareTag.objects.filter(resident__name=f"居民{start + n - 1}").exists()
        return previewed, len(captured.captured_queries) - previewed

    queries(1, 3)  # the first import of the test reads what later ones find cached
    few, many = queries(10, 3), queries(100, 60)
    assert many[0] == few[0]
    # SQLite limits an INSERT to 999 parameters: 60 residents are two statements there.
    assert few[1] <= many[1] <= few[1] + (0 if connection.vendor == "postgresql" else 2)


def _rooms(building, first, n, use="自住"):
    return [[building.code, f"{i}", 3, 88.5, use, ""] for i in range(first, first + n)]


def _applied_queries(user, kind, rows) -> tuple[int, int]:
    """(queries of the preview, queries of applying) of a file of ``rows``."""
    with CaptureQueriesContext(connection) as captured:
        preview = imports.import_preview(user=user, kind=kind, dataset=_dataset(kind, rows))
        previewed = len(captured.captured_queries)
        imports.import_apply(user=user, kind=kind, dataset=_dataset(kind, rows), file_name="q")
    assert preview.valid, preview.problems
    return previewed, len(captured.captured_queries) - previewed


def assert_queries_do_not_grow(user, kind, rows_of) -> None:
    """Preview and apply a file of 3 rows, then of 60: the same queries (one statement more
    for SQLite's parameter limit). Shared by the import tests of every kind."""
    _applied_queries(user, kind, rows_of(1, 3))  # the first import reads what later ones cache
    few, many = (
        _applied_queries(user, kind, rows_of(10, 3)),
        _applied_queries(user, kind, rows_of(100, 60)),
    )
    assert many[0] == few[0]
    assert few[1] <= many[1] <= few[1] + (0 if connection.vendor == "postgresql" else 4)


def test_the_queries_of_a_room_import_do_not_grow_with_its_rows(field, tree):
    assert_queries_do_not_grow(
        field.worker_a, "rooms", lambda first, n: _rooms(tree.building_a1, first, n)
    )
    assert Room.objects.filter(area=tree.building_a1).count() == 66


def test_a_room_import_logs_each_new_and_changed_room_once(field, tree):
    rows = _rooms(tree.building_a1, 1, 3)
    with change_context(user=field.worker_a, interface="web"):
        imports.import_apply(
            user=field.worker_a, kind="rooms", dataset=_dataset("rooms", rows), file_name="r"
        )
    room_changes = ObjectChange.objects.filter(content_type__model="room")
    created = room_changes.filter(action="create")
    assert created.count() == 3
    entry = created.get(object_id=str(Room.objects.get(number="2").pk))
    assert (entry.user, entry.interface, entry.area_id) == (
        field.worker_a,
        "web",
        tree.building_a1.pk,
    )
    assert entry.postchange_data["use"] == "self_occupied"
    assert entry.object_repr == f"{tree.building_a1.name} 2"
    rows[1][4] = "出租"
    run = imports.import_apply(
        user=field.worker_a, kind="rooms", dataset=_dataset("rooms", rows), file_name="r"
    )
    assert (run.updated_rows, run.skipped_rows) == (1, 2)
    update = room_changes.get(action="update")
    assert (update.prechange_data["use"], update.postchange_data["use"]) == (
        "self_occupied",
        "rented",
    )
    assert update.area_id == tree.building_a1.pk
    assert Room.objects.get(number="2").use == "rented"


def test_a_room_twice_in_a_file_or_without_floor_area_is_a_problem_of_its_row(field, tree):
    rows = [*_rooms(tree.building_a1, 1, 2), *_rooms(tree.building_a1, 1, 1)]
    rows[1][3] = 0
    preview = imports.import_preview(
        user=field.worker_a, kind="rooms", dataset=_dataset("rooms", rows)
    )
    assert {(p.row, p.column) for p in preview.problems} == {(3, "建筑面积"), (4, "房号")}
    with pytest.raises(ValidationError):
        imports.import_apply(
            user=field.worker_a, kind="rooms", dataset=_dataset("rooms", rows), file_name="r"
        )
    assert not Room.objects.exists()


def _micro_grids_with_buildings(grid, first: int, n: int, buildings: int = 9) -> list[list]:
    """``n`` new micro-grids under ``grid`` (numbered from ``first``), each with ``buildings``
    new buildings on the rows after it: children of nodes of the same file."""
    rows = []
    for i in range(first, first + n):
        micro = f"{grid.code}{i:02d}"
        rows.append([micro, f"第{i}微网格", 0, 0, ""])
        rows.extend(
            [f"{micro}{b:03d}", f"{i}-{b}号楼", 10, 30, ""] for b in range(1, buildings + 1)
        )
    return rows


def test_an_area_import_of_200_rows_writes_the_tree_in_bulk(
    field, tree, django_assert_max_num_queries
):
    rows = _micro_grids_with_buildings(tree.grid_a2, 50, 20)
    assert len(rows) == 200
    with django_assert_max_num_queries(25):
        preview = imports.import_preview(
            user=field.admin_a, kind="areas", dataset=_dataset("areas", rows)
        )
    assert preview.valid and preview.new == 200, preview.problems
    assert not Area.objects.filter(code__startswith=f"{tree.grid_a2.code}50").exists()
    with change_context(user=field.admin_a, interface="web"), django_assert_max_num_queries(40):
        run = imports.import_apply(
            user=field.admin_a, kind="areas", dataset=_dataset("areas", rows), file_name="t"
        )
    assert run.new_rows == 200
    assert Area.check_tree() == []
    building = Area.objects.get(code=f"{tree.grid_a2.code}69009")
    assert building.kind == "building" and building.parent.code == f"{tree.grid_a2.code}69"
    tree.grid_a2.refresh_from_db()
    assert building.is_within(tree.grid_a2) and building.level == tree.grid_a2.level + 2
    entry = ObjectChange.objects.get(
        content_type__model="area", object_id=str(building.pk), action="create"
    )
    assert (entry.user, entry.interface, entry.area_id) == (field.admin_a, "web", building.pk)
    assert entry.postchange_data["parent"] == building.parent_id
    new = Area.objects.filter(code__startswith=tree.grid_a2.code, code__length__gt=14)
    created = ObjectChange.objects.filter(content_type__model="area", action="create")
    assert (
        created.filter(object_id__in=[str(pk) for pk in new.values_list("pk", flat=True)]).count()
        == 200
    )
    rows[1][1] = "改名楼"
    with django_assert_max_num_queries(40):
        again = imports.import_apply(
            user=field.admin_a, kind="areas", dataset=_dataset("areas", rows), file_name="t"
        )
    assert (again.new_rows, again.updated_rows, again.skipped_rows) == (0, 1, 199)
    update = ObjectChange.objects.get(content_type__model="area", action="update")
    assert (update.prechange_data["name"], update.postchange_data["name"]) == ("50-1号楼", "改名楼")
    assert Area.check_tree() == []


def test_the_queries_of_an_area_import_do_not_grow_with_its_rows(field, tree):
    def rows_of(first, n):
        # Micro-grids of two buildings each; two-digit micro-grid numbers, none used twice.
        number = {1: 1, 10: 10, 100: 40}[first]
        return _micro_grids_with_buildings(tree.grid_a2, number, n // 3, buildings=2)

    assert_queries_do_not_grow(field.admin_a, "areas", rows_of)
    assert Area.check_tree() == []


def test_an_area_file_with_a_bad_row_writes_nothing_and_names_the_rows(field, tree):
    grid = tree.grid_a2.code
    rows = [
        [f"{grid}08", "青松八微网格", 0, 0, ""],
        [f"{grid}08001", "八号楼", 10, 30, ""],
        [f"{grid}08001", "八号楼又一行", 10, 30, ""],  # the same code again
        [f"{grid}09001", "先于微网格的楼", 10, 30, ""],  # hangs under the grid itself
        [f"{grid}09", "来晚的微网格", 0, 0, ""],  # would adopt the building above
        [f"{grid}08002", "坏人口", 10, "很多", ""],  # not a number
    ]
    with pytest.raises(ValidationError) as raised:
        imports.apply_rows(user=field.admin_a, kind="areas", dataset=_dataset("areas", rows))
    assert {(p.row, p.column) for p in raised.value.preview.problems} == {
        (4, "编码"),
        (6, "编码"),
        (7, "人口"),
    }, raised.value.preview.problems
    assert not Area.objects.filter(code__startswith=f"{grid}08").exists()
    assert Area.check_tree() == []


def test_a_stored_area_twice_in_a_file_is_a_problem_of_the_later_row(field, tree, in_english):
    building = tree.building_a1
    rows = [
        [building.code, "改名一", 10, 30, ""],
        [tree.micro_a1.code, "微网格改名", 0, 0, ""],
        [building.code, "改名二", 10, 30, ""],  # the same stored node again
    ]
    with pytest.raises(ValidationError) as raised:
        imports.apply_rows(user=field.admin_a, kind="areas", dataset=_dataset("areas", rows))
    assert [(p.row, p.column, p.message) for p in raised.value.preview.problems] == [
        (4, "编码", "This area is on an earlier row of the file.")
    ]
    assert Area.objects.get(pk=building.pk).name == building.name
    assert Area.objects.get(pk=tree.micro_a1.pk).name == tree.micro_a1.name


def test_two_areas_may_swap_their_names(field, tree):
    # Names are not unique among siblings (codes are, and a stored node keeps its code): a
    # swap is two updates.
    first, second = tree.grid_a1, tree.grid_a2
    rows = [
        [first.code, second.name, 0, 0, ""],
        [second.code, first.name, 0, 0, ""],
    ]
    run = imports.import_apply(
        user=field.admin_a, kind="areas", dataset=_dataset("areas", rows), file_name="t"
    )
    assert run.updated_rows == 2
    assert Area.objects.get(pk=first.pk).name == second.name
    assert Area.objects.get(pk=second.pk).name == first.name


def test_a_row_that_raises_is_a_problem_of_its_row_and_nothing_is_written(field, tree, monkeypatch):
    def broken(self, instance, row, errors):
        if row.get("房号") == "2":
            raise RuntimeError("broken")

    monkeypatch.setattr(imports.RoomResource, "check_row", broken)
    rows = _rooms(tree.building_a1, 1, 3)
    with pytest.raises(ValidationError) as raised:
        imports.apply_rows(user=field.worker_a, kind="rooms", dataset=_dataset("rooms", rows))
    assert [p.row for p in raised.value.preview.problems] == [3]
    assert not Room.objects.filter(area=tree.building_a1, number__in=["1", "3"]).exists()
