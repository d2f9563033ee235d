"""Writes to houses and residents: rooms, households, residents, care tags, home visits.

Every write checks the actor's scope (the register's keepers: grid workers, community
dispatchers, street admins inside their subtree; care tags: the street's admin), validates the
row (``full_clean``: ID check digit, same building for room and household) and saves in a
transaction. A resident is never deleted: :func:`resident_move_out` and
:func:`resident_record_death` date the step. Whenever a visit or a care tag changes, the
residents' ``next_visit_due`` is recomputed by :func:`refresh_visit_due`, the one place that
applies :func:`grids.models.residents.visit_due_on`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.models import Role
from governance.scopes import area_role, can_change_under, scope_of
from grids.models import Area, AreaKind, CareTag, Household, Resident, ResidentCareTag, Room, Visit
from grids.models.residents import (
    IdType,
    birth_date_from_id,
    resident_id_problem,
    visit_due_on,
)
from grids.resident_registry import KEEPER_ROLES

MAX_NOTES = 2000


class NeedTaken(ValidationError):
    """A visit's need has been turned into a case (or a party-building demand) already: the
    second attempt is refused (a form error on a page; 409 through the API)."""


def _require_keeper(actor, area: Area | None) -> None:
    if area is None:
        raise ValidationError({"area": _("Choose the building.")})
    if not can_change_under(actor, area, KEEPER_ROLES):
        raise PermissionDenied(_("This building is outside your area."))


def _assign(obj, data: dict, allowed: Iterable[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    for name, value in data.items():
        setattr(obj, name, value)


def _save(obj) -> None:
    obj.full_clean()
    obj.save()


# -- rooms and households -------------------------------------------------------------------
ROOM_FIELDS = ("area", "number", "floor", "floor_area", "use", "owner", "tenant", "notes")
HOUSEHOLD_FIELDS = ("area", "number", "room", "householder", "notes")


@transaction.atomic
def room_save(*, actor, room: Room | None = None, **data) -> Room:
    """Create a room (``room`` None) or change one; the actor keeps the register of both its
    old and its new building."""
    room = room or Room()
    if room.pk:
        _require_keeper(actor, room.area)
    _assign(room, data, ROOM_FIELDS)
    _require_keeper(actor, room.area if room.area_id else None)
    _save(room)
    return room


@transaction.atomic
def household_save(*, actor, household: Household | None = None, **data) -> Household:
    household = household or Household()
    if household.pk:
        _require_keeper(actor, household.area)
    _assign(household, data, HOUSEHOLD_FIELDS)
    _require_keeper(actor, household.area if household.area_id else None)
    _save(household)
    return household


# -- residents ------------------------------------------------------------------------------
# A resident's own record, in the order the register's form shows it.
RECORD_FIELDS = (
    "name",
    "id_type",
    "id_number",
    "phone",
    "gender",
    "birth_date",
    "ethnicity",
    "political_status",
    "resident_type",
    "relation",
    "registered_address",
    "moved_in_on",
    "notes",
)
RESIDENT_FIELDS = ("area", "room", "household", *RECORD_FIELDS)


@transaction.atomic
def resident_save(*, actor, resident: Resident | None = None, **data) -> Resident:
    """Register a resident or change their record (never the dated steps: moving out and death
    have services of their own). The birth date is taken from a resident ID number when none is
    given."""
    resident = resident or Resident()
    if resident.pk:
        _require_keeper(actor, resident.area)
    _assign(resident, data, RESIDENT_FIELDS)
    _require_keeper(actor, resident.area if resident.area_id else None)
    number = (resident.id_number or "").strip().upper()
    if (
        resident.id_type == IdType.RESIDENT_ID
        and resident.birth_date is None
        and number
        and resident_id_problem(number) is None
    ):
        resident.birth_date = birth_date_from_id(number)
    _save(resident)
    return resident


def _dated_step(*, actor, resident: Resident, field: str, on: dt.date | None) -> Resident:
    _require_keeper(actor, resident.area)
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({field: _("The date cannot be in the future.")})
    with transaction.atomic():
        locked = Resident.objects.select_for_update().get(pk=resident.pk)
        if locked.deceased_on is not None:
            raise ValidationError({field: _("The resident's death is recorded already.")})
        if field == "moved_out_on" and locked.moved_out_on is not None:
            raise ValidationError({field: _("The resident has moved out already.")})
        if field == "moved_out_on" and locked.moved_in_on and on < locked.moved_in_on:
            raise ValidationError(
                {field: _("The move-out date cannot be before the move-in date.")}
            )
        Resident.objects.filter(pk=locked.pk).update(
            **{field: on, "next_visit_due": None, "updated_at": timezone.now()}
        )
    resident.refresh_from_db()
    return resident


def resident_move_out(*, actor, resident: Resident, on: dt.date | None = None) -> Resident:
    """Date the resident's move out of the street; they stay in the register, without visits."""
    return _dated_step(actor=actor, resident=resident, field="moved_out_on", on=on)


