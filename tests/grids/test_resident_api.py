"""The resident register's API: masked for every role, revealed with a reason and logged, no
search or sort that leaks a masked value, scoped, a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from governance.api.pagination import CappedPageNumberPagination
from governance.models import PersonalDataAccess
from grids import resident_services as services
from grids.models import Resident
from tests.grids.resident_factories import CareTagFactory, ResidentFactory, id_number, tag

pytestmark = pytest.mark.django_db
URL = "/api/v1/residents/"


@pytest.fixture
def people(tree):
    return (
        ResidentFactory(area=tree.building_a1, name="李桂英", phone="13912345678"),
        ResidentFactory(area=tree.building_b1, name="王建国", phone="13787654321"),
    )


@pytest.mark.parametrize(
    "who", ["superuser", "street_admin", "dispatcher_a", "worker_a", "viewer_a", "party_a"]
)
def test_every_role_reads_personal_fields_masked(api, field, people, who):
    response = api(getattr(field, who)).get(URL)
    assert response.status_code == 200
    rows = {r["name"]: r for r in response.json()["results"]}
    li = rows["李桂英"]
    assert li["phone"] == "139****5678"
    assert li["id_number"].startswith("1101") and "*" in li["id_number"]
    assert "*" in li["registered_address"]


def test_the_list_is_scoped(api, field, people):
    names = {r["name"] for r in api(field.worker_a).get(URL).json()["results"]}
    assert names == {"李桂英"}
    assert api(field.nobody).get(URL).status_code == 403
    assert api(field.worker_a).get(f"{URL}{people[1].pk}/").status_code == 404


def test_a_keeper_reveals_with_a_reason_and_it_is_logged(api, field, people):
    client = api(field.worker_a)
    url = f"{URL}{people[0].pk}/reveal/"
    assert client.post(url, {"field": "phone"}, format="json").status_code == 400
    response = client.post(url, {"field": "phone", "reason": "上门走访前联系"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"field": "phone", "value": "13912345678"}
    assert response["Cache-Control"] == "no-store"
    log = PersonalDataAccess.objects.get()
    assert (log.user, log.field, log.interface, log.object_id) == (
        field.worker_a,
        "phone",
        "api",
        str(people[0].pk),
    )
    assert log.area_id == people[0].area_id


@pytest.mark.parametrize("who", ["viewer_a", "party_a", "center"])
def test_roles_that_only_read_cannot_reveal(api, field, people, who):
    response = api(getattr(field, who)).post(
        f"{URL}{people[0].pk}/reveal/", {"field": "phone", "reason": "好奇"}, format="json"
    )
    assert response.status_code == 403
    assert not PersonalDataAccess.objects.exists()


def test_a_masked_field_matches_only_as_a_whole_value(api, field, people):
    viewer = api(field.viewer_a)
    assert viewer.get(URL, {"q": "1391234"}).json()["count"] == 0
    assert viewer.get(URL, {"q": "13912345678"}).json()["count"] == 1
    # A keeper, who may reveal the phone (logged), searches it whole too.
    assert api(field.worker_a).get(URL, {"q": "1391234"}).json()["count"] == 0
    assert api(field.worker_a).get(URL, {"q": "13912345678"}).json()["count"] == 1


def test_sorting_on_a_personal_field_is_refused(api, field, people):
    response = api(field.dispatcher_a).get(URL, {"ordering": "phone"})
    assert response.status_code == 400
    assert "ordering" in response.json()["fields"]
    assert api(field.dispatcher_a).get(URL, {"ordering": "name"}).status_code == 200


def test_state_fields_are_not_written_through_the_api(api, field, tree):
    client = api(field.worker_a)
    response = client.post(
        URL,
        {
            "area": tree.building_a1.pk,
            "name": "赵志强",
            "id_number": id_number(serial=77),
            "deceased_on": "2020-01-01",
            "next_visit_due": "2020-01-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    made = Resident.objects.get(name="赵志强")
    assert made.deceased_on is None and made.next_visit_due is None
    assert response.json()["id_number"] != made.id_number  # answered masked


def test_a_bad_id_number_is_a_400_on_its_field(api, field, tree):
    response = api(field.worker_a).post(
        URL,
        {"area": tree.building_a1.pk, "name": "赵志强", "id_number": "110105195003070012"},
        format="json",
    )
    assert response.status_code == 400
    assert "id_number" in response.json()["fields"]


def test_a_building_out_of_scope_is_refused(api, field, tree):
    response = api(field.worker_a).post(
        URL, {"area": tree.building_b1.pk, "name": "赵志强"}, format="json"
    )
    assert response.status_code == 400
    assert "area" in response.json()["fields"]


def test_a_visit_is_recorded_through_the_api_and_moves_the_due_date(api, field, tree):
    today = timezone.localdate()
    resident = ResidentFactory(area=tree.building_a1)
    tag(resident, CareTagFactory(street=tree.street, visit_every_days=7), today - dt.timedelta(9))
    services.refresh_visit_due([resident.pk])
    client = api(field.worker_a)
    assert [r["id"] for r in client.get(f"{URL}due/").json()["results"]] == [resident.pk]
    response = client.post(
        "/api/v1/visits/", {"resident": resident.pk, "notes": "精神很好"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert client.get(f"{URL}due/").json()["results"] == []
    assert (
        api(field.worker_b)
        .post("/api/v1/visits/", {"resident": resident.pk}, format="json")
        .status_code
        == 400
    )


def _grow(tree, n):
    weekly = CareTagFactory(street=tree.street, visit_every_days=7)
    for _ in range(n):
        r = ResidentFactory(area=tree.building_a1)
        tag(r, weekly, timezone.localdate() - dt.timedelta(days=10))


@pytest.mark.parametrize(
    "url",
    [
        URL,
        f"{URL}due/",
        "/api/v1/rooms/",
        "/api/v1/households/",
        "/api/v1/care-tags/",
        "/api/v1/visits/",
    ],
)
def test_every_list_is_a_fixed_number_of_queries(
    api, field, tree, url, django_assert_max_num_queries
):
    _grow(tree, 2)
    client = api(field.dispatcher_a)
    with django_assert_max_num_queries(6 + api.auth_queries):
        small = client.get(url)
    _grow(tree, 8)
    with django_assert_max_num_queries(6 + api.auth_queries):
        large = client.get(url)
    assert small.status_code == large.status_code == 200


def test_the_list_count_stops_at_the_cap_and_says_so(api, field, tree, monkeypatch):
    monkeypatch.setattr(CappedPageNumberPagination, "cap", 2)
    for name in ("甲", "乙", "丙"):
        ResidentFactory(area=tree.building_a1, name=name)
    client = api(field.street_admin)
    body = client.get(URL).json()
    assert (body["count"], body["count_capped"]) == (2, True)
    body = client.get(URL, {"q": "乙"}).json()
    assert (body["count"], body["count_capped"]) == (1, False)
