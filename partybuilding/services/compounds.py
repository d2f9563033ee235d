"""Writes of the three carriages (a property contract: one company per compound at a time) and
of governance consortia (what they cover lies within their area). Compounds, owners'
committees, their members, property companies and consortium members are saved by the generic
``record_save``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from grids.models import AreaKind
from partybuilding.models import Compound, Consortium, PropertyContract
from partybuilding.services.common import record_save

CONSORTIUM_AREA_KINDS = (AreaKind.GRID, AreaKind.MICRO_GRID)


def contract_save(*, actor, contract: PropertyContract) -> PropertyContract:
    """Create or change a property contract. The compound row is locked while the other
    contracts are read: two contracts of one compound never overlap, so a compound has at most
    one company on any day."""
    with transaction.atomic():
        Compound.objects.select_for_update().get(pk=contract.compound_id)
        overlapping = PropertyContract.objects.filter(
            compound_id=contract.compound_id,
            starts_on__lte=contract.ends_on,
            ends_on__gte=contract.starts_on,
        ).exclude(pk=contract.pk)
        other = overlapping.select_related("company__department").first()
        if other is not None:
            raise ValidationError(
                {
                    "starts_on": _(
                        "The compound is under contract with %(company)s from %(start)s to %(end)s."
                    )
                    % {"company": other.company, "start": other.starts_on, "end": other.ends_on}
                }
            )
        return record_save(actor=actor, obj=contract)


def consortium_save(*, actor, consortium: Consortium, related: dict[str, list]) -> Consortium:
    """Create or change a governance consortium with what it covers, in one transaction: the
    grids and micro-grids, compounds and units it brings together lie within its own area."""
    area = consortium.area
    errors = {}
    if area is not None:
        if any(
            not a.is_within(area) or a.kind not in CONSORTIUM_AREA_KINDS
            for a in related.get("covered_areas", [])
        ):
            errors["covered_areas"] = _("Choose grids and micro-grids within its own area.")
        if any(not c.area.is_within(area) for c in related.get("compounds", [])):
            errors["compounds"] = _("Choose compounds within its own area.")
        if any(not u.area.is_within(area) for u in related.get("units", [])):
            errors["units"] = _("Choose units within its own area.")
    if errors:
        raise ValidationError(errors)
    return record_save(actor=actor, obj=consortium, related=related)
