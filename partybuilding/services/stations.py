"""Writes of the deputies' contact station: stations, deputies and reception days (saved by
the generic ``record_save`` with their links checked here), residents' opinions, and the one
step that turns an opinion into a demand, a case or a reply."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.models import Case, Category, Source
from casework.services import case_report
from governance.scopes import visible
from grids.models import Area
from partybuilding.models import (
    ContactStation,
    Demand,
    DemandStatus,
    Deputy,
    Opinion,
    OpinionOutcome,
    Reception,
)
from partybuilding.permissions import ensure_may_change_in
from partybuilding.services.common import record_save, status_step, stepped_record_save
from partybuilding.station_selectors import deputy_accounts_for


def deputy_save(*, actor, deputy: Deputy, stations: list[ContactStation]) -> Deputy:
    """Create or change a deputy with the stations they receive at, in one transaction: each
    station lies within the area the deputy is registered in, or serves it (a street's station
    for a community's deputy). A portal account newly linked is one the actor may choose
    (``station_selectors.deputy_accounts_for``); whoever may change the deputy may unlink it."""
    if deputy.area_id and any(
        not (s.area.is_within(deputy.area) or deputy.area.is_within(s.area)) for s in stations
    ):
        raise ValidationError({"stations": _("Choose stations within or above the deputy's area.")})
    if deputy.user_id is not None:
        stored = (
            Deputy.objects.filter(pk=deputy.pk).values_list("user_id", flat=True).first()
            if deputy.pk is not None
            else None
        )
        if deputy.user_id != stored and not (
            deputy_accounts_for(actor).filter(pk=deputy.user_id).exists()
        ):
            raise ValidationError(
                {"user": _("Choose a portal account within your scope that no deputy uses yet.")}
            )
    return record_save(actor=actor, obj=deputy, related={"stations": stations})


def reception_save(
    *, actor, reception: Reception, deputies: list[Deputy], status: str | None = None
) -> Reception:
    """Create or change a reception day with the deputies receiving (each linked to the
    station), in one transaction. A new one starts in ``status`` (scheduled, or held when it is
    entered afterwards); on a stored one another ``status`` is its step
    (``reception_set_status``)."""
    if not deputies:
        raise ValidationError({"deputies": _("Name at least one deputy receiving.")})
    if reception.station_id:
        linked = set(reception.station.deputies.values_list("pk", flat=True))
        if any(d.pk not in linked for d in deputies):
            raise ValidationError({"deputies": _("Choose deputies linked to this station.")})
    with transaction.atomic():
        saved = stepped_record_save(
            actor=actor,
            obj=reception,
            status=status,
            step=lambda target: reception_set_status(
                actor=actor, reception=reception, status=target
            ),
        )
        reception.deputies.set(deputies)
    return saved


def reception_set_status(*, actor, reception: Reception, status: str) -> Reception:
    """Mark a reception day held or cancelled, or schedule a cancelled one again
    (RECEPTION_STATUS_STEPS), with the row locked while its status is read."""
    return status_step(actor=actor, obj=reception, status=status)


def opinion_record(
    *,
    actor,
    reception: Reception,
    deputy: Deputy,
    area: Area,
    resident_name: str,
    resident_phone: str = "",
    content: str,
) -> Opinion:
    """Record a resident's opinion received at ``reception`` by ``deputy`` (one of its
    deputies, about a place within the station's area). A scheduled reception that takes
    opinions is held: its status moves with the first opinion."""
    if reception.status == Reception.Status.CANCELLED:
        raise ValidationError(_("This reception day was cancelled."))
    opinion = Opinion(
        reception=reception,
        deputy=deputy,
        area=area,
        resident_name=(resident_name or "").strip(),
        resident_phone=(resident_phone or "").strip(),
        content=(content or "").strip(),
    )
    with transaction.atomic():
        record_save(actor=actor, obj=opinion)
        Reception.objects.filter(pk=reception.pk, status=Reception.Status.SCHEDULED).update(
            status=Reception.Status.HELD
        )
    return opinion


def _ensure_may_handle(actor, opinion: Opinion) -> None:
    """Party officers of the place the opinion is about handle it (the station's own staff,
    whose area contains it, too)."""
    if not visible(actor, Opinion.objects.filter(pk=opinion.pk)).exists():
        raise PermissionDenied(_("You may not act on this opinion."))
    ensure_may_change_in(actor, opinion.area)


def _settle(*, actor, opinion: Opinion, outcome: str, make) -> Opinion:
    """Lock the opinion, check it is pending, write what ``make()`` returns (the fields of the
    outcome) with a conditional update, all in one transaction: of two people acting at once
    exactly one turns the opinion, the other is told and nothing of theirs is written."""
    _ensure_may_handle(actor, opinion)
    with transaction.atomic():
        locked = Opinion.objects.select_for_update().get(pk=opinion.pk)
        if not locked.is_pending:
            raise ValidationError(
                _("This opinion has been handled already: %(outcome)s.")
                % {"outcome": locked.get_outcome_display()}
            )
        fields = make(locked)
        changed = Opinion.objects.filter(pk=locked.pk, outcome=OpinionOutcome.PENDING).update(
            outcome=outcome, handled_by=actor, handled_at=timezone.now(), **fields
        )
        if not changed:
            raise ValidationError(_("This opinion has been handled already."))
    opinion.refresh_from_db()
    return opinion


def opinion_to_demand(*, actor, opinion: Opinion, service_type: str, title: str = "") -> Demand:
    """Turn a pending opinion into a demand of the three lists (source: the contact station),
    in one step, linked both ways (``opinion.demand`` / ``demand.station_opinion``)."""

    def make(locked: Opinion) -> dict:
        demand = Demand(
            title=(title.strip() or locked.content.splitlines()[0])[:120],
            description=locked.content,
            service_type=service_type,
            source=Demand.Source.STATION,
            area=locked.area,
            raised_by=str(locked.deputy.name)[:50],
            status=DemandStatus.OPEN,
        )
        record_save(actor=actor, obj=demand)
        return {"demand": demand}

    _settle(actor=actor, opinion=opinion, outcome=OpinionOutcome.DEMAND, make=make)
    return opinion.demand


def opinion_to_case(
    *,
    actor,
    opinion: Opinion,
    category: Category,
    area: Area | None = None,
    address: str = "",
    title: str = "",
) -> Case:
    """Turn a pending opinion into a case (source: the contact station; the resident is its
    reporter), in one step, linked both ways (``opinion.case`` / ``case.station_opinion``).
    Filing follows casework's own rule (``casework.services.case_report``); the place lies
    within the station's area (the opinion's own place by default)."""
    area = area or opinion.area
    if not area.is_within(opinion.reception.station.area):
        raise ValidationError({"area": _("Choose a place within the station's area.")})

    def make(locked: Opinion) -> dict:
        case = case_report(
            actor=actor,
            title=(title.strip() or locked.content.splitlines()[0])[:100],
            category=category,
            area=area,
            source=Source.STATION,
            description=locked.content,
            address=address.strip() or area.name,
            reporter_name=locked.resident_name,
            reporter_phone=locked.resident_phone,
            comment=_("Told to %(deputy)s at %(station)s on %(day)s")
            % {
                "deputy": locked.deputy.name,
                "station": locked.reception.station.name,
                "day": locked.reception.day.isoformat(),
            },
        )
        return {"case": case}

    _settle(actor=actor, opinion=opinion, outcome=OpinionOutcome.CASE, make=make)
    return opinion.case


def opinion_reply(*, actor, opinion: Opinion, reply: str) -> Opinion:
    """Answer a pending opinion directly (an explanation, a policy), in one step."""
    reply = (reply or "").strip()
    if not reply:
        raise ValidationError({"reply": _("Write the answer given to the resident.")})

    def make(locked: Opinion) -> dict:
        try:
            Opinion._meta.get_field("reply").clean(reply, locked)
        except ValidationError as exc:
            raise ValidationError({"reply": exc.messages}) from exc
        return {"reply": reply}

    return _settle(actor=actor, opinion=opinion, outcome=OpinionOutcome.REPLY, make=make)
