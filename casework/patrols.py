"""Field work that becomes a case: a patrol finding filed as a case, a hidden danger escalated
as one. Casework's side of the grids app's field work (dependencies point casework → grids):
each service files the case through :func:`casework.services.case_report` and links the grids
record to it, in one transaction.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from casework.models import Case, Category, Source
from casework.services import case_report
from governance.scopes import can_view
from grids import danger_services, patrol_services
from grids.models import HiddenDanger, Patrol, PatrolFinding

TITLE_LENGTH = 100


def finding_report(
    *,
    actor,
    patrol: Patrol,
    description: str,
    area=None,
    address: str = "",
    latitude=None,
    longitude=None,
    photo=None,
    category: Category | None = None,
    title: str = "",
    priority: str | None = None,
    now: datetime | None = None,
) -> tuple[PatrolFinding, Case | None]:
    """Record a finding on ``patrol`` and, with a ``category``, file it as a case at once: both
    or neither are written. Returns the finding and its case (None without a category)."""
    with transaction.atomic():
        finding = patrol_services.finding_record(
            actor=actor,
            patrol=patrol,
            description=description,
            area=area,
            address=address,
            latitude=latitude,
            longitude=longitude,
            photo=photo,
            now=now,
        )
        case = None
        if category is not None:
            case = finding_file_case(
                actor=actor, finding=finding, category=category, title=title, priority=priority
            )
    return finding, case


def finding_file_case(
    *,
    actor,
    finding: PatrolFinding,
    category: Category,
    title: str = "",
    priority: str | None = None,
    now: datetime | None = None,
) -> Case:
    """File ``finding`` as a case (source: grid-worker patrol) with its place, position and
    photo, and link the two. A finding is filed once: the finding row is locked and the link is
    a conditional update, so a second attempt (or a race) is refused and files nothing."""
    if not can_view(actor, finding):
        raise PermissionDenied(_("You may not file this finding."))
    with transaction.atomic():
        locked = (
            PatrolFinding.objects.select_for_update(of=("self",))
            .select_related("area")
            .get(pk=finding.pk)
        )
        if locked.case_id is not None:
            raise ValidationError({"finding": _("This finding has been filed as a case already.")})
        photos = [locked.photo] if locked.photo else []
        with _filing(photos) as filed:
            case = case_report(
                actor=actor,
                title=(title or "").strip() or locked.description[:TITLE_LENGTH],
                category=category,
                area=locked.area,
                source=Source.PATROL,
                description=locked.description,
                priority=priority,
                latitude=locked.latitude,
                longitude=locked.longitude,
                address=locked.address or locked.area.name,
                photos=photos,
                comment=_("Filed from a patrol finding."),
                now=now,
            )
            filed.extend(_photo_files(case))
            if not patrol_services.finding_link_case(finding=locked, case=case):
                raise ValidationError(
                    {"finding": _("This finding has been filed as a case already.")}
                )
    finding.case = case
    return case


def danger_escalate(
    *,
    actor,
    danger: HiddenDanger,
    category: Category,
    comment: str,
    title: str = "",
    priority: str | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Escalate ``danger`` as a case: the case is filed (source: grid-worker patrol, with the
    danger's place, position and its photos' first one) and the danger moves to "escalated"
    through the danger's own step service (its table, lock and version check), in one
    transaction: a refused step files no case."""
    if not can_view(actor, danger):
        raise PermissionDenied(_("You may not escalate this hidden danger."))
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Give the reason.")})
    first_photo = danger.events.exclude(photo="").order_by("created_at", "pk").first()
    photos = [first_photo.photo] if first_photo is not None else []
    with transaction.atomic(), _filing(photos) as filed:
        case = case_report(
            actor=actor,
            title=(title or "").strip() or danger.title,
            category=category,
            area=danger.area,
            source=Source.PATROL,
            description=_("Hidden danger (%(kind)s): %(text)s")
            % {"kind": danger.get_category_display(), "text": danger.description or danger.title},
            priority=priority,
            latitude=danger.latitude,
            longitude=danger.longitude,
            address=danger.address or danger.area.name,
            photos=photos,
            comment=comment,
            now=now,
        )
        filed.extend(_photo_files(case))
        danger_services.danger_transition(
            danger=danger,
            actor=actor,
            step="escalate",
            version=version,
            comment=comment,
            case=case,
            now=now,
        )
    return case


@contextmanager
def _filing(photos):
    """Open the record's stored photos for the case filed from it; when the rest of the step is
    refused after the case was filed (its transaction rolls back), remove the photo files that
    filing wrote (their names go into the yielded list), as case_report does for its own
    refusals."""
    filed: list[str] = []
    for photo in photos:
        photo.open("rb")
    try:
        yield filed
    except BaseException:
        for name in filed:
            default_storage.delete(name)
        raise
    finally:
        for photo in photos:
            photo.close()


def _photo_files(case: Case) -> list[str]:
    return [name for pair in case.attachments.values_list("image", "thumbnail") for name in pair]
