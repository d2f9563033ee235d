"""GeoReport v2 documents in XML (required by the specification) and JSON.

A document is plain data: dicts of scalars, and :class:`Many` for a repeated element. The JSON
follows the specification's "Spark convention", the programmatic mapping of the XML: a list
wrapper (``<services><service>…``) becomes an array, an element an object, ``true``/``false``
booleans, numbers numbers, an empty element ``null``. The XML is UTF-8 with its declaration, no
namespace, and never carries the control characters XML 1.0 forbids.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone

from casework.open311.w3c import format_w3c

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
MIME_TYPES = ("text/xml", "application/json")
# Characters XML 1.0 cannot carry (control characters other than tab, newline, return).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Many:
    """A repeated element: ``<tag>`` per item in XML, an array in JSON."""

    tag: str
    items: list = field(default_factory=list)


def render(fmt: str, root: str, document, *, status: int = 200, headers=None) -> HttpResponse:
    """``document`` (a dict, or Many for a list root) as a response in ``fmt`` ("xml"/"json")."""
    # The portal's time zone, read once for every date-time of the document.
    zone = timezone.get_current_timezone()
    if fmt == "json":
        body = json.dumps(_json(document, zone), ensure_ascii=False, separators=(",", ":"))
    else:
        parts = ['<?xml version="1.0" encoding="utf-8"?>\n']
        _xml(parts, root, document, zone, clean=False)
        body = "".join(parts)
        # Texts are written as they are and the document checked once: the characters XML 1.0
        # cannot carry are rare, and a text of nothing else must become an empty element.
        if _NOT_XML.search(body):
            parts = ['<?xml version="1.0" encoding="utf-8"?>\n']
            _xml(parts, root, document, zone, clean=True)
            body = "".join(parts)
    response = HttpResponse(body.encode(), status=status, content_type=FORMATS[fmt])
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _xml(parts: list[str], tag: str, value, zone, *, clean: bool) -> None:
    """Append element ``tag`` holding ``value`` to ``parts``, as ElementTree writes it: an
    element without text or children is ``<tag />``; text escapes &, < and > only."""
    if isinstance(value, Many):
        children = [(value.tag, item) for item in value.items]
    elif isinstance(value, dict):
        children = value.items()
    else:
        text = _text(value, zone, clean=clean)
        parts.append(f"<{tag}>{_escape(text)}</{tag}>" if text else f"<{tag} />")
        return
    if not children:
        parts.append(f"<{tag} />")
        return
    parts.append(f"<{tag}>")
    for name, item in children:
        # A row's texts, empty values, date-times and numbers (most of a list) without a call
        # each.
        kind = type(item)
        if kind is str and not clean:
            if item:
                if "&" in item or "<" in item or ">" in item:
                    item = _escape(item)
                parts.append(f"<{name}>{item}</{name}>")
            else:
                parts.append(f"<{name} />")
        elif item is None:
            parts.append(f"<{name} />")
        elif kind is datetime and item.tzinfo is not None:
            parts.append(f"<{name}>{item.astimezone(zone).isoformat(timespec='seconds')}</{name}>")
        elif kind is Decimal:
            parts.append(f"<{name}>{item}</{name}>")
        else:
            _xml(parts, name, item, zone, clean=clean)
    parts.append(f"</{tag}>")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(value, zone, *, clean: bool = True) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _w3c(value, zone)
    return _NOT_XML.sub("", str(value)) if clean else str(value)


def _w3c(moment: datetime, zone) -> str:
    """:func:`.w3c.format_w3c` with the time zone read once per document."""
    if moment.tzinfo is None:
        return format_w3c(moment)  # refuses a naive date-time, as it always has
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _json(value, zone):
    if type(value) is dict:
        # A row's texts, empty values, date-times and numbers (most of a list) without a call
        # each.
        row = {}
        for name, item in value.items():
            kind = type(item)
            if kind is str:
                row[name] = item or None
            elif item is None:
                row[name] = None
            elif kind is datetime and item.tzinfo is not None:
                row[name] = item.astimezone(zone).isoformat(timespec="seconds")
            elif kind is Decimal:
                row[name] = float(item)
            else:
                row[name] = _json(item, zone)
        return row
    if isinstance(value, Many):
        return [_json(item, zone) for item in value.items]
    if isinstance(value, dict):
        return {name: _json(item, zone) for name, item in value.items()}
    if isinstance(value, datetime):
        return _w3c(value, zone)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return value or None
    return value


def errors(fmt: str, status: int, *messages: str) -> HttpResponse:
    """The specification's error document: a list of ``error`` with ``code`` and
    ``description``, with the HTTP status as the code."""
    document = Many("error", [{"code": status, "description": m} for m in messages])
    return render(fmt, "errors", document, status=status)
