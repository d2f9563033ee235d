"""The resident reporter's name and phone (issue 8, item 13): personal data, masked for everyone
on the case page, in lists, exports, the API and the admin; those who work the case read them in
full only through a deliberate reveal with a reason, logged with the interface; the read-only
viewer never."""

from io import BytesIO

import pytest
from django.contrib.auth.models import Permission
from openpyxl import load_workbook

from governance.models import PersonalDataAccess
from tests.casework.factories import CaseFactory

pytestmark = pytest.mark.django_db

PHONE = "13800001111"
NAME = "王建华"
WORKERS = ["dispatcher_a", "worker_a", "center", "street_admin"]


@pytest.fixture
def case(tree, categories):
    return CaseFactory(
        area=tree.grid_a1,
        community=tree.community_a,
        category=categories.garbage,
        reporter_name=NAME,
        reporter_phone=PHONE,
    )


def _page(client, user, case) -> str:
    client.force_login(user)
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("who", [*WORKERS, "viewer_a"])
def test_everyone_sees_the_reporter_masked_on_the_page_and_in_the_api(client, api, crew, case, who):
    user = getattr(crew, who)
    body = _page(client, user, case)
    assert "138****1111" in body and "王**" in body
    assert PHONE not in body and NAME not in body
    data = api(user).get(f"/api/v1/cases/{case.pk}/").json()
    assert (data["reporter"], data["reporter_phone"]) == ("王**", "138****1111")
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.parametrize("who", WORKERS)
def test_those_who_work_the_case_get_a_reveal_link(client, crew, case, who):
    assert f"/cases/{case.pk}/reporter/" in _page(client, getattr(crew, who), case)


def test_a_department_handler_of_the_case_may_reveal(client, crew, case, departments):
    type(case).objects.filter(pk=case.pk).update(department=departments.a)
    client.force_login(crew.handler_a)
    shown = client.post(f"/cases/{case.pk}/reporter/", {"reason": "回访核实"})
    assert shown.status_code == 200 and PHONE in shown.content.decode()


def test_the_viewer_gets_no_link_and_is_refused(client, api, crew, case):
    assert "/reporter/" not in _page(client, crew.viewer_a, case)
    assert client.get(f"/cases/{case.pk}/reporter/").status_code == 403
    assert client.post(f"/cases/{case.pk}/reporter/", {"reason": "看看"}).status_code == 403
    body = {"field": "reporter_phone", "reason": "看看"}
    response = api(crew.viewer_a).post(f"/api/v1/cases/{case.pk}/reveal/", body, format="json")
    assert response.status_code == 403
    assert not PersonalDataAccess.objects.exists()


def test_the_reveal_page_needs_a_reason_and_logs_name_and_phone(client, crew, case):
    client.force_login(crew.dispatcher_a)
    url = f"/cases/{case.pk}/reporter/"
    page = client.get(url).content.decode()
    assert PHONE not in page and NAME not in page
    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 400 and PHONE not in refused.content.decode()
    assert not PersonalDataAccess.objects.exists()

    shown = client.post(url, {"reason": "电话回访"}).content.decode()
    assert f'href="tel:{PHONE}"' in shown and NAME in shown
    rows = PersonalDataAccess.objects.order_by("field")
    assert [(r.field, r.field_kind, r.interface, r.reason, r.user) for r in rows] == [
        ("reporter_name", "name", "web", "电话回访", crew.dispatcher_a),
        ("reporter_phone", "phone", "web", "电话回访", crew.dispatcher_a),
    ]
    assert {r.object_id for r in rows} == {str(case.pk)}


def test_the_reveal_of_a_case_out_of_scope_is_not_found(client, api, crew, case):
    client.force_login(crew.dispatcher_b)
    assert client.post(f"/cases/{case.pk}/reporter/", {"reason": "x"}).status_code == 404
    body = {"field": "reporter_phone", "reason": "x"}
    response = api(crew.dispatcher_b).post(f"/api/v1/cases/{case.pk}/reveal/", body, format="json")
    assert response.status_code == 404
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("reporter_phone", PHONE), ("reporter_name", NAME)])
def test_the_api_reveals_one_field_with_a_reason(api, crew, case, field, value):
    client = api(crew.center)
    url = f"/api/v1/cases/{case.pk}/reveal/"
    missing = client.post(url, {"field": field}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["fields"]
    response = client.post(url, {"field": field, "reason": "督办核实"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"field": field, "value": value}
    entry = PersonalDataAccess.objects.get()
    assert (entry.field, entry.interface, entry.user) == (field, "api", crew.center)
    assert entry.area_id == case.area_id


def test_the_export_masks_the_reporter(client, crew, case, in_english):
    client.force_login(crew.dispatcher_a)
    response = client.get("/cases/export.xlsx")
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    header = [c.value for c in sheet[1]]
    assert sheet[2][header.index("Reporter")].value == "王**"
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row)
    assert PHONE not in text and NAME not in text


def test_the_reporter_is_found_by_the_whole_name_only(client, crew, case):
    client.force_login(crew.dispatcher_a)
    assert case.number in client.get("/cases/", {"q": NAME}).content.decode()
    assert case.number not in client.get("/cases/", {"q": "王建"}).content.decode()


def test_the_admin_shows_the_reporter_masked_and_logs_nothing(client, crew, case):
    admin = crew.street_admin
    admin.is_staff = True
    admin.save()
    admin.user_permissions.add(Permission.objects.get(codename="view_case"))
    client.force_login(admin)
    page = client.get(f"/admin/casework/case/{case.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "138****1111" in body and PHONE not in body and NAME not in body
    assert not PersonalDataAccess.objects.exists()
    # The admin search matches the whole name, never a part of it.
    listed = client.get("/admin/casework/case/", {"q": "王建"}).content.decode()
    assert case.number not in listed
    assert case.number in client.get("/admin/casework/case/", {"q": NAME}).content.decode()
