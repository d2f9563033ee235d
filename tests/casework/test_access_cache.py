"""What decides access, kept per process (issue 15: filing at rate): each user's role assignments
(governance.scopes.ASSIGNMENTS), the API tokens with their users (governance.tokens.TOKENS) and
the areas cases are filed on (casework.selectors.AREAS). A change is seen at once by every
process, and nothing uncertain is ever kept — a change not yet committed, or a version that
cannot be read."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casework import selectors
from governance import auth, processcache, scopes, tokens
from governance.models import Role, RoleAssignment, User
from governance.processcache import ProcessCache
from governance.scopes import UserScope, can_view_area
from grids.models import Area

pytestmark = pytest.mark.usefixtures("in_english")


def _body(tree, categories) -> dict:
    return {
        "title": "井盖缺失",
        "category": categories.garbage.pk,
        "area": tree.building_a1.pk,
        "source": "patrol",
        "address": "1号楼北侧",
    }


def _roles(user) -> set[str]:
    return UserScope(user).roles()


def _sees(user, area) -> bool:
    """As a new request would answer (the scope is kept on the user object for one request)."""
    return can_view_area(User.objects.get(pk=user.pk), area)


@pytest.mark.django_db(transaction=True)
def test_a_revoked_role_stops_at_once_on_every_process(api, tree, categories, crew):
    client = api(crew.worker_a)
    assert client.post("/api/v1/cases/", _body(tree, categories), format="json").status_code == 201
    # Another process of the portal: its own copy, the same version in the shared cache.
    other = ProcessCache(scopes.ASSIGNMENTS.name, strict=True)

    def load():
        return list(RoleAssignment.objects.filter(user=crew.worker_a))

    assert [a.role for a in other.get(crew.worker_a.pk, load)] == [Role.GRID_WORKER]
    assert _roles(crew.worker_a) == {Role.GRID_WORKER}  # this process's copy, kept

    with transaction.atomic():
        RoleAssignment.objects.filter(user=crew.worker_a).delete()

    assert other.get(crew.worker_a.pk, load) == []
    assert _roles(crew.worker_a) == set()
    response = client.post("/api/v1/cases/", _body(tree, categories), format="json")
    assert response.status_code in (400, 403), response.content


@pytest.mark.django_db(transaction=True)
def test_a_role_given_is_seen_by_the_next_request(tree, crew):
    assert not _sees(crew.worker_a, tree.building_b1)
    RoleAssignment.objects.create(user=crew.worker_a, role=Role.GRID_WORKER, area=tree.grid_b1)

    assert _sees(crew.worker_a, tree.building_b1)


@pytest.mark.django_db(transaction=True)
def test_another_process_bumping_the_version_drops_this_process_copy(tree, crew):
    assert _roles(crew.worker_a) == {Role.GRID_WORKER}
    # Another process revoked the role (no signal reaches this one) and bumped on commit.
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {RoleAssignment._meta.db_table} WHERE user_id = %s", [crew.worker_a.pk]
        )
    assert _roles(crew.worker_a) == {Role.GRID_WORKER}  # the copy, kept until told
    ProcessCache(scopes.ASSIGNMENTS.name, strict=True).bump()

    assert _roles(crew.worker_a) == set()


@pytest.mark.django_db(transaction=True)
def test_a_role_given_in_a_transaction_rolled_back_is_never_kept(tree, crew):
    assert not _sees(crew.worker_a, tree.building_b1)
    with pytest.raises(RuntimeError), transaction.atomic():
        RoleAssignment.objects.create(user=crew.worker_a, role=Role.GRID_WORKER, area=tree.grid_b1)
        # Seen inside the transaction that gives it, but not kept for later requests.
        assert _sees(crew.worker_a, tree.building_b1)
        assert crew.worker_a.pk not in scopes.ASSIGNMENTS._values
        raise RuntimeError("rolled back")

    assert not _sees(crew.worker_a, tree.building_b1)


@pytest.mark.django_db(transaction=True)
def test_with_the_shared_cache_away_the_roles_are_read_every_time(
    tree, crew, django_assert_num_queries, shared_cache_away
):
    for _ in range(2):
        with django_assert_num_queries(1):
            assert _roles(crew.worker_a) == {Role.GRID_WORKER}
    assert scopes.ASSIGNMENTS._values == {}


@pytest.mark.django_db(transaction=True)
def test_the_roles_are_read_once_a_process(tree, crew, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert _roles(crew.worker_a) == {Role.GRID_WORKER}
    with django_assert_num_queries(0):
        assert _roles(crew.worker_a) == {Role.GRID_WORKER}


@pytest.mark.django_db(transaction=True)
def test_a_tree_rebuilt_in_bulk_drops_the_areas_kept(tree, crew):
    assert _roles(crew.worker_a) == {Role.GRID_WORKER}
    Area.rebuild_tree()
    assert crew.worker_a.pk not in scopes.ASSIGNMENTS._values


@pytest.mark.django_db(transaction=True)
def test_a_revoked_token_stops_at_once_on_every_process(tree, categories, crew):
    from rest_framework.test import APIClient

    token, key = tokens.token_issue(user=crew.worker_a, name="phone")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200  # from this process's copy
    other = ProcessCache(tokens.TOKENS.name, strict=True)
    parts = auth.user_id_parts(crew.worker_a.pk)
    assert other.get("digest", lambda: "kept", parts=parts) == "kept"

    tokens.token_revoke(token=token)

    assert other.get("digest", lambda: "read again", parts=parts) == "read again"
    assert client.get("/api/v1/me/").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_a_deactivated_user_is_refused_at_the_next_call(tree, crew):
    from rest_framework.test import APIClient

    _, key = tokens.token_issue(user=crew.worker_a, name="phone")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").status_code == 200
    user = User.objects.get(pk=crew.worker_a.pk)
    user.is_active = False
    user.save()

    assert client.get("/api/v1/me/").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_an_area_moved_is_seen_by_the_next_filing(api, tree, categories, crew):
    client = api(crew.worker_a)
    body = _body(tree, categories)
    assert client.post("/api/v1/cases/", body, format="json").status_code == 201
    assert selectors.AREAS._values  # kept
    # The building moves to community B's micro-grid: out of the grid worker's scope.
    building = Area.objects.get(pk=tree.building_a1.pk)
    building.move_to(Area.objects.get(pk=tree.micro_b1.pk), "last-child")

    response = client.post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400
    assert "Unknown area." in response.content.decode()


def _token_client(user):
    from rest_framework.test import APIClient

    _, key = tokens.token_issue(user=user, name="phone")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    for _ in range(2):  # the first use reads the token and learns its owner, the second keeps it
        assert client.get("/api/v1/me/").status_code == 200
    return client


def _token_reads(client) -> int:
    """The reads of tokens a call with ``client``'s token makes (it answers 200; /me/ reads
    its user itself)."""
    table = tokens.ApiToken._meta.db_table
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/me/").status_code == 200
    return sum(f'FROM "{table}"' in q["sql"] for q in captured.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_a_token_is_read_once_a_process(tree, crew):
    client = _token_client(crew.worker_a)

    assert _token_reads(client) == 0


@pytest.mark.django_db(transaction=True)
def test_a_login_keeps_every_token_kept(tree, crew, cast):
    # A login writes the user's last login only: nothing a token relies on. Before, every
    # login made every process read every token again.
    mine, theirs = _token_client(crew.worker_a), _token_client(cast.dispatcher_a)
    Client().force_login(cast.dispatcher_a)
    Client().force_login(crew.worker_a)
    assert User.objects.get(pk=crew.worker_a.pk).last_login is not None

    assert _token_reads(mine) == 0
    assert _token_reads(theirs) == 0


@pytest.mark.django_db(transaction=True)
def test_a_new_token_of_one_user_leaves_the_others_tokens_kept(tree, crew, cast):
    mine = _token_client(crew.worker_a)
    tokens.token_issue(user=cast.dispatcher_a, name="another")

    assert _token_reads(mine) == 0


@pytest.mark.django_db(transaction=True)
def test_a_deactivation_stops_that_users_tokens_at_once_and_no_other(tree, crew, cast):
    mine, theirs = _token_client(crew.worker_a), _token_client(cast.dispatcher_a)
    other = ProcessCache(tokens.TOKENS.name, strict=True)
    parts = auth.user_id_parts(crew.worker_a.pk)
    assert other.get("digest", lambda: "kept", parts=parts) == "kept"
    user = User.objects.get(pk=crew.worker_a.pk)
    user.is_active = False
    user.save()

    assert other.get("digest", lambda: "read again", parts=parts) == "read again"
    assert mine.get("/api/v1/me/").status_code == 401
    assert _token_reads(theirs) == 0


@pytest.mark.django_db(transaction=True)
def test_a_new_password_stops_that_users_tokens_at_once(tree, crew, cast):
    mine, theirs = _token_client(crew.worker_a), _token_client(cast.dispatcher_a)
    user = User.objects.get(pk=crew.worker_a.pk)
    user.set_password("Qingsong-2026-other")
    user.save()

    assert mine.get("/api/v1/me/").status_code == 401
    assert _token_reads(theirs) == 0


@pytest.mark.django_db(transaction=True)
def test_another_process_saving_the_user_stops_the_token_kept_here(tree, crew):
    mine = _token_client(crew.worker_a)
    # Another process deactivates the user (no signal reaches this one; written without one
    # here, so its tokens stay) and bumps the user's part on commit.
    User.objects.filter(pk=crew.worker_a.pk).update(is_active=False)
    assert mine.get("/api/v1/me/").status_code == 200  # the copy, kept until told
    ProcessCache(tokens.TOKENS.name, strict=True).bump_parts(
        auth.user_parts(User(pk=crew.worker_a.pk))
    )

    assert mine.get("/api/v1/me/").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_a_superuser_flag_taken_is_seen_by_the_next_token_call(tree, cast):
    _, key = tokens.token_issue(user=cast.superuser, name="script")
    for _ in range(2):
        assert tokens.token_for_key(key).user.is_superuser
    user = User.objects.get(pk=cast.superuser.pk)
    user.is_superuser = False
    user.save(update_fields=["is_superuser", "last_login"])

    assert not tokens.token_for_key(key).user.is_superuser


@pytest.mark.django_db(transaction=True)
def test_users_written_without_signals_stop_their_tokens(tree, crew):
    mine = _token_client(crew.worker_a)
    User.objects.filter(pk=crew.worker_a.pk).update(is_active=False)
    processcache.changed(User, rows=[User(pk=crew.worker_a.pk)])

    assert mine.get("/api/v1/me/").status_code == 401


def _area_filter(user, value):
    from django.test import RequestFactory

    from casework.filters import CaseFilterSet
    from casework.models import Case

    request = RequestFactory().get("/cases/", {"area": value})
    request.user = User.objects.get(pk=user.pk)
    return CaseFilterSet(request.GET, queryset=Case.objects.all(), request=request)


@pytest.mark.django_db(transaction=True)
def test_the_list_filter_checks_an_area_from_the_caches(tree, cast):
    # The area filter's value is checked as visible() checks it, from the process cache of
    # areas and the user's cached roles: once read, no query for it.
    assert _area_filter(cast.dispatcher_a, tree.grid_a1.pk).is_valid()
    with CaptureQueriesContext(connection) as captured:
        found = _area_filter(cast.dispatcher_a, tree.grid_a1.pk)
        assert found.is_valid()
    assert found.form.cleaned_data["area"] == tree.grid_a1
    assert not [q for q in captured.captured_queries if Area._meta.db_table in q["sql"]]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "value", ["community_b", "grid_b1", "x", "1.5", "99999999999999999999", "-1"]
)
def test_the_list_filter_refuses_an_area_outside_the_scope_or_malformed(tree, cast, value):
    given = getattr(tree, value).pk if hasattr(tree, value) else value
    refused = _area_filter(cast.dispatcher_a, given)
    assert not refused.is_valid()
    assert refused.form.errors["area"][0].startswith("Select a valid choice")
