"""Brute force: a login lockout (django-axes) on the portal's login page, the admin's and the API's
token login, with a clear message and an unlock in the admin; rate limits on the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from governance.api.throttling import LoginRateThrottle
from governance.models import ApiToken
from governance.tokens import token_issue

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"
TOKEN = "/api/v1/auth/token/"
GUESSES = 30


@pytest.fixture
def generous_login_rate(monkeypatch):
    """The token login's rate limit out of the way, so that the lockout is what answers."""
    monkeypatch.setattr(
        LoginRateThrottle,
        "THROTTLE_RATES",
        {**LoginRateThrottle.THROTTLE_RATES, "login": "1000/minute"},
    )


def portal_login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def admin_login(client, username, password):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
    )


def token_login(client, username, password):
    return client.post(TOKEN, {"username": username, "password": password})


def guess(login, client, username, times=GUESSES):
    for i in range(times):
        login(client, username, f"wrong-{i}")


@pytest.mark.parametrize("login", [portal_login, admin_login], ids=["portal", "admin"])
def test_thirty_wrong_passwords_lock_the_right_one_out(client, cast, login):
    guess(login, client, "root")
    response = login(client, "root", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("admin:index")).status_code == 302


def test_the_token_login_is_locked_out_too(cast, generous_login_rate, in_english):
    client = APIClient()
    guess(token_login, client, "dispatcher_a")
    response = token_login(client, "dispatcher_a", PASSWORD)
    assert response.status_code == 429
    assert "locked" in response.json()["message"]
    assert not ApiToken.objects.filter(user=cast.dispatcher_a).exists()


def test_the_lockout_comes_after_the_configured_number_of_failures(settings, client, cast):
    settings.AXES_FAILURE_LIMIT = 3
    guess(portal_login, client, "dispatcher_a", times=2)
    assert portal_login(client, "dispatcher_a", PASSWORD).status_code == 302
    client.logout()
    guess(portal_login, client, "dispatcher_a", times=3)
    assert portal_login(client, "dispatcher_a", PASSWORD).status_code == 429


def test_the_login_page_says_in_chinese_why_and_for_how_long(settings_lang_zh, client, cast):
    guess(portal_login, client, "dispatcher_a")
    page = portal_login(client, "dispatcher_a", PASSWORD).content.decode()
    assert "登录失败次数过多" in page
    assert "30 分钟" in page
    assert 'name="username"' in page and 'value="dispatcher_a"' in page


def test_the_admin_login_page_says_why(settings_lang_zh, client, cast):
    guess(admin_login, client, "root")
    page = admin_login(client, "root", PASSWORD).content.decode()
    assert "登录失败次数过多" in page
    assert 'id="login-form"' in page


def test_without_a_cool_off_only_an_administrator_unlocks(settings_lang_zh, settings, client, cast):
    settings.AXES_COOLOFF_TIME = None
    guess(portal_login, client, "dispatcher_a")
    page = portal_login(client, "dispatcher_a", PASSWORD).content.decode()
    assert "该账号已被锁定。请联系管理员解锁" in page and "分钟" not in page


def test_the_lockout_ends_after_the_cool_off(client, cast):
    guess(portal_login, client, "dispatcher_a")
    assert portal_login(client, "dispatcher_a", PASSWORD).status_code == 429
    # 31 minutes later: the failures fall out of the 30-minute window.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))
    assert portal_login(client, "dispatcher_a", PASSWORD).status_code == 302


def test_another_user_from_the_same_address_is_not_locked_out(client, cast):
    guess(portal_login, client, "dispatcher_a")
    assert portal_login(client, "dispatcher_b", PASSWORD).status_code == 302


def test_an_administrator_unlocks_in_the_admin(client, cast):
    guess(portal_login, client, "dispatcher_a")
    attempt = AccessAttempt.objects.get(username="dispatcher_a")
    admin = APIClient()
    admin.force_login(cast.superuser)
    listing = admin.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "dispatcher_a" in listing
    response = admin.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert portal_login(client, "dispatcher_a", PASSWORD).status_code == 302


def test_a_lockout_revokes_the_users_tokens(client, cast):
    _, key = token_issue(user=cast.dispatcher_a, name="x")
    guess(portal_login, client, "dispatcher_a")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").status_code == 401


# -- rate limits ------------------------------------------------------------------------------
def test_the_token_login_is_rate_limited_per_address_with_a_clear_message(cast, in_english):
    client = APIClient()
    for _ in range(10):
        assert token_login(client, "dispatcher_a", PASSWORD).status_code == 200
    response = token_login(client, "dispatcher_a", PASSWORD)
    assert response.status_code == 429
    assert response.json()["message"].startswith("Too many requests: try again in ")
    assert 0 < int(response["Retry-After"]) <= 60


def test_a_signed_in_user_is_rate_limited(api, cast, monkeypatch, in_english):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/minute"},
    )
    client = api(cast.dispatcher_a)
    for _ in range(3):
        assert client.get("/api/v1/me/").status_code == 200
    response = client.get("/api/v1/me/")
    assert response.status_code == 429
    assert "Too many requests" in response.json()["message"]
    # Another user has a budget of their own.
    assert api(cast.dispatcher_b).get("/api/v1/me/").status_code == 200


def test_the_rate_limit_message_is_chinese_for_chinese_callers(cast, settings_lang_zh):
    client = APIClient()
    for _ in range(10):
        token_login(client, "dispatcher_a", PASSWORD)
    assert "请求过于频繁" in token_login(client, "dispatcher_a", PASSWORD).json()["message"]


# -- the client's address behind a proxy --------------------------------------------------------
def test_without_a_proxy_a_forged_forwarded_header_changes_nothing(client, cast):
    for i in range(GUESSES):
        client.post(
            reverse("login"),
            {"username": "dispatcher_a", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
        )
    assert portal_login(client, "dispatcher_a", PASSWORD).status_code == 429


def test_behind_a_proxy_the_address_it_reports_counts(settings, client, cast):
    settings.TRUSTED_PROXY_COUNT = 1

    def login_from(address, password, forged="6.6.6.6"):
        return client.post(
            reverse("login"),
            {"username": "dispatcher_a", "password": password},
            HTTP_X_FORWARDED_FOR=f"{forged}, {address}",
        )

    for i in range(GUESSES):
        # A forged entry to the left of the proxy's does not make each guess a new address.
        login_from("203.0.113.7", "wrong", forged=f"10.0.0.{i}")
    assert login_from("203.0.113.7", PASSWORD).status_code == 429
    assert login_from("198.51.100.4", PASSWORD).status_code == 302


def test_a_forged_forwarded_header_does_not_escape_the_rate_limit(cast):
    client = APIClient()
    for i in range(10):
        response = client.post(
            TOKEN,
            {"username": "dispatcher_a", "password": PASSWORD},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
        )
        assert response.status_code == 200
    response = client.post(
        TOKEN, {"username": "dispatcher_a", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="10.0.1.1"
    )
    assert response.status_code == 429
