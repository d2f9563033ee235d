"""What decides access, kept per process (issue 15: filing at rate): each user's role assignments
(governance.scopes.ASSIGNMENTS), the API tokens with their users (governance.tokens.TOKENS) and
the areas cases are filed on (casework.selectors.AREAS). A change is seen at once by every
process, and nothing uncertain is ever kept — a change not yet committed, or a version that
cannot be read."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from casework import selectors
from governance import scopes, tokens
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
    assert other.get("digest", lambda: "kept") == "kept"

    tokens.token_revoke(token=token)

    assert other.get("digest", lambda: "read again") == "read again"
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
