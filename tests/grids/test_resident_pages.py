"""The resident register's pages: masked lists, a reveal that is logged, the visiting list, the
export (masked, never a formula), the handbook, scope and query counts."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from governance.models import PersonalDataAccess
from grids import resident_services as services
from tests.grids.resident_factories import CareTagFactory, ResidentFactory, tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree):
    weekly = CareTagFactory(street=tree.street, visit_every_days=7)
    li = ResidentFactory(area=tree.building_a1, name="李桂英", phone="13912345678")
    wang = ResidentFactory(area=tree.building_b1, name="王建国", phone="13787654321")
    formula = ResidentFactory(area=tree.building_a1, name="=HYPERLINK(1)", phone="13600000000")
    tag(li, weekly, timezone.localdate() - dt.timedelta(days=10))
    services.refresh_visit_due([li.pk])
    return li, wang, formula


@pytest.mark.parametrize("who", ["street_admin", "dispatcher_a", "worker_a", "viewer_a"])
def test_the_list_shows_personal_fields_masked_to_every_role(client, field, people, who):
    client.force_login(getattr(field, who))
    page = client.get("/people/residents/").content.decode()
    assert "李桂英" in page
    assert "139****5678" in page
    assert "13912345678" not in page
    assert people[0].id_number not in page


def test_the_list_is_scoped(client, field, people):
    client.force_login(field.worker_a)
    page = client.get("/people/residents/").content.decode()
    assert "王建国" not in page
    assert client.get(f"/people/residents/{people[1].pk}/").status_code == 404
    client.force_login(field.nobody)
    assert client.get("/people/residents/").status_code == 403


def test_a_partial_phone_finds_nobody_for_a_role_that_sees_it_masked(client, field, people):
    client.force_login(field.viewer_a)
    assert "李桂英" not in client.get("/people/residents/", {"q": "5678"}).content.decode()
    assert "李桂英" in client.get("/people/residents/", {"q": "13912345678"}).content.decode()


def test_revealing_needs_a_reason_and_is_logged(client, field, people):
    client.force_login(field.worker_a)
    url = f"/people/residents/{people[0].pk}/reveal/"
    assert client.post(url, {"field": "phone", "reason": ""}).status_code == 400
    assert not PersonalDataAccess.objects.exists()
    response = client.post(url, {"field": "phone", "reason": "联系家属"})
    assert response.status_code == 200
    assert "13912345678" in response.content.decode()
    log = PersonalDataAccess.objects.get()
    assert (log.user, log.interface, log.reason) == (field.worker_a, "web", "联系家属")


def test_a_viewer_gets_no_reveal_button_and_cannot_reveal(client, field, people):
    client.force_login(field.viewer_a)
    page = client.get(f"/people/residents/{people[0].pk}/").content.decode()
    assert "reveal-reason" not in page
    response = client.post(
        f"/people/residents/{people[0].pk}/reveal/", {"field": "phone", "reason": "看看"}
    )
    assert response.status_code == 403
    assert not PersonalDataAccess.objects.exists()


def test_the_export_is_scoped_masked_and_never_a_formula(client, field, people):
    client.force_login(field.dispatcher_a)
    response = client.get("/people/residents/export/")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    cells = [c.value for row in sheet.iter_rows() for c in row if c.value]
    assert "李桂英" in cells and "王建国" not in cells
    assert "139****5678" in cells and "13912345678" not in cells
    # Text, never a formula: a string cell with the quote prefix (governance.exports).
    [formula] = [c for row in sheet.iter_rows() for c in row if c.value == "=HYPERLINK(1)"]
    assert (formula.data_type, formula.quotePrefix) == ("s", True)
    csv = b"".join(client.get("/people/residents/export/?format=csv").streaming_content)
    text = csv.decode("utf-8-sig")
    assert "139****5678" in text and "13912345678" not in text
    assert "'=HYPERLINK(1)" in text


def test_the_due_list_and_the_handbook(client, field, tree, people):
    client.force_login(field.worker_a)
    due = client.get("/people/visits/due/").content.decode()
    assert "李桂英" in due and "=HYPERLINK(1)" not in due
    book = client.get(f"/people/handbook/{tree.micro_a1.pk}/").content.decode()
    assert "李桂英" in book and "139****5678" in book and "13912345678" not in book
    assert client.get(f"/people/handbook/{tree.micro_b1.pk}/").status_code == 404


def test_lists_are_a_fixed_number_of_queries(client, field, tree, django_assert_max_num_queries):
    weekly = CareTagFactory(street=tree.street, visit_every_days=7)
    client.force_login(field.dispatcher_a)

    def grow(n):
        for _ in range(n):
            r = ResidentFactory(area=tree.building_a1)
            tag(r, weekly, timezone.localdate() - dt.timedelta(days=10))
            services.visit_record(actor=field.worker_a, resident=r)

    urls = (
        "/people/residents/",
        f"/people/residents/?tag={weekly.pk}",
        "/people/residents/?status=all&order=name",
        "/people/visits/due/",
        f"/people/handbook/{tree.micro_a1.pk}/",
        "/people/handbook/",
    )
    grow(2)
    for url in urls:
        with django_assert_max_num_queries(18):
            assert client.get(url).status_code == 200
    grow(8)
    for url in urls:
        with django_assert_max_num_queries(18):
            assert client.get(url).status_code == 200


def test_a_list_by_care_tag_counts_to_a_lower_cap_and_says_so(client, field, tree, monkeypatch):
    from grids import resident_views

    weekly = CareTagFactory(street=tree.street, visit_every_days=7)
    for _ in range(5):
        tag(ResidentFactory(area=tree.building_a1), weekly, timezone.localdate())
    ResidentFactory(area=tree.building_a1)
    monkeypatch.setattr(resident_views, "TAG_COUNT_CAP", 3)
    client.force_login(field.dispatcher_a)
    page = client.get(f"/people/residents/?tag={weekly.pk}").content.decode()
    assert '<span class="count">3+</span>' in page
    page = client.get("/people/residents/").content.decode()
    assert '<span class="count">6</span>' in page
