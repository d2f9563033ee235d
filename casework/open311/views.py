"""Open311 GeoReport v2 at ``/open311/v2/``, in XML and JSON by the format extension.

Methods: ``discovery``, ``services``, ``services/{code}``, ``requests`` (GET and POST),
``requests/{id}``, ``tokens/{token}`` and mySociety's ``servicerequestupdates``. Reads need no
key and show public fields only; a POST needs an API key. Errors are the specification's: a list
of ``error`` with ``code`` and ``description``, HTTP 400, 403 (key), 404 (unknown resource), and
429 when a key passes its hourly limit. Views stay thin: reads in :mod:`.selectors`, the one
write in :func:`.services.intake_submit`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import wraps
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from casework import selectors as casework_selectors
from casework import workflow
from casework.models import OPEN_STATUSES, Case, Holder, Status
from casework.open311 import selectors, services
from casework.open311.models import Channel, ServiceType
from casework.open311.renderers import FORMATS, MIME_TYPES, Many, errors, render
from casework.open311.w3c import format_w3c, parse_w3c
from grids.models import AreaKind

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_RANGE = timedelta(days=90)
MAX_PAGE_SIZE = 1000
# The intake's field names → the specification's, for error descriptions.
SPEC_FIELDS = {
    "category": "service_code",
    "latitude": "lat",
    "longitude": "long",
    "address": "address_string",
    "location": "lat/long, address_string, address_id",
    "name": "first_name/last_name",
    "photos": "media_url",
}
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
_CJK = re.compile(r"[\u3400-\u9fff]")


class Open311Error(Exception):
    def __init__(self, status: int, *messages: str, headers=None):
        super().__init__(*messages)
        self.status = status
        self.messages = messages
        self.headers = headers or {}


def endpoint(*methods: str):
    """Checks the format and the method; an Open311Error becomes the specification's errors."""
    allowed = {"HEAD", *methods}

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, fmt: str, **kwargs):
            fmt = fmt.lower()
            if fmt not in FORMATS:
                return errors(
                    "xml",
                    400,
                    _("Format %(fmt)s is not supported: use xml or json.") % {"fmt": fmt[:10]},
                )
            if request.method not in allowed:
                return errors(
                    fmt,
                    400,
                    _("%(method)s is not supported here.") % {"method": request.method},
                )
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                response = errors(fmt, exc.status, *exc.messages)
                for name, value in exc.headers.items():
                    response[name] = value
                return response

        return csrf_exempt(wrapper)

    return decorate


def _param(request, name: str) -> str:
    source = request.POST if request.method == "POST" else request.GET
    return (source.get(name) or "").strip()


def _jurisdiction(request):
    """The jurisdiction named by ``jurisdiction_id``, or the only one served."""
    jurisdiction_id = _param(request, "jurisdiction_id")
    if jurisdiction_id:
        jurisdiction = selectors.jurisdiction_by_id(jurisdiction_id)
        if jurisdiction is None:
            raise Open311Error(
                404,
                _("jurisdiction_id %(id)s was not found.") % {"id": jurisdiction_id[:100]},
            )
        return jurisdiction
    jurisdiction = selectors.only_jurisdiction()
    if jurisdiction is None:
        raise Open311Error(
            400, _("jurisdiction_id was not provided: this endpoint serves several jurisdictions.")
        )
    return jurisdiction


# -- discovery and services -----------------------------------------------------------------
@endpoint("GET")
def discovery(request, *, fmt: str):
    changed = format_w3c(selectors.changeset() or timezone.now())
    url = request.build_absolute_uri(reverse("open311:root")).rstrip("/")
    document = {
        "changeset": changed,
        "contact": settings.OPEN311_CONTACT
        or _("Ask the grid management center of the street for help with this API."),
        "key_service": settings.OPEN311_KEY_SERVICE
        or _("API keys are issued by the street's administrators on request."),
        "endpoints": Many(
            "endpoint",
            [
                {
                    "specification": SPECIFICATION,
                    "url": url,
                    "changeset": changed,
                    "type": "test" if settings.DEBUG else "production",
                    "formats": Many("format", list(MIME_TYPES)),
                }
            ],
        ),
    }
    return render(fmt, "discovery", document)


