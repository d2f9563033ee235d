"""One photo on a field-work record (a finding, a step of a hidden danger, a check report).

The photo is checked and converted by :mod:`governance.images` before it is stored; the files are
served only through views that check the record's scope, never from the media URL directly.
"""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.images import PreparedPhoto


def _photo_path(instance, filename: str) -> str:
    return f"field/{instance._meta.model_name}/{timezone.now():%Y/%m}/{filename}"


class PhotoMixin(models.Model):
    photo = models.ImageField(_("photo"), upload_to=_photo_path, blank=True)
    photo_thumbnail = models.ImageField(_("thumbnail"), upload_to=_photo_path, blank=True)

    class Meta:
        abstract = True

    @property
    def has_photo(self) -> bool:
        return bool(self.photo)

    def attach_photo(self, prepared: PreparedPhoto | None, *, saved: list[str]) -> None:
        """Write ``prepared`` to storage and point the (unsaved) row at it; the names written
        are added to ``saved`` so that the caller can remove them if its transaction fails."""
        if prepared is None:
            return
        stem = uuid.uuid4().hex
        self.photo.save(f"{stem}.jpg", ContentFile(prepared.data), save=False)
        saved.append(self.photo.name)
        self.photo_thumbnail.save(f"{stem}_thumb.jpg", ContentFile(prepared.thumbnail), save=False)
        saved.append(self.photo_thumbnail.name)


def discard_files(names: list[str]) -> None:
    """Remove files written for a write that did not commit."""
    for name in names:
        default_storage.delete(name)
