"""The residents' page (随手拍): report a problem on a phone, then follow it by its number.

Public pages, no login. A report goes through the same service as an Open311 POST
(:func:`casework.open311.services.intake_submit`); the reporter either verifies a mobile number
with a code or stays anonymous. The progress page shows public events only: no names, no phone
numbers, no internal comments.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casework.models import OPEN_STATUSES
from casework.open311 import selectors, services, verification
from casework.open311.models import Channel
from casework.open311.resident_forms import ResidentReportForm, question_field_name
from governance.files import file_response
from governance.forms import apply_service_errors
from governance.images import MAX_PHOTO_BYTES
from governance.notifications import channel_named
from grids.models import Area, AreaKind

# The service's field names → the form's.
FORM_FIELDS = {
    "latitude": "address",
    "longitude": "address",
    "location": "address",
    "address_id": "building",
}


def _street(code: str) -> Area:
    return get_object_or_404(Area, code=code, kind=AreaKind.STREET)


def _client_address(request) -> str:
    # Behind a proxy, the proxy's address: configure it to pass the client's as REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _form_context(request, street: Area, form: ResidentReportForm) -> dict:
    map_data = {
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "boundary": street.boundary,
        "center": [float(street.latitude), float(street.longitude)]
        if street.latitude is not None
        else None,
        "buildingsUrl": reverse("residents:buildings", args=[street.code]),
        "codeUrl": reverse("residents:code", args=[street.code]),
    }
    return {
        "street": street,
        "form": form,
        "map": map_data,
        # In development, say where the code goes when no SMS sender is installed.
        "debug_codes": settings.DEBUG and channel_named(settings.RESIDENT_CODE_CHANNEL) is None,
        "photo_max_bytes": MAX_PHOTO_BYTES,
        "photos_dropped": request.method == "POST" and bool(request.FILES),
    }


@require_http_methods(["GET", "HEAD", "POST"])
def report(request, street_code: str):
    """The report form; a post either asks for a code (without JavaScript) or files the report."""
    street = _street(street_code)
    categories = selectors.public_services_with_questions()
    form = ResidentReportForm(request.POST or None, request.FILES or None, categories=categories)
    status = 200
    if request.method == "POST" and "send_code" in request.POST:
        status = _send_code_from_form(request, form)
    elif request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                intake = _file(request, street, form)
            except ValidationError as exc:
                apply_service_errors(form, exc)
                intake = None
                status = 429 if _throttled(exc) else 400
            if intake is not None:
                return redirect(f"{reverse('residents:track', args=[intake.token])}?new=1")
    return render(
        request,
        "casework/residents/report.html",
        _form_context(request, street, form),
        status=status,
    )


def _throttled(exc: ValidationError) -> bool:
    return any(e.code == "throttled" for errors in exc.error_dict.values() for e in errors)


def _send_code_from_form(request, form: ResidentReportForm) -> int:
    # Without JavaScript the "send code" button posts the whole form: what was typed stays,
    # and only the code's own errors show (the report is not filed yet).
    form.is_valid()
    form.errors.clear()
    try:
        sent = verification.code_send(
            phone=request.POST.get("phone", ""), address=_client_address(request)
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return 429 if _throttled(exc) else 400
    messages.info(request, _code_sent_message(sent))
    return 200


def _code_sent_message(sent: verification.CodeSent) -> str:
    if sent.by_channel:
        return _("The code is on its way by SMS; it is valid for 10 minutes.")
    if settings.DEBUG:
        return _("No SMS sender is configured: the code was written to the server log.")
    return _("Codes cannot be sent by SMS here yet: you may report without your phone number.")


def _file(request, street: Area, form: ResidentReportForm):
    """File the form's report; None when refused (the reasons are on the form). A report past
    the limits raises the limit's ValidationError."""
    data = form.cleaned_data
    verification.report_admit(phone=data["phone"], address=_client_address(request))
    if data["phone"] and not verification.code_check(phone=data["phone"], code=data["code"]):
        form.add_error("code", _("The code is wrong or has expired: ask for a new one."))
        return None
    category = next((c for c in form.categories if c.pk == data["category"]), None)
    building_code = data["building_code"] or _building_code(street, data["building"], form)
    if building_code is None:
        return None
    try:
        return services.intake_submit(
            channel=Channel.RESIDENTS_PAGE,
            within=street,
            fallback_street=street,
            account=services.residents_account(street),
            category=category,
            description=data["description"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            address=data["address"],
            address_id=building_code,
            attributes=form.answers(),
            name=data["name"],
            phone=data["phone"],
            phone_verified=bool(data["phone"]),
            photos=data["photos"],
        )
    except ValidationError as exc:
        rename = dict(FORM_FIELDS)
        chosen = data["category"]
        for question in category.questions if category else []:
            rename[f"attribute[{question.code}]"] = question_field_name(chosen, question.code)
        apply_service_errors(form, exc, rename=rename)
        return None


def _building_code(street: Area, text: str, form) -> str | None:
    """The code of the building typed by name ("" when none was typed, None when refused)."""
    text = (text or "").strip()
    if not text:
        return ""
    found = selectors.street_buildings(street, text, limit=10)
    exact = [b for b in found if b.name == text or b.code == text]
    if len(exact) == 1 or len(found) == 1:
        return (exact or found)[0].code
    if not found:
        form.add_error(
            "building", _("No building of %(street)s matches.") % {"street": street.name}
        )
    else:
        form.add_error(
            "building",
            _("Several buildings match: %(names)s.")
            % {"names": "、".join(f"{b.name}（{b.community}）" for b in found[:5])},
        )
    return None


@require_POST
def send_code(request, street_code: str):
    """JSON for the page's script: send a code to the phone number given."""
    _street(street_code)
    try:
        sent = verification.code_send(
            phone=request.POST.get("phone", ""), address=_client_address(request)
        )
    except ValidationError as exc:
        throttled = any(e.code == "throttled" for e in exc.error_dict.get("phone", []))
        return JsonResponse({"error": " ".join(exc.messages)}, status=429 if throttled else 400)
    return JsonResponse({"message": _code_sent_message(sent), "byChannel": sent.by_channel})


@require_GET
def buildings(request, street_code: str):
    """JSON for the building picker: buildings of the street matching ``q``."""
    street = _street(street_code)
    found = selectors.street_buildings(street, request.GET.get("q", "")[:50])
    return JsonResponse(
        {"buildings": [{"code": b.code, "name": b.name, "community": b.community} for b in found]}
    )


# -- following a report ---------------------------------------------------------------------
@require_GET
def track_lookup(request):
    number = services.normalize_token(request.GET.get("number", ""))
    if number and selectors.intake_by_token(number) is not None:
        return redirect("residents:track", token=number)
    status = 404 if number else 200
    return render(request, "casework/residents/lookup.html", {"number": number}, status=status)


@require_GET
def track(request, token: str):
    intake = selectors.intake_by_token(services.normalize_token(token))
    if intake is None:
        raise Http404
    case = intake.case
    events = selectors.public_events(case)
    for event in events:
        event.public_comment = selectors.mask_personal(event.comment)
    context = {
        "intake": intake,
        "case": case,
        "is_open": case.status in OPEN_STATUSES,
        "events": events,
        "photos": [photo for event in events for photo in event.attachments.all()],
        "is_new": request.GET.get("new") == "1",
    }
    return render(request, "casework/residents/track.html", context)


@require_GET
def photo(request, pk: int, size: str):
    """A photo taken with a public event of a public case: anyone may see it."""
    if size not in ("full", "thumb"):
        raise Http404
    item = selectors.public_photo(pk)
    if item is None:
        raise Http404
    return file_response(
        item.thumbnail if size == "thumb" else item.image, content_type="image/jpeg", public=True
    )