def _definition(category):
    try:
        return category.open311
    except ObjectDoesNotExist:
        return None


@endpoint("GET")
def services_list(request, *, fmt: str):
    _jurisdiction(request)
    rows = []
    for category in selectors.public_services():
        definition = _definition(category)
        rows.append(
            {
                "service_code": category.code,
                "service_name": category.name,
                "description": category.description,
                "metadata": category.has_attributes,
                "type": definition.type if definition else ServiceType.REALTIME,
                "keywords": definition.keywords if definition else "",
                "group": category.parent.name if category.parent_id else "",
            }
        )
    return render(fmt, "services", Many("service", rows))


@endpoint("GET")
def service_definition(request, code: str, *, fmt: str):
    _jurisdiction(request)
    category = selectors.public_category(code)
    if category is None:
        raise Open311Error(404, _("service_code %(code)s was not found.") % {"code": code[:40]})
    attributes = []
    for attribute in selectors.service_attributes(category):
        row = {
            "variable": attribute.variable,
            "code": attribute.code,
            "datatype": attribute.datatype,
            "required": attribute.required,
            "datatype_description": attribute.datatype_description,
            "order": attribute.order,
            "description": attribute.description,
        }
        if attribute.has_values:
            row["values"] = Many(
                "value", [{"key": v.key, "name": v.name} for v in attribute.values.all()]
            )
        attributes.append(row)
    document = {"service_code": category.code, "attributes": Many("attribute", attributes)}
    return render(fmt, "service_definition", document)


# -- requests -------------------------------------------------------------------------------
@endpoint("GET", "POST")
def requests(request, *, fmt: str):
    if request.method == "POST":
        return _create(request, fmt)
    jurisdiction = _jurisdiction(request)
    public = selectors.public_services_by_key()
    cases = selectors.public_requests(jurisdiction, public)
    ids = _param(request, "service_request_id")
    if ids:
        wanted = [part.strip() for part in ids.split(",") if part.strip()]
        if not all(part.isdigit() for part in wanted):
            raise Open311Error(400, _("service_request_id is a comma-separated list of numbers."))
        # The specification: a list of IDs overrides every other argument.
        cases = cases.filter(pk__in=[int(part) for part in wanted[:MAX_PAGE_SIZE]])
    else:
        codes = [c.strip() for c in _param(request, "service_code").split(",") if c.strip()]
        if codes:
            wanted_codes = set(codes)
            cases = cases.filter(
                category_id__in=[
                    pk for pk, service in public.items() if service.code in wanted_codes
                ]
            )
        cases = cases.filter(_status_filter(_param(request, "status")))
        start, end = _date_range(request)
        cases = cases.filter(reported_at__gte=start, reported_at__lte=end)
    page, size = _paging(request)
    rows = cases.order_by("-reported_at", "-pk")[(page - 1) * size : page * size]
    return render(fmt, "service_requests", _requests(request, rows, public))


@endpoint("GET")
def request_detail(request, pk: str, *, fmt: str):
    jurisdiction = _jurisdiction(request)
    public = selectors.public_services_by_key()
    found = selectors.public_requests(jurisdiction, public)
    case = found.filter(pk=int(pk)).first() if pk.isdigit() else None
    if case is None:
        raise Open311Error(404, _("service_request_id %(id)s was not found.") % {"id": pk[:40]})
    return render(fmt, "service_requests", _requests(request, [case], public))


