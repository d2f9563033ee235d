"""A need found on a home visit (走访) that becomes a case: casework's side of the grids app's
resident register (dependencies point casework → grids). The visit and its case are written in
one transaction and linked both ways (``Visit.case`` / ``Case.visit``)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from casework.models import Case, Category, Source
from casework.services import case_report
from governance.scopes import can_view
from grids import resident_services
from grids.models import Resident, Visit

TITLE_LENGTH = 100


def visit_report(
    *,
    actor,
    resident: Resident,
    in_home: bool = True,
    notes: str = "",
    need: str = "",
    visited_on: dt.date | None = None,
    category: Category | None = None,
    title: str = "",
    priority: str | None = None,
) -> tuple[Visit, Case | None]:
    """Record a visit of ``resident`` and, with a ``category``, file its need as a case at once:
    both or neither are written."""
    if category is not None and not (need or "").strip():
        raise ValidationError({"need": _("Say what the resident needs, to file it as a case.")})
    with transaction.atomic():
        visit = resident_services.visit_record(
            actor=actor,
            resident=resident,
            in_home=in_home,
            notes=notes,
            need=need,
            visited_on=visited_on,
        )
        case = None
        if category is not None:
            case = visit_file_case(
                actor=actor, visit=visit, category=category, title=title, priority=priority
            )
    return visit, case


def visit_file_case(
    *,
    actor,
    visit: Visit,
    category: Category,
    title: str = "",
    priority: str | None = None,
) -> Case:
    """File the need found on ``visit`` as a case in the resident's building and link the two.
    The case carries the need and the building, never the resident's personal data. Only a
    keeper of the register over the visit's building files it (PermissionDenied otherwise).
    Filed once: the visit row is locked and the link is a conditional update; a second attempt
    raises :class:`~grids.resident_services.NeedTaken`."""
    if not can_view(actor, visit) or not resident_services.can_turn_need(actor, visit):
        raise PermissionDenied(_("You may not file this visit."))
    with transaction.atomic():
        locked = (
            Visit.objects.select_for_update(of=("self",)).select_related("area").get(pk=visit.pk)
        )
        if locked.case_id is not None:
            raise resident_services.NeedTaken(
                {"visit": _("This need has been filed as a case already.")}
            )
        if not locked.need:
            raise ValidationError({"need": _("The visit found no need to file.")})
        case = case_report(
            actor=actor,
            title=(title or "").strip() or locked.need[:TITLE_LENGTH],
            category=category,
            area=locked.area,
            source=Source.PATROL,
            description=locked.need,
            priority=priority,
            address=locked.area.name,
            comment=_("Filed from a home visit."),
        )
        if not resident_services.visit_link_case(visit=locked, case=case):
            raise resident_services.NeedTaken(
                {"visit": _("This need has been filed as a case already.")}
            )
    visit.case = case
    return case
