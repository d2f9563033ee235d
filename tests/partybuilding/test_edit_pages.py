"""Create and edit pages: valid input saves through the services, bad input shows field errors
and saves nothing, rows and areas outside the officer's scope are refused."""

import datetime as dt
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from partybuilding import services
from partybuilding.models import (
    CoConstructionUnit,
    Council,
    Meeting,
    MeetingSeries,
    PairingAgreement,
    Project,
)
from partybuilding.validators import AGREEMENT_MAX_BYTES
from tests.partybuilding.factories import MeetingFactory, ProjectFactory


@pytest.fixture
def officer(client, party, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(party.officer_a)
    return client


def en(client, method, url, data=None, **kwargs):
    return getattr(client, method)(url, data or {}, HTTP_ACCEPT_LANGUAGE="en", **kwargs)


def field_errors(response) -> dict:
    form = response.context["form"]
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


# -- units --------------------------------------------------------------------------------------
UNIT = {
    "name": "青松社区卫生服务站",
    "kind": "hospital",
    "address": "青松路12号",
    "contact_name": "周医生",
    "contact_phone": "13811112222",
    "party_organization_name": "卫生服务站党支部",
    "party_member_count": "8",
    "offers": "义诊、健康讲座",
}


def test_a_unit_is_created_and_edited(officer, party):
    response = officer.post("/party/units/new/", {**UNIT, "area": party.tree.community_a.pk})
    assert response.status_code == 302
    unit = CoConstructionUnit.objects.get(name=UNIT["name"])
    assert unit.party_member_count == 8
    response = officer.post(
        f"/party/units/{unit.pk}/edit/",
        {**UNIT, "area": party.tree.grid_a1.pk, "party_member_count": "9"},
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert (unit.area, unit.party_member_count) == (party.tree.grid_a1, 9)


def test_a_bad_unit_shows_field_errors_and_saves_nothing(officer, party):
    response = en(
        officer,
        "post",
        "/party/units/new/",
        {**UNIT, "name": "", "contact_phone": "call me", "area": party.tree.community_b.pk},
    )
    assert response.status_code == 200
    errors = field_errors(response)
    assert set(errors) >= {"name", "contact_phone", "area"}
    assert "Enter a valid phone number." in errors["contact_phone"]
    assert not CoConstructionUnit.objects.filter(contact_name="周医生").exists()


def test_units_of_another_community_cannot_be_edited(officer, party):
    assert officer.get(f"/party/units/{party.unit_b.pk}/edit/").status_code == 404
    party.unit_b.refresh_from_db()
    # A reader in scope without change rights is refused outright.
    officer.force_login(party.cast.viewer_a)
    assert officer.get(f"/party/units/{party.unit_a.pk}/edit/").status_code == 403
    assert officer.get("/party/units/new/").status_code == 403


# -- agreements -----------------------------------------------------------------------------------
def _agreement(party, **extra):
    return {
        "unit": party.unit_a.pk,
        "community": party.tree.community_a.pk,
        "party_organization": party.org_a.pk,
        "signed_on": "2026-03-01",
        "starts_on": "2026-03-01",
        "ends_on": "2028-02-28",
        "status": "active",
        "commitments": "每季度开展一次健康义诊",
        **extra,
    }


def _png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_an_agreement_is_saved_with_its_pdf_and_with_a_scan(officer, party):
    pdf = SimpleUploadedFile(
        "协议.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF", "application/pdf"
    )
    response = officer.post("/party/agreements/new/", _agreement(party, document=pdf))
    assert response.status_code == 302, field_errors(response)
    agreement = PairingAgreement.objects.get()
    assert agreement.document.name.endswith(".pdf")
    scan = SimpleUploadedFile("scan.png", _png(), "image/png")
    response = officer.post(
        f"/party/agreements/{agreement.pk}/edit/",
        _agreement(party, document=scan, ends_on="2028-12-31"),
    )
    assert response.status_code == 302, field_errors(response)
    agreement.refresh_from_db()
    assert agreement.document.name.endswith(".png")
    assert agreement.ends_on == dt.date(2028, 12, 31)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("agreement.exe", b"MZ\x90\x00", "Upload the agreement as a PDF, JPEG or PNG file."),
        ("agreement.pdf", b"MZ\x90\x00 not a pdf", "not a PDF document"),
        ("scan.jpg", _png(), "not a JPEG document"),
        ("scan.png", b"\x89PNG\r\n\x1a\n broken", "not a PNG document"),
    ],
)
def test_an_agreement_file_must_be_what_its_name_says(officer, party, name, content, message):
    upload = SimpleUploadedFile(name, content)
    response = en(officer, "post", "/party/agreements/new/", _agreement(party, document=upload))
    assert response.status_code == 200
    assert any(message in e for e in field_errors(response)["document"])
    assert not PairingAgreement.objects.exists()


