"""The user of a session, kept per process (governance.auth.USERS): read once, and read afresh on
every process as soon as the user is saved — a new password or a deactivation ends the session
at the next request, and only that user is read again (a part of the cache per user); with the
shared cache away the user is read on every request."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse

from governance import auth, processcache
from governance.auth import ModelBackend
from governance.processcache import ProcessCache

PAGE = "account"


@pytest.fixture
def signed_in(client, cast):
    client.force_login(cast.dispatcher_a)
    assert client.get(reverse(PAGE)).status_code == 200
    return client


def _user_reads(queries) -> int:
    table = get_user_model()._meta.db_table
    return sum(f'FROM "{table}"' in q["sql"] for q in queries)


@pytest.mark.django_db(transaction=True)
def test_the_user_of_a_session_is_read_once_a_process(signed_in, django_assert_max_num_queries):
    with django_assert_max_num_queries(20) as queries:
        assert signed_in.get(reverse(PAGE)).status_code == 200
    assert _user_reads(queries.captured_queries) == 0


@pytest.mark.django_db(transaction=True)
def test_a_new_password_ends_the_other_sessions_at_their_next_request(signed_in, cast):
    user = get_user_model().objects.get(pk=cast.dispatcher_a.pk)
    user.set_password("Qingsong-2026-other")
    user.save()

    response = signed_in.get(reverse(PAGE))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.django_db(transaction=True)
def test_a_deactivated_user_is_signed_out_at_the_next_request(signed_in, cast):
    user = get_user_model().objects.get(pk=cast.dispatcher_a.pk)
    user.is_active = False
    user.save()

    response = signed_in.get(reverse(PAGE))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.django_db(transaction=True)
def test_another_process_saving_the_user_drops_this_process_copy(signed_in, cast):
    # Another process deactivates the user (no signal reaches this one) and bumps on commit.
    get_user_model().objects.filter(pk=cast.dispatcher_a.pk).update(is_active=False)
    assert signed_in.get(reverse(PAGE)).status_code == 200  # the copy, kept until told
    ProcessCache(auth.USERS.name, strict=True).bump()

    assert signed_in.get(reverse(PAGE)).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_with_the_shared_cache_away_the_user_is_read_every_time(
    signed_in, django_assert_max_num_queries, shared_cache_away
):
    for _ in range(2):
        with django_assert_max_num_queries(30) as queries:
            assert signed_in.get(reverse(PAGE)).status_code == 200
        assert _user_reads(queries.captured_queries) == 1
    assert auth.USERS._values == {}


@pytest.fixture
def other(cast):
    """A second session, of another user (dispatcher_b), its user kept."""
    client = Client()
    client.force_login(cast.dispatcher_b)
    assert client.get(reverse(PAGE)).status_code == 200
    return client


def _reads_of_user(client, django_assert_max_num_queries) -> int:
    with django_assert_max_num_queries(20) as queries:
        assert client.get(reverse(PAGE)).status_code == 200
    return _user_reads(queries.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_a_new_password_of_one_user_leaves_the_others_kept(
    signed_in, other, cast, django_assert_max_num_queries
):
    user = get_user_model().objects.get(pk=cast.dispatcher_a.pk)
    user.set_password("Qingsong-2026-other")
    user.save()

    assert signed_in.get(reverse(PAGE)).status_code == 302  # A's old copy is not served
    assert _reads_of_user(other, django_assert_max_num_queries) == 0  # B's is kept


@pytest.mark.django_db(transaction=True)
def test_a_login_leaves_the_other_users_kept(signed_in, other, cast, django_assert_max_num_queries):
    # A login writes the user's last login: a save of that user, of no one else.
    Client().force_login(cast.dispatcher_a)

    assert _reads_of_user(other, django_assert_max_num_queries) == 0
    assert _reads_of_user(signed_in, django_assert_max_num_queries) == 1  # A's is read again


@pytest.mark.django_db(transaction=True)
def test_another_process_saving_one_user_drops_that_user_only(
    signed_in, other, cast, django_assert_max_num_queries
):
    # Another process deactivates A (no signal reaches this one) and bumps A's part on commit.
    User = get_user_model()
    User.objects.filter(pk=cast.dispatcher_a.pk).update(is_active=False)
    assert signed_in.get(reverse(PAGE)).status_code == 200  # the copy, kept until told
    elsewhere = ProcessCache(auth.USERS.name, strict=True)
    elsewhere.bump_parts(auth.user_parts(User(pk=cast.dispatcher_a.pk)))

    assert signed_in.get(reverse(PAGE)).status_code == 302
    assert _reads_of_user(other, django_assert_max_num_queries) == 0


@pytest.mark.django_db(transaction=True)
def test_users_written_without_signals_are_read_afresh(signed_in, other, cast):
    User = get_user_model()
    for user in (cast.dispatcher_a, cast.dispatcher_b):
        User.objects.filter(pk=user.pk).update(is_active=False)
    processcache.changed(User, rows=[User(pk=cast.dispatcher_a.pk)])
    assert signed_in.get(reverse(PAGE)).status_code == 302
    assert other.get(reverse(PAGE)).status_code == 200  # B's part was not named

    processcache.changed(User)  # without rows: every user
    assert other.get(reverse(PAGE)).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_a_superuser_flag_taken_is_seen_at_the_next_read(cast):
    backend = ModelBackend()
    with processcache.one_read_per_request():
        assert backend.get_user(cast.superuser.pk).is_superuser
        assert backend.get_user(cast.nobody.pk) is not None
    user = get_user_model().objects.get(pk=cast.superuser.pk)
    user.is_superuser = user.is_staff = False
    user.save()

    with processcache.one_read_per_request():
        assert not backend.get_user(cast.superuser.pk).is_superuser


@pytest.mark.django_db(transaction=True)
def test_a_user_saved_in_an_open_transaction_is_not_kept_before_commit(cast):
    backend = ModelBackend()
    backend.get_user(cast.dispatcher_a.pk)
    with transaction.atomic():
        user = get_user_model().objects.get(pk=cast.dispatcher_a.pk)
        user.full_name = "回滚的名字"
        user.save()
        assert backend.get_user(cast.dispatcher_a.pk).full_name == "回滚的名字"
        transaction.set_rollback(True)

    assert backend.get_user(cast.dispatcher_a.pk).full_name != "回滚的名字"
