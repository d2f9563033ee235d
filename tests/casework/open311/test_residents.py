"""The residents' page (随手拍): reporting with a verified phone or anonymously, the limits, the
checks, and the public progress page that shows no personal data and no internal comment."""

from __future__ import annotations

import logging
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from casework.models import Case, Source
from casework.open311 import verification
from casework.open311.models import Channel, Intake
from casework.services import case_step
from tests.casework.factories import jpeg_upload
from tests.casework.open311.conftest import IN_BUILDING_A1, IN_MICRO_A1, OUTSIDE_STREET

PHONE = "13800138000"


def _url(tree, name="report"):
    return reverse(f"residents:{name}", args=[tree.street.code])


def _anonymous(client, street, public, **fields):
    """Post an anonymous report (no phone, no code)."""
    return client.post(_url(street), _form(public, anonymous="on", phone=None, **fields))


def _code(sms) -> str:
    return re.search(r"\d{6}", sms.sent[-1][1]).group()


def _form(public, **fields):
    data = {
        "category": public.garbage.pk,
        "description": "1号楼东侧垃圾堆了三天",
        "latitude": str(IN_BUILDING_A1[0]),
        "longitude": str(IN_BUILDING_A1[1]),
        f"q-{public.garbage.pk}-KIND": "household",
        "name": "王女士",
        "phone": PHONE,
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def street(mapped, public, crew):
    return mapped


# -- the page -------------------------------------------------------------------------------
def test_the_page_has_public_categories_their_questions_and_no_inline_script(
    client, street, public, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = client.get(_url(street))

    html = response.content.decode()
    assert response.status_code == 200
    assert "暴露垃圾" in html and "路灯不亮" in html and "市容环境" in html
    assert f'name="q-{public.garbage.pk}-KIND"' in html
    # A Content-Security-Policy without unsafe-inline: scripts only from files, data as JSON.
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert 'id="resident-map-data" type="application/json"' in html


def test_an_unknown_street_or_a_community_code_is_not_found(client, street):
    assert client.get("/report/999999999/").status_code == 404
    assert client.get(f"/report/{street.community_a.code}/").status_code == 404


# -- a report with a verified phone ---------------------------------------------------------
def test_a_resident_reports_with_a_verified_phone_and_gets_a_tracking_number(
    client, street, public, sms
):
    asked = client.post(_url(street, "code"), {"phone": "138 0013 8000"})
    response = client.post(_url(street), _form(public, code=_code(sms)))

    assert asked.status_code == 200 and asked.json()["byChannel"] is True
    assert sms.sent[0][0] == PHONE
    intake = Intake.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/report/track/{intake.token}/?new=1"
    case = intake.case
    assert (case.source, case.area, case.reporter_name, case.reporter_phone) == (
        Source.RESIDENT,
        street.building_a1,
        "王女士",
        PHONE,
    )
    assert (intake.channel, intake.phone_verified) == (Channel.RESIDENTS_PAGE, True)
    page = client.get(response["Location"])
    assert intake.token in page.content.decode()
    assert PHONE not in page.content.decode() and "王女士" not in page.content.decode()


def test_a_wrong_or_reused_code_files_nothing(client, street, public, sms):
    client.post(_url(street, "code"), {"phone": PHONE})
    code = _code(sms)

    wrong = client.post(
        _url(street), _form(public, code="000000" if code != "000000" else "111111")
    )
    right = client.post(_url(street), _form(public, code=code))
    reused = client.post(_url(street), _form(public, code=code))

    assert (wrong.status_code, right.status_code, reused.status_code) == (400, 302, 400)
    assert Intake.objects.count() == 1
    assert "code" in reused.context["form"].errors


def test_five_wrong_codes_use_the_code_up(client, street, public, sms):
    client.post(_url(street, "code"), {"phone": PHONE})
    code = _code(sms)
    wrong = "000000" if code != "000000" else "111111"

    for _ in range(verification.CODE_TRIES):
        assert not verification.code_check(phone=PHONE, code=wrong)

    assert not verification.code_check(phone=PHONE, code=code)


def test_without_an_sms_sender_the_code_is_logged_and_debug_says_so(
    client, street, public, settings, caplog
):
    settings.DEBUG = True
    with caplog.at_level(logging.WARNING, logger="casework.open311.verification"):
        asked = client.post(_url(street, "code"), {"phone": PHONE})
    code = re.search(r"code for 138\*\*\*\*8000 is (\d{6})", caplog.text).group(1)
    page = client.get(_url(street))

    assert asked.status_code == 200 and asked.json()["byChannel"] is False
    assert "log" in asked.json()["message"] or "日志" in asked.json()["message"]
    assert "日志" in page.content.decode() or "log" in page.content.decode()
    assert client.post(_url(street), _form(public, code=code)).status_code == 302


def test_without_javascript_the_code_button_keeps_what_was_typed(client, street, public, sms):
    response = client.post(_url(street), _form(public, send_code="1", code=None))

    assert response.status_code == 200
    assert len(sms.sent) == 1
    html = response.content.decode()
    assert "1号楼东侧垃圾堆了三天" in html and PHONE in html
    assert not response.context["form"].errors
    assert not Intake.objects.exists()


# -- anonymous ------------------------------------------------------------------------------
def test_an_anonymous_report_keeps_no_contact(client, street, public):
    response = _anonymous(client, street, public, name="张三")

    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.reporter_phone, Intake.objects.get().phone_verified) == ("", False)
    assert case.reporter_name in ("匿名居民", "Anonymous resident")


def test_a_phone_without_a_code_or_a_bad_phone_is_refused(client, street, public):
    no_code = client.post(_url(street), _form(public))
    bad_phone = client.post(_url(street), _form(public, phone="12345", code="123456"))

    assert no_code.status_code == 400 and "code" in no_code.context["form"].errors
    assert bad_phone.status_code == 400 and "phone" in bad_phone.context["form"].errors
    assert not Intake.objects.exists()


# -- the checks -----------------------------------------------------------------------------
def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_filed(client, street, public):
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a picture", content_type="image/jpeg")

    response = _anonymous(client, street, public, photos=[fake])

    assert response.status_code == 400
    assert "photos" in response.context["form"].errors
    assert not Case.objects.exists()


def test_photos_are_kept_and_shown_on_the_progress_page(client, street, public):
    response = _anonymous(client, street, public, photos=[jpeg_upload()])

    page = client.get(response["Location"])
    photo = Case.objects.get().attachments.get()
    assert f"/report/photos/{photo.pk}/thumb.jpg" in page.content.decode()
    assert client.get(f"/report/photos/{photo.pk}/thumb.jpg").status_code == 200


def test_a_required_question_of_the_chosen_category_is_asked(client, street, public):
    garbage = public.garbage.pk
    response = _anonymous(client, street, public, **{f"q-{garbage}-KIND": ""})

    assert response.status_code == 400
    assert f"q-{garbage}-KIND" in response.context["form"].errors


def test_a_point_outside_the_street_is_refused_on_the_form(client, street, public):
    response = _anonymous(
        client, street, public, latitude=str(OUTSIDE_STREET[0]), longitude=str(OUTSIDE_STREET[1])
    )

    assert response.status_code == 400
    assert "address" in response.context["form"].errors


def test_a_building_typed_by_name_is_found_and_an_unknown_one_refused(client, street, public):
    no_point = {"latitude": None, "longitude": None}
    by_name = _anonymous(client, street, public, building="柳荫里1号楼", **no_point)
    unknown = _anonymous(client, street, public, building="不存在楼", **no_point)

    assert by_name.status_code == 302
    assert Case.objects.get().area == street.building_b1
    assert unknown.status_code == 400 and "building" in unknown.context["form"].errors


def test_the_building_picker_searches_the_street(client, street, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get(_url(street, "buildings"), {"q": "1号楼"})

    assert response.json() == {
        "buildings": [
            {"code": street.building_a1.code, "name": "青松里1号楼", "community": "青松社区"},
            {"code": street.building_b1.code, "name": "柳荫里1号楼", "community": "柳荫社区"},
        ]
    }


def test_posts_need_the_csrf_token(street, public):
    client = Client(enforce_csrf_checks=True)

    report = _anonymous(client, street, public)
    code = client.post(_url(street, "code"), {"phone": PHONE})

    assert (report.status_code, code.status_code) == (403, 403)


# -- limits ---------------------------------------------------------------------------------
def test_codes_are_limited_per_phone(client, street, sms):
    first = client.post(_url(street, "code"), {"phone": PHONE})
    again = client.post(_url(street, "code"), {"phone": PHONE})

    assert (first.status_code, again.status_code) == (200, 429)
    assert len(sms.sent) == 1


def test_codes_are_limited_per_address(client, street, sms):
    statuses = [
        client.post(_url(street, "code"), {"phone": f"1380013{n:04d}"}).status_code
        for n in range(11)
    ]

    assert statuses == [200] * 10 + [429]


def test_reports_are_limited_per_address(client, street, public):
    statuses = [
        _anonymous(client, street, public, description=f"第{n}次").status_code for n in range(11)
    ]

    assert statuses == [302] * 10 + [429]
    assert Intake.objects.count() == 10


def test_reports_are_limited_per_phone(client, street, public, sms, monkeypatch):
    monkeypatch.setattr(verification, "code_check", lambda *, phone, code: True)
    statuses = [
        client.post(
            _url(street),
            _form(public, code="123456", description=f"第{n}次"),
            REMOTE_ADDR=f"10.0.0.{n}",
        ).status_code
        for n in range(6)
    ]

    assert statuses == [302] * 5 + [429]


# -- following a report ---------------------------------------------------------------------
def test_the_progress_page_shows_public_steps_only(client, street, public, crew):
    response = _anonymous(
        client, street, public, latitude=str(IN_MICRO_A1[0]), longitude=str(IN_MICRO_A1[1])
    )
    case = Case.objects.get()
    case = case_step(
        case=case, actor=crew.dispatcher_a, step="accept", comment="已受理，电话 13912345678"
    )
    case = case_step(
        case=case,
        actor=crew.dispatcher_a,
        step="attach",
        comment="内部备注：现场照片",
        photos=[jpeg_upload()],
    )
    internal_photo = case.attachments.get()

    page = client.get(response["Location"].split("?")[0])

    html = page.content.decode()
    assert "已受理" in html and "13912345678" not in html and "***" in html
    assert "内部备注" not in html
    assert crew.dispatcher_a.full_name not in html
    assert f"/report/photos/{internal_photo.pk}/" not in html
    assert client.get(f"/report/photos/{internal_photo.pk}/full.jpg").status_code == 404


def test_the_lookup_finds_a_number_however_it_is_typed(client, street, public):
    _anonymous(client, street, public)
    token = Intake.objects.get().token
    typed = f"{token[:5].lower()}-{token[5:]}"

    found = client.get(reverse("residents:lookup"), {"number": typed})
    missing = client.get(reverse("residents:lookup"), {"number": "NOPE2345"})
    empty = client.get(reverse("residents:lookup"))

    assert found.status_code == 302 and found["Location"] == f"/report/track/{token}/"
    assert missing.status_code == 404
    assert empty.status_code == 200


def test_the_progress_page_costs_a_fixed_number_of_queries(
    client, street, public, crew, django_assert_max_num_queries
):
    response = _anonymous(client, street, public)
    case = Case.objects.get()
    for step in ("accept", "dispatch"):
        case = case_step(case=case, actor=crew.dispatcher_a, step=step)

    with django_assert_max_num_queries(4):
        page = client.get(response["Location"])

    assert page.status_code == 200
