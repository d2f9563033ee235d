"""Writes of co-governance: projects and their timelines, the three lists (a demand matched
with resources) and micro-wishes."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from governance import images
from governance.scopes import visible
from partybuilding.models import (
    STATUS_PROGRESS,
    WISH_STEPS,
    CoConstructionUnit,
    Demand,
    DemandStatus,
    MicroWish,
    PairingAgreement,
    PartyMember,
    Project,
    ProjectStatus,
    ProjectUpdate,
    Resource,
)
from partybuilding.permissions import ensure_may_change_in
from partybuilding.services.common import (
    area_of,
    ensure_state_untouched,
    record_delete,
    status_step,
    stepped_record_save,
    stored_copy,
    validated_save,
)


def agreement_save(
    *, actor, agreement: PairingAgreement, status: str | None = None
) -> PairingAgreement:
    """Create or change a pairing agreement, in one transaction. A new agreement starts in
    ``status`` (a draft, in force, or expired for the record); on a stored one another
    ``status`` is its step (``agreement_set_status``)."""
    return stepped_record_save(
        actor=actor,
        obj=agreement,
        status=status,
        step=lambda target: agreement_set_status(actor=actor, agreement=agreement, status=target),
    )


def agreement_set_status(*, actor, agreement: PairingAgreement, status: str) -> PairingAgreement:
    """Move an agreement along AGREEMENT_STATUS_STEPS (into force, expired, terminated), with
    the row locked while its status is read."""
    return status_step(actor=actor, obj=agreement, status=status)


def project_save(
    *,
    actor,
    project: Project,
    units: list[CoConstructionUnit] | None = None,
    owners: list | None = None,
    resources: list[Resource] | None = None,
) -> Project:
    """Create, change or move a project (and set its units, owners and resources when given).

    The write holds the project tree lock; a project cannot move under itself or a
    sub-project of its own. The progress of the old and the new parent is re-derived.
    Units must be visible to the actor. A new project is proposed; its status and progress
    move on its timeline (``project_set_status``), never here.
    """
    stored = stored_copy(project)
    if stored is not None:
        ensure_may_change_in(actor, area_of(stored))
    ensure_may_change_in(actor, project.area)
    ensure_state_untouched(project, stored)
    if units is not None:
        seen = set(
            visible(
                actor, CoConstructionUnit.objects.filter(pk__in=[u.pk for u in units])
            ).values_list("pk", flat=True)
        )
        if any(u.pk not in seen for u in units):
            raise ValidationError({"units": _("Choose units of your area.")})
    with transaction.atomic():
        Project.lock_tree()
        old_parent_id = None
        if stored is not None:
            # Tree fields read before the lock may be stale.
            stored = Project.objects.get(pk=project.pk)
            old_parent_id = stored.parent_id
            moved = project.parent_id and project.parent_id != old_parent_id
            if (
                moved
                and Project.objects.filter(Project.subtree_q(stored), pk=project.parent_id).exists()
            ):
                raise ValidationError(
                    {"parent": _("A project cannot be placed under its own sub-project.")}
                )
        project.full_clean(validate_constraints=False)
        project.save()
        if units is not None:
            project.units.set(units)
        if owners is not None:
            project.owners.set(owners)
        if resources is not None:
            project.resources.set(resources)
        if project.parent_id:
            project_rollup(project=project.parent)
        if old_parent_id and old_parent_id != project.parent_id:
            project_rollup(project=Project.objects.get(pk=old_parent_id))
    return project


def project_set_status(
    *,
    actor,
    project: Project,
    status: str,
    text: str,
    progress: int | None = None,
    happened_on: dt.date | None = None,
) -> Project:
    """Set a leaf project's status (and progress: the status default unless given), add a
    timeline entry and re-derive the progress of every ancestor, all in one transaction with
    the project and its ancestors locked (children finishing at once never lose an update)."""
    ensure_may_change_in(actor, project.area)
    if status not in ProjectStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if not text.strip():
        raise ValidationError({"text": _("Say what happened.")})
    with transaction.atomic():
        # Tree fields of an instance loaded earlier may be stale (siblings inserted since).
        stored = Project.objects.get(pk=project.pk)
        chain = list(
            Project.objects.select_for_update()
            .filter(Project.ancestors_q(stored, include_self=True))
            .order_by(*Project.tree_order())
        )
        project = chain[-1]
        has_children = Project.objects.filter(parent=project).exists()
        if progress is not None and has_children:
            raise ValidationError(
                {"progress": _("A project with sub-projects takes its progress from them.")}
            )
        if progress is None:
            default = STATUS_PROGRESS[status]
            progress = project.progress if default is None or has_children else default
        if not 0 <= progress <= 100:
            raise ValidationError({"progress": _("Progress is between 0 and 100.")})
        project.status = status
        project.progress = progress
        project.save()
        ProjectUpdate.objects.create(
            project=project,
            happened_on=happened_on or timezone.localdate(),
            text=text.strip()[:300],
            status=status,
            progress=project.progress,
            author=actor,
        )
        if project.parent_id:
            project_rollup(project=project.parent)
    return project


def project_delete(*, actor, project: Project) -> None:
    """Delete a project without sub-projects; its parent's progress is re-derived without it."""
    parent_id = project.parent_id
    with transaction.atomic():
        record_delete(actor=actor, obj=project)
        if parent_id:
            project_rollup(project=Project.objects.get(pk=parent_id))


