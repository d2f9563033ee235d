"""A draft sent twice files one case: the idempotency key of the filing page and of the API,
sequential replays, replays by someone else, and (on PostgreSQL) replays at the same moment.
Also the places (micro-grids and buildings) the filing form's map and building list show."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection
from django.urls import reverse

from casework.models import Case, CaseEvent, FilingKey, PhotoDraft, Source
from casework.services import case_report, case_report_once
from grids.models import AreaKind
from tests.casework.conftest import _role
from tests.casework.factories import jpeg_upload
from tests.casework.test_pages import _filing
from tests.factories import AreaFactory

pytestmark = pytest.mark.usefixtures("in_english")


def test_the_form_carries_a_fresh_key_and_a_replay_returns_the_first_case(
    client, tree, categories, crew
):
    client.force_login(crew.worker_a)
    first = client.get(reverse("casework:new")).context["idempotency_key"]
    second = client.get(reverse("casework:new")).context["idempotency_key"]
    assert first != second
    data = _filing(tree, categories, idempotency_key=str(first))
    response = client.post(reverse("casework:new"), data)
    case = Case.objects.get()
    assert response.status_code == 302
    again = client.post(reverse("casework:new"), data)
    assert again.status_code == 302
    assert again["Location"] == reverse("casework:detail", args=[case.pk])
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(case=case).count() == 1
    assert FilingKey.objects.get().case == case


def test_the_outbox_gets_json_201_then_200_with_the_same_case(client, tree, categories, crew):
    client.force_login(crew.worker_a)
    key = str(uuid.uuid4())
    data = _filing(tree, categories, photos=[jpeg_upload("a.jpg")])
    headers = {"Idempotency-Key": key, "Accept": "application/json"}
    first = client.post(reverse("casework:new"), data, headers=headers)
    assert first.status_code == 201
    answer = first.json()
    case = Case.objects.get()
    assert answer == {
        "id": case.pk,
        "number": case.number,
        "url": reverse("casework:detail", args=[case.pk]),
        "created": True,
    }
    data = _filing(tree, categories, photos=[jpeg_upload("a.jpg")])
    replay = client.post(reverse("casework:new"), data, headers=headers)
    assert replay.status_code == 200
    assert replay.json()["id"] == case.pk and replay.json()["created"] is False
    assert Case.objects.count() == 1
    assert case.attachments.count() == 1


def test_a_replay_naming_photo_drafts_used_up_by_the_first_post_returns_the_case(
    client, tree, categories, crew
):
    client.force_login(crew.worker_a)
    upload = client.post(reverse("casework:photo_draft_upload"), {"photo": jpeg_upload("b.jpg")})
    draft = upload.json()["id"]
    data = _filing(tree, categories, photos_drafts=[draft], idempotency_key=str(uuid.uuid4()))
    headers = {"Accept": "application/json"}
    assert client.post(reverse("casework:new"), data, headers=headers).status_code == 201
    assert not PhotoDraft.objects.exists()
    replay = client.post(reverse("casework:new"), data, headers=headers)
    assert replay.status_code == 200
    assert replay.json()["created"] is False
    assert Case.objects.get().attachments.count() == 1


def test_a_refused_outbox_post_names_every_problem_in_json(client, tree, categories, crew):
    client.force_login(crew.worker_a)
    data = _filing(tree, categories, title="", category="", address="", latitude="")
    response = client.post(
        reverse("casework:new"),
        data,
        headers={"Idempotency-Key": str(uuid.uuid4()), "Accept": "application/json"},
    )
    assert response.status_code == 400
    assert {"title", "category", "address"} <= set(response.json()["errors"])
    assert not Case.objects.exists()
    assert not FilingKey.objects.exists()


def test_a_key_that_is_not_a_uuid_is_a_form_error(client, tree, categories, crew):
    client.force_login(crew.worker_a)
    response = client.post(
        reverse("casework:new"), _filing(tree, categories, idempotency_key="not-a-uuid")
    )
    assert response.status_code == 400
    assert "UUID" in str(response.context["form"].non_field_errors())
    assert not Case.objects.exists()


def test_a_refused_form_keeps_its_key_and_files_once_fixed(client, tree, categories, crew):
    client.force_login(crew.worker_a)
    key = str(uuid.uuid4())
    refused = client.post(
        reverse("casework:new"), _filing(tree, categories, title="", idempotency_key=key)
    )
    assert refused.status_code == 400
    assert str(refused.context["idempotency_key"]) == key
    assert f'value="{key}"' in refused.content.decode()
    client.post(reverse("casework:new"), _filing(tree, categories, idempotency_key=key))
    assert Case.objects.count() == 1


def test_a_replay_with_resolve_on_the_spot_resolves_once(client, tree, categories, crew):
    client.force_login(crew.worker_a)
    key = str(uuid.uuid4())
    for _ in range(2):
        data = _filing(
            tree,
            categories,
            idempotency_key=key,
            resolve_on_spot="on",
            result="当场清理",
            after_photos=[jpeg_upload("after.jpg")],
        )
        client.post(reverse("casework:new"), data)
    case = Case.objects.get()
    assert case.resolved_on_spot
    assert CaseEvent.objects.filter(case=case).count() == 2  # report + resolve_on_spot
    assert not PhotoDraft.objects.exists()


def test_someone_elses_key_files_their_own_case(client, tree, categories, crew):
    key = str(uuid.uuid4())
    colleague = _role("grid_worker", area=tree.grid_a1, username="worker_a2")
    client.force_login(crew.worker_a)
    client.post(reverse("casework:new"), _filing(tree, categories, idempotency_key=key))
    client.force_login(colleague)
    response = client.post(reverse("casework:new"), _filing(tree, categories, idempotency_key=key))
    assert Case.objects.count() == 2
    mine = Case.objects.get(reporter=colleague)
    assert response["Location"] == reverse("casework:detail", args=[mine.pk])


def test_the_api_files_once_per_idempotency_key(api, tree, categories, crew):
    client = api(crew.worker_a)
    body = {
        "title": "井盖缺失",
        "category": categories.garbage.pk,
        "area": tree.building_a1.pk,
        "source": Source.PATROL,
        "address": "1号楼北侧",
    }
    key = str(uuid.uuid4())
    first = client.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201, first.content
    replay = client.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert replay.status_code == 200
    assert replay.json()["id"] == first.json()["id"]
    assert Case.objects.count() == 1
    bad = client.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="12")
    assert bad.status_code == 400
    assert "Idempotency-Key" in bad.content.decode()
    # Without a key every post files a case, as before.
    assert client.post("/api/v1/cases/", body, format="json").status_code == 201
    assert Case.objects.count() == 2


@pytest.mark.postgres
def test_replays_at_the_same_moment_file_one_case(transactional_db, tree, categories, crew):
    key = uuid.uuid4()
    barrier = threading.Barrier(4)
    outcomes: list = []

    def file():
        return case_report(
            actor=crew.worker_a,
            title="楼道堆物",
            category=categories.garbage,
            area=tree.building_a1,
            source=Source.PATROL,
            address="1号楼",
        )

    def worker():
        try:
            barrier.wait()
            outcomes.append(case_report_once(actor=crew.worker_a, idempotency_key=key, file=file))
        except Exception as exc:  # a failure is an outcome the test shows
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(isinstance(o, tuple) for o in outcomes) and len(outcomes) == 4, outcomes
    assert sorted(created for _, created in outcomes) == [False, False, False, True]
    assert len({case.pk for case, _ in outcomes}) == 1
    assert Case.objects.count() == 1
    assert CaseEvent.objects.count() == 1


# -- the places of the filing form's map and building list ------------------------------------
def test_places_are_the_micro_grids_and_buildings_of_the_workers_grid(
    client, tree, categories, crew, django_assert_max_num_queries
):
    square = {
        "type": "Polygon",
        "coordinates": [
            [[116.4, 39.95], [116.401, 39.95], [116.401, 39.951], [116.4, 39.951], [116.4, 39.95]]
        ],
    }
    for n in range(2, 12):
        AreaFactory(
            kind=AreaKind.BUILDING, name=f"青松里{n}号楼", parent=tree.micro_a1, boundary=square
        )
    client.force_login(crew.worker_a)
    with django_assert_max_num_queries(12):
        answer = client.get(reverse("casework:places")).json()
    assert answer["area"]["id"] == tree.grid_a1.pk
    names = [p["name"] for p in answer["places"]]
    assert "青松一微网格" in names and "青松里1号楼" in names and "青松里11号楼" in names
    assert "柳荫里1号楼" not in names
    with_boundary = next(p for p in answer["places"] if p["name"] == "青松里5号楼")
    assert with_boundary["point"] == [39.9505, 116.4005]
    assert with_boundary["kind"] == "building"
    # A building chosen on the form: the places of its grid.
    chosen = client.get(reverse("casework:places"), {"area": tree.building_a1.pk}).json()
    assert chosen["area"]["id"] == tree.grid_a1.pk


def test_places_of_another_street_or_nonsense_are_empty(client, tree, crew):
    client.force_login(crew.worker_a)
    for area in (tree.building_b1.pk, "x", 999999):
        answer = client.get(reverse("casework:places"), {"area": area}).json()
        assert answer["places"] == [] or answer["area"]["id"] == tree.grid_a1.pk
    other = client.get(reverse("casework:places"), {"area": tree.building_b1.pk}).json()
    assert other == {"area": None, "places": []}


def test_places_need_a_reporting_role(client, crew):
    client.force_login(crew.viewer_a)
    assert client.get(reverse("casework:places")).status_code == 403
