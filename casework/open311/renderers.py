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
from xml.etree import ElementTree

from django.http import HttpResponse

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
    if fmt == "json":
        body = json.dumps(_json(document), ensure_ascii=False, separators=(",", ":")).encode()
    else:
        element = ElementTree.Element(root)
        _fill(element, document)
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(
            element, encoding="unicode"
        ).encode("utf-8")
    response = HttpResponse(body, status=status, content_type=FORMATS[fmt])
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _fill(element: ElementTree.Element, value) -> None:
    if isinstance(value, Many):
        for item in value.items:
            _fill(ElementTree.SubElement(element, value.tag), item)
    elif isinstance(value, dict):
        for name, item in value.items():
            _fill(ElementTree.SubElement(element, name), item)
    else:
        text = _text(value)
        if text:
            element.text = text


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_w3c(value)
    return _NOT_XML.sub("", str(value))


def _json(value):
    if isinstance(value, Many):
        return [_json(item) for item in value.items]
    if isinstance(value, dict):
        return {name: _json(item) for name, item in value.items()}
    if isinstance(value, datetime):
        return format_w3c(value)
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
