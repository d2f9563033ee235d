"""Writes of the three carriages: a property contract (one company per compound at a time).
Compounds, owners' committees, their members and property companies are saved by the generic
``record_save``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from partybuilding.models import Compound, PropertyContract
from partybuilding.services.common import record_save


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
