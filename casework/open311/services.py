"""Writes of the public intake: outside reports and Open311 API keys.

:func:`intake_submit` is the one way an outside report — an Open311 POST or the residents' page —
becomes a case. It checks the report, places it (a building code, or the point inside the area
boundaries), and files it through :func:`casework.services.case_report`, so an outside report
enters the same workflow, numbering and deadlines as any other. A report that cannot be placed
below the street is filed on the street itself and held by the grid center, the street's
dispatcher, with a note saying why.

Outside reports are filed by an intake account: an inactive user that cannot log in, one per API
key and one per street for the residents' page, holding the grid-worker role (the least a filer
needs) on the jurisdiction. Its name is what staff see as the reporter of the step.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.models import Category, Source
from casework.open311 import throttle
from casework.open311.models import (
    LIST_DATATYPES,
    ApiKey,
    Channel,
    Datatype,
    Intake,
    Jurisdiction,
    ServiceDefinition,
)
from casework.open311.placement import place_point
from casework.open311.w3c import parse_w3c
from casework.services import case_report
from governance.keys import digest_matches, key_digest, new_key
from governance.models import Role, RoleAssignment
from grids.models import Area, AreaKind

MAX_DESCRIPTION = 4000
MAX_ONE_LINE = 200
# Tracking numbers and tokens: no 0/O or 1/I/L to misread when a resident types one.
TOKEN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TOKEN_LENGTH = 10
KEY_WINDOW_SECONDS = 3600
INTAKE_ROLE = Role.GRID_WORKER
SOURCES = {Channel.OPEN311: Source.OPEN311, Channel.RESIDENTS_PAGE: Source.RESIDENT}
# case_report's field names → the intake's (the title is made from the description here).
_RENAMED = {
    "title": "description",
    "reporter_name": "name",
    "reporter_phone": "phone",
    "area": "location",
}


class ApiKeyRefused(Exception):
    """A POST without a valid, unrevoked API key (HTTP 403)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def stored_text(text) -> str:
    """Text written into the records in the portal's language, whoever's request writes it."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


# -- API keys -------------------------------------------------------------------------------
def api_key_check(
    *, name: str, owner: Area | None, jurisdiction: Jurisdiction | None, rate_limit
) -> None:
    """The rules of a key's settings (ValidationError by field): a name, an owner street that
    lies within the jurisdiction, at least one request an hour."""
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = _("Name the client.")
    if jurisdiction is None:
        errors["jurisdiction"] = _("Choose the jurisdiction.")
    if owner is None or owner.kind != AreaKind.STREET:
        errors["owner"] = _("The owner is a street.")
    elif jurisdiction is not None and not owner.is_within(jurisdiction.area):
        errors["owner"] = _("The owner street must lie within the jurisdiction.")
    if not rate_limit or rate_limit < 1:
        errors["rate_limit"] = _("Allow at least one request per hour.")
    if errors:
        raise ValidationError(errors)


def api_key_create(
    *,
    name: str,
    owner: Area,
    jurisdiction: Jurisdiction,
    rate_limit: int = 120,
    created_by=None,
) -> tuple[ApiKey, str]:
    """Make an API key and its intake account; returns the key and its only plain copy.

    Only a SHA-256 hash of the key is stored (a key is 190 random bits, so a fast hash is
    safe). The settings follow :func:`api_key_check`. The intake account is inactive (it cannot
    log in) and holds the grid-worker role on the jurisdiction's area.
    """
    api_key_check(name=name, owner=owner, jurisdiction=jurisdiction, rate_limit=rate_limit)
    name = name.strip()
    prefix = secrets.token_hex(4)
    while ApiKey.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    raw = f"{prefix}.{new_key(24)}"
    with transaction.atomic():
        account = get_user_model()(
            username=f"open311-{prefix}",
            full_name=f"{name}（Open311）"[:50],
            is_active=False,
        )
        account.set_unusable_password()
        account.save()
        RoleAssignment.objects.create(user=account, role=INTAKE_ROLE, area=jurisdiction.area)
        key = ApiKey.objects.create(
            name=name[:100],
            prefix=prefix,
            key_hash=key_digest(raw),
            owner=owner,
            jurisdiction=jurisdiction,
            account=account,
            rate_limit=rate_limit,
            created_by=created_by,
        )
    return key, raw


def api_key_update(*, key: ApiKey, name: str, rate_limit: int) -> ApiKey:
    """Rename a key or change its hourly limit (its owner and jurisdiction stay)."""
    api_key_check(name=name, owner=key.owner, jurisdiction=key.jurisdiction, rate_limit=rate_limit)
    key.name = name.strip()[:100]
    key.rate_limit = rate_limit
    key.save(update_fields=["name", "rate_limit", "updated_at"])
    return key


def api_key_revoke(*, key: ApiKey, now: datetime | None = None) -> bool:
    """Revoke ``key`` from now on (a saved change, so the change log records it); True when it
    was live until now. The row is locked: of two revocations one does it, the other nothing."""
    with transaction.atomic():
        locked = ApiKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is not None:
            key.revoked_at = locked.revoked_at
            return False
        locked.revoked_at = now or timezone.now()
        locked.save(update_fields=["revoked_at", "updated_at"])
    key.revoked_at = locked.revoked_at
    return True


def api_key_authenticate(*, raw: str) -> ApiKey:
    """The live key matching ``raw``; raises :class:`ApiKeyRefused` for a missing, unknown,
    wrong or revoked one. The hashes are compared in constant time."""
    raw = (raw or "").strip()
    if not raw:
        raise ApiKeyRefused(_("api_key was not provided."))
    prefix = raw.partition(".")[0]
    key = (
        ApiKey.objects.select_related("jurisdiction__area", "owner", "account")
        .filter(prefix=prefix)
        .first()
    )
    if key is None or not digest_matches(key.key_hash, raw):
        raise ApiKeyRefused(_("Invalid api_key received: the request was not created."))
    if key.is_revoked:
        raise ApiKeyRefused(_("This api_key has been revoked."))
    return key


def api_key_admit(*, key: ApiKey, now: datetime | None = None) -> throttle.Verdict:
    """Count one request of ``key`` against its hourly limit; an admitted one is its last use."""
    verdict = throttle.hit(f"open311-key:{key.pk}", limit=key.rate_limit, window=KEY_WINDOW_SECONDS)
    if verdict.allowed:
        now = now or timezone.now()
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return verdict


def residents_account(street: Area):
    """The intake account of ``street``'s residents' page (made on first use)."""
    User = get_user_model()
    account, created = User.objects.get_or_create(
        username=f"residents-{street.code}",
        defaults={"full_name": stored_text(gettext_lazy("Residents' page")), "is_active": False},
    )
    if created:
        account.set_unusable_password()
        account.save(update_fields=["password"])
    return account


# -- outside reports ------------------------------------------------------------------------
def intake_submit(
    *,
    channel: str,
    within: Area,
    fallback_street: Area,
    account,
    category: Category | None,
    description: str = "",
    latitude=None,
    longitude=None,
    address: str = "",
    address_id: str = "",
    attributes: dict[str, list[str]] | None = None,
    name: str = "",
    phone: str = "",
    phone_verified: bool = False,
    email: str = "",
    device_id: str = "",
    account_id: str = "",
    media_url: str = "",
    photos=(),
    api_key: ApiKey | None = None,
    now: datetime | None = None,
) -> Intake:
    """File an outside report as a case and record where it came from.

    ``within`` is the jurisdiction (a street or a district): a point outside its boundary or a
    building outside it is refused. The case is filed on the building of ``address_id``, else on
    the lowest area containing the point, else (not placed) on the street — the point's, or
    ``fallback_street`` — held by the center with a note. Answers to the category's questions
    are checked against their types and options and added to the description for staff.

    Raises ValidationError keyed by field (``category``, ``description``, ``location``,
    ``latitude``, ``address``, ``address_id``, ``attribute[code]``, ``name``, ``phone``,
    ``email``, ``device_id``, ``account_id``, ``media_url``, ``photos``); nothing is written
    then. The case, its report event, its photos and the :class:`Intake` row are written in one
    transaction.
    """
    now = now or timezone.now()
    errors: dict[str, list] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    definition = _check_category(category, refuse)
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        refuse("description", _("At most %(n)d characters.") % {"n": MAX_DESCRIPTION})
    address = (address or "").strip()
    if len(address) > MAX_ONE_LINE:
        refuse("address", _("At most %(n)d characters.") % {"n": MAX_ONE_LINE})
    name = (name or "").strip()
    if len(name) > 50:
        refuse("name", _("At most %(n)d characters.") % {"n": 50})
    email = (email or "").strip()
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            refuse("email", _("Enter a valid e-mail address."))
    for field, value in (("device_id", device_id), ("account_id", account_id)):
        if len((value or "").strip()) > 100:
            refuse(field, _("At most %(n)d characters.") % {"n": 100})
    media_url = (media_url or "").strip()
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
            if len(media_url) > 500:
                raise ValidationError("too long")
        except ValidationError:
            refuse("media_url", _("Give an http or https address of at most 500 characters."))
    point = _point(latitude, longitude, refuse)
    address_id = (address_id or "").strip()
    if point is None and not address and not address_id and "latitude" not in errors:
        refuse(
            "location", _("Give the place: a point (lat and long), an address or a building code.")
        )
    answers, answer_lines = _clean_answers(definition, attributes or {}, refuse)
    if errors:
        raise ValidationError(errors)

    area, note, placed = _place(
        within=within,
        fallback_street=fallback_street,
        point=point,
        address=address,
        address_id=address_id,
    )
    if address_id and not address:
        address = area.name
    if point is None and address_id and area.latitude is not None:
        point = (area.latitude, area.longitude)
    _ensure_intake_role(account, within)
    full_description = description
    if media_url:
        answer_lines.append(_("Photo link: %(url)s") % {"url": media_url})
    if answer_lines:
        block = "\n".join([stored_text(gettext_lazy("Answers:")), *answer_lines])
        full_description = f"{description}\n\n{block}" if description else block
    try:
        with transaction.atomic():
            case = case_report(
                actor=account,
                title=_title(description, category),
                category=category,
                area=area,
                source=SOURCES[channel],
                description=full_description,
                latitude=point[0] if point else None,
                longitude=point[1] if point else None,
                address=address,
                reporter_name=name or stored_text(gettext_lazy("Anonymous resident")),
                reporter_phone=(phone or "").strip(),
                photos=photos,
                comment=note,
                now=now,
            )
            intake = Intake.objects.create(
                case=case,
                channel=channel,
                token=_new_token(),
                api_key=api_key,
                email=email,
                device_id=(device_id or "").strip(),
                account_id=(account_id or "").strip(),
                media_url=media_url,
                attributes=answers,
                phone_verified=phone_verified and bool(phone),
                placed=placed,
                created_at=now,
            )
    except ValidationError as exc:
        raise ValidationError(
            {_RENAMED.get(field, field): messages for field, messages in exc.message_dict.items()}
        ) from None
    return intake


def _check_category(category: Category | None, refuse) -> ServiceDefinition | None:
    if category is None:
        refuse("category", _("Choose a category."))
        return None
    if not (category.is_public and category.is_active and category.is_leaf):
        refuse("category", _("This category does not take public reports."))
        return None
    return (
        ServiceDefinition.objects.filter(category=category)
        .prefetch_related("attributes__values")
        .first()
    )


def _point(latitude, longitude, refuse) -> tuple[Decimal, Decimal] | None:
    if latitude in (None, "") and longitude in (None, ""):
        return None
    if latitude in (None, "") or longitude in (None, ""):
        refuse("latitude", _("Give both lat and long."))
        return None
    try:
        lat = Decimal(str(latitude).strip()).quantize(Decimal("0.000001"))
        lng = Decimal(str(longitude).strip()).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        refuse("latitude", _("lat and long are numbers in degrees (WGS84)."))
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        refuse("latitude", _("lat lies between -90 and 90, long between -180 and 180."))
        return None
    return lat, lng


def _place(*, within, fallback_street, point, address, address_id) -> tuple[Area, str, bool]:
    """The area to file on, the note for the center when it is not placed, and whether it was."""
    if address_id:
        building = Area.objects.filter(
            code=address_id, kind__in=[AreaKind.BUILDING, AreaKind.UNIT]
        ).first()
        if building is None or not building.is_within(within):
            raise ValidationError(
                {
                    "address_id": _("No building has the code %(code)s here.")
                    % {"code": address_id[:40]}
                }
            )
        return building, "", True
    if point is not None:
        placement = place_point(within=within, latitude=float(point[0]), longitude=float(point[1]))
        if placement.placed:
            return placement.area, "", True
        street = placement.street or fallback_street
        note = _("The point lies in no community or grid of %(street)s.") % {"street": street.name}
    else:
        street = fallback_street
        note = _("Only an address was given: %(address)s.") % {"address": address}
    note = " ".join([note, _("The grid center of the street places the report and dispatches it.")])
    return street, stored_text(note), False


def _ensure_intake_role(account, area: Area) -> None:
    """The intake account files within ``area``: its role is made again if it was removed."""
    RoleAssignment.objects.get_or_create(user=account, role=INTAKE_ROLE, area=area)


def _title(description: str, category: Category) -> str:
    first_line = description.splitlines()[0].strip() if description else ""
    if not first_line:
        return category.name
    return first_line if len(first_line) <= 40 else f"{first_line[:39]}…"


def _new_token() -> str:
    while True:
        token = "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))
        if not Intake.objects.filter(token=token).exists():
            return token


def normalize_token(value: str) -> str:
    """A tracking number as typed (spaces, dashes, lower case) → as stored."""
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())[:20]


# -- answers to a service's questions -------------------------------------------------------
def _clean_answers(
    definition: ServiceDefinition | None, given: dict[str, list[str]], refuse
) -> tuple[dict, list[str]]:
    """The checked answers by code, and a line per answer for the case's description.
    Answers to unknown codes are ignored: clients such as FixMyStreet send their own."""
    if definition is None:
        return {}, []
    answers: dict = {}
    lines: list[str] = []
    for attribute in definition.attributes.all():
        if not attribute.variable:
            continue
        field = f"attribute[{attribute.code}]"
        values = [str(v).strip() for v in given.get(attribute.code, []) if str(v or "").strip()]
        if not values:
            if attribute.required:
                refuse(field, _("Answer: %(question)s") % {"question": attribute.description})
            continue
        if attribute.datatype != Datatype.MULTIVALUELIST and len(values) > 1:
            refuse(field, _("Give one answer."))
            continue
        shown = _check_answer(attribute, values, field, refuse)
        if shown is None:
            continue
        answers[attribute.code] = values if attribute.datatype in LIST_DATATYPES else values[0]
        lines.append(f"{attribute.description}：{shown}")
    return answers, lines


def _check_answer(attribute, values: list[str], field: str, refuse) -> str | None:
    """The answer as staff read it, or None (with the reason refused) when it is not valid."""
    value = values[0]
    datatype = attribute.datatype
    if datatype == Datatype.STRING:
        if "\n" in value or "\r" in value or len(value) > MAX_ONE_LINE:
            refuse(field, _("One line of at most %(n)d characters.") % {"n": MAX_ONE_LINE})
            return None
        return value
    if datatype == Datatype.TEXT:
        if len(value) > MAX_DESCRIPTION:
            refuse(field, _("At most %(n)d characters.") % {"n": MAX_DESCRIPTION})
            return None
        return value
    if datatype == Datatype.NUMBER:
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            refuse(field, _("Give a number."))
            return None
        return value
    if datatype == Datatype.DATETIME:
        try:
            moment = parse_w3c(value)
        except ValueError:
            refuse(field, _("Give a date (2026-05-01) or a date and time with its time zone."))
            return None
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    options = {option.key: option.name for option in attribute.values.all()}
    unknown = [v for v in values if v not in options]
    if unknown:
        refuse(
            field,
            _("Choose from: %(options)s.")
            % {"options": "、".join(f"{k}（{n}）" for k, n in options.items())},
        )
        return None
    return "、".join(options[v] for v in values)
