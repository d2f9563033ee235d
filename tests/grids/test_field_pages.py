"""The field-work pages: what each role sees and may do, refusals shown on the form, scope, the
live board's JSON, and bounded query counts on every list page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.models import Case
from grids import mobilization_services, patrol_services
from grids.models import (
    HiddenDanger,
    MobilizationReport,
    MobilizationSignup,
    MobilizationTarget,
    Patrol,
    PatrolFinding,
    TaskStatus,
)
from tests.casework.factories import CategoryFactory
from tests.grids.field_factories import GOOD_ANSWERS, danger, jpeg, open_patrol, task

pytestmark = pytest.mark.usefixtures("in_english")


def _get(client, user, url, status=200):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    return response


# -- navigation -----------------------------------------------------------------------------
def test_a_grid_worker_has_the_field_sections_and_a_volunteer_the_mobilization_one(client, field):
    worker = _get(client, field.worker_a, reverse("field:patrols"))
    keys = {item["key"] for item in worker.context["nav_items"]}
    assert {"patrols", "dangers", "mobilization"} <= keys
    volunteer = _get(client, field.volunteer, reverse("field:tasks"))
    keys = {item["key"] for item in volunteer.context["nav_items"]}
    assert "mobilization" in keys and not {"patrols", "dangers"} & keys


# -- patrols --------------------------------------------------------------------------------
def test_a_worker_starts_and_ends_a_patrol_from_the_page(client, field, tree):
    client.force_login(field.worker_a)
    page = client.get(reverse("field:patrols"))
    assert b"data-tracker" not in page.content

    client.post(reverse("field:patrol_start"), {"area": tree.grid_a1.pk})
    patrol = Patrol.objects.get()
    page = client.get(reverse("field:patrols"))
    assert b"data-tracker" in page.content
    tracker = page.context["tracker"]
    assert tracker["pointsUrl"] == f"/api/v1/patrols/{patrol.pk}/points/"

    response = client.post(reverse("field:patrol_end", args=[patrol.pk]), {"summary": "正常"})
    assert response.status_code == 302
    patrol.refresh_from_db()
    assert not patrol.is_open and patrol.summary == "正常"


def test_staff_see_the_patrols_of_their_scope_and_not_others(client, field, tree):
    mine = open_patrol(field.worker_a, tree.grid_a1)
    other = open_patrol(field.worker_b, tree.grid_b1)
    page = _get(client, field.dispatcher_a, reverse("field:patrols"))
    assert list(page.context["patrols"]) == [mine]
    _get(client, field.dispatcher_a, reverse("field:patrol", args=[other.pk]), status=404)
    _get(client, field.dispatcher_a, reverse("field:patrol", args=[mine.pk]))


def test_the_route_map_gets_the_route_and_findings_as_data(client, field, tree):
    patrol = open_patrol(field.worker_a, tree.grid_a1, started_at=timezone.now())
    patrol_services.patrol_add_point(
        actor=field.worker_a, patrol=patrol, latitude="39.95", longitude="116.45"
    )
    patrol_services.finding_record(
        actor=field.worker_a,
        patrol=patrol,
        description="<script>alert(1)</script>",
        latitude="39.95",
        longitude="116.45",
    )
    page = _get(client, field.dispatcher_a, reverse("field:patrol", args=[patrol.pk]))
    data = page.context["map_data"]
    assert data["route"] == [[39.95, 116.45]]
    assert data["findings"][0]["label"] == "<script>alert(1)</script>"
    assert b"<script>alert(1)" not in page.content


def test_a_worker_records_a_finding_and_files_it_as_a_case_in_one_step(client, field, tree):
    category = CategoryFactory(code="X1", name="暴露垃圾")
    patrol = open_patrol(field.worker_a, tree.grid_a1)
    client.force_login(field.worker_a)
    url = reverse("fieldcases:finding_new", args=[patrol.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "description": "垃圾堆放",
            "area": tree.building_a1.pk,
            "address": "东侧",
            "photo": jpeg(),
            "file_case": "on",
            "category": category.pk,
        },
    )
    assert response.status_code == 302, response.content[:800]
    finding = PatrolFinding.objects.get()
    assert finding.case == Case.objects.get()

    refused = client.post(url, {"description": "", "file_case": "on"})
    assert refused.status_code == 400
    assert refused.context["form"].errors.keys() >= {"description", "category"}
    _get(client, field.worker_b, url, status=404)


def test_an_earlier_finding_is_filed_from_its_page(client, field, tree):
    category = CategoryFactory(code="X2", name="井盖缺失")
    patrol = open_patrol(field.worker_a, tree.grid_a1)
    finding = patrol_services.finding_record(
        actor=field.worker_a, patrol=patrol, description="井盖"
    )
    client.force_login(field.worker_a)
    response = client.post(
        reverse("fieldcases:finding_case", args=[finding.pk]), {"category": category.pk}
    )
    case = Case.objects.get()
    assert response.url == reverse("casework:detail", args=[case.pk])
    again = client.get(reverse("fieldcases:finding_case", args=[finding.pk]))
    assert again.url == reverse("casework:detail", args=[case.pk])


# -- hidden dangers -------------------------------------------------------------------------
def test_a_worker_reports_a_danger_from_the_phone_form(client, field, tree):
    client.force_login(field.worker_a)
    response = client.post(
        reverse("field:danger_new"),
        {
            "title": "电动车楼道充电",
            "category": "electrical",
            "area": tree.building_a1.pk,
            "latitude": "39.950000",
            "longitude": "116.450000",
            "photo": jpeg(),
        },
    )
    d = HiddenDanger.objects.get()
    assert response.url == reverse("field:danger", args=[d.pk])
    refused = client.post(reverse("field:danger_new"), {"title": "", "area": tree.building_b1.pk})
    assert refused.status_code == 400
    assert {"title", "category", "area"} <= refused.context["form"].errors.keys()


def test_a_viewer_may_not_report_dangers(client, field):
    _get(client, field.viewer_a, reverse("field:danger_new"), status=403)


def test_the_danger_page_offers_exactly_the_steps_of_the_table(client, field, tree):
    d = danger(field.worker_a, tree.building_a1)
    worker = _get(client, field.worker_a, reverse("field:danger", args=[d.pk]))
    assert [f.step.name for f in worker.context["step_forms"]] == ["order"]
    assert worker.context["may_escalate"]
    office = _get(client, field.dispatcher_a, reverse("field:danger", args=[d.pk]))
    assert [f.step.name for f in office.context["step_forms"]] == ["order", "dismiss"]
    viewer = _get(client, field.viewer_a, reverse("field:danger", args=[d.pk]))
    assert viewer.context["step_forms"] == [] and not viewer.context["may_escalate"]
    _get(client, field.dispatcher_b, reverse("field:danger", args=[d.pk]), status=404)


def test_a_step_is_taken_from_the_danger_page_and_a_refusal_stays_on_its_form(client, field, tree):
    d = danger(field.worker_a, tree.building_a1)
    client.force_login(field.worker_a)
    url = reverse("field:danger_step", args=[d.pk, "order"])
    refused = client.post(url, {"order-version": d.version, "order-limit_days": 3})
    assert refused.status_code == 400
    bound = refused.context["step_forms"][0]
    assert bound.is_bound and "requirement" in bound.errors
    done = client.post(
        url,
        {"order-version": d.version, "order-limit_days": 3, "order-requirement": "清理"},
    )
    assert done.status_code == 302, done.context["step_forms"][0].errors
    assert HiddenDanger.objects.get(pk=d.pk).state == "rectifying"
    stale = client.post(
        url, {"order-version": d.version, "order-limit_days": 3, "order-requirement": "清理"}
    )
    assert stale.status_code == 302  # back to the page with who changed it
    assert client.post(reverse("field:danger_step", args=[d.pk, "escalate"])).status_code == 404


def test_the_danger_list_shows_due_and_overdue_ones(client, field, tree):
    late = danger(field.worker_a, tree.building_a1)
    HiddenDanger.objects.filter(pk=late.pk).update(
        state="rectifying", due_at=timezone.now() - timedelta(hours=2), stage_entry=1
    )
    soon = danger(field.worker_a, tree.building_a1)
    HiddenDanger.objects.filter(pk=soon.pk).update(
        state="rectifying", due_at=timezone.now() + timedelta(hours=3), stage_entry=1
    )
    found = danger(field.worker_a, tree.building_a1)
    page = _get(client, field.dispatcher_a, reverse("field:dangers"))
    assert page.context["counts"] == {"open": 3, "due_soon": 1, "overdue": 1}
    # Deadlines first, the soonest at the top, whatever the database does with NULLs.
    assert [d.pk for d in page.context["dangers"]] == [late.pk, soon.pk, found.pk]
    overdue = _get(client, field.dispatcher_a, reverse("field:dangers") + "?show=overdue")
    assert [d.pk for d in overdue.context["dangers"]] == [late.pk]
    assert _get(client, field.dispatcher_b, reverse("field:dangers")).context["dangers"] == []


# -- mobilization ---------------------------------------------------------------------------
def test_the_street_issues_a_task_from_its_page(client, field, tree):
    client.force_login(field.street_admin)
    page = client.get(reverse("field:task_new") + "?kind=flood")
    assert page.context["form"]["q1_label"].value()
    data = {
        "title": "防汛排查",
        "kind": "flood",
        "area": tree.street.pk,
        "unit": "building",
        "max_per_building": 3,
        "volunteers_welcome": "on",
        "q1_label": "地下室是否积水",
        "q1_type": "yes_no",
        "q1_required": "on",
        "q2_label": "房屋用途",
        "q2_type": "choice",
        "q2_choices": "自住、出租",
    }
    response = client.post(reverse("field:task_new"), data)
    t = mobilization_services.MobilizationTask.objects.get()
    assert response.url == reverse("field:task", args=[t.pk])
    assert t.building_count == 2 and t.questions[1]["choices"] == ["自住", "出租"]

    bad = client.post(reverse("field:task_new"), {**data, "q2_choices": "自住"})
    assert bad.status_code == 400 and bad.context["form"].non_field_errors()
    _get(client, field.dispatcher_a, reverse("field:task_new"), status=403)


def test_a_worker_checks_a_building_in_a_few_taps(client, field, tree):
    t = task(field.street_admin, tree.street)
    target = MobilizationTarget.objects.get(task=t, building=tree.building_a1)
    client.force_login(field.worker_a)
    page = client.get(reverse("field:take_part", args=[t.pk]))
    assert page.context["grid"] == tree.grid_a1
    assert [x.pk for x in page.context["targets"]] == [target.pk]

    url = reverse("field:target_check", args=[t.pk, target.pk])
    refused = client.post(url, {"q1": "no"})
    assert refused.status_code == 400 and "q2" in refused.context["form"].errors
    response = client.post(url, {"q1": "no", "q2": "yes", "q4": "自住"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.status == "done"


def test_a_volunteer_signs_up_and_withdraws_on_their_page(client, field, tree):
    t = task(field.street_admin, tree.street)
    target = MobilizationTarget.objects.get(task=t, building=tree.building_b1)
    client.force_login(field.volunteer)
    board = client.get(reverse("field:task", args=[t.pk]))
    assert board.url == reverse("field:take_part", args=[t.pk])
    page = client.get(reverse("field:take_part", args=[t.pk]) + f"?grid={tree.grid_b1.pk}")
    assert page.context["signup_form"] is not None
    client.post(
        reverse("field:target_signup", args=[t.pk, target.pk]), {"capacity": "party_member"}
    )
    signup = MobilizationSignup.objects.get()
    assert signup.capacity == "party_member"
    client.post(reverse("field:signup_withdraw", args=[t.pk, signup.pk]))
    assert not MobilizationSignup.objects.exists()
    assert client.get(reverse("field:task_data", args=[t.pk])).status_code == 404


def test_the_live_board_answers_unchanged_until_something_moves(client, field, tree):
    t = task(field.street_admin, tree.street)
    client.force_login(field.street_admin)
    url = reverse("field:task_data", args=[t.pk])
    first = client.get(url).json()
    assert first["changed"] and first["totals"]["done"] == 0
    same = client.get(url, {"since": first["stamp"]}).json()
    assert same == {"changed": False, "stamp": first["stamp"]}

    target = MobilizationTarget.objects.select_related("building", "task").get(
        task=t, building=tree.building_a1
    )
    mobilization_services.report_submit(actor=field.worker_a, target=target, answers=GOOD_ANSWERS)
    moved = client.get(url, {"since": first["stamp"]}).json()
    assert moved["changed"] and moved["totals"]["done"] == 1
    groups = {g["id"]: g for g in moved["groups"]}
    assert groups[tree.community_a.pk]["done"] == 1
    grid = client.get(url, {"focus": tree.grid_a1.pk}).json()
    assert [b["status"] for b in grid["buildings"]] == ["done"]


def test_closing_and_exporting_are_the_streets(client, field, tree):
    t = task(field.street_admin, tree.street)
    client.force_login(field.dispatcher_a)
    client.post(reverse("field:task_close", args=[t.pk]))
    t.refresh_from_db()
    assert t.status == TaskStatus.OPEN
    assert client.get(reverse("field:task_export", args=[t.pk])).status_code == 403

    client.force_login(field.street_admin)
    export = client.get(reverse("field:task_export", args=[t.pk]))
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    client.post(reverse("field:task_close", args=[t.pk]))
    t.refresh_from_db()
    assert t.status == TaskStatus.CLOSED
    target = MobilizationTarget.objects.get(task=t, building=tree.building_a1)
    client.force_login(field.worker_a)
    refused = client.post(
        reverse("field:target_check", args=[t.pk, target.pk]), {"q1": "no", "q2": "yes"}
    )
    assert refused.status_code == 400 and not MobilizationReport.objects.exists()


def test_photos_are_served_only_within_scope(client, field, tree):
    d = danger(field.worker_a, tree.building_a1, photo=jpeg())
    event = d.events.get()
    url = reverse("field:danger_photo", args=[d.pk, event.pk, "thumb"])
    response = _get(client, field.dispatcher_a, url)
    assert response["Content-Type"] == "image/jpeg"
    _get(client, field.dispatcher_b, url, status=404)


# -- query counts ---------------------------------------------------------------------------
def _grow(field, tree, n: int) -> None:
    for _ in range(n):
        patrol = Patrol.objects.create(
            worker=field.worker_a, area=tree.grid_a1, started_at=timezone.now() - timedelta(days=1)
        )
        Patrol.objects.filter(pk=patrol.pk).update(ended_at=timezone.now())
        patrol_services.finding_record(
            actor=field.worker_a, patrol=patrol, description="发现", now=patrol.started_at
        )
        d = danger(field.worker_a, tree.building_a1)
        HiddenDanger.objects.filter(pk=d.pk).update(
            state="rectifying", due_at=timezone.now() + timedelta(days=1), stage_entry=1
        )
        t = task(field.street_admin, tree.street)
        mobilization_services.signup(
            actor=field.worker_a,
            target=MobilizationTarget.objects.select_related("building", "task").get(
                task=t, building=tree.building_a1
            ),
        )


@pytest.mark.parametrize(
    ("who", "name"),
    [
        ("worker_a", "field:patrols"),
        ("dispatcher_a", "field:patrols"),
        ("dispatcher_a", "field:dangers"),
        ("worker_a", "field:tasks"),
        ("street_admin", "field:tasks"),
    ],
)
def test_every_list_page_is_a_fixed_number_of_queries(client, field, tree, who, name):
    client.force_login(getattr(field, who))
    _grow(field, tree, 2)
    small = _count(client, reverse(name))
    _grow(field, tree, 6)
    large = _count(client, reverse(name))
    # The first page may read the working-time calendar, which the process then keeps.
    assert large <= small <= 25


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_board_and_the_participant_page_are_a_fixed_number_of_queries(
    client, field, tree, django_assert_max_num_queries
):
    t = task(field.street_admin, tree.street)
    client.force_login(field.street_admin)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("field:task", args=[t.pk])).status_code == 200
    with django_assert_max_num_queries(25):
        url = reverse("field:task", args=[t.pk]) + f"?focus={tree.grid_a1.pk}"
        assert client.get(url).status_code == 200
    client.force_login(field.worker_a)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("field:take_part", args=[t.pk])).status_code == 200


def test_what_was_answered_is_for_the_staff_of_the_building(client, field, tree):
    t = task(field.street_admin, tree.street)
    target = MobilizationTarget.objects.select_related("building", "task").get(
        task=t, building=tree.building_a1
    )
    mobilization_services.report_submit(actor=field.worker_a, target=target, answers=GOOD_ANSWERS)
    url = reverse("field:target", args=[t.pk, target.pk])
    assert len(_get(client, field.dispatcher_a, url).context["reports"]) == 1
    _get(client, field.worker_b, url, status=404)  # works in the task, not in this building
    _get(client, field.volunteer, url, status=404)


def test_a_volunteer_sees_only_their_own_households_of_a_building(client, field, tree):
    from grids.models import CheckUnit

    t = task(field.street_admin, tree.street, unit=CheckUnit.HOUSEHOLD)
    target = MobilizationTarget.objects.select_related("building", "task").get(
        task=t, building=tree.building_a1
    )
    mobilization_services.report_submit(
        actor=field.worker_a, target=target, answers=GOOD_ANSWERS, household="1单元101"
    )
    mobilization_services.signup(actor=field.volunteer, target=target)
    mobilization_services.report_submit(
        actor=field.volunteer, target=target, answers=GOOD_ANSWERS, household="1单元102"
    )
    url = reverse("field:target_check", args=[t.pk, target.pk])
    mine = _get(client, field.volunteer, url).context["reports"]
    assert [r.household for r in mine] == ["1单元102"]
    staff = _get(client, field.dispatcher_a, url).context["reports"]
    assert {r.household for r in staff} == {"1单元101", "1单元102"}
