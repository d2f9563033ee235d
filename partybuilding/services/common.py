"""What every write of the party-building app shares: full validation before saving, the
scope check at both ends of a move, and the generic save of a plain record."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from partybuilding.permissions import ensure_may_change_in


def validated_save(obj: Model, *, exclude: list[str] | None = None) -> Model:
    """Validate fully (fields, clean(), constraints) and save; integrity races become
    ValidationErrors so the caller gets a message instead of a 500."""
    obj.full_clean(exclude=exclude)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ValidationError(_("This conflicts with a record saved just now.")) from exc
    return obj


def stored_area(obj: Model, path: str):
    """The area a stored row belonged to before this change (a move must be allowed at both ends)."""
    if obj.pk is None:
        return None
    target = type(obj)._default_manager.select_related(path).get(pk=obj.pk)
    for step in path.split("__"):
        target = getattr(target, step)
    return target


def record_save(*, actor, obj: Model, area_path: str) -> Model:
    """Create or change a plain record (unit, agreement, demand, resource, council, ...).

    The actor must be allowed to change records in the row's area, and, for an existing row,
    in the area it had before.
    """
    previous = stored_area(obj, area_path)
    if previous is not None:
        ensure_may_change_in(actor, previous)
    target = obj
    for step in area_path.split("__"):
        target = getattr(target, step, None)
    ensure_may_change_in(actor, target)
    with transaction.atomic():
        return validated_save(obj)
