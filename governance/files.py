"""Serving and naming uploaded files: one way for every app.

Every uploaded file is stored under a random name (:func:`random_name`), so that a name neither
leaks what a user called the file nor can be guessed. No uploaded file is served from
MEDIA_URL: a view finds the record in the caller's scope first (a 404 otherwise) and then
answers with :func:`file_response`, which sends the file itself or, in production, tells the
web server to (``PROTECTED_FILES_SERVER``: X-Accel-Redirect for nginx, X-Sendfile for Apache
and lighttpd), so that large files do not hold a worker.
"""

from __future__ import annotations

import mimetypes
import uuid
from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.db import models
from django.db.models.fields.files import FieldFile, ImageFieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone


def random_name(folder: str, filename: str, *, extension: str | None = None) -> str:
    """``folder/YYYY/MM/<random>.<ext>``: the extension (lower case) is kept, nothing else."""
    ext = extension if extension is not None else PurePosixPath(filename or "").suffix.lower()
    if ext and not ext.startswith("."):
        ext = "." + ext
    if not ext[1:].isalnum():
        ext = ""
    return f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


def upload_to(folder: str):
    """An ``upload_to`` for a FileField storing under random names in ``folder``."""
    return _RandomPath(folder)


class _RandomPath:
    # A class rather than a closure, so that migrations can serialise it.
    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __call__(self, instance, filename: str) -> str:
        return random_name(self.folder, filename)

    def deconstruct(self):
        return ("governance.files._RandomPath", (self.folder,), {})

    def __eq__(self, other) -> bool:
        return isinstance(other, _RandomPath) and other.folder == self.folder

    def __hash__(self) -> int:
        return hash(self.folder)


def file_response(
    file,
    *,
    content_type: str | None = None,
    download_name: str | None = None,
    public: bool = False,
) -> HttpResponse:
    """The response sending ``file`` (a FieldFile of a record the caller may see)."""
    if not file:
        raise Http404
    content_type = content_type or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    mode = settings.PROTECTED_FILES_SERVER
    if mode == "django":
        try:
            handle = file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(handle, content_type=content_type)
    else:
        response = HttpResponse(content_type=content_type)
        if mode == "x-accel-redirect":
            response["X-Accel-Redirect"] = (
                settings.PROTECTED_FILES_PREFIX.rstrip("/") + "/" + quote(file.name)
            )
        else:
            response["X-Sendfile"] = file.path
    if download_name is not None:
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(download_name)}"
    response["Cache-Control"] = f"{'public' if public else 'private'}, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class _ProtectedURL:
    """``url`` of a stored file: the scope-checked view named by the field, never MEDIA_URL
    (so that the admin's "Currently:" link, templates and serializers all point there)."""

    @property
    def url(self):
        self._require_file()
        return reverse(self.field.url_name, args=[self.instance.pk])


class ProtectedFieldFile(_ProtectedURL, FieldFile):
    pass


class ProtectedImageFieldFile(_ProtectedURL, ImageFieldFile):
    pass


class ProtectedFileField(models.FileField):
    """A FileField whose files are served by the view ``url_name`` (taking the row's pk)."""

    attr_class = ProtectedFieldFile

    def __init__(self, *args, url_name: str = "", **kwargs):
        self.url_name = url_name
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        # Stored like a FileField: the view is no concern of the database.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.FileField", args, kwargs


class ProtectedImageField(models.ImageField):
    attr_class = ProtectedImageFieldFile

    def __init__(self, *args, url_name: str = "", **kwargs):
        self.url_name = url_name
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.ImageField", args, kwargs
