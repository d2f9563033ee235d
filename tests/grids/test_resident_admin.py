"""The register in Django admin: scoped to the street admin's subtree, personal fields masked and
not searched, changes through the services, nobody deleted."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from tests.grids.resident_factories import CareTagFactory, ResidentFactory

pytestmark = pytest.mark.django_db
MODELS = ("resident", "room", "household", "caretag", "visit", "importrun")


@pytest.fixture
def admin_a(client, cast):
    user = cast.admin_a
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    codenames = [f"{a}_{m}" for m in MODELS for a in ("view", "add", "change", "delete")]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def test_the_resident_list_is_scoped_and_masked(admin_a, tree):
    ResidentFactory(area=tree.building_a1, name="李桂英", phone="13912345678")
    ResidentFactory(area=tree.building_b1, name="王建国", phone="13787654321")
    page = admin_a.get("/admin/grids/resident/").content.decode()
    assert "李桂英" in page and "王建国" not in page
    assert "139****5678" in page and "13912345678" not in page
    # No search on the masked phone (names only).
    assert "李桂英" not in admin_a.get("/admin/grids/resident/", {"q": "1391234"}).content.decode()


def test_a_residents_page_masks_and_saves_through_the_service(admin_a, tree):
    resident = ResidentFactory(area=tree.building_a1, name="李桂英", phone="13912345678")
    url = f"/admin/grids/resident/{resident.pk}/change/"
    page = admin_a.get(url).content.decode()
    assert "139****5678" in page and "13912345678" not in page
    data = {
        "area": tree.building_a1.pk,
        "room": "",
        "household": "",
        "relation": "",
        "name": "李桂英",
        "id_type": "resident_id",
        "gender": "f",
        "birth_date": resident.birth_date.isoformat(),
        "ethnicity": "回族",
        "political_status": "masses",
        "resident_type": "registered",
        "moved_in_on": "",
        "notes": "",
        "care_tags-TOTAL_FORMS": "0",
        "care_tags-INITIAL_FORMS": "0",
    }
    response = admin_a.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    resident.refresh_from_db()
    assert resident.ethnicity == "回族" and resident.phone == "13912345678"
    other = ResidentFactory(area=tree.building_b1)
    assert admin_a.get(f"/admin/grids/resident/{other.pk}/change/").status_code == 302
    assert admin_a.post(f"/admin/grids/resident/{resident.pk}/delete/").status_code == 403


def test_care_tags_are_kept_in_the_admin(admin_a, cast, tree):
    CareTagFactory(street=tree.street, name="独居老人")
    assert "独居老人" in admin_a.get("/admin/grids/caretag/").content.decode()