@endpoint("GET")
def token(request, token: str, *, fmt: str):
    jurisdiction = _jurisdiction(request)
    intake = selectors.intake_by_token(services.normalize_token(token))
    if intake is None or not intake.case.area.is_within(jurisdiction.area):
        raise Open311Error(404, _("token %(token)s was not found.") % {"token": token[:40]})
    row = {"service_request_id": str(intake.case_id), "token": intake.token}
    return render(fmt, "service_requests", Many("request", [row]))


@endpoint("GET")
def updates(request, *, fmt: str):
    """mySociety's extension: the public steps taken on public requests between start_date and
    end_date (the 90-day rule and paging as for requests)."""
    jurisdiction = _jurisdiction(request)
    start, end = _date_range(request)
    page, size = _paging(request)
    events = (
        selectors.public_updates(jurisdiction)
        .filter(created_at__gte=start, created_at__lte=end)
        .order_by("created_at", "pk")[(page - 1) * size : page * size]
    )
    photo_url = _photo_urls(request)
    rows = [
        {
            "update_id": str(event.pk),
            "service_request_id": str(event.case_id),
            "status": selectors.open311_status(event.to_status),
            "updated_datetime": event.created_at,
            "description": selectors.mask_personal(event.comment)
            or str(workflow.step_label(event.step)),
            "media_url": photo_url(event.photo_id),
            "external_status_code": event.to_status,
        }
        for event in events
    ]
    return render(fmt, "service_request_updates", Many("request_update", rows))


def _status_filter(value: str) -> Q:
    wanted = {s.strip().lower() for s in value.split(",") if s.strip()}
    if wanted - {"open", "closed"}:
        raise Open311Error(400, _("status is open, closed, or both separated by a comma."))
    if wanted == {"open"}:
        return Q(status__in=sorted(OPEN_STATUSES))
    if wanted == {"closed"}:
        return ~Q(status__in=sorted(OPEN_STATUSES))
    return Q()


def _date_range(request):
    """start_date/end_date: at most 90 days apart; one alone spans 90 days from it; neither
    means the last 90 days."""
    start, end = (_date(request, name) for name in ("start_date", "end_date"))
    if start and end:
        if end < start:
            raise Open311Error(400, _("end_date is before start_date."))
        if end - start > MAX_RANGE:
            raise Open311Error(400, _("start_date and end_date may not span more than 90 days."))
        return start, end
    if start:
        return start, start + MAX_RANGE
    end = end or timezone.now()
    return end - MAX_RANGE, end


def _date(request, name: str):
    value = _param(request, name)
    if not value:
        return None
    try:
        return parse_w3c(value)
    except ValueError:
        raise Open311Error(
            400,
            _(
                "%(name)s must be a W3C date-time with its time zone, e.g. 2026-05-01T00:00:00+08:00."
            )
            % {"name": name},
        ) from None


def _paging(request) -> tuple[int, int]:
    """The paging extension: ``page`` (from 1) and ``page_size`` (at most 1,000, the
    specification's default limit)."""
    page, size = _param(request, "page") or "1", _param(request, "page_size") or str(MAX_PAGE_SIZE)
    if not (
        page.isdigit() and size.isdigit() and int(page) >= 1 and 1 <= int(size) <= MAX_PAGE_SIZE
    ):
        raise Open311Error(400, _("page starts at 1; page_size lies between 1 and 1000."))
    return int(page), int(size)


def _requests(request, cases, public: dict[int, selectors.PublicService]) -> Many:
    """The response's list of ``cases`` (:func:`.selectors.public_requests`' rows, of the
    public categories ``public``)."""
    cases = list(cases)
    photo_url = _photo_urls(request)
    zone = timezone.get_current_timezone()
    names = _Names(
        public,
        casework_selectors.cached_rows("department", {c.department_id for c in cases} - {None}),
        casework_selectors.cached_rows(
            "area", {key for c in cases for key in (c.community_id, c.street_id)} - {None}
        ),
    )
    # The texts a case's kind decides (its agency, notice, the label of its step), translated
    # once a response for each kind: a list of 1,000 requests has a few dozen kinds.
    said: dict = {}
    return Many("request", [_row(case, photo_url, zone, names, said) for case in cases])