def test_an_agreement_file_is_size_limited(officer, party):
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * AGREEMENT_MAX_BYTES)
    response = en(officer, "post", "/party/agreements/new/", _agreement(party, document=big))
    assert "at most 10.0" in field_errors(response)["document"][0]
    assert not PairingAgreement.objects.exists()


def test_a_bad_agreement_shows_field_errors_and_saves_nothing(officer, party):
    response = en(
        officer,
        "post",
        "/party/agreements/new/",
        _agreement(party, ends_on="2025-01-01", party_organization=party.org_b.pk, commitments=""),
    )
    errors = field_errors(response)
    assert set(errors) >= {"party_organization", "commitments"}
    assert "The term cannot end before it starts." in str(errors)
    assert not PairingAgreement.objects.exists()


def test_an_agreement_of_another_community_is_refused(officer, party):
    response = en(
        officer,
        "post",
        "/party/agreements/new/",
        _agreement(party, community=party.tree.community_b.pk, party_organization=""),
    )
    assert "community" in field_errors(response)
    other = PairingAgreement.objects.create(
        unit=party.unit_b,
        community=party.tree.community_b,
        signed_on=dt.date(2026, 1, 1),
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        commitments="共建",
    )
    assert officer.get(f"/party/agreements/{other.pk}/edit/").status_code == 404


def test_an_edit_page_in_chinese_shows_the_stored_dates(officer, party):
    agreement = PairingAgreement.objects.create(
        unit=party.unit_a,
        community=party.tree.community_a,
        signed_on=dt.date(2026, 1, 5),
        starts_on=dt.date(2026, 2, 1),
        ends_on=dt.date(2027, 12, 31),
        commitments="共建",
    )
    body = officer.get(f"/party/agreements/{agreement.pk}/edit/").content.decode()
    for day in ("2026-01-05", "2026-02-01", "2027-12-31"):
        assert f'value="{day}"' in body


# -- projects -------------------------------------------------------------------------------------
def _project(party, **extra):
    return {
        "name": "青松里加装电梯",
        "kind": "practical",
        "year": "2026",
        "area": party.tree.community_a.pk,
        "units": [party.unit_a.pk],
        "owners": [party.officer_a.pk],
        "owner_names": "王书记",
        "budget": "120000",
        "beneficiaries": "3号楼居民",
        "beneficiary_count": "86",
        "starts_on": "2026-04-01",
        "due_on": "2026-10-31",
        "description": "老旧小区加装电梯",
        **extra,
    }


def test_a_project_and_a_weighted_sub_project_are_created(officer, party):
    response = officer.post("/party/projects/new/", _project(party))
    assert response.status_code == 302, field_errors(response)
    parent = Project.objects.get()
    assert list(parent.units.all()) == [party.unit_a]
    assert list(parent.owners.all()) == [party.officer_a]
    assert parent.budget == 120000
    response = officer.post(
        "/party/projects/new/",
        _project(party, name="井道施工", parent=parent.pk, weight="2", area=party.tree.grid_a1.pk),
    )
    assert response.status_code == 302, field_errors(response)
    child = Project.objects.get(name="井道施工")
    assert (child.parent, child.weight) == (parent, 2)
    response = officer.post(
        f"/party/projects/{parent.pk}/edit/", _project(party, budget="150000", units=[])
    )
    assert response.status_code == 302
    parent.refresh_from_db()
    assert parent.budget == 150000 and not parent.units.exists()


