"""The change log shared by every app: who changed which record, when, through which interface.

Models opt in with :func:`register` (in their AppConfig.ready). The middleware puts the request in a
context variable; the signal handlers read its user lazily, so that DRF's token authentication,
which runs inside the view, is seen too. Work outside a request (Celery, management commands) is
logged as the "system" interface, or under :func:`change_context` with an explicit actor.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.serializers import serialize
from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from governance import pinyin
from governance.models import ObjectChange

# Tree bookkeeping changes on every insert elsewhere in the tree; it is not a change of the record.
# The pinyin keys follow the name (governance.pinyin): the name's change is the record's.
_IGNORED_FIELDS = {
    "lft",
    "rght",
    "tree_id",
    "level",
    "password",
    "last_login",
    "updated_at",
    pinyin.SEARCH_FIELD,
    pinyin.SORT_FIELD,
}
# Secrets are never written to the log; that one changed (a password set or reset) is.
_SECRET_FIELDS = ("password",)
SECRET_BEFORE, SECRET_CHANGED = "[hidden]", "[changed]"


@dataclass
class ChangeContext:
    request: object | None = None
    user: object | None = None
    interface: str = ObjectChange.Interface.SYSTEM
    request_id: uuid.UUID | None = None

    def actor(self):
        if self.user is not None:
            return self.user
        user = getattr(self.request, "user", None)
        return user if getattr(user, "is_authenticated", False) else None


_context: contextvars.ContextVar[ChangeContext | None] = contextvars.ContextVar(
    "change_context", default=None
)
_registered: dict[type[Model], tuple[str, ...] | None] = {}
# Models whose entries are read by whoever may see the object now (not by the area it had).
_readers: dict[type[Model], Callable[[object], QuerySet]] = {}


def _interface_for(path: str) -> str:
    if path.startswith("/api/"):
        return ObjectChange.Interface.API
    if path.startswith("/admin/"):
        return ObjectChange.Interface.ADMIN
    return ObjectChange.Interface.WEB


class ChangeContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _context.set(
            ChangeContext(
                request=request,
                interface=_interface_for(request.path),
                request_id=uuid.uuid4(),
            )
        )
        try:
            return self.get_response(request)
        finally:
            _context.reset(token)


@contextlib.contextmanager
def change_context(*, user=None, interface: str = ObjectChange.Interface.SYSTEM):
    """Attribute changes made inside the block to ``user`` (for tasks and commands)."""
    token = _context.set(ChangeContext(user=user, interface=interface, request_id=uuid.uuid4()))
    try:
        yield
    finally:
        _context.reset(token)


def register(
    model: type[Model],
    *,
    area_path: str | tuple[str, ...] | None = None,
    readers: Callable[[object], QuerySet] | None = None,
) -> None:
    """Log every save and delete of ``model``.

    ``area_path`` leads to the area it belongs to (several paths: the first that leads to one);
    its entries are read in that area's scope. ``readers(user)`` instead gives the rows whose
    entries ``user`` may read: those they may see now (users, departments). Entries of a model
    with neither are shared configuration, read by every administrator.
    """
    _registered[model] = (area_path,) if isinstance(area_path, str) else area_path
    if readers is not None:
        _readers[model] = readers
    uid = f"changelog:{model._meta.label_lower}"
    pre_save.connect(_capture_before, sender=model, dispatch_uid=f"{uid}:pre_save")
    post_save.connect(_log_save, sender=model, dispatch_uid=f"{uid}:post_save")
    pre_delete.connect(_capture_before_delete, sender=model, dispatch_uid=f"{uid}:pre_delete")
    post_delete.connect(_log_delete, sender=model, dispatch_uid=f"{uid}:post_delete")


def registered_models() -> list[type[Model]]:
    """The models whose changes are logged (for the change log's object-type filter)."""
    return list(_registered)


def readers() -> dict[type[Model], Callable[[object], QuerySet]]:
    """The models whose entries are read by who may see the object now, with that question."""
    return dict(_readers)


def shared_models() -> list[type[Model]]:
    """The models whose entries belong to no area and no reader: shared configuration."""
    return [m for m, paths in _registered.items() if paths is None and m not in _readers]


def many_to_many_names(model: type[Model]) -> list[str]:
    """The many-to-many fields a snapshot of ``model`` holds (those the serializer writes)."""
    return [
        f.name
        for f in model._meta.concrete_model._meta.local_many_to_many
        if f.serialize and f.remote_field.through._meta.auto_created
    ]


def snapshot(instance: Model, *, many_to_many: dict[str, list] | None = None) -> dict:
    """The fields of ``instance`` as the change log keeps them: personal fields (registered
    with governance.privacy) masked, so that the log is no way around the access log.

    ``many_to_many``: the values of its many-to-many fields when the caller knows them, which
    are then not read (a new row has none yet; a save never changes them, so after a save they
    are what they were before it). Without it, each is one query."""
    from governance import privacy

    fields = None
    if many_to_many is not None:
        fields = [f.name for f in instance._meta.concrete_model._meta.local_fields]
    data = json.loads(serialize("json", [instance], fields=fields))[0]["fields"]
    if many_to_many is not None:
        data.update(many_to_many)
    personal = privacy.personal_fields(type(instance))
    return {
        k: privacy.mask_value(personal[k].kind, v or "") if k in personal and v else v
        for k, v in data.items()
        if k not in _IGNORED_FIELDS
    }


def _nothing_logged(update_fields) -> bool:
    """A save of fields the log leaves out only (a login's ``last_login``): nothing to read or
    write. A secret's change is logged (as changed), so a save of it is not one of these."""
    return update_fields is not None and not (
        set(update_fields) - _IGNORED_FIELDS or set(update_fields) & set(_SECRET_FIELDS)
    )


def _capture_before(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance.pk is None or _nothing_logged(update_fields):
        instance._changelog_before = None
        return
    stored = sender._default_manager.filter(pk=instance.pk).first()
    instance._changelog_before = snapshot(stored) if stored is not None else None
    instance._changelog_secrets = _secrets(stored) if stored is not None else {}


def _many_to_many_after(sender, before: dict | None, created: bool) -> dict[str, list] | None:
    """The many-to-many values of a row just saved, without reading them: none for a new row,
    those read before the save for a changed one (a save writes no many-to-many row)."""
    names = many_to_many_names(sender)
    if created:
        return {name: [] for name in names}
    if before is not None and all(name in before for name in names):
        return {name: before[name] for name in names}
    return None


def _secrets(instance: Model) -> dict:
    return {f: getattr(instance, f) for f in _SECRET_FIELDS if hasattr(instance, f)}


def _capture_before_delete(sender, instance, **kwargs):
    instance._changelog_before = snapshot(instance)
    instance._changelog_area_id = _area_id(sender, instance)


def _area_id(sender, instance) -> int | None:
    for path in _registered.get(sender) or ():
        if path == "":
            return instance.pk
        *steps, last = path.split("__")
        target = instance
        for step in steps:
            target = getattr(target, step, None)
            if target is None:
                break
        if target is not None:
            # The last step's id, not its row: no query for a relation not loaded.
            area_id = getattr(target, target._meta.get_field(last).attname, None)
            if area_id is not None:
                return area_id
    return None


def _entry(sender, instance, action, before, after, area_id, ctx: ChangeContext) -> ObjectChange:
    actor = ctx.actor()
    return ObjectChange(
        user=actor,
        user_name=getattr(actor, "username", "") if actor else "",
        request_id=ctx.request_id,
        interface=ctx.interface,
        action=action,
        content_type=ContentType.objects.get_for_model(sender),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        area_id=area_id,
        prechange_data=before,
        postchange_data=after,
    )


def _write(sender, instance, action, before, after, area_id):
    _entry(
        sender, instance, action, before, after, area_id, _context.get() or ChangeContext()
    ).save()


def is_logged(model: type[Model]) -> bool:
    return model in _registered


def log_bulk(model: type[Model], rows: Iterable[tuple[Model, dict | None]]) -> int:
    """The entries of rows of ``model`` written in bulk (``bulk_create`` and ``bulk_update``
    send no signals), one INSERT per thousand: for each ``(instance, before)``, ``before``
    None for a new row, else :func:`snapshot` of the row as it was read, the entry a save
    would have written (none for a changed row whose logged fields are all as before). No
    query per row: a new row has no many-to-many values yet and a changed one keeps those of
    ``before``. Secrets are not compared (no bulk writer changes one). Returns the entries
    written."""
    if not is_logged(model):
        return 0
    ctx = _context.get() or ChangeContext()
    entries = []
    for instance, before in rows:
        created = before is None
        after = snapshot(instance, many_to_many=_many_to_many_after(model, before, created))
        if not created and before == after:
            continue
        action = ObjectChange.Action.CREATE if created else ObjectChange.Action.UPDATE
        entries.append(
            _entry(model, instance, action, before, after, _area_id(model, instance), ctx)
        )
    ObjectChange.objects.bulk_create(entries, batch_size=1000)
    return len(entries)


def _log_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or _nothing_logged(update_fields):
        return
    before = getattr(instance, "_changelog_before", None)
    after = snapshot(instance, many_to_many=_many_to_many_after(sender, before, created))
    if before is not None:
        old = getattr(instance, "_changelog_secrets", {})
        for name, value in _secrets(instance).items():
            if name in old and old[name] != value:
                before[name], after[name] = SECRET_BEFORE, SECRET_CHANGED
    if not created and before == after:
        return
    action = ObjectChange.Action.CREATE if created else ObjectChange.Action.UPDATE
    _write(sender, instance, action, before, after, _area_id(sender, instance))


def _log_delete(sender, instance, **kwargs):
    _write(
        sender,
        instance,
        ObjectChange.Action.DELETE,
        getattr(instance, "_changelog_before", None),
        None,
        getattr(instance, "_changelog_area_id", None),
    )
