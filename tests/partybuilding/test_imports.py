"""Import of party members (by ID number, never echoed) and co-construction units: preview
problems, all or nothing, idempotent re-import, the importer's scope, query counts."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from governance.changelog import change_context
from governance.models import ObjectChange
from grids import imports
from partybuilding.models import CoConstructionUnit, MemberStatus, PartyMember
from tests.grids.resident_factories import id_number
from tests.grids.test_imports import _dataset, assert_queries_do_not_grow

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


def test_the_queries_of_a_member_import_do_not_grow_with_its_rows(party):
    # The organizations, buildings and known numbers are loaded once; the members and their
    # change log entries are written in chunks.
    def rows_of(first, n):
        return [
            _member("青松第一网格党支部", f"党员{i}", id_number(serial=100 + i))
            for i in range(first, first + n)
        ]

    assert_queries_do_not_grow(party.officer_a, "party_members", rows_of)
    assert PartyMember.objects.filter(name__startswith="党员").count() == 66


def test_imported_members_are_in_the_change_log_with_their_numbers_masked(party):
    number = id_number(serial=1)
    rows = [_member("青松第一网格党支部", "张红", number)]
    with change_context(user=party.officer_a):
        imports.import_apply(
            user=party.officer_a,
            kind="party_members",
            dataset=_dataset("party_members", rows),
            file_name="m",
        )
    member = PartyMember.objects.get(name="张红")
    changes = ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(PartyMember), object_id=str(member.pk)
    )
    created = changes.get(action="create")
    assert (created.user, created.area_id) == (party.officer_a, party.tree.grid_a1.pk)
    assert created.postchange_data["id_number"] not in ("", number)
    rows[0][1] = "张虹"
    imports.import_apply(
        user=party.officer_a,
        kind="party_members",
        dataset=_dataset("party_members", rows),
        file_name="m",
    )
    update = changes.get(action="update")
    assert (update.prechange_data["name"], update.postchange_data["name"]) == ("张红", "张虹")
    assert PartyMember.objects.get(pk=member.pk).name == "张虹"


def test_the_queries_of_a_unit_import_do_not_grow_with_its_rows(party):
    def rows_of(first, n):
        return [_unit(f"共建单位{i}", party.tree.community_a) for i in range(first, first + n)]

    assert_queries_do_not_grow(party.officer_a, "units", rows_of)
    unit = CoConstructionUnit.objects.get(name="共建单位120")
    entry = ObjectChange.objects.get(
        content_type=ContentType.objects.get_for_model(CoConstructionUnit), object_id=str(unit.pk)
    )
    assert (entry.action, entry.area_id) == ("create", party.tree.community_a.pk)


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
