"""Writes to the area tree. Each service checks scope, validates, and runs in one transaction
under the tree lock; the change log records it (see governance.changelog)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from governance.scopes import can_change, can_change_under
from grids.models import Area, GridStaff

AREA_FIELDS = (
    "kind",
    "name",
    "code",
    "boundary",
    "latitude",
    "longitude",
    "households",
    "population",
    "notes",
)


def area_create(*, actor, parent: Area | None, **fields) -> Area:
    """Create an area under ``parent`` (the actor must be able to change ``parent``'s subtree).

    A missing code is the smallest free one under the parent. Raises ValidationError with
    field messages for invalid input; nothing is written then.
    """
    if not can_change_under(actor, parent) and not (parent is None and actor.is_superuser):
        raise PermissionDenied(_("You may not add areas here."))
    with transaction.atomic():
        Area.lock_tree()
        if parent is not None:
            parent.refresh_from_db()
        if not fields.get("code") and parent is not None and fields.get("kind"):
            fields["code"] = parent.next_child_code(fields["kind"])
        area = Area(parent=parent, **{k: v for k, v in fields.items() if k in AREA_FIELDS})
        area.save()
    return area


def area_update(*, actor, area: Area, **fields) -> Area:
    """Change an area's own fields (not its place in the tree: see :func:`area_move`).

    A new code is carried down to every descendant (see ``Area.save``). Raises ValidationError
    with field messages for invalid input; nothing is written then.
    """
    if not can_change(actor, area):
        raise PermissionDenied(_("You may not change this area."))
    with transaction.atomic():
        Area.lock_tree()
        area.refresh_from_db()
        for name, value in fields.items():
            if name in AREA_FIELDS and name != "kind":
                setattr(area, name, value)
        area.save()
    return area


def area_move(*, actor, area: Area, new_parent: Area) -> Area:
    """Move ``area`` with its subtree under ``new_parent`` (see ``Area.move_to``).

    Codes stay consistent: the area takes the smallest free code under its new parent and every
    descendant's code is rewritten with the new prefix, in one transaction under the tree lock.
    A descendant as the new parent is refused (ValidationError on ``parent``). Scopes follow
    automatically (they are ranges of the tree).
    """
    if not (can_change(actor, area) and can_change_under(actor, new_parent)):
        raise PermissionDenied(_("You may not move this area there."))
    area.move_to(new_parent)
    return area


def staff_save(*, actor, staff: GridStaff) -> GridStaff:
    """Create or change a staff post; the actor must be able to change the post's area."""
    if not can_change_under(actor, staff.area):
        raise PermissionDenied(_("You may not change staff of this area."))
    staff.full_clean()
    staff.save()
    return staff


def staff_delete(*, actor, staff: GridStaff) -> None:
    if not can_change_under(actor, staff.area):
        raise PermissionDenied(_("You may not change staff of this area."))
    staff.delete()


def area_delete(*, actor, area: Area) -> None:
    """Delete a leaf area with its staff posts.

    Refused with a ValidationError (nothing deleted) when areas lie below it or when other records
    still point at it (role assignments, cases, ...): those must be moved or removed first.
    """
    if not can_change(actor, area):
        raise PermissionDenied(_("You may not delete this area."))
    with transaction.atomic():
        Area.lock_tree()
        area.refresh_from_db()
        if area.get_descendant_count():
            raise ValidationError(_("This area has areas below it: move or delete them first."))
        try:
            area.delete()
        except (ProtectedError, RestrictedError) as exc:
            blockers = (
                exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
            )
            kinds = sorted({str(obj._meta.verbose_name_plural) for obj in blockers})
            raise ValidationError(
                _("This area is still referred to by %(kinds)s: reassign or remove them first.")
                % {"kinds": ", ".join(kinds)}
            ) from exc
