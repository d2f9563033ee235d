"""Deployment settings: `check --deploy` passes with the production environment the README
documents; HTTPS, HSTS and the proxy header come from the environment; sessions end after a
period without requests; the API schema and docs need a login unless a setting opens them."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.sessions import SEEN_KEY
from tests.clean_env import ROOT, output, run_python

MARKER = "<!-- production-environment"


def readme_environment() -> dict[str, str]:
    """The NAME=value lines of the README's production environment block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text[text.index(MARKER) :], re.S).group(1)
    pairs = [line.split("=", 1) for line in block.splitlines() if re.match(r"^[A-Z_]+=", line)]
    return {name: value for name, value in pairs}


@pytest.fixture
def production(tmp_path) -> dict[str, str]:
    env = readme_environment()
    secret = tmp_path / "secret-key"
    secret.write_text(secrets.token_urlsafe(50))
    env["SECRET_KEY_FILE"] = str(secret)
    return env


def test_the_readme_documents_the_production_environment():
    env = readme_environment()
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER"):
        assert name in env


def test_check_deploy_with_the_readmes_production_settings_gives_no_warning(tmp_path, production):
    result = run_python(
        tmp_path, ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_without_them(tmp_path):
    result = run_python(
        tmp_path,
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        {"SECRET_KEY": secrets.token_urlsafe(50)},
    )
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008"):
        assert warning in result.stderr


def test_https_settings_come_from_the_environment(tmp_path, production):
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE]))"
    )
    result = run_python(tmp_path, ["-c", code], production)
    assert output(result) == [
        True,
        ["HTTP_X_FORWARDED_PROTO", "https"],
        31536000,
        True,
        True,
        True,
        True,
    ]


@pytest.mark.parametrize("header", ["X-Forwarded-Proto", "X-Forwarded-Proto https", ": https"])
def test_a_malformed_proxy_header_stops_the_start(tmp_path, header):
    result = run_python(
        tmp_path,
        ["-c", "import django; django.setup()"],
        {"ALLOW_DEV_SECRET_KEY": "1", "SECURE_PROXY_SSL_HEADER": header},
    )
    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER" in result.stderr


@pytest.mark.parametrize(
    "name, value",
    [
        ("API_THROTTLE_USER", "lots"),
        ("API_THROTTLE_LOGIN", "10/fortnight"),
        ("LOGIN_LOCKOUT_BY", "username+password"),
        ("LOGIN_FAILURE_LIMIT", "five"),
    ],
)
def test_malformed_security_settings_stop_the_start(tmp_path, name, value):
    result = run_python(
        tmp_path,
        ["-c", "import django; django.setup()"],
        {"ALLOW_DEV_SECRET_KEY": "1", name: value},
    )
    assert result.returncode != 0
    assert name in result.stderr


def test_lockout_parameters_read_alternatives_and_combinations(tmp_path):
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps(s.AXES_LOCKOUT_PARAMETERS))"
    )
    env = {"ALLOW_DEV_SECRET_KEY": "1", "LOGIN_LOCKOUT_BY": "username+ip_address, ip_address"}
    result = run_python(tmp_path, ["-c", code], env)
    assert output(result) == [
        ["username", "ip_address"],
        "ip_address",
    ]


# -- idle sessions ------------------------------------------------------------------------------
def test_sessions_end_after_thirty_idle_minutes_by_default(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60


@pytest.fixture
def clock(monkeypatch):
    """``clock.advance(minutes)``: move the time the session store and the portal read."""

    class Clock:
        now = timezone.now()

        def advance(self, minutes: float) -> None:
            self.now += timedelta(minutes=minutes)

    c = Clock()
    monkeypatch.setattr(timezone, "now", lambda: c.now)
    return c


def test_a_session_ends_after_thirty_minutes_without_a_request(client, cast, clock):
    client.force_login(cast.dispatcher_a)
    page = reverse("account")
    assert client.get(page).status_code == 200
    clock.advance(31)
    response = client.get(page)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_every_request_pushes_the_end_of_the_session_back(client, cast, clock):
    client.force_login(cast.dispatcher_a)
    page = reverse("account")
    for _ in range(4):  # two hours of work, a request every 29 minutes
        clock.advance(29)
        assert client.get(page).status_code == 200
    assert client.session[SEEN_KEY] == int(clock.now.timestamp())


def test_the_idle_timeout_is_a_setting(client, cast, clock, settings):
    settings.SESSION_COOKIE_AGE = 5 * 60
    client.force_login(cast.dispatcher_a)
    assert client.get(reverse("account")).status_code == 200
    clock.advance(6)
    assert client.get(reverse("account")).status_code == 302


def test_the_session_is_written_at_most_once_a_minute(client, cast, clock):
    client.force_login(cast.dispatcher_a)
    client.get(reverse("account"))
    seen = client.session[SEEN_KEY]
    clock.advance(0.5)
    client.get(reverse("account"))
    assert client.session[SEEN_KEY] == seen
    clock.advance(1)
    client.get(reverse("account"))
    assert client.session[SEEN_KEY] > seen


# -- API schema and docs ------------------------------------------------------------------------
SCHEMA, DOCS = "/api/v1/schema/", "/api/v1/docs/"


def test_the_schema_and_docs_need_a_login(client):
    assert client.get(SCHEMA).status_code == 401
    response = client.get(DOCS)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert client.get(DOCS, {"script": ""}).status_code == 302


def test_a_signed_in_user_reads_the_schema_and_docs(client, cast):
    client.force_login(cast.worker_a)
    assert client.get(SCHEMA, {"format": "json"}).status_code == 200
    page = client.get(DOCS)
    assert page.status_code == 200
    assert f'src="{DOCS}?script=' in page.content.decode()
    script = client.get(DOCS, {"script": ""})
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_a_setting_makes_the_schema_and_docs_public(client, settings):
    settings.API_DOCS_PUBLIC = True
    assert client.get(SCHEMA, {"format": "json"}).status_code == 200
    assert client.get(DOCS).status_code == 200
    assert client.get(DOCS, {"script": ""}).status_code == 200
