"""Party-building uploads (issue 8, item 8): wish photos are cleaned like every photo (no EXIF,
no GPS position), every file gets a random name, and files are served only through views that
check the record's scope, never from /media/."""

import datetime as dt
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from governance.files import random_name
from partybuilding import services
from partybuilding.models import PairingAgreement
from tests.casework.factories import jpeg_upload
from tests.partybuilding.factories import WishFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "手机厂商"  # Make
    exif.get_ifd(0x8825).update({1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 5.0)})
    return exif.tobytes()


@pytest.fixture
def fulfilled(party):
    wish = WishFactory(area=party.tree.building_a1)
    wish = services.wish_claim(actor=party.officer_a, wish=wish, member=party.member_a)
    upload = jpeg_upload("老人家门口.jpg", size=(64, 48), exif=_gps_exif())
    with Image.open(BytesIO(upload.read())) as original:
        assert original.getexif().get_ifd(0x8825)  # the upload does carry a position
    upload.seek(0)
    return services.wish_fulfil(actor=party.officer_a, wish=wish, note="已送到", photo=upload)


def test_a_wish_photo_loses_its_exif_and_its_name(fulfilled):
    name = fulfilled.photo.name
    assert name.startswith("partybuilding/wishes/") and name.endswith(".jpg")
    assert "老人家门口" not in name
    with Image.open(fulfilled.photo.path) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()
        assert "exif" not in stored.info


def test_a_wish_photo_that_is_no_image_is_refused_on_its_field(party):
    from django.core.exceptions import ValidationError

    wish = WishFactory(area=party.tree.building_a1)
    wish = services.wish_claim(actor=party.officer_a, wish=wish, member=party.member_a)
    fake = SimpleUploadedFile("x.jpg", b"not an image", "image/jpeg")
    with pytest.raises(ValidationError) as error:
        services.wish_fulfil(actor=party.officer_a, wish=wish, note="已送到", photo=fake)
    assert "photo" in error.value.message_dict


def test_a_wish_photo_is_served_in_scope_only(client, party, fulfilled):
    client.force_login(party.officer_a)
    page = client.get("/party/wishes/", {"status": "fulfilled"}).content.decode()
    assert f"/party/wishes/{fulfilled.pk}/photo/" in page and "/media/" not in page
    response = client.get(f"/party/wishes/{fulfilled.pk}/photo/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    client.force_login(party.officer_b)
    assert client.get(f"/party/wishes/{fulfilled.pk}/photo/").status_code == 404
    client.logout()
    assert client.get(f"/party/wishes/{fulfilled.pk}/photo/").status_code == 302


def test_media_urls_serve_nothing(client, party, fulfilled):
    client.force_login(party.cast.superuser)
    assert client.get(f"/media/{fulfilled.photo.name}").status_code == 404


# -- agreements ------------------------------------------------------------------------------------
@pytest.fixture
def agreement(party):
    return PairingAgreement.objects.create(
        unit=party.unit_a,
        community=party.tree.community_a,
        signed_on=dt.date(2026, 3, 1),
        starts_on=dt.date(2026, 3, 1),
        ends_on=dt.date(2028, 2, 28),
        commitments="共建",
    )


def test_patching_an_agreement_with_a_document_works_and_renames_it(api, party, agreement):
    client = api(party.officer_a)
    response = client.patch(
        f"/api/v1/party/agreements/{agreement.pk}/",
        {"document": SimpleUploadedFile("合作协议-张三.pdf", PDF, "application/pdf")},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    agreement.refresh_from_db()
    assert agreement.document.name.startswith("partybuilding/agreements/")
    assert agreement.document.name.endswith(".pdf") and "张三" not in agreement.document.name
    url = response.json()["document"]
    assert url.endswith(f"/party/agreements/{agreement.pk}/document/") and "/media/" not in url


def test_a_wrong_document_is_a_400_on_its_field(api, party, agreement):
    response = api(party.officer_a).patch(
        f"/api/v1/party/agreements/{agreement.pk}/",
        {"document": SimpleUploadedFile("a.pdf", b"MZ\x90\x00", "application/pdf")},
        format="multipart",
    )
    assert response.status_code == 400 and "document" in response.json()


def test_the_document_is_served_in_scope_only(client, party, agreement):
    agreement.document = SimpleUploadedFile("a.pdf", PDF)
    agreement.save()
    client.force_login(party.officer_a)
    listing = client.get("/party/agreements/").content.decode()
    assert f"/party/agreements/{agreement.pk}/document/" in listing and "/media/" not in listing
    response = client.get(f"/party/agreements/{agreement.pk}/document/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    client.force_login(party.officer_b)
    assert client.get(f"/party/agreements/{agreement.pk}/document/").status_code == 404


def test_the_web_server_sends_the_file_when_configured(client, party, agreement, settings):
    agreement.document = SimpleUploadedFile("a.pdf", PDF)
    agreement.save()
    client.force_login(party.officer_a)
    settings.PROTECTED_FILES_SERVER = "x-accel-redirect"
    response = client.get(f"/party/agreements/{agreement.pk}/document/")
    assert response["X-Accel-Redirect"] == f"/protected/{agreement.document.name}"
    assert response.content == b""
    settings.PROTECTED_FILES_SERVER = "x-sendfile"
    response = client.get(f"/party/agreements/{agreement.pk}/document/")
    assert response["X-Sendfile"] == agreement.document.path


def test_random_names_keep_only_a_clean_extension():
    name = random_name("x", "../../etc/passwd.PDF")
    assert name.startswith("x/") and name.endswith(".pdf") and ".." not in name
    assert "." not in random_name("x", "a.p/d f").rsplit("/", 1)[1]
    assert "." not in random_name("x", "a.p d").rsplit("/", 1)[1]
    assert random_name("x", "a.pdf") != random_name("x", "a.pdf")


def test_the_admin_links_the_file_through_its_view(client, party, agreement):
    agreement.document = SimpleUploadedFile("a.pdf", PDF)
    agreement.save()
    assert agreement.document.url == f"/party/agreements/{agreement.pk}/document/"
    client.force_login(party.cast.superuser)
    page = client.get(f"/admin/partybuilding/pairingagreement/{agreement.pk}/change/")
    body = page.content.decode()
    assert f'href="/party/agreements/{agreement.pk}/document/"' in body
    assert "/media/" not in body
