"""Units' points: crediting a year's events to the ledger of the street's co-construction
units, along the street's scheme."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from grids.models import Area
from partybuilding.models import (
    CoConstructionUnit,
    DualReportService,
    MeetingAttendee,
    MeetingStatus,
    MicroWish,
    Project,
    ProjectStatus,
    ReportKind,
    Resource,
    UnitPointEntry,
    UnitPointItem,
    UnitPointRule,
    WishStatus,
)
from partybuilding.permissions import ensure_may_change_in

Event = tuple[int, str, str]  # unit id, source key, reason


def _events(item: str, units, year: int) -> list[Event]:
    """The events of ``item`` in ``year`` that earn points for one of ``units``."""
    if item == UnitPointItem.SERVICE:
        rows = DualReportService.objects.filter(
            report__unit__in=units, served_on__year=year
        ).values_list("pk", "report__unit_id", "description")
        return [(u, f"service:{pk}", _("Service: %(what)s") % {"what": d}) for pk, u, d in rows]
    if item == UnitPointItem.MEMBERS:
        rows = DualReportService.objects.filter(
            report__kind=ReportKind.PERSONAL,
            report__member__employer__in=units,
            served_on__year=year,
        ).values_list("pk", "report__member__employer_id", "report__member__name", "description")
        return [
            (u, f"member-service:{pk}", _("%(member)s: %(what)s") % {"member": m, "what": d})
            for pk, u, m, d in rows
        ]
    if item == UnitPointItem.PROJECT:
        rows = Project.objects.filter(
            units__in=units, year=year, status=ProjectStatus.COMPLETED
        ).values_list("pk", "units", "name")
        return [(u, f"project:{pk}:{u}", _("Project: %(what)s") % {"what": n}) for pk, u, n in rows]
    if item == UnitPointItem.RESOURCE:
        rows = Resource.objects.filter(unit__in=units, created_at__year=year).values_list(
            "pk", "unit_id", "title"
        )
        return [(u, f"resource:{pk}", _("Resource: %(what)s") % {"what": t}) for pk, u, t in rows]
    if item == UnitPointItem.MEETING:
        rows = MeetingAttendee.objects.filter(
            unit__in=units,
            attended=True,
            meeting__status=MeetingStatus.HELD,
            meeting__starts_at__year=year,
        ).values_list("pk", "unit_id", "meeting__title")
        return [(u, f"meeting:{pk}", _("Meeting: %(what)s") % {"what": t}) for pk, u, t in rows]
    if item == UnitPointItem.WISH:
        rows = MicroWish.objects.filter(
            claimed_by_unit__in=units, status=WishStatus.FULFILLED, fulfilled_at__year=year
        ).values_list("pk", "claimed_by_unit_id", "title")
        return [(u, f"wish:{pk}", _("Micro-wish: %(what)s") % {"what": t}) for pk, u, t in rows]
    raise ValueError(item)


def unit_points_settle(*, actor, street: Area, year: int) -> int:
    """Credit the events of ``year`` of the units in ``street`` along the street's scheme.

    Idempotent: an event that has paid is skipped (unique ``source_key``), so settling again
    after more events only adds those. A line's ``yearly_cap`` bounds what a unit earns from
    that item in the year; the event that reaches it earns the rest. The street's scheme rows
    are locked while settling, so two settles of one street run one after the other. Returns
    how many ledger lines were written.
    """
    ensure_may_change_in(actor, street)
    units = CoConstructionUnit.objects.filter(Area.subtree_q(street, prefix="area__"))
    created = 0
    with transaction.atomic():
        rules = list(UnitPointRule.objects.select_for_update().filter(area=street))
        for rule in rules:
            events = _events(rule.item, units, year)
            paid = set(
                UnitPointEntry.objects.filter(
                    source_key__in=[key for _u, key, _r in events]
                ).values_list("source_key", flat=True)
            )
            totals = defaultdict(
                int,
                UnitPointEntry.objects.filter(item=rule.item, year=year, unit__in=units)
                .values("unit")
                .annotate(total=Sum("amount"))
                .values_list("unit", "total"),
            )
            entries = []
            for unit_id, key, reason in sorted(events, key=lambda e: e[1]):
                if key in paid:
                    continue
                amount = rule.points
                if rule.yearly_cap is not None:
                    amount = min(amount, rule.yearly_cap - totals[unit_id])
                if amount <= 0:
                    continue
                totals[unit_id] += amount
                entries.append(
                    UnitPointEntry(
                        unit_id=unit_id,
                        year=year,
                        item=rule.item,
                        amount=amount,
                        reason=reason[:200],
                        source_key=key,
                        created_by=actor,
                    )
                )
            UnitPointEntry.objects.bulk_create(entries)
            created += len(entries)
    return created
