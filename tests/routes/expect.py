"""The expectation table of the route sweep: what every URL pattern answers to whom.

Each app module (``tests/routes/governance.py``, ``grids.py``, ``casework.py``,
``partybuilding.py``, ``admin.py``) holds ``ROUTES``: route name (``namespace:name``; the pattern
text for an unnamed pattern) → :class:`Expectation`. Most entries are one of

    "casework:list": page(sees=ADMIN),            # a page without an object; A's admin sees A's rows
    "casework:detail": detail("case"),            # ``pk`` is street A's case (world.OBJECTS key)
    **viewset("case", "case", actions=("transitions",)),   # a DRF router's list/detail/actions
    **admin_model("casework.case", "case"),      # every route Django admin makes for a model

What the sweep checks, for every route (see test_every_route.py):
- anonymous GET and POST: a login redirect, 401 or 403 (unless ``anonymous=PUBLIC``);
- every role of street A (the object's street) GETs: no 500; ``ok`` roles get a 200 and ``sees``
  roles find street A's marker in the answer (so the list is known not to be empty);
- every role of street B GETs and writes (POST, and PATCH/DELETE on the API): never a 500, never
  street A's marker in the answer; when the URL names a record of street A: 403/404 (405 for a
  method the route does not take; the admin's redirect to its index for "no such object").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from governance.models import Role

ADMIN = (Role.STREET_ADMIN,)
LOGIN = "login"
PUBLIC = "public"


@dataclass(frozen=True)
class Expectation:
    # URL argument → a world.OBJECTS key (the record's pk is used), or a function of the street
    # (world.Side) giving the value.
    kwargs: dict[str, str | Callable[[Any], Any]] = field(default_factory=dict)
    anonymous: str = LOGIN
    anonymous_checked: bool = True
    # Roles of the record's street that must get ``ok_status`` on a GET.
    ok: tuple[str, ...] = ()
    ok_status: tuple[int, ...] = (200,)
    # Roles of the record's street whose GET must show that street's marker.
    sees: tuple[str, ...] = ()
    # The roles tried, in each street (None: every role of world.ROLES, and the no-role user).
    roles: tuple[str, ...] | None = None
    # Write methods tried by the other street's users (a 405 answer skips the method), and the
    # roles that try them (None: the street admin, and the ``ok`` and ``sees`` roles).
    writes: tuple[str, ...] = ("POST",)
    writers: tuple[str, ...] | None = None
    # Known defect, reported when the sweep fails here (not strict: a fix makes it pass).
    xfail: str = ""
    # The answer is a file or image: no marker to look for in it.
    binary: bool = False
    # Statuses of 500 and above that are this route's answer, not a failure (a health check's
    # 503 while a service is down).
    allowed_errors: tuple[int, ...] = ()

    @property
    def names_a_record(self) -> bool:
        return any(isinstance(v, str) for v in self.kwargs.values())


def page(**kwargs) -> Expectation:
    """A URL without a record in it (a list, a form for a new record, a dashboard)."""
    return Expectation(**kwargs)


def detail(obj: str, arg: str = "pk", **kwargs) -> Expectation:
    """A URL naming one record of street A (``obj`` is its world.OBJECTS key)."""
    extra = kwargs.pop("extra", {})
    return Expectation(kwargs={arg: obj, **extra}, **kwargs)


API_WRITES = ("POST", "PATCH", "DELETE")


def viewset(
    basename: str,
    obj: str | None,
    *,
    actions: tuple[str, ...] = (),
    list_actions: tuple[str, ...] = (),
    sees: tuple[str, ...] = ADMIN,
    ok: tuple[str, ...] = ADMIN,
    **kwargs,
) -> dict[str, Expectation]:
    """The routes a DRF router makes for ``basename``: list, detail and extra actions (detail
    actions in ``actions``, collection actions in ``list_actions``)."""
    routes = {f"{basename}-list": page(sees=sees, writes=API_WRITES, **kwargs)}
    if obj is not None:
        routes[f"{basename}-detail"] = detail(obj, ok=ok, writes=API_WRITES, **kwargs)
        for action in actions:
            routes[f"{basename}-{action}"] = detail(obj, writes=API_WRITES, **kwargs)
    for action in list_actions:
        routes[f"{basename}-{action}"] = page(writes=API_WRITES, **kwargs)
    return routes


def admin_model(label: str, obj: str | None, *, sees: bool = True, **kwargs) -> dict:
    """The routes Django admin makes for the model ``app_label.model`` (its street admin is the
    one who tries them). ``obj``: street A's record, or None for a model that belongs to no
    street (its change pages are tried with an id that does not exist)."""
    app, model = label.split(".")
    prefix = f"admin:{app}_{model}"
    kw = {"roles": ADMIN, **kwargs}
    guarded = {"anonymous_checked": False}
    record = {"object_id": obj} if obj else {"object_id": lambda s: 987654}
    ok = ADMIN if obj else ()
    # Only the writes that matter are tried: a change or a deletion of street A's record.
    return {
        f"{prefix}_changelist": page(sees=ADMIN if (obj and sees) else (), writes=(), **kw),
        f"{prefix}_add": page(writes=(), **guarded, **kw),
        f"{prefix}_change": Expectation(kwargs=record, ok=ok, **guarded, **kw),
        f"{prefix}_history": Expectation(kwargs=record, writes=(), **guarded, **kw),
        f"{prefix}_delete": Expectation(kwargs=record, **guarded, **kw),
        # Redirects to the change page, whatever the id: nothing to reach.
        f"admin/{app}/{model}/<path:object_id>/": Expectation(
            kwargs={"object_id": lambda s: 987654}, writes=(), **guarded, **kw
        ),
    }


def known_defect(routes: dict[str, Expectation], reason: str, *keys: str) -> None:
    """Mark the routes ``keys`` of ``routes`` as failing for ``reason`` (xfail, not strict)."""
    for key in keys:
        routes[key] = replace(routes[key], xfail=reason)


def suggestion(key: str, pattern: str, module: str) -> str:
    """What to add for a route the table does not know yet."""
    args = _pattern_args(pattern)
    if key.startswith("admin:") or pattern.startswith("admin/"):
        return (
            f"route {key!r} ({pattern}) has no expectation: add the model to "
            f'tests/routes/admin.py, e.g. **admin_model("app_label.model", "<world key>"),'
        )
    if "pk" in args:
        entry = f'{key!r}: detail("<world key>"),'
    elif args:
        spec = ", ".join(f'"{a}": "<world key>"' for a in args)
        entry = f"{key!r}: Expectation(kwargs={{{spec}}}),"
    else:
        entry = f"{key!r}: page(),"
    return (
        f"route {key!r} ({pattern}) has no expectation: add to tests/routes/{module}.py ROUTES: "
        f"{entry}  (a new model: a make_<key> hook in tests/routes/world.py OBJECTS)"
    )


def _pattern_args(pattern: str) -> list[str]:
    import re

    names = re.findall(r"<(?:\w+:)?(\w+)>", pattern) + re.findall(r"\(\?P<(\w+)>", pattern)
    return [n for n in names if n != "format"]
