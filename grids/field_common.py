"""Input rules shared by the field-work services (patrols, hidden dangers, mobilization)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from governance.images import PreparedPhoto, prepare_photo
from grids.models import AreaKind

# Where field work happens: the lowest node known, never above a community.
FIELD_AREA_KINDS = frozenset(
    {AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.MICRO_GRID, AreaKind.BUILDING, AreaKind.UNIT}
)
MAX_COMMENT = 2000


def clean_coordinates(
    latitude, longitude, errors: dict, *, required: bool = False
) -> tuple[Decimal | None, Decimal | None]:
    """Latitude and longitude as 6-decimal numbers (both or neither); problems go to ``errors``."""
    if latitude in (None, "") and longitude in (None, ""):
        if required:
            errors.setdefault("latitude", []).append(_("The position is required."))
        return None, None
    if latitude in (None, "") or longitude in (None, ""):
        errors.setdefault("latitude", []).append(_("Give both latitude and longitude, or neither."))
        return None, None
    try:
        lat = Decimal(str(latitude)).quantize(Decimal("0.000001"))
        lng = Decimal(str(longitude)).quantize(Decimal("0.000001"))
    except ArithmeticError:
        errors.setdefault("latitude", []).append(_("Latitude and longitude are numbers."))
        return None, None
    if not -90 <= lat <= 90:
        errors.setdefault("latitude", []).append(_("Latitude lies between -90 and 90."))
    if not -180 <= lng <= 180:
        errors.setdefault("longitude", []).append(_("Longitude lies between -180 and 180."))
    return lat, lng


def clean_text(value, *, field: str, limit: int, errors: dict, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors.setdefault(field, []).append(_("This field is required."))
    elif len(text) > limit:
        errors.setdefault(field, []).append(_("At most %(n)d characters.") % {"n": limit})
    return text


def prepare_one_photo(upload, *, field: str = "photo") -> PreparedPhoto | None:
    """Check and convert one uploaded photo (None when none was given)."""
    if not upload:
        return None
    try:
        return prepare_photo(upload)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


def actor_name(actor) -> str:
    return str(actor)[:150] if actor is not None else ""
