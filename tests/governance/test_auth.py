"""The user of a session, kept per process (governance.auth.USERS): read once, and read afresh on
every process as soon as the user is saved — a new password or a deactivation ends the session
at the next request; with the shared cache away the user is read on every request."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from governance import auth
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
