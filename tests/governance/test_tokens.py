"""API tokens: a new key per login, several per user, revoked by their owner (API and page), by an
admin, by a password change or reset, a deactivation and a login lockout; they expire, record
their last use, and only a digest of each key is stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from governance.models import ApiToken
from governance.tokens import LAST_USED_RESOLUTION, token_issue
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

TOKEN = "/api/v1/auth/token/"
TOKENS = "/api/v1/auth/tokens/"
ME = "/api/v1/me/"
PASSWORD = "pass-word-123"


def login(username: str, password: str = PASSWORD, **extra):
    return APIClient().post(TOKEN, {"username": username, "password": password, **extra})


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_each_login_returns_a_new_key_and_both_keys_work(cast):
    first = login("dispatcher_a", name="巡查App")
    second = login("dispatcher_a")
    assert first.status_code == second.status_code == 200
    assert first.json()["token"] != second.json()["token"]
    assert first.json()["name"] == "巡查App"
    for response in (first, second):
        assert with_key(response.json()["token"]).get(ME).json()["username"] == "dispatcher_a"
    assert ApiToken.objects.filter(user=cast.dispatcher_a).count() == 2


def test_only_a_digest_of_the_key_is_stored(cast):
    key = login("dispatcher_a").json()["token"]
    token = ApiToken.objects.get(user=cast.dispatcher_a)
    stored = [str(value) for value in ApiToken.objects.filter(pk=token.pk).values().get().values()]
    assert key not in stored
    assert token.prefix == key[:8] and len(token.digest) == 64


def test_a_wrong_password_gets_no_token_and_a_field_message(cast):
    response = login("dispatcher_a", "wrong")
    assert response.status_code == 400
    assert "Unable to log in" in response.json()["fields"]["non_field_errors"][0]
    assert not ApiToken.objects.exists()


def test_delete_revokes_the_key_it_is_sent_with_and_no_other(cast):
    kept, revoked = login("dispatcher_a").json()["token"], login("dispatcher_a").json()["token"]
    assert with_key(revoked).delete(TOKEN).status_code == 204
    assert with_key(revoked).get(ME).status_code == 401
    assert with_key(kept).get(ME).status_code == 200


def test_delete_through_a_session_names_the_way_to_revoke(client, cast):
    client.force_login(cast.dispatcher_a)
    response = client.delete(TOKEN)
    assert response.status_code == 400
    assert "/api/v1/auth/tokens/" in response.json()["fields"]["non_field_errors"][0]


def test_an_owner_lists_and_revokes_their_own_tokens_only(api, cast):
    mine, _ = token_issue(user=cast.dispatcher_a, name="报表脚本")
    theirs, _ = token_issue(user=cast.dispatcher_b, name="别人的")
    client = api(cast.dispatcher_a)
    listed = client.get(TOKENS).json()
    assert "报表脚本" in [t["name"] for t in listed]
    assert "别人的" not in [t["name"] for t in listed]
    assert all(
        set(t) == {"id", "name", "prefix", "created_at", "last_used_at", "expires_at"}
        for t in listed
    )
    assert client.delete(f"{TOKENS}{theirs.pk}/").status_code == 404
    assert client.delete(f"{TOKENS}{mine.pk}/").status_code == 204
    assert not ApiToken.objects.filter(pk=mine.pk).exists()
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_the_last_use_is_recorded_at_most_once_a_minute(cast):
    token, key = token_issue(user=cast.dispatcher_a, name="x")
    assert token.last_used_at is None
    with_key(key).get(ME)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    with_key(key).get(ME)
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - LAST_USED_RESOLUTION)
    with_key(key).get(ME)
    token.refresh_from_db()
    assert token.last_used_at > first


def test_a_token_expires_after_the_configured_days(settings, cast):
    settings.API_TOKEN_TTL_DAYS = 7
    token, key = token_issue(user=cast.dispatcher_a, name="x")
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)
    assert with_key(key).get(ME).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = with_key(key).get(ME)
    assert response.status_code == 401
    assert "expired" in response.json()["message"]


def test_a_new_token_clears_expired_ones_and_the_longest_unused_beyond_the_limit(settings, cast):
    settings.API_TOKEN_MAX_PER_USER = 3
    user = cast.dispatcher_a
    expired, _ = token_issue(user=user, name="过期")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    token_issue(user=user, name="久未使用")
    busy, _ = token_issue(user=user, name="常用")
    ApiToken.objects.filter(pk=busy.pk).update(last_used_at=timezone.now())
    other, _ = token_issue(user=cast.dispatcher_b, name="别人的")
    token_issue(user=user, name="新的")
    assert set(ApiToken.objects.filter(user=user).values_list("name", flat=True)) == {
        "久未使用",
        "常用",
        "新的",
    }
    token_issue(user=user, name="再一个")
    names = set(ApiToken.objects.filter(user=user).values_list("name", flat=True))
    assert names == {"常用", "新的", "再一个"}
    assert ApiToken.objects.filter(pk=other.pk).exists()


def test_with_a_ttl_of_zero_tokens_never_expire(settings, cast):
    settings.API_TOKEN_TTL_DAYS = 0
    token, _ = token_issue(user=cast.dispatcher_a, name="x")
    assert token.expires_at is None


def test_changing_ones_password_revokes_every_token(client, cast):
    _, key = token_issue(user=cast.dispatcher_a, name="x")
    client.force_login(cast.dispatcher_a)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-pass-word-456",
            "new_password2": "a-new-pass-word-456",
        },
    )
    assert response.status_code == 302
    assert with_key(key).get(ME).status_code == 401
    assert not ApiToken.objects.filter(user=cast.dispatcher_a).exists()


def test_an_admin_password_reset_revokes_every_token(client, cast):
    _, key = token_issue(user=cast.dispatcher_a, name="x")
    client.force_login(cast.superuser)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[cast.dispatcher_a.pk]),
        {"password1": "reset-pass-word-789", "password2": "reset-pass-word-789"},
    )
    assert response.status_code == 302
    assert with_key(key).get(ME).status_code == 401


def test_a_login_that_rehashes_the_password_keeps_the_tokens(client, cast, settings):
    """Django rehashes a password at login when its hasher is no longer the preferred one; that
    is no new password."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = cast.dispatcher_a
    type(user).objects.filter(pk=user.pk).update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )
    _, key = token_issue(user=user, name="x")
    assert (
        client.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code
        == 302
    )
    user.refresh_from_db()
    assert user.password.startswith("md5$")
    assert with_key(key).get(ME).status_code == 200