def project_rollup(*, project: Project) -> None:
    """Re-derive the progress of ``project`` and of every ancestor from their children:
    weighted by ``weight`` when every child has one, else the plain average."""
    node = Project.objects.get(pk=project.pk)
    while node is not None:
        children = list(Project.objects.filter(parent=node).values_list("progress", "weight"))
        if children:
            if all(w is not None for _, w in children):
                total = sum(w for _, w in children)
                value = sum(Decimal(p) * w for p, w in children) / total
            else:
                value = Decimal(sum(p for p, _ in children)) / len(children)
            progress = int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
            if progress != node.progress:
                Project.objects.filter(pk=node.pk).update(progress=progress)
        node = Project.objects.filter(pk=node.parent_id).first() if node.parent_id else None


def project_publish_result(*, actor, project: Project, result: str) -> Project:
    """Publish the result residents read on the project's public page."""
    ensure_may_change_in(actor, project.area)
    if not result.strip():
        raise ValidationError({"result": _("Write the result residents will read.")})
    project.result = result.strip()
    project.is_public = True
    with transaction.atomic():
        project.save()
    return project


def demand_match(
    *, actor, demand: Demand, resources: list[Resource], name: str, year: int | None = None
) -> Project:
    """Turn a demand into a project with the chosen resources (项目清单); the demand is marked
    matched. Resources must be available and inside the actor's scope."""
    ensure_may_change_in(actor, demand.area)
    if not demand.is_open:
        raise ValidationError(_("This demand is not open any more."))
    if not resources:
        raise ValidationError({"resources": _("Choose at least one resource.")})
    if any(not r.is_available for r in resources):
        raise ValidationError({"resources": _("A chosen resource is no longer available.")})
    with transaction.atomic():
        if not Demand.objects.filter(pk=demand.pk, status=DemandStatus.OPEN).update(
            status=DemandStatus.MATCHED
        ):
            raise ValidationError(_("This demand was matched by someone else just now."))
        project = project_save(
            actor=actor,
            project=Project(
                name=name.strip() or demand.title,
                year=year or timezone.localdate().year,
                area=demand.area,
                demand=demand,
                beneficiary_count=demand.beneficiaries,
                description=demand.description,
            ),
            resources=resources,
        )
        units = {r.unit_id for r in resources if r.unit_id}
        if units:
            project.units.set(units)
    return project


def wish_claim(
    *,
    actor,
    wish: MicroWish,
    member: PartyMember | None = None,
    unit: CoConstructionUnit | None = None,
) -> MicroWish:
    """Claim a published wish for one member or one unit.

    The wish row is locked (SELECT ... FOR UPDATE) while its status is checked: of any number
    of simultaneous claims exactly one succeeds; the others wait, then get a clear message.
    """
    if (member is None) == (unit is None):
        raise ValidationError(_("A wish is claimed by one member or one unit."))
    return _wish_step(
        actor=actor,
        wish=wish,
        step="claim",
        refusal=_("This wish has been claimed by someone else already."),
        claimed_by_member=member,
        claimed_by_unit=unit,
        claimed_at=timezone.now(),
    )


def wish_fulfil(*, actor, wish: MicroWish, note: str, photo=None) -> MicroWish:
    """Mark a claimed wish fulfilled, with a note and (usually) a photo."""
    if not note.strip():
        raise ValidationError({"fulfilment_note": _("Say how the wish was fulfilled.")})
    changes = {"fulfilled_at": timezone.now(), "fulfilment_note": note.strip()[:200]}
    if photo:
        # The same cleaning as every photo: decoded, turned upright, re-encoded (EXIF and GPS
        # position dropped), stored under a random name.
        try:
            prepared = images.prepare_photo(photo)
        except ValidationError as exc:
            raise ValidationError({"photo": exc.messages}) from None
        changes["photo"] = ContentFile(prepared.data, name="wish.jpg")
    return _wish_step(
        actor=actor,
        wish=wish,
        step="fulfil",
        refusal=_("Only a claimed wish can be fulfilled."),
        **changes,
    )


def wish_release(*, actor, wish: MicroWish) -> MicroWish:
    """Give a claimed wish back to the wall (the claimant could not fulfil it)."""
    return _wish_step(actor=actor, wish=wish, step="release", **_UNCLAIMED)


def wish_withdraw(*, actor, wish: MicroWish) -> MicroWish:
    """Take a wish off the wall (the resident no longer needs it), claimed or not."""
    return _wish_step(actor=actor, wish=wish, step="withdraw", **_UNCLAIMED)


_UNCLAIMED = {"claimed_by_member": None, "claimed_by_unit": None, "claimed_at": None}


def _wish_step(
    *, actor, wish: MicroWish, step: str, refusal: str | None = None, **changes
) -> MicroWish:
    """Take ``step`` of WISH_STEPS with the row locked while its status is read; a wish in
    another status is refused with ``refusal`` (or the status it has now)."""
    ensure_may_change_in(actor, wish.area)
    sources, target = WISH_STEPS[step]
    with transaction.atomic():
        locked = MicroWish.objects.select_for_update().get(pk=wish.pk)
        if locked.status not in sources:
            raise ValidationError(
                refusal
                or _("This wish is %(status)s; the step is not possible.")
                % {"status": locked.get_status_display()}
            )
        locked.status = target
        for name, value in changes.items():
            setattr(locked, name, value)
        validated_save(locked)
    return locked
