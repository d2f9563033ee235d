"""A need found on a home visit (走访) that becomes a party-building demand (需求清单): party
building's side of the grids app's register, as casework.visits is for cases (dependencies
point partybuilding → grids). The demand and the visit's link are written in one transaction and
linked both ways (``Visit.demand`` / ``Demand.visit``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from governance.scopes import can_view
from grids import resident_services
from grids.models import Visit
from grids.resident_registry import KEEPER_ROLES
from partybuilding.models import Demand, DemandStatus, ServiceType
from partybuilding.models.cogovernance import DemandSource
from partybuilding.permissions import PARTY_CHANGE_ROLES
from partybuilding.services.common import validated_save

TITLE_LENGTH = 120
# Who turns a visit's need into a demand: the register's keepers (the visitor, the community,
# the street) and the party officers over the resident's building.
RAISE_ROLES = KEEPER_ROLES | PARTY_CHANGE_ROLES


def can_raise_demand(actor, visit: Visit) -> bool:
    """May ``actor`` list ``visit``'s need as a demand (the page, the API and the service ask
    here)."""
    return can_view(actor, visit) and resident_services.can_turn_need(actor, visit, RAISE_ROLES)


def visit_raise_demand(*, actor, visit: Visit, service_type: str, title: str = "") -> Demand:
    """List the need found on ``visit`` as an open demand of the resident's building, sourced
    from the visit, and link the two. The demand carries the need and the building, never the
    resident's personal data. Only the register's keepers and the party officers over the
    visit's building raise it (PermissionDenied otherwise). Raised once: the visit row is locked
    and the link is a conditional update; a second attempt raises
    :class:`~grids.resident_services.NeedTaken`."""
    if not can_raise_demand(actor, visit):
        raise PermissionDenied(_("You may not raise this visit's need as a demand."))
    if service_type not in ServiceType.values:
        raise ValidationError({"service_type": _("Choose what the demand is about.")})
    with transaction.atomic():
        locked = (
            Visit.objects.select_for_update(of=("self",)).select_related("area").get(pk=visit.pk)
        )
        if locked.demand_id is not None:
            raise resident_services.NeedTaken(
                {"visit": _("This need has been listed as a demand already.")}
            )
        if not locked.need:
            raise ValidationError({"need": _("The visit found no need to list.")})
        demand = validated_save(
            Demand(
                title=(title or "").strip()[:TITLE_LENGTH] or locked.need[:TITLE_LENGTH],
                description=locked.need,
                service_type=service_type,
                source=DemandSource.VISIT,
                area=locked.area,
                beneficiaries=1,
                status=DemandStatus.OPEN,
            )
        )
        if not resident_services.visit_link_demand(visit=locked, demand=demand):
            raise resident_services.NeedTaken(
                {"visit": _("This need has been listed as a demand already.")}
            )
    visit.demand = demand
    return demand
