"""The Open311 request list and request as they were before branch ``open311`` (commit ad3f59d):
cases read as models with five related objects, each request made by ``_row``, documents written
with ElementTree and the recursive JSON conversion. Kept as the reference that
``test_request_reference.py`` compares the served bytes with, as ``tests/casework/reference``
keeps the pages' templates. Not to be changed when the served responses change on purpose: then
the test and this module go together. It reads the cases and masks personal data with its own
copies of the old selectors (``public_cases``, ``mask_personal``), so that a change to theirs is
compared too.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from functools import wraps
from xml.etree import ElementTree

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from casework import workflow
from casework.models import OPEN_STATUSES, Attachment, Case, CaseEvent, Holder, Status
from casework.open311.renderers import _NOT_XML, FORMATS, Many
from casework.open311.views import (
    MAX_PAGE_SIZE,
    Open311Error,
    _date_range,
    _definition,
    _jurisdiction,
    _paging,
    _param,
    _status_filter,
)
from casework.open311.w3c import format_w3c
from grids.models import Area, AreaKind

# -- selectors.py ---------------------------------------------------------------------------
# As the masking has been since stop 29: an address is read without the Chinese words around it.
_LABEL = r"(?:[A-Za-z0-9_-]+|[^\W\d_A-Za-z]+)"
_PERSONAL = re.compile(
    r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])"
    r"|(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])"
    rf"|[A-Za-z0-9_.+-]*@{_LABEL}(\.{_LABEL})+"
)


def mask_personal(text: str) -> str:
    return _PERSONAL.sub("***", text or "")


def public_cases(jurisdiction):
    latest = CaseEvent.objects.filter(case=OuterRef("pk"), is_public=True).order_by(
        "-created_at", "-pk"
    )
    with_comment = latest.exclude(comment="")
    photo = Attachment.objects.filter(case=OuterRef("pk"), event__is_public=True).order_by(
        "created_at", "pk"
    )
    return (
        Case.objects.filter(category__is_public=True)
        .filter(Area.subtree_q(jurisdiction.area, prefix="area__"))
        .select_related("category__open311", "department", "community", "street", "area")
        .annotate(
            note_comment=Coalesce(
                Subquery(with_comment.values("comment")[:1]), Subquery(latest.values("comment")[:1])
            ),
            note_step=Subquery(latest.values("step")[:1]),
            photo_id=Subquery(photo.values("pk")[:1]),
        )
    )


# -- views.py (helpers) ---------------------------------------------------------------------
def _photo_url(request, photo_id) -> str:
    if not photo_id:
        return ""
    return request.build_absolute_uri(reverse("residents:photo", args=[photo_id, "full"]))


# -- renderers.py ---------------------------------------------------------------------------
def render(fmt: str, root: str, document, *, status: int = 200) -> HttpResponse:
    if fmt == "json":
        body = json.dumps(_json(document), ensure_ascii=False, separators=(",", ":")).encode()
    else:
        element = ElementTree.Element(root)
        _fill(element, document)
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(
            element, encoding="unicode"
        ).encode("utf-8")
    return HttpResponse(body, status=status, content_type=FORMATS[fmt])


def _fill(element, value) -> None:
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
    document = Many("error", [{"code": status, "description": m} for m in messages])
    return render(fmt, "errors", document, status=status)


# -- views.py -------------------------------------------------------------------------------
def endpoint(view):
    """views.endpoint("GET") for these two views (their format is always known here)."""

    @wraps(view)
    def wrapper(request, *args, fmt: str, **kwargs):
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as exc:
            return errors(fmt, exc.status, *exc.messages)

    return wrapper


@endpoint
def requests(request, *, fmt: str):
    jurisdiction = _jurisdiction(request)
    cases = public_cases(jurisdiction)
    ids = _param(request, "service_request_id")
    if ids:
        wanted = [part.strip() for part in ids.split(",") if part.strip()]
        if not all(part.isdigit() for part in wanted):
            raise Open311Error(400, _("service_request_id is a comma-separated list of numbers."))
        cases = cases.filter(pk__in=[int(part) for part in wanted[:MAX_PAGE_SIZE]])
    else:
        codes = [c.strip() for c in _param(request, "service_code").split(",") if c.strip()]
        if codes:
            cases = cases.filter(category__code__in=codes)
        cases = cases.filter(_status_filter(_param(request, "status")))
        start, end = _date_range(request)
        cases = cases.filter(reported_at__gte=start, reported_at__lte=end)
    page, size = _paging(request)
    rows = cases.order_by("-reported_at", "-pk")[(page - 1) * size : page * size]
    return render(fmt, "service_requests", Many("request", [_row(request, c) for c in rows]))


@endpoint
def request_detail(request, pk: str, *, fmt: str):
    jurisdiction = _jurisdiction(request)
    case = public_cases(jurisdiction).filter(pk=int(pk)).first() if pk.isdigit() else None
    if case is None:
        raise Open311Error(404, _("service_request_id %(id)s was not found.") % {"id": pk[:40]})
    return render(fmt, "service_requests", Many("request", [_row(request, case)]))


def _row(request, case: Case) -> dict:
    is_open = case.status in OPEN_STATUSES
    note = mask_personal(case.note_comment or "")
    if not note and case.note_step:
        note = str(workflow.step_label(case.note_step))
    return {
        "service_request_id": str(case.pk),
        "status": "open" if is_open else "closed",
        "status_notes": note,
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": mask_personal(case.description),
        "agency_responsible": _agency(case),
        "service_notice": _notice(case),
        "requested_datetime": case.reported_at,
        "updated_datetime": (case.closed_at or case.updated_at) if not is_open else case.updated_at,
        "expected_datetime": case.due_at if is_open else None,
        "address": case.address or case.area.name,
        "address_id": case.area.code
        if case.area.kind in (AreaKind.BUILDING, AreaKind.UNIT)
        else "",
        "zipcode": "",
        "lat": case.latitude,
        "long": case.longitude,
        "media_url": _photo_url(request, case.photo_id),
    }


def _agency(case: Case) -> str:
    if case.department_id:
        return case.department.name
    if case.holder == Holder.COMMUNITY and case.community_id:
        return case.community.name
    return _("%(street)s grid management center") % {"street": case.street.name}


def _notice(case: Case) -> str:
    definition = _definition(case.category)
    if definition is not None and definition.notice:
        return definition.notice
    department = case.department.name if case.department_id else ""
    if case.status == Status.REPORTED:
        if case.holder == Holder.CENTER:
            return _("The street's grid management center will look at the report.")
        return _("The community will look at the report.")
    if case.status == Status.ACCEPTED:
        return _("Accepted: it will be dispatched to the department in charge.")
    if case.status == Status.DISPATCHED:
        return _("Dispatched to %(department)s.") % {"department": department}
    if case.status == Status.IN_PROGRESS:
        return _("%(department)s is handling it.") % {"department": department}
    if case.status == Status.HANDLED:
        return _("Handled: the fix will be checked on site.")
    return ""
