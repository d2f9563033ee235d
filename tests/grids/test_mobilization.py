"""Mobilization tasks: the split per building, sign-ups, check reports against the task's own
questions, coverage counted from the rows, closing, and the Excel export of the reports."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from governance.exports import xlsx_cell
from grids import field_exports, field_selectors, mobilization_services
from grids.models import (
    Area,
    AreaKind,
    Capacity,
    CheckUnit,
    MobilizationReport,
    MobilizationSignup,
    MobilizationTarget,
    MobilizationTask,
    TargetStatus,
    TaskStatus,
)
from tests.factories import AreaFactory
from tests.grids.field_factories import GOOD_ANSWERS, jpeg, task


@pytest.fixture
def street(tree):
    """The standard tree with more buildings, some with levels skipped: three more in micro-grid
    A1, two directly under grid A2, one directly under community B (no grid)."""
    for i in range(3):
        AreaFactory(kind=AreaKind.BUILDING, name=f"青松里{i + 2}号楼", parent=tree.micro_a1)
    for i in range(2):
        AreaFactory(kind=AreaKind.BUILDING, name=f"青松二{i + 1}号楼", parent=tree.grid_a2)
    AreaFactory(kind=AreaKind.BUILDING, name="柳荫独栋", parent=tree.community_b, households=12)
    # The new buildings moved the tree's bounds of the nodes after them (siblings sort by code).
    for node in vars(tree).values():
        if isinstance(node, Area):
            node.refresh_from_db()
    return tree


def _target(t, building):
    target = MobilizationTarget.objects.select_related("building", "task").get(
        task=t, building=building
    )
    return target


# -- the split ------------------------------------------------------------------------------
def test_a_street_task_has_every_building_exactly_once_with_its_grid_and_community(field, street):
    t = task(field.street_admin, street.street)

    targets = list(MobilizationTarget.objects.filter(task=t).select_related("building"))
    buildings = set(Area.objects.within(street.street).filter(kind=AreaKind.BUILDING))
    assert t.building_count == len(targets) == len(buildings) == 8
    assert Counter(target.building for target in targets) == Counter(buildings)
    per_grid = Counter(target.grid_id for target in targets)
    assert per_grid == {
        street.grid_a1.pk: 4,
        street.grid_a2.pk: 2,
        street.grid_b1.pk: 1,
        None: 1,
    }
    per_community = Counter(target.community_id for target in targets)
    assert per_community == {street.community_a.pk: 6, street.community_b.pk: 2}
    for target in targets:
        assert target.households == target.building.households
        if target.grid_id:
            assert target.building.is_within(target.grid)


def test_a_task_on_a_micro_grid_finds_the_grid_and_community_above_it(field, street):
    t = task(field.street_admin, street.micro_a1)

    targets = list(MobilizationTarget.objects.filter(task=t))
    assert len(targets) == 4
    assert {(x.grid_id, x.community_id) for x in targets} == {
        (street.grid_a1.pk, street.community_a.pk)
    }


def test_the_split_is_a_fixed_number_of_queries_whatever_the_number_of_buildings(
    field, street, django_assert_max_num_queries
):
    for i in range(40):
        AreaFactory(kind=AreaKind.BUILDING, name=f"加建{i}号楼", parent=street.micro_b1)
    street.street.refresh_from_db()
    with django_assert_max_num_queries(20):
        t = task(field.street_admin, street.street)
    assert t.building_count == 48


@pytest.mark.parametrize(
    ("who", "area", "error"),
    [
        ("dispatcher_a", "community_a", PermissionDenied),
        ("worker_a", "grid_a1", PermissionDenied),
        ("admin_a", "community_b", PermissionDenied),
        ("street_admin", "building_a1", ValidationError),
    ],
)
def test_only_the_street_issues_tasks_on_areas_in_its_scope(field, street, who, area, error):
    with pytest.raises(error):
        task(getattr(field, who), getattr(street, area))
    assert not MobilizationTarget.objects.exists()


def test_the_center_issues_tasks_too(field, street):
    assert task(field.center, street.community_b).building_count == 2


def test_an_area_without_buildings_is_refused_and_nothing_is_written(field, street):
    empty = AreaFactory(kind=AreaKind.GRID, name="空网格", parent=street.community_b)
    with pytest.raises(ValidationError) as excinfo:
        task(field.street_admin, empty)
    assert "area" in excinfo.value.message_dict
    assert not MobilizationTarget.objects.exists()


@pytest.mark.parametrize(
    "questions",
    [
        [],
        [{"label": "", "type": "yes_no"}],
        [{"label": "问题", "type": "essay"}],
        [{"label": "用途", "type": "choice", "choices": "自住"}],
        [{"label": "人数", "type": "number", "min": 10, "max": 1}],
        [{"label": "同一个", "type": "yes_no"}, {"label": "同一个", "type": "text"}],
        "not a list",
    ],
)
def test_a_task_with_a_malformed_form_is_refused_on_its_questions(field, street, questions):
    with pytest.raises(ValidationError) as excinfo:
        task(field.street_admin, street.street, questions=questions)
    assert "questions" in excinfo.value.message_dict


def test_the_questions_are_numbered_and_choices_split(field, street):
    t = task(field.street_admin, street.street)
    assert [q["key"] for q in t.questions] == ["q1", "q2", "q3", "q4", "q5"]
    assert t.questions[3]["choices"] == ["自住", "出租", "空置"]
    assert t.questions[2]["required"] is False


# -- sign-ups -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "capacity"),
    [
        ("worker_a", Capacity.GRID_WORKER),
        ("dispatcher_a", Capacity.STAFF),
        ("party_a", Capacity.STAFF),
        ("leader", Capacity.BUILDING_LEADER),
        ("volunteer", Capacity.VOLUNTEER),
    ],
)
def test_people_sign_up_in_the_capacity_of_their_role_or_post(field, street, who, capacity):
    t = task(field.street_admin, street.street)
    target = _target(t, street.building_a1)

    signup = mobilization_services.signup(actor=getattr(field, who), target=target)

    assert signup.capacity == capacity
    target.refresh_from_db()
    assert target.signup_count == 1


def test_a_volunteer_may_declare_being_a_party_member_but_not_staff(field, street):
    t = task(field.street_admin, street.street)
    target = _target(t, street.building_a1)
    with pytest.raises(ValidationError):
        mobilization_services.signup(actor=field.volunteer, target=target, capacity="grid_worker")
    signup = mobilization_services.signup(
        actor=field.volunteer, target=target, capacity=Capacity.PARTY_MEMBER
    )
    assert signup.capacity == Capacity.PARTY_MEMBER


def test_a_worker_of_another_grid_takes_part_only_as_a_volunteer(field, street):
    t = task(field.street_admin, street.street, volunteers_welcome=False)
    with pytest.raises(PermissionDenied):
        mobilization_services.signup(actor=field.worker_b, target=_target(t, street.building_a1))
    mine = mobilization_services.signup(actor=field.worker_b, target=_target(t, street.building_b1))
    assert mine.capacity == Capacity.GRID_WORKER


def test_volunteers_are_refused_when_the_task_is_for_staff_only(field, street):
    t = task(field.street_admin, street.street, volunteers_welcome=False)
    with pytest.raises(PermissionDenied):
        mobilization_services.signup(actor=field.volunteer, target=_target(t, street.building_a1))
    assert not MobilizationSignup.objects.exists()


def test_a_building_takes_as_many_volunteers_as_the_task_allows(field, street):
    from tests.factories import UserFactory

    t = task(field.street_admin, street.street, max_per_building=2)
    target = _target(t, street.building_a1)
    for name in ("v1", "v2"):
        mobilization_services.signup(actor=UserFactory(username=name), target=target)
    with pytest.raises(ValidationError) as excinfo:
        mobilization_services.signup(actor=field.volunteer, target=target)
    assert "target" in excinfo.value.message_dict
    # Staff in scope are never turned away: the building is theirs to check.
    mobilization_services.signup(actor=field.worker_a, target=target)
    target.refresh_from_db()
    assert target.signup_count == 3


def test_nobody_signs_up_twice_for_one_building(field, street):
    t = task(field.street_admin, street.street)
    target = _target(t, street.building_a1)
    mobilization_services.signup(actor=field.worker_a, target=target)
    with pytest.raises(ValidationError):
        mobilization_services.signup(actor=field.worker_a, target=target)
    assert MobilizationSignup.objects.count() == 1


def test_a_volunteer_takes_a_bounded_number_of_buildings(field, street, monkeypatch):
    monkeypatch.setattr(mobilization_services, "MAX_SELF_DECLARED_BUILDINGS", 2)
    t = task(field.street_admin, street.street)
    buildings = list(MobilizationTarget.objects.filter(task=t).select_related("building", "task"))
    mobilization_services.signup(actor=field.volunteer, target=buildings[0])
    mobilization_services.signup(actor=field.volunteer, target=buildings[1])
    with pytest.raises(ValidationError):
        mobilization_services.signup(actor=field.volunteer, target=buildings[2])


def test_a_sign_up_is_withdrawn_by_its_owner_until_they_report(field, street):
    t = task(field.street_admin, street.street)
    target = _target(t, street.building_a1)
    signup = mobilization_services.signup(actor=field.volunteer, target=target)
    with pytest.raises(PermissionDenied):
        mobilization_services.signup_withdraw(actor=field.worker_a, signup=signup)
    mobilization_services.signup_withdraw(actor=field.volunteer, signup=signup)
    target.refresh_from_db()
    assert target.signup_count == 0

    signup = mobilization_services.signup(actor=field.volunteer, target=target)
    mobilization_services.report_submit(actor=field.volunteer, target=target, answers=GOOD_ANSWERS)
    with pytest.raises(ValidationError):
        mobilization_services.signup_withdraw(actor=field.volunteer, signup=signup)


# -- reports --------------------------------------------------------------------------------
def test_a_check_report_marks_the_building_checked(field, street):
    t = task(field.street_admin, street.street)
    target = _target(t, street.building_a1)

    report = mobilization_services.report_submit(
        actor=field.worker_a, target=target, answers={**GOOD_ANSWERS, "q3": "3"}, note="无异常"
    )

    assert report.answers == {"q1": "no", "q2": "yes", "q3": 3, "q4": "自住"}
    target.refresh_from_db()
    assert (target.status, target.report_count, target.done_by) == (
        TargetStatus.DONE,
        1,
        field.worker_a,
    )
    # Staff in scope are signed up by their first report.
    assert MobilizationSignup.objects.get(target=target).capacity == Capacity.GRID_WORKER


@pytest.mark.parametrize(
    ("answers", "field_name"),
    [
        ({**GOOD_ANSWERS, "q1": ""}, "q1"),
        ({**GOOD_ANSWERS, "q1": "maybe"}, "q1"),
        ({**GOOD_ANSWERS, "q3": "many"}, "q3"),
        ({**GOOD_ANSWERS, "q3": "-1"}, "q3"),
        ({**GOOD_ANSWERS, "q3": "1e400"}, "q3"),
        ({**GOOD_ANSWERS, "q4": "拆除"}, "q4"),
        ({**GOOD_ANSWERS, "q5": "长" * 501}, "q5"),
        ({**GOOD_ANSWERS, "q9": "yes"}, "answers"),
        ("not a dict", "answers"),
    ],
)
def test_answers_are_checked_against_the_tasks_questions(field, street, answers, field_name):
    t = task(field.street_admin, street.street)
    target = _target(t, street.building_a1)
    with pytest.raises(ValidationError) as excinfo:
        mobilization_services.report_submit(actor=field.worker_a, target=target, answers=answers)
    assert field_name in excinfo.value.message_dict
    assert not MobilizationReport.objects.exists()
    target.refresh_from_db()
    assert target.status == TargetStatus.PENDING


def test_a_building_is_checked_once_in_a_building_task(field, street):
    t = task(field.street_admin, street.street)
    target = _target(t, street.building_a1)
    mobilization_services.report_submit(actor=field.worker_a, target=target, answers=GOOD_ANSWERS)
    with pytest.raises(ValidationError):
        mobilization_services.report_submit(
            actor=field.dispatcher_a, target=target, answers=GOOD_ANSWERS
        )
    assert MobilizationReport.objects.count() == 1


def test_a_household_task_counts_households_until_every_one_is_checked(field, street):
    small = AreaFactory(kind=AreaKind.BUILDING, name="小楼", parent=street.micro_a1, households=2)
    t = task(field.street_admin, street.micro_a1, unit=CheckUnit.HOUSEHOLD)
    target = _target(t, small)
    with pytest.raises(ValidationError) as excinfo:
        mobilization_services.report_submit(
            actor=field.worker_a, target=target, answers=GOOD_ANSWERS
        )
    assert "household" in excinfo.value.message_dict

    mobilization_services.report_submit(
        actor=field.worker_a, target=target, answers=GOOD_ANSWERS, household="1单元101"
    )
    target.refresh_from_db()
    assert target.status == TargetStatus.STARTED
    with pytest.raises(ValidationError):
        mobilization_services.report_submit(
            actor=field.worker_a, target=target, answers=GOOD_ANSWERS, household="1单元101"
        )
    mobilization_services.report_submit(
        actor=field.worker_a, target=target, answers=GOOD_ANSWERS, household="1单元102"
    )
    target.refresh_from_db()
    assert (target.status, target.report_count) == (TargetStatus.DONE, 2)


def test_a_participant_marks_a_household_building_checked_when_the_rest_are_away(field, street):
    t = task(field.street_admin, street.micro_a1, unit=CheckUnit.HOUSEHOLD)
    target = _target(t, street.building_a1)
    with pytest.raises(PermissionDenied):
        mobilization_services.target_complete(actor=field.worker_a, target=target)
    mobilization_services.signup(actor=field.worker_a, target=target)
    with pytest.raises(ValidationError):
        mobilization_services.target_complete(actor=field.worker_a, target=target)
    mobilization_services.report_submit(
        actor=field.worker_a, target=target, answers=GOOD_ANSWERS, household="3单元502"
    )

    mobilization_services.target_complete(actor=field.worker_a, target=target)

    target.refresh_from_db()
    assert target.status == TargetStatus.DONE


def test_someone_without_a_post_reports_only_on_buildings_they_signed_up_for(field, street):
    t = task(field.street_admin, street.street)
    target = _target(t, street.building_a1)
    with pytest.raises(PermissionDenied):
        mobilization_services.report_submit(
            actor=field.volunteer, target=target, answers=GOOD_ANSWERS
        )
    mobilization_services.signup(actor=field.volunteer, target=target)
    mobilization_services.report_submit(actor=field.volunteer, target=target, answers=GOOD_ANSWERS)
    assert MobilizationReport.objects.get().reporter == field.volunteer


def test_a_task_that_asks_for_a_photo_refuses_a_report_without_one(field, street):
    t = task(field.street_admin, street.street, photo_required=True)
    target = _target(t, street.building_a1)
    with pytest.raises(ValidationError) as excinfo:
        mobilization_services.report_submit(
            actor=field.worker_a, target=target, answers=GOOD_ANSWERS
        )
    assert "photo" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        mobilization_services.report_submit(
            actor=field.worker_a,
            target=target,
            answers=GOOD_ANSWERS,
            photo=SimpleUploadedFile("a.jpg", b"not an image", content_type="image/jpeg"),
        )
    assert "photo" in excinfo.value.message_dict
    report = mobilization_services.report_submit(
        actor=field.worker_a, target=target, answers=GOOD_ANSWERS, photo=jpeg()
    )
    assert report.photo and report.photo_thumbnail


# -- closing --------------------------------------------------------------------------------
def test_closing_ends_sign_ups_and_reports(field, street):
    t = task(field.street_admin, street.street)
    target = _target(t, street.building_a1)
    with pytest.raises(PermissionDenied):
        mobilization_services.task_close(actor=field.dispatcher_a, task=t)

    mobilization_services.task_close(actor=field.center, task=t)

    t.refresh_from_db()
    assert t.status == TaskStatus.CLOSED and t.closed_by == field.center
    with pytest.raises(ValidationError):
        mobilization_services.task_close(actor=field.street_admin, task=t)
    target = _target(t, street.building_a1)
    with pytest.raises(ValidationError):
        mobilization_services.report_submit(
            actor=field.worker_a, target=target, answers=GOOD_ANSWERS
        )
    with pytest.raises(ValidationError):
        mobilization_services.signup(actor=field.volunteer, target=target)
    assert not MobilizationReport.objects.exists()


def test_a_report_on_a_stale_copy_of_an_open_task_is_refused_once_closed(field, street):
    t = task(field.street_admin, street.street)
    target = _target(t, street.building_a1)  # loaded while the task is open
    mobilization_services.task_close(actor=field.street_admin, task=t)
    with pytest.raises(ValidationError):
        mobilization_services.report_submit(
            actor=field.worker_a, target=target, answers=GOOD_ANSWERS
        )


# -- coverage -------------------------------------------------------------------------------
def test_coverage_counts_match_the_reports_and_sign_ups(field, street):
    t = task(field.street_admin, street.street)
    checked = [
        street.building_a1,
        *Area.objects.filter(parent=street.micro_a1).exclude(pk=street.building_a1.pk)[:1],
        street.building_b1,
    ]
    for building in checked:
        actor = field.worker_a if building.is_within(street.community_a) else field.worker_b
        mobilization_services.report_submit(
            actor=actor, target=_target(t, building), answers=GOOD_ANSWERS
        )
    mobilization_services.signup(actor=field.volunteer, target=_target(t, street.building_b1))

    totals = field_selectors.coverage_totals(t)
    groups = {g["id"]: g for g in field_selectors.coverage_groups(t, street.street, "community")}
    grids = {g["id"]: g for g in field_selectors.coverage_groups(t, street.street, "grid")}

    reports = list(MobilizationReport.objects.select_related("target"))
    assert totals["reports"] == len(reports) == 3
    assert totals["done"] == len({r.target_id for r in reports})
    assert totals["total"] == 8
    assert totals["signups"] == MobilizationSignup.objects.count() == 4
    assert field_selectors.people_count(t) == 3
    by_community = Counter(r.target.community_id for r in reports)
    for pk, row in groups.items():
        assert row["done"] == by_community.get(pk, 0)
        assert row["left"] == row["total"] - row["done"]
    assert groups[street.community_a.pk]["percent"] == 33  # 2 of 6
    assert grids[street.grid_a1.pk]["done"] == 2 and grids[street.grid_a1.pk]["total"] == 4
    assert grids[street.grid_b1.pk]["signups"] == 2


def test_the_board_is_a_fixed_number_of_queries(field, street, django_assert_max_num_queries):
    t = task(field.street_admin, street.street)
    for building in Area.objects.filter(parent=street.micro_a1):
        mobilization_services.report_submit(
            actor=field.worker_a, target=_target(t, building), answers=GOOD_ANSWERS
        )
    with django_assert_max_num_queries(8):
        payload = field_selectors.board_payload(field.street_admin, t, street.street)
    assert payload["totals"]["done"] == 4
    with django_assert_max_num_queries(8):
        payload = field_selectors.board_payload(field.street_admin, t, street.grid_a1)
    assert [b["status"] for b in payload["buildings"]] == ["done"] * 4


# -- export ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ["=1+1", "+86 123", "-2+3", "@SUM(A1)", "\t=cmd", "\r=x", '=HYPERLINK("http://x")']
)
def test_user_text_that_looks_like_a_formula_is_written_as_text(text):
    sheet = Workbook(write_only=True).create_sheet()
    cell = xlsx_cell(sheet, text)
    assert cell.data_type == "s"
    assert cell.value == text
    assert cell.quotePrefix is True


def test_plain_text_is_written_as_is():
    sheet = Workbook(write_only=True).create_sheet()
    cell = xlsx_cell(sheet, "青松里1号楼")
    assert (cell.data_type, cell.value, cell.quotePrefix) == ("s", "青松里1号楼", False)


def test_the_export_holds_every_report_with_its_answers_and_no_formula(field, street, in_english):
    t = task(field.street_admin, street.street)
    mobilization_services.report_submit(
        actor=field.worker_a,
        target=_target(t, street.building_a1),
        answers={**GOOD_ANSWERS, "q5": '=HYPERLINK("http://evil","点我")'},
        note="@SUM(1+1)",
    )
    mobilization_services.report_submit(
        actor=field.worker_b, target=_target(t, street.building_b1), answers=GOOD_ANSWERS
    )

    handle = field_exports.write_reports(t)
    sheet = load_workbook(handle).active
    rows = list(sheet.iter_rows(values_only=False))

    assert len(rows) == 3
    header = [c.value for c in rows[0]]
    assert header[8:13] == [q["label"] for q in t.questions]
    first = rows[1]
    assert first[2].value == "青松里1号楼"
    assert [c.value for c in first[8:12]] == ["No", "Yes", "0", "自住"]
    for cell in rows[1] + rows[2]:
        assert cell.data_type != "f"
    formula_like = [c for c in first if isinstance(c.value, str) and c.value[:1] in "=@"]
    assert {c.value for c in formula_like} == {'=HYPERLINK("http://evil","点我")', "@SUM(1+1)"}
    assert all(c.quotePrefix for c in formula_like)


# -- an open call stays in its street (issue 8) -------------------------------------------------
@pytest.fixture
def other_street(db):
    """A second street with a grid worker and a volunteer registered there."""
    from governance.models import Role
    from tests.factories import RoleAssignmentFactory, UserFactory

    two = AreaFactory(kind=AreaKind.STREET, name="柳荫街道", code="110101002")
    grid = AreaFactory(
        kind=AreaKind.GRID,
        name="柳荫东第一网格",
        parent=AreaFactory(kind=AreaKind.COMMUNITY, name="柳荫东社区", parent=two),
    )
    worker = UserFactory(username="worker_two")
    RoleAssignmentFactory(user=worker, role=Role.GRID_WORKER, area=grid)
    volunteer = UserFactory(username="volunteer_two", home_area=two)
    return worker, volunteer


@pytest.mark.parametrize("who", [0, 1])
def test_an_open_call_is_not_found_by_another_street(client, api, other_street, field, street, who):
    t = task(field.street_admin, street.street, volunteers_welcome=True)
    target = _target(t, street.building_a1)
    user = other_street[who]
    assert not field_selectors.task_list_for(user).filter(pk=t.pk).exists()
    client.force_login(user)
    base = f"/field/tasks/{t.pk}/"
    building = f"{base}buildings/{target.pk}/"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}take-part/").status_code == 404
    assert client.get(f"{building}check/").status_code == 404
    for url in (
        f"{base}close/",
        f"{building}sign-up/",
        f"{building}check/",
        f"{building}complete/",
    ):
        assert client.post(url).status_code == 404, url
    rest = api(user)
    assert rest.post(f"/api/v1/mobilization-tasks/{t.pk}/close/").status_code == 404
    refused = rest.post("/api/v1/mobilization-signups/", {"target": target.pk})
    assert refused.status_code == 400
    assert not MobilizationSignup.objects.exists()
    assert MobilizationTask.objects.get(pk=t.pk).status == TaskStatus.OPEN


def test_an_open_call_is_seen_by_a_volunteer_of_its_street(field, street):
    t = task(field.street_admin, street.street, volunteers_welcome=True)
    assert field_selectors.task_list_for(field.volunteer).filter(pk=t.pk).exists()
