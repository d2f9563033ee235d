"""Writes of co-governance: projects and their timelines, the three lists (a demand matched
with resources) and micro-wishes."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.scopes import visible
from partybuilding.models import (
    STATUS_PROGRESS,
    CoConstructionUnit,
    Demand,
    MicroWish,
    PartyMember,
    Project,
    ProjectUpdate,
    Resource,
    WishStatus,
)
from partybuilding.models.cogovernance import ProjectStatus
from partybuilding.permissions import ensure_may_change_in
from partybuilding.services.common import stored_area, validated_save


def project_save(
    *,
    actor,
    project: Project,
    units: list[CoConstructionUnit] | None = None,
    owners: list | None = None,
) -> Project:
    """Create, change or move a project (and set its units and owners when given).

    The write holds the project tree lock; a project cannot move under itself or a
    sub-project of its own. The progress of the old and the new parent is re-derived.
    Units must be visible to the actor.
    """
    previous = stored_area(project, "area")
    if previous is not None:
        ensure_may_change_in(actor, previous)
    ensure_may_change_in(actor, project.area)
    if units is not None:
        seen = set(
            visible(
                actor, CoConstructionUnit.objects.filter(pk__in=[u.pk for u in units])
            ).values_list("pk", flat=True)
        )
        if any(u.pk not in seen for u in units):
            raise ValidationError({"units": _("Choose units of your area.")})
    is_new = project.pk is None
    if is_new and project.status in STATUS_PROGRESS and STATUS_PROGRESS[project.status] is not None:
        project.progress = STATUS_PROGRESS[project.status]
    with transaction.atomic():
        Project.lock_tree()
        old_parent_id = None
        if not is_new:
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
            .order_by("lft")
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
    if demand.status != Demand.Status.OPEN:
        raise ValidationError(_("This demand is not open any more."))
    if not resources:
        raise ValidationError({"resources": _("Choose at least one resource.")})
    if any(not r.is_available for r in resources):
        raise ValidationError({"resources": _("A chosen resource is no longer available.")})
    with transaction.atomic():
        if not Demand.objects.filter(pk=demand.pk, status=Demand.Status.OPEN).update(
            status=Demand.Status.MATCHED
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
        )
        project.resources.set(resources)
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
    ensure_may_change_in(actor, wish.area)
    if (member is None) == (unit is None):
        raise ValidationError(_("A wish is claimed by one member or one unit."))
    with transaction.atomic():
        locked = MicroWish.objects.select_for_update().get(pk=wish.pk)
        if locked.status != WishStatus.PUBLISHED:
            raise ValidationError(_("This wish has been claimed by someone else already."))
        locked.status = WishStatus.CLAIMED
        locked.claimed_by_member = member
        locked.claimed_by_unit = unit
        locked.claimed_at = timezone.now()
        validated_save(locked)
    return locked


def wish_fulfil(*, actor, wish: MicroWish, note: str, photo=None) -> MicroWish:
    """Mark a claimed wish fulfilled, with a note and (usually) a photo."""
    ensure_may_change_in(actor, wish.area)
    if not note.strip():
        raise ValidationError({"fulfilment_note": _("Say how the wish was fulfilled.")})
    with transaction.atomic():
        locked = MicroWish.objects.select_for_update().get(pk=wish.pk)
        if locked.status != WishStatus.CLAIMED:
            raise ValidationError(_("Only a claimed wish can be fulfilled."))
        locked.status = WishStatus.FULFILLED
        locked.fulfilled_at = timezone.now()
        locked.fulfilment_note = note.strip()[:200]
        if photo:
            locked.photo = photo
        validated_save(locked)
    return locked


def wish_release(*, actor, wish: MicroWish) -> MicroWish:
    """Give a claimed wish back to the wall (the claimant could not fulfil it)."""
    return _wish_step(actor=actor, wish=wish, sources={WishStatus.CLAIMED}, target="published")


def wish_withdraw(*, actor, wish: MicroWish) -> MicroWish:
    return _wish_step(
        actor=actor,
        wish=wish,
        sources={WishStatus.PUBLISHED, WishStatus.CLAIMED},
        target=WishStatus.WITHDRAWN,
    )


def _wish_step(*, actor, wish: MicroWish, sources: set, target: str) -> MicroWish:
    ensure_may_change_in(actor, wish.area)
    with transaction.atomic():
        locked = MicroWish.objects.select_for_update().get(pk=wish.pk)
        if locked.status not in sources:
            raise ValidationError(
                _("This wish is %(status)s; the step is not possible.")
                % {"status": locked.get_status_display()}
            )
        locked.status = target
        locked.claimed_by_member = locked.claimed_by_unit = None
        locked.claimed_at = None
        validated_save(locked)
    return locked