class _Names(NamedTuple):
    """The related rows a response's requests name, by key: their services
    (:class:`.selectors.PublicService`), departments and places (communities and streets)."""

    services: dict
    departments: dict
    places: dict

    def department(self, key) -> str:
        return _name_of(self.departments.get(key))

    def place(self, key) -> str:
        return _name_of(self.places.get(key))


def _name_of(row) -> str:
    return row.name if row is not None else ""


def _row(case, photo_url, zone, names: _Names, said: dict) -> dict:
    """A request's public fields: never the reporter's name, phone, e-mail or account.
    ``photo_url`` is :func:`_photo_urls`'; ``zone`` the time zone of the response's
    date-times; ``names`` the related rows of the response's requests; ``said`` the texts
    already made for this response."""
    status = case.status
    note = selectors.mask_personal(case.note_comment)
    if not note and case.note_step:
        step = case.note_step
        if step not in said:
            said[step] = str(workflow.step_label(step))
        note = said[step]
    service = names.services[case.category_id]
    kind = (status, case.holder, case.department_id, case.community_id, case.street_id, service)
    if kind not in said:
        said[kind] = _agency_and_notice(
            status,
            case.holder,
            case.department_id,
            names.department(case.department_id),
            case.community_id,
            names.place(case.community_id),
            names.place(case.street_id),
            service.notice,
        )
    agency, notice = said[kind]
    expected = case.expected
    return {
        "service_request_id": str(case.pk),
        "status": selectors.open311_status(status),
        "status_notes": note,
        "service_name": service.name,
        "service_code": service.code,
        "description": selectors.mask_personal(case.description),
        "agency_responsible": agency,
        "service_notice": notice,
        "requested_datetime": datetime.fromtimestamp(case.requested, zone),
        "updated_datetime": datetime.fromtimestamp(case.updated, zone),
        "expected_datetime": None if expected is None else datetime.fromtimestamp(expected, zone),
        "address": case.address or case.area__name,
        "address_id": case.area__code
        if case.area__kind in (AreaKind.BUILDING, AreaKind.UNIT)
        else "",
        "zipcode": "",
        "lat": case.latitude,
        "long": case.longitude,
        "media_url": photo_url(case.photo_id),
    }


def _agency_and_notice(
    status, holder, department_id, department, community_id, community, street, notice
) -> tuple[str, str]:
    """Who is responsible for a request and what its service notice says."""
    if department_id:
        agency = department
    elif holder == Holder.COMMUNITY and community_id:
        agency = community
    else:
        agency = _("%(street)s grid management center") % {"street": street}
    department = department if department_id else ""
    return agency, _notice_text(notice, status, holder, department)


def _notice(case: Case) -> str:
    definition = _definition(case.category)
    department = case.department.name if case.department_id else ""
    return _notice_text(definition and definition.notice, case.status, case.holder, department)


def _notice_text(notice: str | None, status: str, holder: str, department: str) -> str:
    """The service's own notice (``notice``) when it has one, else what happens next."""
    if notice:
        return notice
    if status == Status.REPORTED:
        if holder == Holder.CENTER:
            return _("The street's grid management center will look at the report.")
        return _("The community will look at the report.")
    if status == Status.ACCEPTED:
        return _("Accepted: it will be dispatched to the department in charge.")
    if status == Status.DISPATCHED:
        return _("Dispatched to %(department)s.") % {"department": department}
    if status == Status.IN_PROGRESS:
        return _("%(department)s is handling it.") % {"department": department}
    if status == Status.HANDLED:
        return _("Handled: the fix will be checked on site.")
    return ""


