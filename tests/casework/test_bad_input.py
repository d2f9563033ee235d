"""Input that used to be a server error is a 400 with a message (issue 8, item 11)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from casework.deadlines.models import DeadlineRequest
from casework.models import Case, Holder, Status
from governance.api.parsers import MAX_DEPTH, depth_exceeds
from tests.casework.factories import CaseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


@pytest.mark.parametrize("depth", [50_000, MAX_DEPTH + 1])
def test_a_deeply_nested_body_is_a_400(api, crew, depth):
    body = "[" * depth + "]" * depth
    response = api(crew.worker_a).post("/api/v1/cases/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]
    assert not Case.objects.exists()


def test_a_nested_object_is_measured_too():
    nested = {"a": 1}
    for _ in range(MAX_DEPTH):
        nested = {"a": [nested]}
    assert depth_exceeds(nested, MAX_DEPTH)
    assert not depth_exceeds({"a": [{"b": [1, 2]}]}, MAX_DEPTH)


def test_an_ordinary_body_still_reaches_the_validation(api, crew):
    response = api(crew.worker_a).post("/api/v1/cases/", {"title": ""}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()


@pytest.mark.parametrize("hours", ["nan", "NaN", "-nan", "inf", "-Infinity", "sNaN"])
def test_hours_that_are_no_number_are_a_400_on_the_field(api, crew, tree, categories, hours):
    case = CaseFactory(
        area=tree.building_a1,
        category=categories.garbage,
        status=Status.ACCEPTED,
        holder=Holder.COMMUNITY,
        due_at=datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1),
    )
    response = api(crew.dispatcher_a).post(
        "/api/v1/deadline-requests/",
        {"case": case.pk, "kind": "extension", "hours": hours, "reason": "等待"},
        format="json",
    )
    assert response.status_code == 400
    assert "hours" in response.json()
    assert not DeadlineRequest.objects.exists()
