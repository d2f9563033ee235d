"""Every route for every role: each URL pattern of the site (pages, API, admin), requested
anonymously, by each role of the street that owns the record and by each role of another street.

The routes come from the URL configuration itself; a route without an entry in the expectation
tables (tests/routes/<app>.py) fails ``test_every_route_has_an_expectation`` with the line to add.
The two streets are built once for this module (world.py) inside a transaction that is rolled
back at the end; each route's requests run in a savepoint of their own.
"""

from __future__ import annotations

import io
import re
import zipfile
from functools import wraps

import pytest
from django.core.cache import caches
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from governance import processcache
from governance.models import Role
from governance.scopes import ASSIGNMENTS
from tests.routes import admin, casework, governance, grids, partybuilding
from tests.routes.expect import LOGIN, Expectation, suggestion
from tests.routes.world import ROLES, build_side

TABLES = {
    "governance": governance.ROUTES,
    "grids": grids.ROUTES,
    "casework": casework.ROUTES,
    "partybuilding": partybuilding.ROUTES,
    "admin": admin.ROUTES,
}
APPS = ("governance", "grids", "casework", "partybuilding")


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield name or prefix + str(p.pattern), prefix + str(p.pattern), p.callback


def discover() -> dict[str, tuple[str, str]]:
    """route key → (pattern, table module). A DRF format-suffix twin shares its route's name."""
    found: dict[str, tuple[str, str]] = {}
    for key, pattern, callback in _walk(get_resolver().url_patterns):
        if key in found or pattern.startswith("^media/"):
            continue
        top = (getattr(callback, "__module__", "") or "").split(".")[0]
        module = "admin" if pattern.startswith("admin/") else top if top in APPS else "governance"
        found[key] = (pattern, module)
    return found


ROUTES = discover()
TABLE: dict[str, Expectation] = {}
for _table in TABLES.values():
    TABLE.update(_table)


def test_every_route_has_an_expectation():
    missing = [suggestion(key, *ROUTES[key]) for key in ROUTES if key not in TABLE]
    assert not missing, "\n".join(missing)


def test_every_expectation_names_a_route():
    stale = sorted(key for key in TABLE if key not in ROUTES)
    assert not stale, f"expectations for routes that no longer exist: {stale}"


# -- the two streets ----------------------------------------------------------------------------
class World:
    def __init__(self, tmp):
        self.sides = {"a": build_side("a"), "b": build_side("b")}
        self.sessions: dict[tuple[str, str], Client] = {}
        self.tokens: dict[tuple[str, str], APIClient] = {}
        for key, side in self.sides.items():
            for role, user in side.users.items():
                client = Client()
                client.force_login(user)
                self.sessions[key, role] = client
                api = APIClient()
                api.credentials(HTTP_AUTHORIZATION=f"Token {side.tokens[role]}")
                self.tokens[key, role] = api


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("route-media"))
    media.enable()
    with django_db_blocker.unblock(), transaction.atomic():
        world = World(media)
        processcache.bump_what_waits_for_commit()
        yield world
        transaction.set_rollback(True)
    media.disable()


# -- the process caches across routes -----------------------------------------------------------
# The world is never committed: its writes' process-cache bumps wait for a commit that never
# comes, and while they wait a strict cache (a user's roles and scope, the signed-in user) keeps
# no copy: every request read them afresh, a third of the sweep's time. The world's bumps are
# made at once instead, as its commit would make them (no other process is looking), so that the
# copies are kept from route to route as a server keeps them between requests. A route whose
# requests changed a watched row (a bump) is rolled back with its savepoint: the copies read
# after the change are dropped before the next route.
_bumped = {"any": False}


@pytest.fixture(autouse=True, scope="module")
def _bumps_seen():
    bump, bump_parts = processcache.ProcessCache.bump, processcache.ProcessCache.bump_parts

    def seen(original):
        @wraps(original)
        def wrapper(self, *args):
            _bumped["any"] = True
            return original(self, *args)

        return wrapper

    processcache.ProcessCache.bump = seen(bump)
    processcache.ProcessCache.bump_parts = seen(bump_parts)
    yield
    processcache.ProcessCache.bump, processcache.ProcessCache.bump_parts = bump, bump_parts


@pytest.fixture(autouse=True)
def _fresh_cache():
    """In place of tests/conftest.py's: the default cache (rate limits, session copies) emptied
    before each route; the process caches' copies kept unless the last route changed a row."""
    caches["default"].clear()
    _drop_copies_if_changed()


def _drop_copies_if_changed() -> None:
    if _bumped["any"]:
        processcache.clear_all()
        _bumped["any"] = False


def test_a_route_that_changes_a_watched_row_drops_the_kept_copies(world, db):
    a = world.sides["a"]
    world.sessions["a", Role.STREET_ADMIN].get(reverse("casework:list"))
    assert ASSIGNMENTS._values, "the street admin's roles are kept from route to route"
    assert not _bumped["any"]
    assignment = a.users[Role.STREET_ADMIN].role_assignments.first()
    assignment.save()  # rolled back with this test's savepoint
    assert _bumped["any"]
    _drop_copies_if_changed()
    assert not ASSIGNMENTS._values


