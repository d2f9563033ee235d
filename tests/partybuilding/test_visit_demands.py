"""A need found on a home visit becomes a party-building demand in one step, linked both ways."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from grids import resident_services
from grids.models import Visit
from partybuilding import services
from partybuilding.models import Demand, DemandStatus
from tests.grids.resident_factories import ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(party):
    resident = ResidentFactory(area=party.tree.building_a1, phone="13912345678")
    return resident_services.visit_record(
        actor=party.cast.worker_a, resident=resident, need="老人想学用智能手机挂号"
    )


def test_a_need_becomes_a_demand_once_linked_both_ways(party, visit):
    demand = services.visit_raise_demand(
        actor=party.cast.worker_a, visit=visit, service_type="elderly_care"
    )
    assert Visit.objects.get(pk=visit.pk).demand == demand
    assert Demand.objects.get(pk=demand.pk).visit == visit
    assert demand.source == "visit" and demand.status == DemandStatus.OPEN
    assert demand.area == party.tree.building_a1 and demand.title == visit.need
    assert "13912345678" not in demand.title + demand.description
    with pytest.raises(ValidationError):
        services.visit_raise_demand(actor=party.officer_a, visit=visit, service_type="health")
    assert Demand.objects.count() == 1


def test_nobody_out_of_scope_raises_a_demand(party, visit):
    for actor in (party.officer_b, party.cast.viewer_a):
        with pytest.raises(PermissionDenied):
            services.visit_raise_demand(actor=actor, visit=visit, service_type="health")
    assert not Demand.objects.exists()


def test_a_visit_without_a_need_or_a_bad_type_is_refused(party, visit):
    with pytest.raises(ValidationError):
        services.visit_raise_demand(actor=party.officer_a, visit=visit, service_type="nonsense")
    Visit.objects.filter(pk=visit.pk).update(need="")
    with pytest.raises(ValidationError):
        services.visit_raise_demand(actor=party.officer_a, visit=visit, service_type="health")


def test_the_page_lists_the_need_and_the_resident_page_shows_it(client, party, visit):
    client.force_login(party.cast.worker_a)
    resident_page = f"/people/residents/{visit.resident_id}/"
    url = f"/party/visits/{visit.pk}/demand/"
    assert url in client.get(resident_page).content.decode()
    assert client.get(url).status_code == 200
    assert client.post(url, {"service_type": "bogus"}).status_code == 400
    response = client.post(url, {"service_type": "elderly_care", "title": "智能手机培训"})
    assert response.status_code == 302 and response.url == resident_page
    assert Demand.objects.get().title == "智能手机培训"
    assert url not in client.get(resident_page).content.decode()
    client.force_login(party.officer_b)
    assert client.get(url).status_code == 404


def test_the_demand_list_links_back_to_the_resident(
    client, party, visit, django_assert_max_num_queries
):
    for _ in range(3):
        v = resident_services.visit_record(
            actor=party.cast.worker_a, resident=visit.resident, need="需要助餐"
        )
        services.visit_raise_demand(actor=party.officer_a, visit=v, service_type="elderly_care")
    client.force_login(party.officer_a)
    with django_assert_max_num_queries(15):
        page = client.get("/party/demands/").content.decode()
    assert f"/people/residents/{visit.resident_id}/" in page


def test_the_api_lists_a_need_as_a_demand_once_linked_both_ways(api, party, visit):
    url = f"/api/v1/visits/{visit.pk}/demand/"
    client = api(party.cast.worker_a)
    response = client.post(url, {"service_type": "elderly_care"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    demand = Demand.objects.get()
    assert body["id"] == demand.pk and body["visit"] == visit.pk
    assert body["title"] == visit.need and body["source"] == "visit"
    assert client.get(f"/api/v1/visits/{visit.pk}/").json()["demand"] == demand.pk
    listed = api(party.officer_a).get(f"/api/v1/party/demands/{demand.pk}/").json()
    assert listed["visit"] == visit.pk
    again = api(party.officer_a).post(url, {"service_type": "health"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"
    assert again.json()["message"] == "该诉求已列入党建需求清单。"
    assert Demand.objects.count() == 1


def test_the_api_lists_a_need_only_for_a_keeper_or_officer_in_scope(api, party, visit):
    url = f"/api/v1/visits/{visit.pk}/demand/"
    body = {"service_type": "health", "title": "学用智能手机"}
    for outsider in (party.officer_b, party.cast.dispatcher_b, party.cast.nobody):
        assert api(outsider).post(url, body, format="json").status_code == 404
    response = api(party.cast.viewer_a).post(url, {}, format="json")
    assert response.status_code == 403
    assert response.json()["message"] == "您无权将此走访的诉求列为党建需求。"
    assert not Demand.objects.exists()
    response = api(party.officer_a).post(url, {"service_type": "nonsense"}, format="json")
    assert response.status_code == 400 and "service_type" in response.json()["fields"]
    response = api(party.officer_a).post(url, body, format="json")
    assert response.status_code == 201
    assert Demand.objects.get().title == "学用智能手机"
