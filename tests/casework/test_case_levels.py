"""A case's kept street, community and grid, and the community and grid scopes that read them.

A scope at a community or a grid is ``case.community = C`` (``case.grid = G``) instead of the
subtree of C: the rows must be exactly those of the subtree, for every level, also after an area
moved. Each test compares with the subtree condition written out here.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.models import Attachment, Case, CaseCounter, CaseEvent
from casework.selectors import case_list_for
from casework.services import (
    case_levels,
    case_report,
    cases_follow_area,
    cases_with_stale_levels,
)
from governance.models import Role, User
from governance.scopes import narrow, reachable, scope_of, visible
from grids.models import Area, AreaKind
from grids.services import area_move
from tests.casework.factories import CaseFactory
from tests.factories import AreaFactory, DepartmentFactory, RoleAssignmentFactory, UserFactory

AREA_ROLES = (
    Role.STREET_ADMIN,
    Role.CENTER_SUPERVISOR,
    Role.COMMUNITY_DISPATCHER,
    Role.GRID_WORKER,
    Role.VIEWER,
)


@pytest.fixture
def district(db):
    """A district of two streets: levels skipped too (a building straight under a community,
    a micro-grid straight under a community), and a case on every kind of area it may be on."""
    d = SimpleNamespace()

    def node(parent, kind, name):
        return AreaFactory(kind=kind, name=name, parent=parent)

    d.district = AreaFactory(kind=AreaKind.DISTRICT, name="示范区", code="110102")
    d.street = node(d.district, AreaKind.STREET, "东街道")
    d.street2 = node(d.district, AreaKind.STREET, "西街道")
    d.c1 = node(d.street, AreaKind.COMMUNITY, "一社区")
    d.c2 = node(d.street, AreaKind.COMMUNITY, "二社区")
    d.c3 = node(d.street2, AreaKind.COMMUNITY, "三社区")
    d.g1 = node(d.c1, AreaKind.GRID, "一网格")
    d.g2 = node(d.c2, AreaKind.GRID, "二网格")
    d.m1 = node(d.g1, AreaKind.MICRO_GRID, "一微网格")
    d.m2 = node(d.c2, AreaKind.MICRO_GRID, "二社区直属微网格")
    d.b1 = node(d.m1, AreaKind.BUILDING, "一号楼")
    d.b2 = node(d.c2, AreaKind.BUILDING, "二社区直属楼")
    d.b3 = node(d.g2, AreaKind.BUILDING, "三号楼")
    d.b4 = node(d.c3, AreaKind.BUILDING, "四号楼")
    names = [name for name, value in vars(d).items() if isinstance(value, Area)]
    fresh = Area.objects.in_bulk([getattr(d, name).pk for name in names])
    for name in names:
        setattr(d, name, fresh[getattr(d, name).pk])
    d.cases = [
        CaseFactory(area=getattr(d, name))
        for name in ("c1", "c2", "c3", "g1", "g2", "m1", "m2", "b1", "b2", "b3", "b4")
    ]
    # Filed on the street itself (an outside report not placed lower): no community, no grid.
    d.cases.append(CaseFactory(area=d.street))
    for case in d.cases:
        CaseEvent.objects.create(
            case=case, step="report", to_status=case.status, created_at=timezone.now()
        )
    return d


def _holder(role, area) -> User:
    user = UserFactory()
    RoleAssignmentFactory(user=user, role=role, area=area)
    return User.objects.get(pk=user.pk)  # a fresh user: no scope cached from before a move


def _subtree(model, area, prefix):
    return set(
        model.objects.filter(Area.subtree_q(area, prefix=prefix)).values_list("pk", flat=True)
    )


def _assert_scopes_are_subtrees(d):
    areas = Area.objects.filter(Area.subtree_q(d.district))
    assert areas.count() == 14
    for area in areas:
        for role in AREA_ROLES:
            user = _holder(role, area)
            for model, prefix in (
                (Case, "area__"),
                (CaseEvent, "case__area__"),
                (Attachment, "case__area__"),
            ):
                expected = _subtree(model, area, prefix)
                seen = set(visible(user, model.objects.all()).values_list("pk", flat=True))
                assert seen == expected, (model.__name__, role, area.kind, area.name)
                mine = set(
                    reachable(user, model.objects.all(), [role]).values_list("pk", flat=True)
                )
                assert mine == expected, (model.__name__, role, area.kind, area.name)
    # The list's ?area= filter keeps the same rows as the scope at that area.
    admin = User.objects.get(pk=UserFactory(is_superuser=True).pk)
    for area in areas:
        filtered = set(case_list_for(admin, {"area": area.pk}).values_list("pk", flat=True))
        assert filtered == _subtree(Case, area, "area__"), (area.kind, area.name)


def test_every_level_sees_exactly_its_subtree(district):
    assert len(_subtree(Case, district.c2, "area__")) == 5  # a case to tell the levels apart
    _assert_scopes_are_subtrees(district)


def test_community_and_grid_scopes_read_the_kept_column_without_the_area_table(district):
    for area, column in ((district.c1, "community_id"), (district.g1, "grid_id")):
        holder = _holder(Role.COMMUNITY_DISPATCHER, area)
        sql = str(visible(holder, Case.objects.all()).query)
        assert f'"casework_case"."{column}" = {area.pk}' in sql
        assert "grids_area" not in sql
        events = str(visible(holder, CaseEvent.objects.all()).query)
        assert "grids_area" not in events
    # A district's, a street's and a lower area's scope stays the subtree range.
    for area in (district.district, district.street, district.m1, district.b1):
        sql = str(visible(_holder(Role.VIEWER, area), Case.objects.all()).query)
        assert "grids_area" in sql, area.kind


def test_the_area_filter_at_a_community_or_grid_reads_the_kept_column(district):
    # A street admin's ?area=<community> as the community dispatcher's scope: the column, not
    # the subtree's join (a search's text index was read once per area of the community).
    admin = User.objects.get(pk=UserFactory(is_superuser=True).pk)
    for area, column in ((district.c1, "community_id"), (district.g1, "grid_id")):
        where = str(case_list_for(admin, {"area": area.pk}).query).split(" WHERE ", 1)[1]
        assert f'"casework_case"."{column}" = {area.pk}' in where
        assert '"grids_area"."lft"' not in where
    for area in (district.street, district.m1, district.b1):
        where = str(case_list_for(admin, {"area": area.pk}).query).split(" WHERE ", 1)[1]
        assert '"grids_area"."lft"' in where, area.kind


def test_a_scope_is_narrow_when_only_kept_columns_or_departments_reach_its_cases(district):
    d = district
    for area in (d.c1, d.g1):
        assert narrow(_holder(Role.COMMUNITY_DISPATCHER, area), Case)
    handler = UserFactory()
    RoleAssignmentFactory(
        user=handler, role=Role.DEPARTMENT_HANDLER, area=None, department=DepartmentFactory()
    )
    assert narrow(handler, Case)
    # A subtree (a street's, a district's, a building's) may reach a street or more.
    for area in (d.district, d.street, d.b1):
        assert not narrow(_holder(Role.VIEWER, area), Case), area.kind
    both = _holder(Role.COMMUNITY_DISPATCHER, d.c1)
    RoleAssignmentFactory(user=both, role=Role.VIEWER, area=d.street)
    assert not narrow(User.objects.get(pk=both.pk), Case)
    assert not narrow(UserFactory(is_superuser=True), Case)


def test_moves_carry_the_cases_community_and_grid_along(district):
    d = district
    admin = UserFactory(is_superuser=True)
    on_b1 = Case.objects.get(area=d.b1)
    # A grid to another community; a micro-grid under a grid (it had none above it); a building
    # from under a community to under a grid.
    area_move(actor=admin, area=d.g1, new_parent=d.c2)
    area_move(actor=admin, area=d.m2, new_parent=d.g2)
    area_move(actor=admin, area=Area.objects.get(pk=d.b2.pk), new_parent=d.g1)
    on_b1.refresh_from_db()
    assert (on_b1.community_id, on_b1.grid_id) == (d.c2.pk, d.g1.pk)
    assert Case.objects.get(area=d.m2).grid_id == d.g2.pk
    assert Case.objects.get(area=d.b2).grid_id == d.g1.pk
    assert not cases_with_stale_levels().exists()
    _assert_scopes_are_subtrees(d)
    # The first community's dispatcher lost the grid's cases, the second's has them.
    assert not visible(_holder(Role.COMMUNITY_DISPATCHER, d.c1), Case.objects.filter(pk=on_b1.pk))
    assert visible(_holder(Role.COMMUNITY_DISPATCHER, d.c2), Case.objects.filter(pk=on_b1.pk))


def test_a_community_moved_to_another_street_keeps_its_cases_street_and_numbers(district):
    d = district
    admin = UserFactory(is_superuser=True)
    before = dict(Case.objects.filter(community=d.c1).values_list("pk", "number"))
    area_move(actor=admin, area=d.c1, new_parent=d.street2)
    after = Case.objects.filter(pk__in=before)
    # The street numbers the case (unique per street and year): it stays; community and grid
    # are still right, and every scope is still its subtree (the street's is the subtree range).
    assert set(after.values_list("street_id", flat=True)) == {d.street.pk}
    assert dict(after.values_list("pk", "number")) == before
    assert not cases_with_stale_levels(["community", "grid"]).exists()
    assert cases_with_stale_levels().count() == len(before)
    _assert_scopes_are_subtrees(d)


def test_a_move_within_a_grid_changes_no_case(district, django_assert_num_queries):
    d = district
    # The building leaves its micro-grid for the grid above it: same community, same grid.
    area_move(actor=UserFactory(is_superuser=True), area=d.b1, new_parent=d.g1)
    assert cases_follow_area(Area.objects.get(pk=d.g1.pk)) == 0
    assert not cases_with_stale_levels().exists()
    # Two reads (the ancestors, the subtree) and one UPDATE per (community, grid) met: the
    # second community holds areas under no grid and the second grid's.
    community = Area.objects.get(pk=d.c2.pk)
    with django_assert_num_queries(2 + 2):
        assert cases_follow_area(community) == 0


def test_stale_levels_are_found(district):
    d = district
    assert not cases_with_stale_levels().exists()
    case = Case.objects.get(area=d.b1)
    Case.objects.filter(pk=case.pk).update(community=d.c2)
    Case.objects.filter(area=d.b3).update(grid=None)
    Case.objects.filter(area=d.c1).update(grid=d.g1)
    stale = set(cases_with_stale_levels().values_list("area_id", flat=True))
    assert stale == {d.b1.pk, d.b3.pk, d.c1.pk}
    # The rule's columns are trusted as kept: a stale community is what its scope reads.
    assert visible(_holder(Role.COMMUNITY_DISPATCHER, d.c2), Case.objects.filter(pk=case.pk))


def test_filing_keeps_the_levels_above_the_area(tree, categories, cast):
    case = case_report(
        actor=cast.dispatcher_a,
        title="井盖缺失",
        category=categories.garbage,
        area=tree.building_a1,
        source="patrol",
        address="青松里1号楼",
    )
    assert (case.street, case.community, case.grid) == (
        tree.street,
        tree.community_a,
        tree.grid_a1,
    )
    assert case_levels(tree.micro_b1) == {
        "street": tree.street,
        "community": tree.community_b,
        "grid": tree.grid_b1,
    }
    assert case_levels(tree.community_b)["grid"] is None
    assert not cases_with_stale_levels().exists()


def test_filing_reads_the_levels_in_its_transaction_at_every_kind_of_area(district, categories):
    d = district
    admin = _holder(Role.STREET_ADMIN, d.district)
    # Levels skipped (a micro-grid and a building straight under a community), a street.
    for area, source in (
        (d.b1, "patrol"),
        (d.m2, "patrol"),
        (d.b2, "patrol"),
        (d.c3, "patrol"),
        (d.street2, "resident"),
    ):
        case = case_report(
            actor=admin, title="井盖缺失", category=categories.garbage, area=area,
            source=source, address="东侧", reporter_name="王女士",
        )  # fmt: skip
        assert {name: getattr(case, f"{name}_id") for name in ("street", "community", "grid")} == {
            name: None if above is None else above.pk for name, above in case_levels(area).items()
        }, area.name
    assert not cases_with_stale_levels().exists()


def test_a_filing_on_a_copy_read_before_a_move_keeps_the_levels_after_it(tree, categories, cast):
    # The area and its ancestors as the API's process cache may still hold them; the street's
    # admin may file in both communities.
    copy = Area.with_ancestors(tree.building_a1.pk)
    Area.objects.get(pk=tree.building_a1.pk).move_to(
        Area.objects.get(pk=tree.micro_b1.pk), "last-child"
    )
    case = case_report(
        actor=cast.street_admin, title="井盖缺失", category=categories.garbage, area=copy,
        source="patrol", address="青松里1号楼",
    )  # fmt: skip

    assert (case.street, case.community, case.grid) == (
        tree.street,
        tree.community_b,
        tree.grid_b1,
    )
    assert not cases_with_stale_levels().exists()


@pytest.mark.parametrize("who", ["dispatcher_a", "worker_a"])
def test_a_filer_whose_area_moved_out_of_scope_before_the_lock_is_refused(
    who, tree, categories, cast
):
    # The filer's copies of the area and of their own scope were read before the move (the
    # API's process caches): the check before the transaction passes on them. Under the lock
    # the building lies in community B, where neither may file.
    filer = User.objects.get(pk=getattr(cast, who).pk)
    copy = Area.with_ancestors(tree.building_a1.pk)
    assert scope_of(filer).assignments
    Area.objects.get(pk=tree.building_a1.pk).move_to(
        Area.objects.get(pk=tree.micro_b1.pk), "last-child"
    )
    numbers_before = list(CaseCounter.objects.values_list("street_id", "year", "last"))

    with pytest.raises(PermissionDenied, match=re.escape(tree.building_a1.name)):
        case_report(
            actor=filer, title="井盖缺失", category=categories.garbage, area=copy,
            source="patrol", address="青松里1号楼",
        )  # fmt: skip

    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()
    # The number taken under the lock was given back with the rest of the filing.
    assert list(CaseCounter.objects.values_list("street_id", "year", "last")) == numbers_before


def test_a_filer_whose_area_moved_within_scope_files_with_the_role_it_holds_there(
    tree, categories, cast
):
    # The building moves from community A to B; admin_a (street admin of A only) may not file
    # there, but a user who is also community B's dispatcher files as that.
    filer = User.objects.get(pk=cast.admin_a.pk)
    RoleAssignmentFactory(user=filer, role=Role.COMMUNITY_DISPATCHER, area=tree.community_b)
    copy = Area.with_ancestors(tree.building_a1.pk)
    assert len(scope_of(filer).assignments) == 2
    Area.objects.get(pk=tree.building_a1.pk).move_to(
        Area.objects.get(pk=tree.micro_b1.pk), "last-child"
    )
    case = case_report(
        actor=filer, title="井盖缺失", category=categories.garbage, area=copy,
        source="patrol", address="青松里1号楼",
    )  # fmt: skip

    assert case.community_id == tree.community_b.pk
    assert case.events.get().role == Role.COMMUNITY_DISPATCHER


def test_the_community_search_reads_the_scope_column(tree, cast, categories):
    # The community dispatcher's search: one statement for the rows, no join to the area table.
    for n in range(3):
        CaseFactory(area=tree.building_a1, category=categories.garbage, title=f"井盖{n}")
    CaseFactory(area=tree.building_b1, category=categories.garbage, title="井盖")
    found = visible(cast.dispatcher_a, Case.objects.filter(title__contains="井盖"))
    with CaptureQueriesContext(connection) as captured:
        assert found.count() == 3
    assert "grids_area" not in captured.captured_queries[-1]["sql"]
