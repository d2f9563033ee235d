"""Bounded input (issue 8, items 10 and 14): free text has a length limit in forms, API, admin
and schema; request bodies are capped before they are read; images are refused by their pixel
count before any is decoded."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image

from casework.models import Case
from governance import images
from tests.casework.factories import jpeg_upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

LIMIT = Case._meta.get_field("description").max_length


def _report(categories, tree, **extra):
    return {
        "title": "井盖缺失",
        "category": categories.garbage.pk,
        "area": tree.building_a1.pk,
        "source": "patrol",
        "address": "1号楼东侧",
        **extra,
    }


# -- item 14: free text has a limit ---------------------------------------------------------------
def test_a_2_mb_description_is_a_400_through_the_api(api, crew, tree, categories):
    body = _report(categories, tree, description="垃" * (2 * 1024 * 1024 // 3))
    response = api(crew.worker_a).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400
    assert "description" in response.json()
    assert not Case.objects.exists()


def test_the_limit_itself_is_accepted_and_one_more_is_not(api, crew, tree, categories):
    client = api(crew.worker_a)
    too_long = client.post(
        "/api/v1/cases/", _report(categories, tree, description="x" * (LIMIT + 1)), format="json"
    )
    assert too_long.status_code == 400 and "description" in too_long.json()
    exact = client.post(
        "/api/v1/cases/", _report(categories, tree, description="x" * LIMIT), format="json"
    )
    assert exact.status_code == 201, exact.json()


def test_the_filing_page_refuses_a_long_description(client, crew, tree, categories):
    client.force_login(crew.worker_a)
    response = client.post(
        reverse("casework:new"),
        {**_report(categories, tree), "description": "x" * (LIMIT + 1)},
    )
    assert response.status_code == 400
    assert "description" in response.context["form"].errors
    assert not Case.objects.exists()


def test_the_admin_forms_carry_the_limit(client, crew):
    client.force_login(crew.superuser)
    form = client.get("/admin/partybuilding/demand/add/").context["adminform"].form
    assert form.fields["description"].max_length == 2000
    assert form.fields["description"].clean("x" * 2000) == "x" * 2000
    with pytest.raises(ValidationError):
        form.fields["description"].clean("x" * 2001)


def test_the_schema_shows_the_limits(api, crew):
    schema = api(crew.superuser).get("/api/v1/schema/", {"format": "json"}).json()
    report = schema["components"]["schemas"]["CaseReport"]["properties"]
    assert report["description"]["maxLength"] == LIMIT
    wish = schema["components"]["schemas"]["Wish"]["properties"]
    assert wish["description"]["maxLength"] == 2000


def test_a_service_refuses_a_long_text_too(crew, tree, categories):
    from casework.services import case_report

    with pytest.raises(ValidationError) as error:
        case_report(
            actor=crew.worker_a,
            title="井盖缺失",
            category=categories.garbage,
            area=tree.building_a1,
            source="patrol",
            address="1号楼东侧",
            description="x" * (LIMIT + 1),
        )
    assert "description" in error.value.message_dict


# -- item 10: bodies and images ------------------------------------------------------------------
def test_a_json_body_over_the_limit_is_refused_before_it_is_read(api, crew, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api(crew.worker_a).post("/api/v1/cases/", {"title": "x" * 2000}, format="json")
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_an_upload_over_the_limit_is_refused(api, crew, tree, categories, settings):
    settings.MAX_UPLOAD_BODY = 2000
    response = api(crew.worker_a).post(
        "/api/v1/cases/",
        {**_report(categories, tree), "photos": [jpeg_upload(size=(300, 300), color="red")]},
        format="multipart",
    )
    assert response.status_code == 413
    assert not Case.objects.exists()


def test_too_many_pixels_are_refused_before_any_image_is_decoded(
    api, crew, tree, categories, monkeypatch
):
    photos = [jpeg_upload(f"p{i}.jpg", size=(100, 100)) for i in range(4)]
    monkeypatch.setattr(images, "MAX_PIXELS_PER_REQUEST", 3 * 100 * 100)

    def no_decoding(self, *args, **kwargs):
        raise AssertionError("an image was decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    response = api(crew.worker_a).post(
        "/api/v1/cases/", {**_report(categories, tree), "photos": photos}, format="multipart"
    )
    assert response.status_code == 400
    assert "megapixels" in response.json()["photos"][0]
    assert not Case.objects.exists()


def test_one_image_with_too_many_pixels_is_refused_by_its_header(monkeypatch):
    upload = jpeg_upload("big.jpg", size=(100, 100))
    monkeypatch.setattr(images, "MAX_PIXELS", 99 * 99)
    monkeypatch.setattr(
        Image.Image, "load", lambda self, *a, **k: pytest.fail("an image was decoded")
    )
    with pytest.raises(ValidationError) as error:
        images.prepare_photo(upload)
    assert "too many pixels" in str(error.value)


def test_more_photos_than_allowed_are_refused(api, crew, tree, categories):
    photos = [jpeg_upload(f"p{i}.jpg") for i in range(images.MAX_PHOTOS_PER_STEP + 1)]
    response = api(crew.worker_a).post(
        "/api/v1/cases/", {**_report(categories, tree), "photos": photos}, format="multipart"
    )
    assert response.status_code in (400, 413)
    assert not Case.objects.exists()