def test_a_bad_project_shows_field_errors_and_saves_nothing(officer, party):
    response = en(
        officer,
        "post",
        "/party/projects/new/",
        _project(party, budget="-5", due_on="2026-01-01", weight="3", units=[party.unit_b.pk]),
    )
    errors = field_errors(response)
    assert set(errors) >= {"budget", "units", "weight"}
    assert "Only a sub-project has a weight in its parent." in errors["weight"]
    assert not Project.objects.exists()


def test_a_sub_project_outside_its_parent_area_is_refused(officer, party):
    parent = ProjectFactory(area=party.tree.grid_a1)
    response = en(
        officer,
        "post",
        "/party/projects/new/",
        _project(party, parent=parent.pk, weight="1", area=party.tree.community_a.pk),
    )
    assert "A sub-project lies within its parent project's area." in field_errors(response)["area"]
    assert Project.objects.count() == 1


def test_a_project_cannot_move_under_its_own_sub_project(officer, party, in_english):
    parent = ProjectFactory(area=party.tree.community_a)
    child = ProjectFactory(area=party.tree.grid_a1, parent=parent)
    parent.refresh_from_db()
    parent.parent = child
    with pytest.raises(ValidationError):
        services.project_save(actor=party.officer_a, project=parent)
    assert Project.objects.get(pk=parent.pk).parent_id is None


def test_projects_of_another_community_are_refused(officer, party):
    other = ProjectFactory(area=party.tree.community_b)
    assert officer.get(f"/party/projects/{other.pk}/edit/").status_code == 404
    response = officer.post("/party/projects/new/", _project(party, area=party.tree.grid_b1.pk))
    assert "area" in field_errors(response)
    assert Project.objects.count() == 1


# -- councils, meetings, fixed-day sessions -------------------------------------------------------
def test_a_council_is_created_and_edited_and_listed(officer, party):
    data = {"name": "青松里院落议事会", "kind": "courtyard", "area": party.tree.grid_a1.pk}
    assert officer.post("/party/councils/new/", data).status_code == 302
    council = Council.objects.get()
    response = officer.post(
        f"/party/councils/{council.pk}/edit/", {**data, "description": "每月议一次"}
    )
    assert response.status_code == 302
    council.refresh_from_db()
    assert council.description == "每月议一次"
    assert "青松里院落议事会" in officer.get("/party/councils/").content.decode()


def test_a_bad_council_shows_field_errors_and_saves_nothing(officer, party):
    response = officer.post(
        "/party/councils/new/", {"name": "", "kind": "nonsense", "area": party.tree.grid_b1.pk}
    )
    assert set(field_errors(response)) == {"name", "kind", "area"}
    assert not Council.objects.exists()


def test_a_council_of_another_community_is_refused(officer, party):
    other = Council.objects.create(name="柳荫议事会", kind="council", area=party.tree.community_b)
    assert officer.get(f"/party/councils/{other.pk}/edit/").status_code == 404
    assert "柳荫" not in officer.get("/party/councils/").content.decode()


def _meeting(party, **extra):
    return {
        "title": "三月议事会",
        "kind": "council",
        "area": party.tree.community_a.pk,
        "starts_at": "2026-03-15T09:30",
        "ends_at": "2026-03-15T11:00",
        "place": "党群服务中心",
        "chaired_by": "王书记",
        "status": "scheduled",
        "agenda": "加装电梯意见征集",
        **extra,
    }


def test_a_meeting_is_created_and_its_minutes_edited(officer, party):
    council = Council.objects.create(name="青松议事会", kind="council", area=party.tree.community_a)
    response = officer.post("/party/meetings/new/", _meeting(party, council=council.pk))
    assert response.status_code == 302, field_errors(response)
    meeting = Meeting.objects.get()
    assert meeting.council == council
    response = officer.post(
        f"/party/meetings/{meeting.pk}/edit/",
        _meeting(party, council=council.pk, status="held", minutes="同意加装", minutes_public="on"),
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.status, meeting.minutes_public) == ("held", True)


