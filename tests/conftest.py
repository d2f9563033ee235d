"""Shared fixtures: the standard cast per role, service gates, browser.

Tests marked ``postgres``, ``redis`` or ``browser`` need that service. Without it they skip with
the reason, unless ``REQUIRE_SERVICES=1`` (CI), where a missing service is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection, connections
from django.middleware.csrf import CSRF_SECRET_LENGTH
from django.utils import timezone
from django.utils.crypto import get_random_string
from rest_framework.test import APIClient

from governance import processcache
from governance.env import env_bool
from governance.models import ApiToken
from governance.tokens import token_issue
from tests.factories import PASSWORD, AreaTreeFactory, RoleAssignmentFactory, UserFactory
from tests.flush import use_delete_for_flush, vacuum_grown_tables
from tests.isolation import clear_cache, isolate_worker_cache, keep_clears_to_own_keys
from tests.replay import Replay

REQUIRE_SERVICES = env_bool("REQUIRE_SERVICES", False)
ARTIFACTS = Path(
    os.environ.get(
        "TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "var" / "test-artifacts"
    )
)


def missing(reason: str) -> None:
    """Skip the test for want of ``reason`` (a service, a program) — or, under
    ``REQUIRE_SERVICES=1`` (CI), fail it: nothing a test needs may be missing there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _redis_url() -> str | None:
    for name in ("CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL"):
        value = os.environ.get(name, "")
        if value.startswith("redis://"):
            return value
    return None


def _port_open(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1
        ):
            return True
    except OSError:
        return False


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        missing("this test needs PostgreSQL: set DATABASE_URL=postgres://...")
    if item.get_closest_marker("redis"):
        url = _redis_url()
        if url is None:
            missing("this test needs Redis: set CELERY_BROKER_URL=redis://...")
        elif not _port_open(url):
            missing(f"Redis at {url} does not answer")
    if item.get_closest_marker("browser") and not shutil.which("chromium"):
        missing("this test needs Debian's chromium (apt-get install chromium)")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test databases as pytest-django creates them; on PostgreSQL a transactional test's
    tables are emptied after it by ``DELETE`` (``TRUNCATE`` for a grown table) instead of
    Django's ``TRUNCATE`` of every table, and the dead rows a kept database (``--reuse-db``)
    holds from its last run are vacuumed away (tests/flush.py)."""
    for alias in connections:
        if connections[alias].vendor == "postgresql":
            use_delete_for_flush(type(connections[alias].ops))
            with django_db_blocker.unblock():
                vacuum_grown_tables(connections[alias])


@pytest.fixture(autouse=True)
def _badges_kept_through_the_test(monkeypatch):
    """The menu's badges are drawn afresh once a minute by the clock alone (3 queries). A test
    that counts a page's queries before and after a change can take longer than that on a
    loaded machine, and the refresh then falls on one measured request and not on the other.
    Kept as long as a test, they are drawn at its first request; a change to the rows they
    read still drops them, and a test of the refresh moves the loaded time by ``max_age``."""
    from governance import navigation

    monkeypatch.setattr(navigation.BADGES, "max_age", 3600)


def pytest_configure(config):
    isolate_worker_cache()
    keep_clears_to_own_keys()
    _fast_passwords()
    _static_files_looked_up_when_asked_for()


def _static_files_looked_up_when_asked_for() -> None:
    """WhiteNoise as ``make run`` has it (DEBUG): a static file found when it is asked for. Out
    of DEBUG it lists every static file through the finders whenever its middleware is made,
    and each test client makes the middleware again: 10 ms a client here. Production serves the collected files (``STATIC_MANIFEST=1``), which
    tests/governance/test_static_files.py and the production-stack test check."""
    settings.WHITENOISE_AUTOREFRESH = True


def _fast_passwords() -> None:
    """Passwords hashed by MD5 for the whole run, not by PBKDF2's million rounds (half a second
    each here). Set once, not per test: the users of a module's or a session's fixtures (the
    two streets of tests/routes) are made before any per-test fixture runs. A test of the real
    hasher names it (tests/governance/test_tokens.py)."""
    from django.test.signals import setting_changed

    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PASSWORD_HASHERS = hashers
    setting_changed.send(sender=None, setting="PASSWORD_HASHERS", value=hashers, enter=True)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Tests marked ``slow`` (tens of seconds each: a benchmark at a tiny size, the production
    stack, a dump restored, migrations run back and forth) go first among the transactional
    tests. pytest-django has just put those after the others, and in a parallel run a slow one
    dealt out at the very end kept one worker busy while the other sat idle."""
    transactional = [item for item in items if _transactional(item)]
    if not transactional:
        return
    start = items.index(transactional[0])
    slow = [item for item in transactional if item.get_closest_marker("slow")]
    if not slow:
        return
    moved = set(map(id, slow))
    rest = [item for item in items[start:] if id(item) not in moved]
    items[start:] = slow + rest