def test_the_password_forms_say_that_tokens_will_be_revoked(client, cast, in_english):
    client.force_login(cast.dispatcher_a)
    page = client.get(reverse("password_change")).content.decode()
    assert "A new password signs out every program that uses one of your API tokens." in page


def test_deactivating_a_user_revokes_every_token(client, cast):
    _, key = token_issue(user=cast.dispatcher_a, name="x")
    cast.dispatcher_a.is_active = False
    cast.dispatcher_a.save()
    assert not ApiToken.objects.filter(user=cast.dispatcher_a).exists()
    cast.dispatcher_a.is_active = True
    cast.dispatcher_a.save()
    assert with_key(key).get(ME).status_code == 401


def test_saving_other_fields_keeps_the_tokens(cast):
    _, key = token_issue(user=cast.dispatcher_a, name="x")
    cast.dispatcher_a.full_name = "王小明"
    cast.dispatcher_a.save()
    cast.dispatcher_a.last_login = timezone.now()
    cast.dispatcher_a.save(update_fields=["last_login"])
    assert with_key(key).get(ME).status_code == 200


def test_an_admin_revokes_a_users_token_in_the_admin(client, cast):
    token, key = token_issue(user=cast.dispatcher_a, name="对接12345")
    client.force_login(cast.superuser)
    listing = client.get(reverse("admin:governance_apitoken_changelist"))
    assert "对接12345" in listing.content.decode()
    response = client.post(
        reverse("admin:governance_apitoken_delete", args=[token.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert with_key(key).get(ME).status_code == 401


def test_a_street_admin_sees_only_the_tokens_of_the_users_they_manage(client, cast):
    from django.contrib.auth.models import Permission

    from tests.factories import grant_admin_site_access

    grant_admin_site_access(cast.admin_a)
    cast.admin_a.user_permissions.add(
        *Permission.objects.filter(codename__in=("view_apitoken", "delete_apitoken"))
    )
    token_issue(user=cast.dispatcher_a, name="青松的令牌")
    theirs, _ = token_issue(user=cast.dispatcher_b, name="柳荫的令牌")
    client.force_login(cast.admin_a)
    page = client.get(reverse("admin:governance_apitoken_changelist")).content.decode()
    assert "青松的令牌" in page and "柳荫的令牌" not in page
    delete = reverse("admin:governance_apitoken_delete", args=[theirs.pk])
    assert client.post(delete, {"post": "yes"}).status_code in (302, 404)
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_the_admins_token_list_cannot_issue_or_edit_tokens(client, cast):
    token, _ = token_issue(user=cast.dispatcher_a, name="x")
    client.force_login(cast.superuser)
    assert client.get(reverse("admin:governance_apitoken_add")).status_code == 403
    page = client.get(reverse("admin:governance_apitoken_change", args=[token.pk])).content
    assert b'name="name"' not in page


# -- the account page ---------------------------------------------------------------------------
def test_the_header_links_to_my_account(client, cast):
    client.force_login(cast.dispatcher_a)
    page = client.get(reverse("password_change")).content.decode()
    assert f'href="{reverse("account")}"' in page


def test_my_account_lists_my_tokens_with_their_dates_and_a_revoke_button(client, cast):
    used, _ = token_issue(user=cast.dispatcher_a, name="巡查App")
    ApiToken.objects.filter(pk=used.pk).update(last_used_at=timezone.now())
    token_issue(user=cast.dispatcher_b, name="别人的令牌")
    client.force_login(cast.dispatcher_a)
    page = client.get(reverse("account")).content.decode()
    assert "巡查App" in page and "别人的令牌" not in page
    assert used.prefix in page
    assert reverse("account-token-revoke", args=[used.pk]) in page
    assert f'href="{reverse("password_change")}"' in page
    assert page.count("<time") == 3  # created, last used, expires


def test_a_token_issued_on_the_page_is_shown_once(client, cast):
    client.force_login(cast.dispatcher_a)
    response = client.post(reverse("account-token-new"), {"name": "数据大屏"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    token = ApiToken.objects.get(user=cast.dispatcher_a)
    key = response.context["new_key"]
    assert key in response.content.decode()
    assert with_key(key).get(ME).status_code == 200
    assert key not in client.get(reverse("account")).content.decode()
    assert token.name == "数据大屏"


def test_a_token_needs_a_name(client, cast):
    client.force_login(cast.dispatcher_a)
    response = client.post(reverse("account-token-new"), {"name": ""})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_the_page_revokes_my_token_but_not_anothers(client, cast):
    mine, key = token_issue(user=cast.dispatcher_a, name="x")
    theirs, _ = token_issue(user=cast.dispatcher_b, name="y")
    client.force_login(cast.dispatcher_a)
    assert client.post(reverse("account-token-revoke", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("account-token-revoke", args=[mine.pk]), follow=True)
    assert "revoked" in response.content.decode()
    assert with_key(key).get(ME).status_code == 401
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_my_account_needs_a_login(client):
    response = client.get(reverse("account"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# -- tokens of DRF's authtoken carry over ---------------------------------------------------------
def test_the_migration_carries_drf_tokens_over_and_drops_their_table(transactional_db, cast):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("governance.migrations.0011_import_drf_tokens")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, "
            "user_id bigint)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            ["0123456789abcdef0123456789abcdef01234567", timezone.now(), cast.worker_a.pk],
        )
    with connection.schema_editor() as editor:
        migration.import_drf_tokens(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    client = with_key("0123456789abcdef0123456789abcdef01234567")
    assert client.get(ME).json()["username"] == "worker_a"


def test_an_inactive_users_token_is_refused(cast):
    user = UserFactory(username="leaver")
    _, key = token_issue(user=user, name="x")
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert with_key(key).get(ME).status_code == 401
