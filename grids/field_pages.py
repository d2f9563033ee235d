"""Helpers shared by the field-work pages (patrols, hidden dangers, mobilization)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse

from governance.files import file_response

PAGE_SIZE = 25


def int_or_none(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


def photo_response(record, size: str) -> HttpResponse:
    """The photo (or its thumbnail) of a record the caller has already found in scope."""
    if size not in ("full", "thumb") or not record.photo:
        raise Http404
    return file_response(
        record.photo_thumbnail if size == "thumb" else record.photo, content_type="image/jpeg"
    )


def map_settings() -> dict:
    return {"tileUrl": settings.MAP_TILE_URL, "tileAttribution": settings.MAP_TILE_ATTRIBUTION}


def geometry(boundary):
    """A stored boundary as a GeoJSON geometry (Features are unwrapped)."""
    if not boundary:
        return None
    return boundary.get("geometry") if boundary.get("type") == "Feature" else boundary


def say_refusal(request, exc: Exception) -> None:
    """Show a service's refusal (ValidationError or PermissionDenied) as the page's message."""
    messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
