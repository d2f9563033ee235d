"""Pages that register a resident and change their record: ID validation, scope, personal data
kept out of the edit form, never a delete."""

from __future__ import annotations

import pytest

from grids.models import Resident
from tests.grids.resident_factories import ResidentFactory, RoomFactory, id_number

pytestmark = pytest.mark.django_db


def _post(tree, **extra):
    data = {
        "building": tree.building_a1.pk,
        "room_number": "",
        "name": "王秀兰",
        "id_type": "resident_id",
        "id_number": id_number(serial=5),
        "phone": "13912345678",
        "gender": "f",
        "birth_date": "",
        "ethnicity": "汉族",
        "political_status": "masses",
        "resident_type": "registered",
        "relation": "householder",
        "registered_address": "",
        "moved_in_on": "2001-05-01",
        "notes": "",
    }
    data.update(extra)
    return data


def test_a_keeper_registers_a_resident_with_a_valid_id(client, field, tree):
    RoomFactory(area=tree.building_a1, number="302")
    client.force_login(field.worker_a)
    assert client.get("/people/residents/new/").status_code == 200
    response = client.post("/people/residents/new/", _post(tree, room_number="302"))
    resident = Resident.objects.get()
    assert response.status_code == 302 and response.url == f"/people/residents/{resident.pk}/"
    assert resident.room.number == "302" and resident.birth_date is not None


def test_a_wrong_check_digit_or_room_is_a_form_error(client, field, tree):
    client.force_login(field.worker_a)
    good = id_number(serial=5)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = client.post("/people/residents/new/", _post(tree, id_number=bad))
    assert response.status_code == 400
    assert response.context["form"].errors["id_number"]
    response = client.post("/people/residents/new/", _post(tree, room_number="999"))
    assert response.status_code == 400 and response.context["form"].errors["room_number"]
    assert not Resident.objects.exists()


def test_a_worker_registers_nobody_in_another_grid(client, field, tree):
    client.force_login(field.worker_a)
    response = client.post("/people/residents/new/", _post(tree, building=tree.building_b1.pk))
    assert response.status_code == 400 and response.context["form"].errors["building"]
    client.force_login(field.viewer_a)
    assert client.get("/people/residents/new/").status_code == 403
    assert not Resident.objects.exists()


def test_the_edit_form_keeps_personal_data_out_and_unchanged_when_left_empty(client, field, tree):
    number = id_number(serial=6)
    resident = ResidentFactory(area=tree.building_a1, id_number=number, phone="13900001111")
    client.force_login(field.worker_a)
    url = f"/people/residents/{resident.pk}/edit/"
    page = client.get(url).content.decode()
    assert number not in page and "13900001111" not in page
    response = client.post(url, _post(tree, name="王秀英", id_number="", phone=""))
    assert response.status_code == 302
    resident.refresh_from_db()
    assert (resident.name, resident.id_number, resident.phone) == ("王秀英", number, "13900001111")
    client.force_login(field.worker_b)
    assert client.get(url).status_code == 404


def test_a_resident_who_moved_out_is_not_edited(client, field, tree):
    resident = ResidentFactory(area=tree.building_a1)
    client.force_login(field.worker_a)
    client.post(f"/people/residents/{resident.pk}/steps/move-out/", {"on": "2026-01-02"})
    resident.refresh_from_db()
    assert resident.moved_out_on is not None
    response = client.post(f"/people/residents/{resident.pk}/edit/", _post(tree, name="改名"))
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.name != "改名" and Resident.objects.filter(pk=resident.pk).exists()
