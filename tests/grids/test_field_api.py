"""The field-work API: scope on every list and detail (session and token), state fields read-only,
steps through step endpoints, bounded query counts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from governance.tokens import token_issue
from grids import mobilization_services, patrol_services
from grids.models import (
    HiddenDanger,
    MobilizationReport,
    MobilizationSignup,
    MobilizationTarget,
    Patrol,
    PatrolPoint,
)
from tests.grids.field_factories import GOOD_ANSWERS, danger, jpeg, open_patrol, task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

PATROLS = "/api/v1/patrols/"
FINDINGS = "/api/v1/patrol-findings/"
DANGERS = "/api/v1/hidden-dangers/"
REMINDERS = "/api/v1/danger-reminders/"
TASKS = "/api/v1/mobilization-tasks/"
TARGETS = "/api/v1/mobilization-targets/"
SIGNUPS = "/api/v1/mobilization-signups/"
REPORTS = "/api/v1/mobilization-reports/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def token_client(user) -> APIClient:
    client = APIClient()
    _token, key = token_issue(user=user, name="tests")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def two_sides(field, tree):
    """A patrol, a finding and a danger in community A, and the same in community B."""
    a = open_patrol(field.worker_a, tree.grid_a1)
    b = open_patrol(field.worker_b, tree.grid_b1)
    fa = patrol_services.finding_record(actor=field.worker_a, patrol=a, description="甲")
    fb = patrol_services.finding_record(actor=field.worker_b, patrol=b, description="乙")
    da = danger(field.worker_a, tree.building_a1)
    db = danger(field.worker_b, tree.building_b1)
    return {"patrols": (a, b), "findings": (fa, fb), "dangers": (da, db)}


# -- scope ----------------------------------------------------------------------------------
@pytest.mark.parametrize("auth", ["session", "token"])
@pytest.mark.parametrize(
    ("url", "key"), [(PATROLS, "patrols"), (FINDINGS, "findings"), (DANGERS, "dangers")]
)
def test_lists_hold_only_the_callers_scope(api, field, two_sides, auth, url, key):
    a, b = two_sides[key]

    def client(user):
        return api(user) if auth == "session" else token_client(user)

    assert ids(client(field.dispatcher_a).get(url)) == {a.pk}
    assert ids(client(field.worker_b).get(url)) == {b.pk}
    assert ids(client(field.street_admin).get(url)) == {a.pk, b.pk}
    assert ids(client(field.nobody).get(url)) == set()
    assert client(field.dispatcher_a).get(f"{url}{b.pk}/").status_code == 404
    assert client(field.dispatcher_a).get(f"{url}{a.pk}/").status_code == 200


def test_anonymous_callers_are_refused(api, two_sides):
    for url in (PATROLS, FINDINGS, DANGERS, TASKS, TARGETS, SIGNUPS, REPORTS, REMINDERS):
        assert api().get(url).status_code in (401, 403)


def test_a_worker_sees_their_own_patrols_after_moving_to_another_grid(api, field, tree, two_sides):
    from governance.models import RoleAssignment

    RoleAssignment.objects.filter(user=field.worker_a).update(area=tree.grid_b1)
    own = two_sides["patrols"][0]
    assert own.pk in ids(api(field.worker_a).get(PATROLS))


# -- patrols --------------------------------------------------------------------------------
def test_a_worker_starts_sends_positions_and_ends_a_patrol(api, field, tree):
    client = api(field.worker_a)
    started = client.post(PATROLS, {}, format="json")
    assert started.status_code == 201, started.content
    pk = started.json()["id"]
    points = f"{PATROLS}{pk}/points/"

    first = client.post(points, {"latitude": "39.95", "longitude": "116.45", "accuracy": 8})
    too_soon = client.post(points, {"latitude": "39.951", "longitude": "116.45"})
    wrong = client.post(points, {"latitude": "99", "longitude": "116.45"})

    assert first.status_code == 201
    assert too_soon.status_code == 429 and too_soon.json()["code"] == "too_soon"
    assert wrong.status_code == 400 and "latitude" in wrong.json()["fields"]
    assert PatrolPoint.objects.count() == 1
    route = client.get(points)
    assert [p["latitude"] for p in route.json()["results"]] == ["39.950000"]

    ended = client.post(f"{PATROLS}{pk}/end/", {"summary": "正常"}, format="json")
    assert ended.status_code == 200 and ended.json()["is_open"] is False
    after = client.post(points, {"latitude": "39.95", "longitude": "116.45"})
    assert after.status_code == 400 and after.json()["fields"]["non_field_errors"]


def test_nobody_else_sends_positions_for_a_patrol(api, field, tree):
    patrol = open_patrol(field.worker_a, tree.grid_a1)
    response = api(field.dispatcher_a).post(
        f"{PATROLS}{patrol.pk}/points/", {"latitude": "39.95", "longitude": "116.45"}
    )
    assert response.status_code == 403
    assert api(field.worker_b).get(f"{PATROLS}{patrol.pk}/points/").status_code == 404


def test_patrol_state_is_not_written_through_the_api(api, field, tree):
    patrol = open_patrol(field.worker_a, tree.grid_a1)
    client = api(field.street_admin)
    response = client.patch(f"{PATROLS}{patrol.pk}/", {"ended_at": timezone.now().isoformat()})
    assert response.status_code == 405
    assert client.delete(f"{PATROLS}{patrol.pk}/").status_code == 405
    assert Patrol.objects.get(pk=patrol.pk).is_open


def test_a_finding_is_recorded_through_the_api_with_a_photo(api, field, tree):
    patrol = open_patrol(field.worker_a, tree.grid_a1)
    response = api(field.worker_a).post(
        FINDINGS,
        {"patrol": patrol.pk, "description": "井盖缺失", "photo": jpeg()},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["case"] is None and body["photo"]["thumb"].endswith("/thumb/")
    other = api(field.worker_b).post(
        FINDINGS, {"patrol": patrol.pk, "description": "x"}, format="multipart"
    )
    assert other.status_code == 400 and "patrol" in other.json()["fields"]


# -- hidden dangers -------------------------------------------------------------------------
def test_a_danger_is_reported_and_stepped_through_its_endpoints(api, field, tree):
    client = api(field.worker_a)
    created = client.post(
        DANGERS,
        {
            "title": "楼道堆物",
            "category": "fire",
            "area": tree.building_a1.pk,
            "address": "2单元",
            "photo": jpeg(),
        },
        format="multipart",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    steps = client.get(f"{DANGERS}{pk}/transitions/").json()
    assert {s["name"] for s in steps} == {"order", "escalate"}

    ordered = client.post(
        f"{DANGERS}{pk}/transitions/",
        {"step": "order", "requirement": "清理", "limit_days": 3, "version": 1},
        format="json",
    )
    assert ordered.status_code == 200, ordered.content
    assert ordered.json()["state"] == "rectifying" and ordered.json()["due_at"]
    stale = client.post(
        f"{DANGERS}{pk}/transitions/",
        {"step": "rectified", "comment": "已清理", "version": 1},
        format="json",
    )
    assert stale.status_code == 409
    events = client.get(f"{DANGERS}{pk}/events/").json()
    assert [e["step"] for e in events] == ["report", "order"]
    assert events[0]["photo"] is not None


def test_danger_steps_are_refused_with_the_reason(api, field, tree):
    d = danger(field.worker_a, tree.building_a1)
    url = f"{DANGERS}{d.pk}/transitions/"
    bad = api(field.worker_a).post(url, {"step": "order", "limit_days": 4}, format="json")
    assert bad.status_code == 400 and {"requirement", "limit_days"} <= set(bad.json()["fields"])
    escalate = api(field.worker_a).post(url, {"step": "escalate", "comment": "x"}, format="json")
    assert escalate.status_code == 400 and "step" in escalate.json()["fields"]
    viewer = api(field.viewer_a).post(url, {"step": "dismiss", "comment": "x"}, format="json")
    assert viewer.status_code == 403
    assert api(field.dispatcher_b).post(url, {"step": "dismiss"}, format="json").status_code == 404
    assert HiddenDanger.objects.get(pk=d.pk).state == "found"


def test_danger_state_is_read_only(api, field, tree):
    d = danger(field.worker_a, tree.building_a1)
    response = api(field.street_admin).patch(f"{DANGERS}{d.pk}/", {"state": "cleared"})
    assert response.status_code == 405
    assert HiddenDanger.objects.get(pk=d.pk).state == "found"


def test_a_danger_reported_outside_the_scope_is_refused_on_its_area(api, field, tree):
    response = api(field.worker_a).post(
        DANGERS,
        {"title": "x", "category": "fire", "area": tree.building_b1.pk, "address": "y"},
        format="json",
    )
    assert response.status_code == 400 and "area" in response.json()["fields"]


# -- mobilization ---------------------------------------------------------------------------
QUESTIONS = [{"label": "是否积水", "type": "yes_no"}, {"label": "人数", "type": "number"}]


def test_the_street_issues_a_task_and_closes_it_through_the_api(api, field, tree):
    client = api(field.street_admin)
    payload = {"title": "防汛", "kind": "flood", "area": tree.street.pk, "questions": QUESTIONS}
    created = client.post(TASKS, payload, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["building_count"] == 2
    dispatcher = api(field.dispatcher_a)
    assert dispatcher.post(TASKS, payload, format="json").status_code == 400  # unknown area
    own = {**payload, "area": tree.community_a.pk}
    assert dispatcher.post(TASKS, own, format="json").status_code == 403
    bad = client.post(TASKS, {**payload, "questions": [{"label": "x", "type": "y"}]}, format="json")
    assert bad.status_code == 400 and "questions" in bad.json()["fields"]

    closed = client.post(f"{TASKS}{pk}/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert client.post(f"{TASKS}{pk}/close/").status_code == 400


def test_a_grid_worker_sees_the_street_task_and_only_the_buildings_of_their_grid(api, field, tree):
    t = task(field.street_admin, tree.street, volunteers_welcome=False)
    client = api(field.worker_a)
    assert ids(client.get(TASKS)) == {t.pk}
    targets = ids(client.get(TARGETS, {"task": t.pk}))
    assert targets == set(
        MobilizationTarget.objects.filter(task=t, grid=tree.grid_a1).values_list("pk", flat=True)
    )
    coverage = client.get(f"{TASKS}{t.pk}/coverage/").json()
    assert coverage["totals"]["total"] == 2


def test_a_volunteer_sees_only_open_calls_and_their_own_rows(api, field, tree):
    open_call = task(field.street_admin, tree.street)
    staff_only = task(field.street_admin, tree.street, volunteers_welcome=False)
    client = api(field.volunteer)
    assert ids(client.get(TASKS)) == {open_call.pk}
    assert client.get(f"{TASKS}{staff_only.pk}/").status_code == 404
    assert client.get(f"{TASKS}{open_call.pk}/coverage/").status_code == 403

    target = MobilizationTarget.objects.get(task=open_call, building=tree.building_b1)
    signed = client.post(SIGNUPS, {"target": target.pk, "capacity": "party_member"})
    assert signed.status_code == 201, signed.content
    assert signed.json()["capacity"] == "party_member"
    report = client.post(
        REPORTS,
        {"target": target.pk, "answers": json.dumps(GOOD_ANSWERS), "photo": jpeg()},
        format="multipart",
    )
    assert report.status_code == 201, report.content
    assert ids(client.get(SIGNUPS)) == {signed.json()["id"]}
    assert ids(client.get(REPORTS)) == {report.json()["id"]}
    staff_target = MobilizationTarget.objects.get(task=staff_only, building=tree.building_b1)
    refused = client.post(SIGNUPS, {"target": staff_target.pk})
    assert refused.status_code == 400 and "target" in refused.json()["fields"]


def test_a_report_with_wrong_answers_names_the_question(api, field, tree):
    t = task(field.street_admin, tree.street)
    target = MobilizationTarget.objects.get(task=t, building=tree.building_a1)
    response = api(field.worker_a).post(
        REPORTS, {"target": target.pk, "answers": {"q1": "maybe"}}, format="json"
    )
    assert response.status_code == 400
    assert {"q1", "q2", "q4"} <= set(response.json()["fields"])
    malformed = api(field.worker_a).post(
        REPORTS, {"target": target.pk, "answers": "{not json"}, format="multipart"
    )
    assert malformed.status_code == 400 and "answers" in malformed.json()["fields"]
    assert not MobilizationReport.objects.exists()


def test_a_sign_up_is_withdrawn_by_deleting_it(api, field, tree):
    t = task(field.street_admin, tree.street)
    target = MobilizationTarget.objects.get(task=t, building=tree.building_a1)
    signup = mobilization_services.signup(actor=field.volunteer, target=target)
    assert api(field.worker_b).delete(f"{SIGNUPS}{signup.pk}/").status_code == 404
    assert api(field.worker_a).delete(f"{SIGNUPS}{signup.pk}/").status_code == 403
    assert api(field.volunteer).delete(f"{SIGNUPS}{signup.pk}/").status_code == 204
    assert not MobilizationSignup.objects.exists()


def test_coverage_state_of_a_building_is_read_only(api, field, tree):
    t = task(field.street_admin, tree.street)
    target = MobilizationTarget.objects.get(task=t, building=tree.building_a1)
    response = api(field.street_admin).patch(f"{TARGETS}{target.pk}/", {"status": "done"})
    assert response.status_code == 405
    assert MobilizationTarget.objects.get(pk=target.pk).status == "pending"


# -- query counts ---------------------------------------------------------------------------
def _grow(field, tree, n: int) -> None:
    for _ in range(n):
        patrol = Patrol.objects.create(
            worker=field.worker_a, area=tree.grid_a1, started_at=timezone.now() - timedelta(days=1)
        )
        Patrol.objects.filter(pk=patrol.pk).update(ended_at=timezone.now())
        patrol_services.finding_record(
            actor=field.worker_a, patrol=patrol, description="巡查发现", now=patrol.started_at
        )
        danger(field.worker_a, tree.building_a1)
    t = task(field.street_admin, tree.street)
    for target in MobilizationTarget.objects.filter(task=t, grid=tree.grid_a1).select_related(
        "building", "task"
    ):
        mobilization_services.report_submit(
            actor=field.worker_a, target=target, answers=GOOD_ANSWERS
        )


@pytest.mark.parametrize(
    "url", [PATROLS, FINDINGS, DANGERS, REMINDERS, TASKS, TARGETS, SIGNUPS, REPORTS]
)
def test_every_list_endpoint_is_a_fixed_number_of_queries(
    api, field, tree, url, django_assert_max_num_queries
):
    _grow(field, tree, 2)
    client = api(field.dispatcher_a)
    with django_assert_max_num_queries(8):
        small = client.get(url)
    _grow(field, tree, 6)
    with django_assert_max_num_queries(8):
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    assert large.json()["count"] >= small.json()["count"]
