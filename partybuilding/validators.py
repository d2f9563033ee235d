"""Checks of uploaded files: what the name says, the content must be."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

AGREEMENT_MAX_BYTES = 10 * 1024 * 1024
# Extension → the format its content must have.
AGREEMENT_FORMATS = {".pdf": "PDF", ".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}


def validate_agreement_document(value) -> None:
    """A signed agreement: a PDF or a JPEG/PNG scan, at most 10 MB, whose content is what its
    name says (a renamed executable or a broken scan is refused). Files stored earlier are not
    read again."""
    if getattr(value, "_committed", False):
        return
    upload = getattr(value, "file", value)
    # An UploadedFile knows its size; the buffer under it (a BytesIO, for small uploads) does not.
    size = getattr(value, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    name = (getattr(value, "name", "") or "").lower()
    ext = name[name.rfind(".") :] if "." in name else ""
    expected = AGREEMENT_FORMATS.get(ext)
    if expected is None:
        raise ValidationError(
            _("Upload the agreement as a PDF, JPEG or PNG file."), code="extension"
        )
    if size > AGREEMENT_MAX_BYTES:
        raise ValidationError(
            _("The file is %(size)s; at most %(limit)s are accepted.")
            % {
                "size": filesizeformat(size),
                "limit": filesizeformat(AGREEMENT_MAX_BYTES),
            },
            code="size",
        )
    upload.seek(0)
    try:
        if expected == "PDF":
            ok = upload.read(5) == b"%PDF-"
        else:
            with Image.open(upload) as image:
                ok = image.format == expected
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError):
        ok = False
    finally:
        upload.seek(0)
    if not ok:
        raise ValidationError(
            _("The file's content is not a %(format)s document as its name says.")
            % {"format": expected},
            code="content",
        )