def _photo_urls(request):
    """The absolute URL of a photo by its id ("" for none), for one request's many photos:
    the URL reversed once, with the photo's number put in its place."""
    marker = 987654321
    url = request.build_absolute_uri(reverse("residents:photo", args=[marker, "full"]))
    head, tail = url.split(str(marker))

    def photo_url(photo_id) -> str:
        return f"{head}{int(photo_id)}{tail}" if photo_id else ""

    return photo_url


# -- creating a request ---------------------------------------------------------------------
def _create(request, fmt: str):
    try:
        key = services.api_key_authenticate(raw=request.POST.get("api_key") or "")
    except services.ApiKeyRefused as exc:
        raise Open311Error(403, exc.message) from None
    verdict = services.api_key_admit(key=key)
    if not verdict.allowed:
        raise Open311Error(
            429,
            _("This api_key has sent %(n)d requests this hour, its limit: try again later.")
            % {"n": key.rate_limit},
            headers={"Retry-After": str(verdict.retry_after)},
        )
    jurisdiction = key.jurisdiction
    named = _param(request, "jurisdiction_id")
    if named and named != jurisdiction.jurisdiction_id:
        if selectors.jurisdiction_by_id(named) is None:
            raise Open311Error(
                404, _("jurisdiction_id %(id)s was not found.") % {"id": named[:100]}
            )
        raise Open311Error(
            403, _("This api_key may not post to jurisdiction %(id)s.") % {"id": named[:100]}
        )
    if not jurisdiction.is_active:
        raise Open311Error(404, _("jurisdiction_id %(id)s was not found.") % {"id": jurisdiction})
    code = _param(request, "service_code")
    if not code:
        raise Open311Error(400, _("service_code was not provided."))
    category = selectors.public_category(code)
    if category is None:
        raise Open311Error(404, _("service_code %(code)s was not found.") % {"code": code[:40]})
    data = request.POST
    try:
        intake = services.intake_submit(
            channel=Channel.OPEN311,
            within=jurisdiction.area,
            fallback_street=key.owner,
            account=key.account,
            category=category,
            description=data.get("description", ""),
            latitude=data.get("lat"),
            longitude=data.get("long"),
            address=data.get("address_string", ""),
            address_id=data.get("address_id", ""),
            attributes=_attributes(data),
            name=_name(data.get("first_name", ""), data.get("last_name", "")),
            phone=data.get("phone", ""),
            email=data.get("email", ""),
            device_id=data.get("device_id", ""),
            account_id=data.get("account_id", ""),
            media_url=data.get("media_url", ""),
            api_key=key,
        )
    except ValidationError as exc:
        raise Open311Error(
            400,
            *[
                f"{SPEC_FIELDS.get(field, field)}: {message}"
                for field, messages in exc.message_dict.items()
                for message in messages
            ],
        ) from None
    definition = _definition(category)
    kind = definition.type if definition else ServiceType.REALTIME
    row: dict = {}
    if kind == ServiceType.REALTIME:
        row["service_request_id"] = str(intake.case_id)
    elif kind == ServiceType.BATCH:
        row["token"] = intake.token
    row["service_notice"] = _notice(intake.case)
    row["account_id"] = intake.account_id
    return render(fmt, "service_requests", Many("request", [row]))


def _attributes(data) -> dict[str, list[str]]:
    """``attribute[code]=v`` and, for several values, ``attribute[code][]=v1&…``."""
    answers: dict[str, list[str]] = {}
    for name in data:
        match = _ATTRIBUTE.match(name)
        if match:
            answers.setdefault(match.group(1), []).extend(data.getlist(name))
    return answers


def _name(first: str, last: str) -> str:
    """Chinese names read family name first (张 + 三); others given name first."""
    first, last = first.strip(), last.strip()
    if _CJK.search(first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


@csrf_exempt
def not_found(request, path: str = ""):
    fmt = "json" if path.lower().endswith(".json") else "xml"
    return errors(fmt, 404, _("There is no such Open311 resource: %(path)s") % {"path": path[:100]})
