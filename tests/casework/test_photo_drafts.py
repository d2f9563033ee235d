"""Photos uploaded on choosing (drafts): kept by a refused form, seen only by their uploader,
turned into attachments on filing and cleared by the beat task."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from casework import photo_drafts, tasks
from casework.models import Case, PhotoDraft, Source
from casework.services import case_report_errors
from tests.casework.factories import jpeg_upload


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _upload(client, user, upload):
    client.force_login(user)
    return client.post(reverse("casework:photo_draft_upload"), {"photo": upload})


def _filing(tree, categories, **extra):
    data = {
        "title": "楼道堆放杂物",
        "category": categories.garbage.pk,
        "area": tree.building_a1.pk,
        "address": "1号楼2单元",
        "source": Source.PATROL,
        "priority": "",
    }
    data.update(extra)
    return data


def test_the_service_names_every_problem_at_once(tree, categories):
    errors = case_report_errors(
        title=" ",
        category=None,
        area=None,
        source=Source.RESIDENT,
        address="",
        reporter_name="",
    )
    assert set(errors) == {"title", "category", "area", "address", "reporter_name"}
    ok = case_report_errors(
        title="垃圾",
        category=categories.garbage,
        area=tree.building_a1,
        source=Source.PATROL,
        address="1号楼",
    )
    assert ok == {}


def test_a_chosen_photo_is_kept_by_a_refused_form_and_filed_with_the_next(
    client, tree, categories, crew, settings, django_capture_on_commit_callbacks
):
    response = _upload(client, crew.worker_a, jpeg_upload("before.jpg"))
    assert response.status_code == 201
    draft_id = response.json()["id"]
    assert client.get(response.json()["thumbnail"])["Content-Type"] == "image/jpeg"
    # Category and location missing: refused once, naming both, and the photo is kept.
    data = _filing(tree, categories, category="", address="", photos_drafts=[draft_id])
    response = client.post(reverse("casework:new"), data)
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"category", "address"}
    assert not response.context["photos_dropped"]
    html = response.content.decode()
    assert f'name="photos_drafts" value="{draft_id}"' in html
    data.update(category=categories.garbage.pk, address="1号楼")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("casework:new"), data)
    assert response.status_code == 302
    case = Case.objects.get()
    attachment = case.attachments.get()
    assert (attachment.kind, attachment.original_name) == ("before", "before.jpg")
    assert not PhotoDraft.objects.exists()
    drafts_dir = settings.MEDIA_ROOT / "drafts"
    assert not any(p.is_file() for p in drafts_dir.rglob("*"))


def test_a_file_that_is_not_a_photo_is_refused_at_once_by_name(client, crew):
    fake = SimpleUploadedFile("notes.jpg", b"not an image", content_type="image/jpeg")
    response = _upload(client, crew.worker_a, fake)
    assert response.status_code == 400
    assert "notes.jpg" in response.json()["error"]
    assert not PhotoDraft.objects.exists()
    client.force_login(crew.worker_a)
    assert client.post(reverse("casework:photo_draft_upload"), {}).status_code == 400


def test_someone_elses_draft_is_neither_shown_nor_filed(client, tree, categories, crew):
    draft_id = _upload(client, crew.worker_a, jpeg_upload()).json()["id"]
    client.force_login(crew.dispatcher_a)
    assert client.get(reverse("casework:photo_draft", args=[draft_id])).status_code == 404
    data = _filing(tree, categories, photos_drafts=[draft_id], source=Source.RESIDENT)
    data["reporter_name"] = "王阿姨"
    response = client.post(reverse("casework:new"), data)
    assert "photos" in response.context["form"].errors
    assert not Case.objects.exists()
    assert PhotoDraft.objects.filter(pk=draft_id).exists()


def test_a_role_that_may_not_file_may_not_upload(client, crew):
    assert _upload(client, crew.viewer_a, jpeg_upload()).status_code == 403
    assert _upload(client, crew.nobody, jpeg_upload()).status_code == 403
    client.logout()
    response = client.post(reverse("casework:photo_draft_upload"), {"photo": jpeg_upload()})
    assert response.status_code == 302


def test_the_beat_task_clears_old_drafts_and_their_files(client, crew, settings):
    old_id = _upload(client, crew.worker_a, jpeg_upload("old.jpg")).json()["id"]
    new_id = _upload(client, crew.worker_a, jpeg_upload("new.jpg")).json()["id"]
    old = PhotoDraft.objects.get(pk=old_id)
    files = [old.image.path, old.thumbnail.path]
    PhotoDraft.objects.filter(pk=old_id).update(
        created_at=timezone.now() - dt.timedelta(hours=settings.PHOTO_DRAFT_HOURS + 1)
    )
    assert tasks.clear_photo_drafts() == 1
    assert [str(pk) for pk in PhotoDraft.objects.values_list("pk", flat=True)] == [new_id]
    assert not any(os.path.exists(f) for f in files)
    assert photo_drafts.photo_drafts_clear() == 0