def _transactional(item) -> bool:
    """As pytest-django tells them (its order of tests): a real commit, a flush after."""
    marker = item.get_closest_marker("django_db")
    if marker:
        transaction = marker.kwargs.get("transaction", marker.args[0] if marker.args else False)
        if transaction or marker.kwargs.get("reset_sequences"):
            return True
    fixtures = getattr(item, "fixturenames", ())
    return "transactional_db" in fixtures or "live_server" in fixtures


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and other cached state of one test do not reach the next (locmem lives as long
    as the process; a Redis cache as long as the server), nor the process caches of reference
    data (time limits, webhook events)."""
    clear_cache()
    processcache.clear_all()


class _SharedCacheAway:
    """The shared cache as the process caches meet it when Redis does not answer
    (``governance.cache`` turns its errors into misses): nothing is found, nothing is kept."""

    def get(self, key, default=None):
        return default

    def get_many(self, keys):
        return {}

    def add(self, *args, **kwargs):
        return False

    def set(self, *args, **kwargs):
        return None


@pytest.fixture
def shared_cache_away(monkeypatch):
    """The process caches' shared cache away (name it after the fixtures that write rows)."""
    monkeypatch.setattr(processcache, "cache", _SharedCacheAway())


# Queries each request spends on signing the caller in: the session and its user, or the token
# joined with its user. Query budgets of API tests add this to what the endpoint itself costs.
# (Once committed, the user and the token are kept in process caches: a transactional test that
# counts exactly sees only the session's read.)
AUTH_QUERIES = {"session": 2, "token": 1}


@pytest.fixture(params=["session", "token"])
def api(request):
    """``api(user)``: an API client signed in as ``user`` (None: anonymous). Every test that uses
    it runs twice: signed in through a session, as the portal's own pages are (CSRF checked, as
    in a browser), and with an API token, as other programs are. ``api.auth_queries`` is what
    signing in costs per request, in that mode."""
    mode = request.param

    def make(user=None):
        client = APIClient(enforce_csrf_checks=True)
        if user is None:
            return client
        if mode == "session":
            client.force_login(user)
            # A browser sends the CSRF cookie back in a header; so does this client.
            secret = get_random_string(CSRF_SECRET_LENGTH)
            client.cookies[settings.CSRF_COOKIE_NAME] = secret
            client.credentials(HTTP_X_CSRFTOKEN=secret)
        else:
            token, key = token_issue(user=user, name="tests")
            # A token in use, whose last use was just recorded (at most once a minute).
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    make.mode = mode
    make.auth_queries = AUTH_QUERIES[mode]
    return make


TREE = Replay("tree")
CAST = Replay("cast")


@pytest.fixture
def tree(db):
    """A small street: two communities with grids, micro-grids and buildings (see factories;
    built once per process, its rows written again for each test: tests/replay.py)."""
    return TREE.get(AreaTreeFactory.build_street)


@pytest.fixture
def cast(tree):
    """The standard cast: users in and out of community A's scope, per role."""
    return CAST.get(lambda: Cast(tree), tree)


class Cast:
    def __init__(self, tree):
        self.tree = tree
        a, b = tree.community_a, tree.community_b
        self.superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
        self.street_admin = _with_role("street_admin", tree.street)
        self.admin_a = _with_role("street_admin", a, username="admin_a")
        self.dispatcher_a = _with_role("community_dispatcher", a, username="dispatcher_a")
        self.dispatcher_b = _with_role("community_dispatcher", b, username="dispatcher_b")
        self.worker_a = _with_role("grid_worker", tree.grid_a1, username="worker_a")
        self.viewer_a = _with_role("viewer", a, username="viewer_a")
        self.nobody = UserFactory(username="nobody")


def _with_role(role, area, **kwargs):
    user = UserFactory(**kwargs)
    RoleAssignmentFactory(user=user, role=role, area=area)
    return user


@pytest.fixture(scope="session")
def artifacts_dir():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser(request):
    """Debian's chromium driven by Playwright (the bundled browsers cannot be downloaded here)."""
    executable = shutil.which("chromium")
    if not executable:
        missing("this test needs Debian's chromium (apt-get install chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def session(browser, live_server):
    """``session(user, viewport, **context_options)``: a page in a browser context of its own
    (in Chinese unless ``locale`` says otherwise), signed in as ``user``, its script errors in
    ``page.errors`` (the contexts are closed after the test)."""
    contexts = []

    def open_as(user, viewport, **options):
        options.setdefault("locale", "zh-CN")
        context = browser.new_context(viewport=viewport, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("form:has(input[name=password]) button[type=submit]")
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def in_english(settings):
    """Messages in English (the source language), for tests that assert on their wording;
    the default language is Chinese once the catalogue is compiled."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def settings_lang_zh(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    return settings


__all__ = ["settings"]