# -- one route ----------------------------------------------------------------------------------
def _url(key: str, pattern: str, exp: Expectation, side) -> str:
    kwargs = {}
    for arg, spec in exp.kwargs.items():
        kwargs[arg] = side.objects[spec].pk if isinstance(spec, str) else spec(side)
    if "/" not in key:  # a route name
        return reverse(key, kwargs=kwargs)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), pattern)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m.group(1)]), path)
    return "/" + path.replace("^", "").replace("$", "")


def _text(response) -> str:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if data[:2] == b"PK":  # an .xlsx: its text lives in the zipped XML parts
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            data = b"".join(z.read(n) for n in z.namelist() if n.endswith(".xml"))
    return data.decode("utf-8", "replace")


def _is_login_refusal(response) -> bool:
    if response.status_code in (401, 403):
        return True
    location = response.get("Location", "")
    return response.status_code == 302 and (
        "/accounts/login/" in location or "/admin/login/" in location
    )


def _is_not_found(response) -> bool:
    if response.status_code in (403, 404):
        return True
    # Django admin answers a missing (or hidden) record with a redirect to its index.
    return response.status_code == 302 and response.get("Location", "").rstrip("/").endswith(
        "/admin"
    )


def _request(client, method: str, url: str, api: bool):
    if api:
        return client.generic(method, url, "{}", content_type="application/json")
    return getattr(client, method.lower())(url)


def sweep(key: str, world: World) -> list[str]:
    pattern, _module = ROUTES[key]
    exp = TABLE[key]
    a, b = world.sides["a"], world.sides["b"]
    url = _url(key, pattern, exp, a)
    api = url.startswith("/api/")
    roles = exp.roles if exp.roles is not None else (*ROLES, "volunteer")
    problems: list[str] = []

    def client(side, role):
        return (world.tokens if api else world.sessions)[side, role]

    def failed(response) -> bool:
        code = response.status_code
        return code >= 500 and code not in exp.allowed_errors

    def note(who, method, response, why):
        problems.append(f"{who} {method} {url} → {response.status_code}: {why}")

    # Anonymous (the admin's routes share one guard: its index and lists stand for the rest).
    anonymous = Client()
    for method in ("GET", *exp.writes[:1]) if exp.anonymous_checked else ():
        response = _request(anonymous, method, url, api)
        if failed(response):
            note("anonymous", method, response, "server error")
        elif (
            exp.anonymous == LOGIN
            and not _is_login_refusal(response)
            and response.status_code != 405  # the route does not take this method
        ):
            note("anonymous", method, response, "not refused (expected login/401/403)")
    public = exp.anonymous != LOGIN

    # The record's own street: reads. A page without a record is read by every role (what it
    # shows depends on the role); a record by the roles that must reach it.
    readers = roles if not exp.names_a_record else [r for r in roles if r in (*exp.ok, *exp.sees)]
    for role in readers:
        response = _request(client("a", role), "GET", url, api)
        if failed(response):
            note(f"{role}/A", "GET", response, "server error")
            continue
        if role in exp.ok and response.status_code not in exp.ok_status:
            note(f"{role}/A", "GET", response, f"expected {exp.ok_status}")
        if not (exp.binary or public):
            text = _text(response)
            if role in exp.sees and a.marker not in text:
                note(f"{role}/A", "GET", response, "its own street's rows are missing")
            if b.marker in text:
                note(f"{role}/A", "GET", response, f"shows street B's {b.marker}")

    # The other street: reads and writes.
    writers = exp.writers if exp.writers is not None else (Role.STREET_ADMIN, *exp.ok, *exp.sees)
    for method in ("GET", *exp.writes):
        for role in roles if method == "GET" else [r for r in roles if r in writers]:
            response = _request(client("b", role), method, url, api)
            code = response.status_code
            if failed(response):
                note(f"{role}/B", method, response, "server error")
                continue
            if code == 405:
                break  # the route does not take this method
            if public:
                continue
            if exp.names_a_record and not _is_not_found(response):
                note(f"{role}/B", method, response, "street A's record reached (want 403/404)")
            if not exp.binary and a.marker in _text(response):
                note(f"{role}/B", method, response, f"shows street A's {a.marker}")
    return problems


def _params():
    for key in sorted(ROUTES):
        exp = TABLE.get(key)
        marks = [pytest.mark.xfail(reason=exp.xfail, strict=False)] if exp and exp.xfail else []
        yield pytest.param(key, marks=marks, id=key)


@pytest.mark.parametrize("key", list(_params()))
def test_route(key, world, db):
    if key not in TABLE:
        pytest.fail(suggestion(key, *ROUTES[key]), pytrace=False)
    problems = sweep(key, world)
    assert not problems, "\n".join(problems)


def test_a_missing_route_says_what_to_add():
    message = suggestion("casework:new-thing", "cases/<int:pk>/new-thing/", "casework")
    assert "tests/routes/casework.py" in message
    assert "'casework:new-thing': detail(\"<world key>\")," in message
    page_message = suggestion("casework:board", "cases/board/", "casework")
    assert "'casework:board': page()," in page_message
