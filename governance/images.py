"""The one image-cleaning path of the portal (case photos, field-work photos, wish photos): the
content must be a real image, whatever the file is called.

A photo is decoded with Pillow, turned upright from its EXIF orientation, shrunk to a sensible
size and re-encoded as JPEG (which also drops the EXIF data, GPS position included); a thumbnail is
made from it. Anything Pillow cannot decode is refused with a message naming the file.

Decoding costs memory and time in proportion to the pixels, so the pixels are counted from the
file headers first (Pillow reads no pixel data to open a file): one photo may have at most
MAX_PIXELS, the photos of one request together MAX_PIXELS_PER_REQUEST, and a request at most
MAX_PHOTOS_PER_STEP photos. The request body itself is capped before this (governance.limits).
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS_PER_STEP = 9
# Decoding a huge image takes memory in proportion to its pixels: refuse them before decoding.
MAX_PIXELS = 50_000_000
# Nine photos of a 12-megapixel phone camera; nine 7,000×7,000 images are refused undecoded.
MAX_PIXELS_PER_REQUEST = 120_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO", "HEIF"}
LONG_EDGE = 2560
THUMBNAIL_EDGE = 320


@dataclass(frozen=True)
class PreparedPhoto:
    original_name: str
    size: int
    data: bytes
    width: int
    height: int
    thumbnail: bytes


def prepare_photos(files, *, field: str = "photos") -> list[PreparedPhoto]:
    """Check and convert every uploaded file; raise one ValidationError on ``field`` naming
    each refused file."""
    files = list(files or [])
    if len(files) > MAX_PHOTOS_PER_STEP:
        raise ValidationError(
            {field: _("At most %(n)d photos per step.") % {"n": MAX_PHOTOS_PER_STEP}}
        )
    pixels = sum(_pixels(upload) for upload in files)
    if pixels > MAX_PIXELS_PER_REQUEST:
        raise ValidationError(
            {
                field: _(
                    "These photos have %(mp)d megapixels together; at most %(max)d are accepted "
                    "at once. Send fewer or smaller photos."
                )
                % {"mp": pixels // 1_000_000, "max": MAX_PIXELS_PER_REQUEST // 1_000_000}
            }
        )
    prepared, errors = [], []
    for upload in files:
        try:
            prepared.append(prepare_photo(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({field: errors})
    return prepared


def _pixels(upload) -> int:
    """The pixels of an image as its header says (0 for a file that is no image: the check of
    each photo refuses it with its own message)."""
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            return probe.width * probe.height
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return 0
    finally:
        upload.seek(0)


def prepare_photo(upload) -> PreparedPhoto:
    name = getattr(upload, "name", "") or _("photo")
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if size > MAX_PHOTO_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(mb)d MB.")
            % {"name": name, "mb": MAX_PHOTO_BYTES // (1024 * 1024)}
        )
    not_a_photo = ValidationError(
        _("%(name)s is not a photo: upload a JPEG, PNG or WebP image.") % {"name": name}
    )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise not_a_photo
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(
                    _("%(name)s has too many pixels (%(w)d×%(h)d).")
                    % {"name": name, "w": probe.width, "h": probe.height}
                )
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_a_photo from None
    photo = upright.convert("RGB")
    photo.thumbnail((LONG_EDGE, LONG_EDGE))
    data = _jpeg(photo, quality=85)
    thumb = photo.copy()
    thumb.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
    return PreparedPhoto(
        original_name=str(name)[:200],
        size=len(data),
        data=data,
        width=photo.width,
        height=photo.height,
        thumbnail=_jpeg(thumb, quality=80),
    )


def _jpeg(image: Image.Image, *, quality: int) -> bytes:
    buffer = BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()
