"""The deadline API: extension and suspension requests, resuming, supervision orders, and the
caller's notifications. Scope (community A vs B), errors naming the field, 409 for a second
decision or answer, and bounded query counts on the lists."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from casework.deadlines import services as deadline_services
from casework.deadlines.models import DeadlineRequest, SupervisionOrder
from casework.models import CaseEvent, Holder, Status
from governance.models import Notification
from tests.casework.factories import CaseFactory

TZ = ZoneInfo("Asia/Shanghai")


# English messages, so that assertions do not depend on the state of the catalogue.
pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
def held(tree, categories, departments):
    """Community A's case handled by department A, due in two days."""
    return CaseFactory(
        area=tree.building_a1,
        category=categories.garbage,
        status=Status.IN_PROGRESS,
        holder=Holder.DEPARTMENT,
        department=departments.a,
        due_at=datetime.now(TZ) + timedelta(days=2),
    )


@pytest.fixture
def held_b(tree, categories):
    """Community B's accepted case, held by its community."""
    return CaseFactory(
        area=tree.building_b1,
        category=categories.garbage,
        status=Status.ACCEPTED,
        holder=Holder.COMMUNITY,
        due_at=datetime.now(TZ) + timedelta(days=1),
    )


def _ask(client, case, **data):
    data.setdefault("kind", "extension")
    data.setdefault("reason", "等待法院裁定")
    if data["kind"] == "extension":
        data.setdefault("hours", "8")
    return client.post("/api/v1/deadline-requests/", {"case": case.pk, **data}, format="json")


# -- extension and suspension requests ------------------------------------------------------
def test_the_holder_asks_and_the_center_approves_an_extension(api, crew, held):
    due = held.due_at
    asked = _ask(api(crew.handler_a), held)

    assert asked.status_code == 201, asked.json()
    body = asked.json()
    assert (body["kind"], body["status"], body["case"]["number"]) == (
        "extension",
        "pending",
        held.number,
    )
    approved = api(crew.center).post(
        f"/api/v1/deadline-requests/{body['id']}/approve/", {}, format="json"
    )

    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    held.refresh_from_db()
    assert held.due_at > due
    assert list(CaseEvent.objects.filter(case=held).values_list("step", flat=True)) == [
        "request_extension",
        "approve_extension",
    ]


def test_a_bad_request_names_each_field_and_writes_nothing(api, crew, held):
    response = _ask(api(crew.handler_a), held, reason=" ", hours="-3")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"reason", "hours"}
    assert response.json()["fields"]["hours"] == ["Give a number of working hours, more than zero."]
    unknown = _ask(api(crew.handler_a), held, kind="holiday")
    assert unknown.status_code == 400 and "kind" in unknown.json()["fields"]
    assert not DeadlineRequest.objects.exists() and not CaseEvent.objects.exists()


def test_only_the_holder_asks_and_only_the_center_decides(api, crew, held):
    assert _ask(api(crew.handler_b), held).status_code == 400  # not visible: unknown case
    assert _ask(api(crew.dispatcher_a), held).status_code == 403  # sees it, does not hold it
    request = _ask(api(crew.handler_a), held).json()
    url = f"/api/v1/deadline-requests/{request['id']}/approve/"

    assert api(crew.handler_a).post(url, {}, format="json").status_code == 403
    assert api(crew.dispatcher_b).post(url, {}, format="json").status_code == 404
    assert DeadlineRequest.objects.get().status == "pending"


def test_a_second_request_or_decision_is_a_conflict(api, crew, held):
    first = _ask(api(crew.handler_a), held).json()

    again = _ask(api(crew.handler_a), held, kind="suspension")
    assert again.status_code == 409
    assert again.json()["code"] == "conflict" and "kind" in again.json()["fields"]

    refuse_url = f"/api/v1/deadline-requests/{first['id']}/refuse/"
    unexplained = api(crew.center).post(refuse_url, {}, format="json")
    assert unexplained.status_code == 400
    assert unexplained.json()["fields"] == {"comment": ["Say why the request is refused."]}
    refused = api(crew.center).post(refuse_url, {"comment": "时限充足"}, format="json")
    assert refused.status_code == 200 and refused.json()["status"] == "refused"

    late = api(crew.center).post(
        f"/api/v1/deadline-requests/{first['id']}/approve/", {}, format="json"
    )
    assert late.status_code == 409
    assert late.json()["fields"]["status"] == ["This request has been decided already."]


def test_a_suspension_stops_the_clock_and_resume_restarts_it(api, crew, held):
    request = _ask(api(crew.handler_a), held, kind="suspension").json()
    api(crew.center).post(f"/api/v1/deadline-requests/{request['id']}/approve/", {}, format="json")
    held.refresh_from_db()
    assert held.due_at is None

    assert api(crew.dispatcher_b).post(f"/api/v1/cases/{held.pk}/resume/").status_code == 404
    resumed = api(crew.handler_a).post(
        f"/api/v1/cases/{held.pk}/resume/", {"comment": "业主已回国"}, format="json"
    )

    assert resumed.status_code == 200, resumed.json()
    assert resumed.json()["due_at"] is not None
    again = api(crew.handler_a).post(f"/api/v1/cases/{held.pk}/resume/")
    assert again.status_code == 400 and "case" in again.json()["fields"]


