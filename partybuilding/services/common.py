"""What every write of the party-building app shares: full validation before saving, the
scope check at both ends of a move, the generic save and delete of a record, and the status
step of a model whose status moves along a table (``SteppedStatus``).

A record's area is reached along its scope rule (registered in apps.py), so that pages, API
and admin check the same area. State fields (a model's ``state_fields``) are never moved by a
generic save: only by their steps.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, ProtectedError
from django.utils.translation import gettext as _

from governance.scopes import rule_for
from partybuilding.models import SteppedStatus
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


def area_of(obj: Model):
    """The area ``obj`` is attached to, along its model's scope rule (None when unset)."""
    target = obj
    for step in rule_for(type(obj)).area_path.split("__"):
        target = getattr(target, step, None)
    return target


def stored_copy(obj: Model) -> Model | None:
    """The row as stored before this change (None for a new one), with its area joined."""
    if obj._state.adding or obj.pk is None:
        return None
    path = rule_for(type(obj)).area_path
    return type(obj)._default_manager.select_related(path).get(pk=obj.pk)


def ensure_state_untouched(obj: Model, stored: Model | None) -> None:
    """Refuse a generic save that moves a state field (the model's ``state_fields``).

    A new record starts where its model lets one start (its ``entry_states()``, else the
    field's default); a stored one keeps its state. Steps change state.
    """
    model = type(obj)
    entries = model.entry_states() if hasattr(model, "entry_states") else {}
    errors = {}
    for name in getattr(model, "state_fields", ()):
        field = obj._meta.get_field(name)
        value = field.get_prep_value(field.value_from_object(obj))
        if stored is not None:
            allowed = {field.get_prep_value(field.value_from_object(stored))}
        elif name in entries:
            allowed = set(entries[name])
        else:
            allowed = {field.get_prep_value(field.get_default())}
        if value not in allowed:
            errors[name] = [_("This changes only through its own step.")]
    if errors:
        raise ValidationError(errors)


def record_save(*, actor, obj: Model, related: dict[str, list] | None = None) -> Model:
    """Create or change a record (unit, agreement, demand, resource, council, ...), and set its
    many-to-many ``related`` rows, in one transaction.

    The actor must be allowed to change records in the row's area, and, for an existing row,
    in the area it had before. State fields keep their state (``ensure_state_untouched``).
    """
    stored = stored_copy(obj)
    if stored is not None:
        ensure_may_change_in(actor, area_of(stored))
    ensure_may_change_in(actor, area_of(obj))
    ensure_state_untouched(obj, stored)
    with transaction.atomic():
        validated_save(obj)
        for name, rows in (related or {}).items():
            getattr(obj, name).set(rows)
    return obj


def stepped_record_save(*, actor, obj: SteppedStatus, status: str | None, step) -> SteppedStatus:
    """Create or change a record whose status moves by steps, in one transaction: a new one
    starts in ``status`` (one its model lets it start in); on a stored one another ``status``
    is taken by ``step(status)``. Returns the record as saved."""
    with transaction.atomic():
        if obj._state.adding and status is not None:
            obj.status = status
        record_save(actor=actor, obj=obj)
        if status is not None and status != obj.status:
            return step(status)
    return obj


def record_delete(*, actor, obj: Model) -> None:
    """Delete a record the actor may change; one still referred to is refused with a message
    (and nothing is deleted)."""
    ensure_may_change_in(actor, area_of(obj))
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError as exc:
        raise ValidationError(
            _("Other records still refer to this one; change or remove them first.")
        ) from exc


def status_step(*, actor, obj: SteppedStatus, status: str) -> SteppedStatus:
    """Move ``obj`` to ``status`` along its model's ``status_steps``.

    The row is locked while its status is read: of two people acting at once exactly one
    moves it, the other is told the status it has now. Returns the stored row.
    """
    model = type(obj)
    ensure_may_change_in(actor, area_of(obj))
    labels = dict(model._meta.get_field("status").choices)
    if status not in labels:
        raise ValidationError({"status": _("Unknown status.")})
    with transaction.atomic():
        locked = model._default_manager.select_for_update().get(pk=obj.pk)
        if status not in locked.next_statuses:
            raise ValidationError(
                {
                    "status": _("From “%(current)s” the status cannot become “%(target)s”.")
                    % {"current": locked.get_status_display(), "target": labels[status]}
                }
            )
        locked.status = status
        validated_save(locked)
    obj.status = status
    return locked