def resident_record_death(*, actor, resident: Resident, on: dt.date | None = None) -> Resident:
    """Record the resident's death; their record and history stay, without visits."""
    return _dated_step(actor=actor, resident=resident, field="deceased_on", on=on)


# -- care tags ------------------------------------------------------------------------------
CARE_TAG_FIELDS = ("street", "name", "visit_every_days", "description", "active")


def _require_street_admin(actor, street: Area | None) -> None:
    if street is None or street.kind != AreaKind.STREET:
        raise ValidationError({"street": _("Care tags belong to a street.")})
    if not scope_of(actor).is_superuser and area_role(actor, street, [Role.STREET_ADMIN]) is None:
        raise PermissionDenied(_("Only the street's administrator keeps its care tags."))


@transaction.atomic
def care_tag_save(*, actor, tag: CareTag | None = None, **data) -> CareTag:
    """Create or change a care tag of a street; a changed interval (or a tag put out of use)
    moves the next visit of every resident carrying it."""
    tag = tag or CareTag()
    before = (tag.visit_every_days, tag.active) if tag.pk else None
    if tag.pk and "street" in data and data["street"] != tag.street:
        raise ValidationError({"street": _("A care tag stays with its street.")})
    _assign(tag, data, CARE_TAG_FIELDS)
    _require_street_admin(actor, tag.street if tag.street_id else None)
    _save(tag)
    if before is not None and before != (tag.visit_every_days, tag.active):
        refresh_visit_due(
            ResidentCareTag.objects.filter(tag=tag).values_list("resident_id", flat=True)
        )
    return tag


@transaction.atomic
def resident_tag_add(
    *, actor, resident: Resident, tag: CareTag, since: dt.date | None = None, notes: str = ""
) -> ResidentCareTag:
    """Give ``resident`` a care tag of their street (once)."""
    _require_keeper(actor, resident.area)
    if not tag.active or not resident.area.is_within(tag.street):
        raise ValidationError({"tag": _("Choose a care tag of the resident's street.")})
    if ResidentCareTag.objects.filter(resident=resident, tag=tag).exists():
        raise ValidationError({"tag": _("The resident has this care tag already.")})
    link = ResidentCareTag(
        resident=resident, tag=tag, since=since or timezone.localdate(), notes=notes.strip()
    )
    _save(link)
    refresh_visit_due([resident.pk])
    return link


@transaction.atomic
def resident_tag_remove(*, actor, link: ResidentCareTag) -> None:
    _require_keeper(actor, link.resident.area)
    resident_id = link.resident_id
    link.delete()
    refresh_visit_due([resident_id])


