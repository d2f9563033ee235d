"""Import of party members (by ID number, never echoed) and co-construction units: preview
problems, all or nothing, idempotent re-import, the importer's scope, query counts."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from grids import imports
from partybuilding.models import CoConstructionUnit, MemberStatus, PartyMember
from tests.grids.resident_factories import id_number
from tests.grids.test_imports import _dataset

pytestmark = pytest.mark.django_db


def _member(org, name, number, status="正式党员", building=""):
    return [org, name, "女", number, "13900001234", "2005-07-01", status, building, "否", ""]


def test_members_are_upserted_by_id_number_and_their_status_moves_only_by_step(party):
    tree = party.tree
    rows = [
        _member("青松第一网格党支部", "张红", id_number(serial=1), building=tree.building_a1.code),
        _member("青松社区党委", "刘强", id_number(serial=2), status="预备党员"),
    ]
    run = imports.import_apply(
        user=party.officer_a,
        kind="party_members",
        dataset=_dataset("party_members", rows),
        file_name="m",
    )
    assert run.new_rows == 2
    zhang = PartyMember.objects.get(name="张红")
    assert zhang.organization == party.branch_a1 and zhang.home_building == tree.building_a1
    assert zhang.birth_year is not None
    assert PartyMember.objects.get(name="刘强").status == MemberStatus.PROBATIONARY
    rows[1][6] = "正式党员"
    again = imports.import_apply(
        user=party.officer_a,
        kind="party_members",
        dataset=_dataset("party_members", rows),
        file_name="m",
    )
    assert (again.new_rows, again.updated_rows, again.skipped_rows) == (0, 0, 2)
    assert PartyMember.objects.get(name="刘强").status == MemberStatus.PROBATIONARY


def test_the_member_preview_lists_problems_without_repeating_numbers(party):
    other = id_number(serial=7)
    imports.import_apply(
        user=party.officer_b,
        kind="party_members",
        dataset=_dataset("party_members", [_member("柳荫第一网格党支部", "乙", other)]),
        file_name="b",
    )
    bad_digit = id_number(serial=8)[:-1] + ("0" if id_number(serial=8)[-1] != "0" else "1")
    rows = [
        _member("青松第一网格党支部", "好", id_number(serial=3)),
        _member("柳荫第一网格党支部", "别处组织", id_number(serial=4)),
        _member("青松第一网格党支部", "冒名", other),
        _member("青松第一网格党支部", "坏号", bad_digit),
        _member("青松第一网格党支部", "重复", id_number(serial=3)),
    ]
    preview = imports.import_preview(
        user=party.officer_a, kind="party_members", dataset=_dataset("party_members", rows)
    )
    found = {(p.row, p.column) for p in preview.problems}
    assert found == {(3, "所在党组织"), (4, "身份证号"), (5, "身份证号"), (6, "身份证号")}
    text = " ".join(p.message for p in preview.problems)
    assert other not in text and bad_digit not in text
    with pytest.raises(ValidationError):
        imports.import_apply(
            user=party.officer_a,
            kind="party_members",
            dataset=_dataset("party_members", rows),
            file_name="x",
        )
    assert not PartyMember.objects.filter(name="好").exists()
    assert PartyMember.objects.get(id_number=other).name == "乙"


def test_member_import_costs_a_few_queries_per_row(party, django_assert_max_num_queries):
    # Per row: the library's savepoint and its release, the insert and its change-log entry;
    # the organizations, buildings and known numbers are loaded once.
    rows = [_member("青松第一网格党支部", f"党员{i}", id_number(serial=100 + i)) for i in range(40)]
    with django_assert_max_num_queries(20 + 4 * 40):
        preview = imports.import_preview(
            user=party.officer_a, kind="party_members", dataset=_dataset("party_members", rows)
        )
    assert preview.valid and preview.new == 40


def _unit(name, area, kind="学校"):
    return [name, kind, area.code, "青松路1号", "王主任", "13900005678", "", 12, "场地"]


def test_units_are_upserted_by_name_inside_the_officers_area(party):
    tree = party.tree
    rows = [_unit("青松中学", tree.community_a), _unit("青松第一小学", tree.grid_a1)]
    run = imports.import_apply(
        user=party.officer_a, kind="units", dataset=_dataset("units", rows), file_name="u"
    )
    assert (run.new_rows, run.updated_rows) == (1, 1)
    assert CoConstructionUnit.objects.get(name="青松第一小学").area == tree.grid_a1
    again = imports.import_apply(
        user=party.officer_a, kind="units", dataset=_dataset("units", rows), file_name="u"
    )
    assert again.skipped_rows == 2
    preview = imports.import_preview(
        user=party.officer_a,
        kind="units",
        dataset=_dataset(
            "units",
            [_unit("柳荫医院", tree.community_a), _unit("新单位", tree.community_b, kind="银行")],
        ),
    )
    assert {(p.row, p.column) for p in preview.problems} == {
        (2, "单位名称"),
        (3, "所在区域编码"),
        (3, "单位类型"),
    }
    assert CoConstructionUnit.objects.get(name="柳荫医院").area == tree.community_b


def test_a_grid_worker_imports_no_party_records(party, cast):
    for kind in ("party_members", "units"):
        with pytest.raises(PermissionDenied):
            imports.import_preview(user=cast.worker_a, kind=kind, dataset=_dataset(kind, []))
