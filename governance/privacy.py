"""Personal data (PIPL): which fields are personal, who may read them in full, and the access log.

One rule for every app. A model declares its personal fields with :func:`register` (in its
AppConfig.ready), naming the roles that may read each field in full inside their scope. Then:

- lists, exports and API responses show :func:`masked` values (138****1234) to everyone;
- reading one value in full is a deliberate act: :func:`reveal` checks the role and the scope,
  requires a reason and writes one :class:`~governance.models.PersonalDataAccess` row;
- a search matches the field only by the whole value exactly (:func:`search_q`), for every role
  (those who may reveal it too: a substring search would read the hidden digits without a trace
  in the log), so that a masked number cannot be recovered digit by digit; sorting on a personal
  field is refused (:func:`sortable`) except for superusers, because the order alone leaks the
  hidden digits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Model, Q
from django.utils.translation import gettext as _

from governance.models import PersonalDataAccess
from governance.scopes import rule_for, scope_of

Kind = PersonalDataAccess.FieldKind
Interface = PersonalDataAccess.Interface
MAX_REASON = 200


def mask_phone(value: str) -> str:
    """138****1234: enough to recognise a number, not enough to call it."""
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"


def mask_id_number(value: str) -> str:
    """1101**********1234: the region and the last four digits only."""
    if len(value) < 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def mask_address(value: str) -> str:
    """The first part of an address (the compound), never the door."""
    keep = min(len(value) // 2, 8)
    return value[:keep] + "*" * (len(value) - keep)


def mask_name(value: str) -> str:
    """张** : the family name only."""
    return value[:1] + "*" * (len(value) - 1) if value else value


_MASKERS = {
    Kind.PHONE: mask_phone,
    Kind.ID_NUMBER: mask_id_number,
    Kind.ADDRESS: mask_address,
    Kind.NAME: mask_name,
}


@dataclass(frozen=True)
class PersonalField:
    name: str
    kind: str
    # Roles that may read the field in full, for rows inside the scope of such an assignment.
    readers: frozenset[str]


_registry: dict[type[Model], dict[str, PersonalField]] = {}


def register(model: type[Model], *fields: PersonalField) -> None:
    """Declare personal fields of ``model`` (its scope rule says how rows reach their area)."""
    _registry.setdefault(model, {}).update({f.name: f for f in fields})


def personal_fields(model: type[Model]) -> dict[str, PersonalField]:
    return _registry.get(model, {})


def is_personal(model: type[Model], name: str) -> bool:
    return name in personal_fields(model)


def _field(model: type[Model], name: str) -> PersonalField:
    try:
        return _registry[model][name]
    except KeyError:
        raise LookupError(
            f"{model._meta.label}.{name} is not a registered personal field"
        ) from None


def masked(obj: Model, name: str) -> str:
    """The value of ``obj.name`` as lists, exports and API responses show it."""
    spec = _field(type(obj), name)
    value = getattr(obj, name) or ""
    return _MASKERS[spec.kind](str(value))


def mask_value(kind: str, value: str) -> str:
    return _MASKERS[kind](value or "")


def readable_q(user, model: type[Model], name: str) -> Q:
    """Rows of ``model`` whose ``name`` the user may reveal (a filter, for lists and searches)."""
    spec = _field(model, name)
    scope = scope_of(user)
    if scope.is_superuser:
        return Q()
    return scope.q(model, spec.readers)


def may_reveal(user, obj: Model, name: str) -> bool:
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    model = type(obj)
    if not scope.has_role(*_field(model, name).readers):
        return False
    return model._default_manager.filter(readable_q(user, model, name), pk=obj.pk).exists()


def may_reveal_any(user, model: type[Model], name: str) -> bool:
    """Whether the user may reveal the field on some row (to show or hide the button)."""
    scope = scope_of(user)
    return scope.is_superuser or scope.has_role(*_field(model, name).readers)


def reveal(
    *,
    user,
    obj: Model,
    name: str,
    reason: str,
    interface: str,
) -> str:
    """The full value of ``obj.name`` for ``user``, logged.

    Raises PermissionDenied when the user's roles and scope do not cover the row, and
    ValidationError (on ``reason``) without a reason. Writes exactly one access-log row.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you need the full value.")})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("At most %(n)d characters.") % {"n": MAX_REASON}})
    if not may_reveal(user, obj, name):
        raise PermissionDenied(_("You may not read this personal data."))
    spec = _field(type(obj), name)
    log_access(
        user=user, objects=[obj], field=name, kind=spec.kind, reason=reason, interface=interface
    )
    return str(getattr(obj, name) or "")


def log_access(
    *,
    user,
    objects: Iterable[Model],
    field: str,
    kind: str,
    reason: str,
    interface: str,
) -> int:
    """Write one access-log row per object (for full reads outside :func:`reveal`, such as an
    authorised unmasked export). Returns the number of rows written."""
    objects = list(objects)
    if not objects:
        return 0
    model = type(objects[0])
    content_type = ContentType.objects.get_for_model(model)
    rows = [
        PersonalDataAccess(
            user=user,
            user_name=getattr(user, "username", "")[:150],
            content_type=content_type,
            object_id=str(obj.pk),
            object_repr=_subject_label(obj),
            field=field,
            field_kind=kind,
            interface=interface,
            reason=reason[:MAX_REASON],
            area_id=_area_id(obj),
        )
        for obj in objects
    ]
    PersonalDataAccess.objects.bulk_create(rows)
    return len(rows)


def search_q(user, model: type[Model], name: str, term: str) -> Q:
    """Match ``term`` against a personal field without leaking it: the whole value exactly (a
    superuser, who answers for the whole install, by substring)."""
    _field(model, name)
    term = (term or "").strip()
    if not term:
        return Q(pk__in=[])
    if scope_of(user).is_superuser:
        return Q(**{f"{name}__icontains": term})
    return Q(**{name: term})


def sortable(user, model: type[Model], name: str) -> bool:
    """Whether ``user`` may order rows of ``model`` by ``name`` (a personal field is not
    sortable: the order alone tells the hidden digits)."""
    if not is_personal(model, name.lstrip("-")):
        return True
    return scope_of(user).is_superuser


def _subject_label(obj: Model) -> str:
    """Who the record is about, without the personal value itself."""
    return str(obj)[:200]


def _area_id(obj: Model) -> int | None:
    try:
        path = rule_for(type(obj)).area_path
    except LookupError:
        return None
    if path is None:
        return None
    if path == "":
        return obj.pk
    target = obj
    for step in path.split("__"):
        target = getattr(target, step, None)
        if target is None:
            return None
    return target.pk if isinstance(target, models.Model) else None