def test_request_lists_keep_to_the_scope_with_few_queries(
    api, crew, held, held_b, django_assert_max_num_queries
):
    _ask(api(crew.handler_a), held)
    _ask(api(crew.dispatcher_b), held_b, kind="suspension")
    for i in range(10):
        case = CaseFactory(
            area=held.area,
            category=held.category,
            status=Status.ACCEPTED,
            due_at=held.due_at,
        )
        _ask(api(crew.dispatcher_a), case, reason=f"原因{i}")

    dispatcher, center = api(crew.dispatcher_a), api(crew.center)
    with django_assert_max_num_queries(5 + api.auth_queries):
        mine = dispatcher.get("/api/v1/deadline-requests/", {"status": "pending"})
    with django_assert_max_num_queries(5 + api.auth_queries):
        center = center.get("/api/v1/deadline-requests/")

    numbers = {r["case"]["number"] for r in mine.json()["results"]}
    assert held_b.number not in numbers and held.number in numbers
    assert mine.json()["count"] == 11
    assert center.json()["count"] == 12
    other = api(crew.dispatcher_b).get("/api/v1/deadline-requests/").json()
    assert [r["case"]["number"] for r in other["results"]] == [held_b.number]
    bad = api(crew.center).get("/api/v1/deadline-requests/", {"status": "lost"})
    assert bad.status_code == 400 and "status" in bad.json()["fields"]


# -- supervision orders ---------------------------------------------------------------------
def test_the_center_issues_an_order_and_the_holder_answers_it_once(api, crew, held):
    issued = api(crew.center).post(
        "/api/v1/supervision-orders/",
        {"case": held.pk, "demand": "请于今日内处置完毕", "reply_hours": "4"},
        format="json",
    )
    assert issued.status_code == 201, issued.json()
    order = issued.json()
    assert order["status"] == "issued" and order["department"]["id"] == held.department_id
    assert order["number"].startswith("DB")
    assert Notification.objects.filter(recipient=crew.handler_a, kind="case.supervision")

    url = f"/api/v1/supervision-orders/{order['id']}/answer/"
    assert api(crew.handler_b).post(url, {"reply": "已处理"}, format="json").status_code == 404
    empty = api(crew.handler_a).post(url, {"reply": " "}, format="json")
    assert empty.status_code == 400 and "reply" in empty.json()["fields"]
    answered = api(crew.handler_a).post(url, {"reply": "已安排清运"}, format="json")
    assert answered.status_code == 200
    assert answered.json()["status"] == "answered" and answered.json()["reply"] == "已安排清运"
    again = api(crew.handler_a).post(url, {"reply": "再次答复"}, format="json")
    assert again.status_code == 409
    assert again.json()["fields"]["reply"] == ["This order has been answered already."]
    assert SupervisionOrder.objects.get().reply == "已安排清运"


def test_only_the_center_issues_and_the_input_is_checked(api, crew, held, held_b):
    denied = api(crew.dispatcher_a).post(
        "/api/v1/supervision-orders/", {"case": held.pk, "demand": "督办"}, format="json"
    )
    assert denied.status_code == 403
    outside = api(crew.dispatcher_a).post(
        "/api/v1/supervision-orders/", {"case": held_b.pk, "demand": "督办"}, format="json"
    )
    assert outside.status_code == 400 and outside.json()["fields"] == {"case": ["Unknown case."]}
    bad = api(crew.center).post(
        "/api/v1/supervision-orders/",
        {"case": held.pk, "demand": "", "reply_hours": "abc"},
        format="json",
    )
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"demand", "reply_hours"}
    assert not SupervisionOrder.objects.exists()


def test_order_lists_keep_to_the_scope_with_few_queries(
    api, crew, held, held_b, django_assert_max_num_queries
):
    for i in range(8):
        deadline_services.supervision_issue(case=held, actor=crew.center, demand=f"督办{i}")
    order_b = deadline_services.supervision_issue(case=held_b, actor=crew.center, demand="柳荫督办")

    center, handler = api(crew.center), api(crew.handler_a)
    with django_assert_max_num_queries(5 + api.auth_queries):
        center = center.get("/api/v1/supervision-orders/")
    with django_assert_max_num_queries(5 + api.auth_queries):
        handler = handler.get("/api/v1/supervision-orders/", {"status": "issued"})

    assert center.json()["count"] == 9
    assert handler.json()["count"] == 8
    assert order_b.pk not in {o["id"] for o in handler.json()["results"]}
    client_a = api(crew.dispatcher_a)
    assert client_a.get(f"/api/v1/supervision-orders/{order_b.pk}/").status_code == 404
    detail = api(crew.dispatcher_b).get(f"/api/v1/supervision-orders/{order_b.pk}/")
    assert detail.status_code == 200 and detail.json()["demand"] == "柳荫督办"


def test_the_event_history_names_deadline_steps(api, crew, held):
    request = _ask(api(crew.handler_a), held).json()
    api(crew.center).post(
        f"/api/v1/deadline-requests/{request['id']}/refuse/", {"comment": "时限充足"}, format="json"
    )

    events = api(crew.handler_a).get(f"/api/v1/cases/{held.pk}/events/").json()

    assert [e["step_label"] for e in events] == ["Asked for an extension", "Extension refused"]