def test_a_bad_meeting_shows_field_errors_and_saves_nothing(officer, party):
    grid_council = Council.objects.create(
        name="网格议事会", kind="council", area=party.tree.grid_a1
    )
    response = en(
        officer,
        "post",
        "/party/meetings/new/",
        _meeting(party, title="", starts_at="15/03/2026", council=grid_council.pk),
    )
    assert set(field_errors(response)) >= {"title", "starts_at"}
    response = en(
        officer,
        "post",
        "/party/meetings/new/",
        _meeting(party, council=grid_council.pk, ends_at="2026-03-15T08:00"),
    )
    errors = str(field_errors(response))
    assert "within the council's area" in errors
    assert "A meeting ends after it starts." in errors
    assert not Meeting.objects.exists()


def test_a_meeting_of_another_community_is_refused(officer, party):
    other = MeetingFactory(area=party.tree.community_b)
    assert officer.get(f"/party/meetings/{other.pk}/edit/").status_code == 404
    response = officer.post("/party/meetings/new/", _meeting(party, area=party.tree.grid_b1.pk))
    assert "area" in field_errors(response)
    assert Meeting.objects.count() == 1


def _series(party, **extra):
    return {
        "title": "民情恳谈日",
        "kind": "opinion_session",
        "area": party.tree.community_a.pk,
        "days_of_month": "5，15, 25",
        "time": "09:30",
        "duration_minutes": "90",
        "place": "党群服务中心",
        "starts_on": "2026-01-01",
        **extra,
    }


def test_a_fixed_day_session_is_created_with_its_meetings_planned(officer, party):
    response = officer.post("/party/meetings/series/new/", _series(party))
    assert response.status_code == 302, field_errors(response)
    series = MeetingSeries.objects.get()
    assert series.days_of_month == [5, 15, 25]
    assert series.meetings.count() >= 3
    page = officer.get(f"/party/meetings/series/{series.pk}/edit/").content.decode()
    assert 'value="5, 15, 25"' in page
    response = officer.post(
        f"/party/meetings/series/{series.pk}/edit/", _series(party, place="社区议事厅")
    )
    assert response.status_code == 302
    series.refresh_from_db()
    assert series.place == "社区议事厅"


@pytest.mark.parametrize("days", ["5, 5", "0, 32", "五号", ""])
def test_a_bad_fixed_day_session_shows_field_errors_and_saves_nothing(officer, party, days):
    response = en(
        officer, "post", "/party/meetings/series/new/", _series(party, days_of_month=days)
    )
    assert len(field_errors(response)["days_of_month"]) == 1
    assert not MeetingSeries.objects.exists()
    assert not Meeting.objects.exists()


def test_a_fixed_day_session_of_another_community_is_refused(officer, party):
    response = officer.post(
        "/party/meetings/series/new/", _series(party, area=party.tree.community_b.pk)
    )
    assert "area" in field_errors(response)
    other = MeetingSeries.objects.create(
        title="柳荫恳谈日",
        kind="opinion_session",
        area=party.tree.community_b,
        days_of_month=[5],
        time=dt.time(9),
        place="柳荫",
        starts_on=dt.date(2026, 1, 1),
    )
    assert officer.get(f"/party/meetings/series/{other.pk}/edit/").status_code == 404


# -- list pages -----------------------------------------------------------------------------------
def test_the_list_pages_offer_new_and_edit_only_to_those_who_change(client, party):
    client.force_login(party.officer_a)
    assert "/party/units/new/" in client.get("/party/units/").content.decode()
    assert f"/party/units/{party.unit_a.pk}/edit/" in client.get("/party/units/").content.decode()
    client.force_login(party.cast.viewer_a)
    body = client.get("/party/units/").content.decode()
    assert "/party/units/new/" not in body and "/edit/" not in body


def test_the_councils_list_reads_a_fixed_number_of_queries(
    client, party, django_assert_max_num_queries
):
    client.force_login(party.cast.street_admin)

    def add(n):
        for i in range(n):
            council = Council.objects.create(
                name=f"议事会{Council.objects.count()}-{i}", kind="council", area=party.tree.grid_a1
            )
            council.members.create(name="议事长", position="议事长", term_start=dt.date(2026, 1, 1))
            MeetingFactory(area=party.tree.grid_a1, council=council)

    add(2)
    client.get("/party/councils/")
    with django_assert_max_num_queries(12) as few:
        client.get("/party/councils/")
    add(6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/party/councils/").status_code == 200
