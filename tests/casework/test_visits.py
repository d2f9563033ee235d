"""A need found on a home visit becomes a case in one step, linked both ways."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from casework import visits
from casework.models import Case, Source
from grids.models import Visit
from tests.grids.resident_factories import ResidentFactory

pytestmark = pytest.mark.django_db


def test_a_need_is_filed_as_a_case_with_the_visit(crew, tree, categories):
    resident = ResidentFactory(area=tree.building_a1, phone="13912345678")
    visit, case = visits.visit_report(
        actor=crew.worker_a,
        resident=resident,
        notes="老人独居",
        need="楼道灯坏了，晚上看不见",
        category=categories.lamp,
    )
    assert visit.case == case
    assert Case.objects.get(pk=case.pk).visit == visit
    assert case.area == tree.building_a1
    assert case.source == Source.PATROL
    assert "13912345678" not in case.description + case.address + case.title
    with pytest.raises(ValidationError):
        visits.visit_file_case(actor=crew.worker_a, visit=visit, category=categories.lamp)


def test_a_refused_case_leaves_no_visit_either(crew, tree, categories):
    resident = ResidentFactory(area=tree.building_a1)
    with pytest.raises(ValidationError):
        visits.visit_report(
            actor=crew.worker_a,
            resident=resident,
            need="需要帮助",
            category=categories.parent,  # not a sub-category
        )
    assert not Visit.objects.exists()


def test_nobody_out_of_scope_records_a_visit(crew, tree, categories):
    resident = ResidentFactory(area=tree.building_a1)
    with pytest.raises(PermissionDenied):
        visits.visit_report(actor=crew.worker_b, resident=resident, need="x", category=None)


def test_the_visit_page_files_the_need_in_one_step(client, crew, tree, categories):
    resident = ResidentFactory(area=tree.building_a1)
    client.force_login(crew.worker_a)
    url = f"/field/residents/{resident.pk}/visit/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"in_home": "1", "need": "", "file_case": "on"})
    assert response.status_code == 400
    response = client.post(
        url,
        {
            "in_home": "1",
            "notes": "身体不错",
            "need": "门口水管漏水",
            "file_case": "on",
            "category": categories.garbage.pk,
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.case is not None and visit.case.title == "门口水管漏水"
    client.force_login(crew.worker_b)
    assert client.get(url).status_code == 404


def test_the_api_files_a_visits_need_once_linked_both_ways(api, crew, tree, categories):
    resident = ResidentFactory(area=tree.building_a1)
    visit, _ = visits.visit_report(actor=crew.worker_a, resident=resident, need="申请助餐")
    url = f"/api/v1/visits/{visit.pk}/case/"
    client = api(crew.worker_a)
    response = client.post(url, {"category": categories.lamp.pk}, format="json")
    assert response.status_code == 201, response.json()
    visit.refresh_from_db()
    assert visit.case_id == response.json()["id"]
    assert Case.objects.get(pk=visit.case_id).visit == visit
    assert client.get(f"/api/v1/visits/{visit.pk}/").json()["case"] == visit.case_id
    again = client.post(url, {"category": categories.garbage.pk}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"
    assert again.json()["message"] == "该诉求已立为案件。"
    assert Case.objects.count() == 1


def test_the_api_files_a_need_only_for_a_keeper_in_scope(api, crew, tree, categories):
    resident = ResidentFactory(area=tree.building_a1)
    visit, _ = visits.visit_report(actor=crew.worker_a, resident=resident, need="申请助餐")
    url = f"/api/v1/visits/{visit.pk}/case/"
    body = {"category": categories.lamp.pk}
    # Out of scope: the visit does not exist for them.
    for outsider in (crew.worker_b, crew.dispatcher_b):
        assert api(outsider).post(url, body, format="json").status_code == 404
    # In scope but only reading the register: forbidden, whatever the body.
    for reader in (crew.viewer_a, crew.center, crew.party_a):
        response = api(reader).post(url, {}, format="json")
        assert response.status_code == 403, (reader, response.json())
        assert response.json()["message"] == "您无权将此走访立案。"
    assert api(crew.nobody).post(url, body, format="json").status_code == 404
    with pytest.raises(PermissionDenied):
        visits.visit_file_case(actor=crew.viewer_a, visit=visit, category=categories.lamp)
    assert not Case.objects.exists()
    response = api(crew.worker_a).post(url, {"category": "x"}, format="json")
    assert response.status_code == 400 and "category" in response.json()["fields"]
    assert api(crew.dispatcher_a).post(url, body, format="json").status_code == 201
