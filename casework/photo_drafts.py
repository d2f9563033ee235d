"""Photos uploaded the moment they are chosen on the filing form (services and selectors).

A browser never refills a file input, so a form the server refuses would lose its photos. The
page uploads each photo on its own as soon as it is chosen; the form then names the drafts by
id. Drafts are checked and re-encoded on upload (a bad file is refused at once, by name), are
read only by their uploader, become attachments when the case is filed, and are cleared with
their files after ``PHOTO_DRAFT_HOURS`` by a beat task.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.models import PhotoDraft
from governance.images import prepare_photo

# More live drafts than this per person is not a form being filled: refuse further uploads.
MAX_DRAFTS_PER_USER = 40


def photo_draft_upload(*, owner, upload) -> PhotoDraft:
    """Check and re-encode one photo (see :func:`governance.images.prepare_photo`) and keep it as
    a draft of ``owner``. Raises ValidationError naming the file when it is not a usable photo,
    or when the owner already has too many drafts."""
    if PhotoDraft.objects.filter(owner=owner, created_at__gte=_cutoff()).count() >= (
        MAX_DRAFTS_PER_USER
    ):
        raise ValidationError(_("Too many photos waiting: file the case or wait a while."))
    prepared = prepare_photo(upload)
    draft = PhotoDraft(owner=owner, original_name=prepared.original_name)
    stem = uuid.uuid4().hex
    draft.image.save(f"{stem}.jpg", ContentFile(prepared.data), save=False)
    draft.thumbnail.save(f"{stem}_t.jpg", ContentFile(prepared.thumbnail), save=False)
    draft.save()
    return draft


def photo_drafts_of(*, owner, ids) -> list[PhotoDraft]:
    """The owner's live drafts among ``ids``, in the order given; others (someone else's,
    expired, malformed) are left out."""
    wanted = []
    for value in ids or ():
        try:
            wanted.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    found = {
        d.pk: d
        for d in PhotoDraft.objects.filter(owner=owner, pk__in=wanted, created_at__gte=_cutoff())
    }
    return [found[pk] for pk in dict.fromkeys(wanted) if pk in found]


def draft_files(drafts: list[PhotoDraft]) -> list[File]:
    """The drafts as files for a service's ``photos`` (named as the user's files were)."""
    return [
        File(draft.image.open("rb"), name=draft.original_name or "photo.jpg") for draft in drafts
    ]


def photo_drafts_used(drafts: list[PhotoDraft]) -> None:
    """Delete drafts that became attachments, their files once the transaction commits."""
    if not drafts:
        return
    PhotoDraft.objects.filter(pk__in=[d.pk for d in drafts]).delete()
    transaction.on_commit(lambda: _delete_files(drafts))


def photo_drafts_clear(*, now: datetime | None = None) -> int:
    """Delete every draft older than ``PHOTO_DRAFT_HOURS`` and its files; returns how many.
    Safe to run from several workers: a row another run deleted is simply not deleted twice."""
    stale = list(PhotoDraft.objects.filter(created_at__lt=_cutoff(now)))
    deleted, _counts = PhotoDraft.objects.filter(pk__in=[d.pk for d in stale]).delete()
    _delete_files(stale)
    return deleted


def _cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(hours=settings.PHOTO_DRAFT_HOURS)


def _delete_files(drafts) -> None:
    for draft in drafts:
        for field in (draft.image, draft.thumbnail):
            if field.name:
                field.storage.delete(field.name)