def refresh_visit_due(resident_ids: Iterable[int]) -> int:
    """Store when each of these residents is next due a visit (see :func:`visit_due_on`):
    three queries for any number of residents. Returns the number of residents written."""
    ids = list(resident_ids)
    if not ids:
        return 0
    active = Q(care_tags__tag__active=True, care_tags__tag__visit_every_days__isnull=False)
    rows = (
        Resident.objects.filter(pk__in=ids)
        .annotate(
            interval=Min("care_tags__tag__visit_every_days", filter=active),
            since=Min("care_tags__since", filter=active),
        )
        .only("pk", "moved_out_on", "deceased_on", "next_visit_due", "last_visit_on")
    )
    last = dict(
        Visit.objects.filter(resident_id__in=ids)
        .values("resident_id")
        .annotate(last=Max("visited_on"))
        .values_list("resident_id", "last")
    )
    changed = []
    for resident in rows:
        due = None
        if resident.is_living_here:
            due = visit_due_on(
                last_visit=last.get(resident.pk),
                since=resident.since,
                interval_days=resident.interval,
            )
        if (resident.next_visit_due, resident.last_visit_on) != (due, last.get(resident.pk)):
            resident.next_visit_due = due
            resident.last_visit_on = last.get(resident.pk)
            changed.append(resident)
    Resident.objects.bulk_update(changed, ["next_visit_due", "last_visit_on"], batch_size=1000)
    return len(changed)


# -- visits ---------------------------------------------------------------------------------
def visit_record(
    *,
    actor,
    resident: Resident,
    in_home: bool = True,
    notes: str = "",
    need: str = "",
    visited_on: dt.date | None = None,
) -> Visit:
    """Record a home visit of ``resident`` by ``actor`` (a keeper of the register in scope) and
    move their next visit. A visit is of today or an earlier day, never of a resident who has
    left."""
    _require_keeper(actor, resident.area)
    today = timezone.localdate()
    visited_on = visited_on or today
    errors: dict[str, list] = {}
    if visited_on > today:
        errors.setdefault("visited_on", []).append(_("The date cannot be in the future."))
    if not resident.is_living_here:
        errors.setdefault("resident", []).append(_("The resident no longer lives here."))
    notes = (notes or "").strip()
    need = (need or "").strip()
    if len(notes) > MAX_NOTES:
        errors.setdefault("notes", []).append(_("At most %(n)d characters.") % {"n": MAX_NOTES})
    if len(need) > 500:
        errors.setdefault("need", []).append(_("At most %(n)d characters.") % {"n": 500})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        visit = Visit.objects.create(
            resident=resident,
            area_id=resident.area_id,
            visitor=actor,
            visited_on=visited_on,
            in_home=bool(in_home),
            notes=notes,
            need=need,
        )
        refresh_visit_due([resident.pk])
    resident.refresh_from_db(fields=["next_visit_due", "last_visit_on"])
    return visit


def visit_link_case(*, visit: Visit, case) -> bool:
    """Link ``visit`` to the case filed from its need, once (a conditional update: False when
    someone else filed it first). Casework's service calls this in its transaction."""
    return bool(
        Visit.objects.filter(pk=visit.pk, case__isnull=True).update(
            case=case, updated_at=timezone.now()
        )
    )


def visit_link_demand(*, visit: Visit, demand) -> bool:
    """Link ``visit`` to the party-building demand raised from its need, once (a conditional
    update). Party building's service calls this in its transaction."""
    return bool(
        Visit.objects.filter(pk=visit.pk, demand__isnull=True).update(
            demand=demand, updated_at=timezone.now()
        )
    )


def can_turn_need(actor, visit: Visit, roles: Iterable[str] = KEEPER_ROLES) -> bool:
    """May ``actor`` turn ``visit``'s need into a case or a demand: one of ``roles`` over the
    visit's building (the register's keepers by default). Answered from the cached assignments,
    without a query."""
    return can_change_under(actor, visit.area, roles)


def can_keep(actor, resident: Resident) -> bool:
    """May ``actor`` change ``resident``'s record (a keeper of the register over their building)?
    Answered from the cached assignments, without a query."""
    return can_change_under(actor, resident.area, KEEPER_ROLES)
