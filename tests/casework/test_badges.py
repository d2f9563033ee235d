"""The menu's badges kept per user in parts (issue 15, district scale): a case written in one
street recounts the badges of that street's users only (and of those whose roles reach beyond
one street), a notification its recipient's only, a bulk write everybody's; and the process
caches' versions read once a request, together."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import transaction

from casework.models import DeadlineRequest, SupervisionOrder
from governance import navigation, processcache, scopes
from governance.models import Notification, Role, RoleAssignment
from governance.navigation import BADGES, items_for
from governance.notifications import mark_read, notify
from governance.processcache import ProcessCache, one_read_per_request
from grids.models import AreaKind
from tests.casework.factories import CaseFactory
from tests.factories import AreaFactory, RoleAssignmentFactory, UserFactory


@pytest.fixture
def counted():
    """The users whose inbox badge is counted afresh, in order (a kept badge counts nobody)."""
    users = []
    item = navigation._items["case-inbox"]
    count = item.badge

    def counting(user):
        users.append(user.username)
        return count(user)

    # Registered as any entry is, so that the menus kept per language are built again with it.
    navigation.register_nav(dataclasses.replace(item, badge=counting))
    yield users
    navigation.register_nav(item)


def _inbox(user) -> int | None:
    """The inbox badge as the next request draws it (a new request: the scope read afresh)."""
    user = type(user).objects.get(pk=user.pk)
    return {item["key"]: item["badge"] for item in items_for(user)}["case-inbox"]


def test_a_case_in_one_street_recounts_that_streets_badges_only(
    tree, categories, crew, other_street, counted
):
    building_b, dispatcher_b = other_street.building, other_street.dispatcher
    CaseFactory(category=categories.garbage, area=tree.building_a1)
    CaseFactory(category=categories.garbage, area=building_b)
    assert (_inbox(crew.dispatcher_a), _inbox(dispatcher_b)) == (1, 1)
    assert (_inbox(crew.dispatcher_a), _inbox(dispatcher_b)) == (1, 1)
    assert counted == ["dispatcher_a", "dispatcher_other"]  # the second time: kept

    CaseFactory(category=categories.garbage, area=tree.building_a1)

    assert (_inbox(crew.dispatcher_a), _inbox(dispatcher_b)) == (2, 1)
    assert counted[2:] == ["dispatcher_a"]
    CaseFactory(category=categories.garbage, area=building_b)
    assert (_inbox(crew.dispatcher_a), _inbox(dispatcher_b)) == (2, 2)
    assert counted[3:] == ["dispatcher_other"]


def test_roles_beyond_one_street_are_recounted_on_a_case_in_any_street(
    tree, categories, crew, other_street, counted
):
    building_b = other_street.building
    district = AreaFactory(kind=AreaKind.DISTRICT, name="示范区", code="110199")
    district_center = UserFactory(username="district_center")
    RoleAssignmentFactory(user=district_center, role=Role.CENTER_SUPERVISOR, area=district)
    # Scopes: a department (any area), a district (every street below it).
    assert scopes.UserScope(crew.handler_a).streets() is None
    assert scopes.UserScope(district_center).streets() is None
    assert scopes.UserScope(crew.worker_a).streets() == {tree.street.pk}
    for user in (crew.handler_a, district_center):
        _inbox(user)
    del counted[:]

    CaseFactory(category=categories.garbage, area=building_b)
    for user in (crew.handler_a, district_center, crew.dispatcher_a):
        _inbox(user)

    assert counted == ["handler_a", "district_center", "dispatcher_a"]
    del counted[:]
    _inbox(crew.dispatcher_a)
    assert counted == []  # kept: the case was in another street


def test_a_notification_recounts_its_recipients_badges_only(tree, crew, counted):
    def bells() -> tuple:
        return tuple(
            {i["key"]: i["badge"] for i in items_for(type(u).objects.get(pk=u.pk))}["notifications"]
            for u in (crew.dispatcher_a, crew.worker_a)
        )

    assert bells() == (None, None)
    del counted[:]

    (told,) = notify(recipients=[crew.dispatcher_a], kind="case", title="新消息")

    assert bells() == (1, None)
    assert counted == ["dispatcher_a"]  # the worker's badges were kept
    mark_read(user=crew.dispatcher_a, notification_id=told.pk)
    assert bells() == (None, None)
    assert counted == ["dispatcher_a", "dispatcher_a"]


def test_a_bulk_write_recounts_every_users_badges(tree, categories, crew, other_street, counted):
    dispatcher_b = other_street.dispatcher
    for user in (crew.dispatcher_a, dispatcher_b):
        _inbox(user)
    del counted[:]

    processcache.changed(Notification)  # rows written without signals, unnamed

    for user in (crew.dispatcher_a, dispatcher_b):
        _inbox(user)
    assert counted == ["dispatcher_a", "dispatcher_other"]


def test_a_role_given_recounts_its_holders_badges(tree, categories, crew, other_street, counted):
    building_b = other_street.building
    CaseFactory(category=categories.garbage, area=building_b)
    assert _inbox(crew.dispatcher_a) == 0

    # The dispatcher of community A now dispatches in the other street too.
    RoleAssignment.objects.create(
        user=crew.dispatcher_a,
        role=Role.COMMUNITY_DISPATCHER,
        area=type(building_b).objects.get(pk=building_b.parent.parent_id),
    )

    assert _inbox(crew.dispatcher_a) == 1
    # From now on a case in the other street recounts them too.
    del counted[:]
    CaseFactory(category=categories.garbage, area=building_b)
    assert _inbox(crew.dispatcher_a) == 2
    assert counted == ["dispatcher_a"]


def test_another_process_bumping_a_street_drops_this_process_badges(tree, crew, counted):
    _inbox(crew.dispatcher_a)
    _inbox(crew.dispatcher_a)
    assert counted == ["dispatcher_a"]

    # Another process of the portal: the same cache, its own memory.
    ProcessCache(BADGES.name).bump_parts((f"street:{tree.street.pk}",))

    _inbox(crew.dispatcher_a)
    assert counted == ["dispatcher_a", "dispatcher_a"]


def test_a_request_or_an_order_names_its_cases_street_when_it_came_with_it(tree, categories):
    case = CaseFactory(category=categories.garbage, area=tree.building_a1)
    street = (f"street:{tree.street.pk}", navigation.WIDE)
    for model in (DeadlineRequest, SupervisionOrder):
        assert BADGES.parts_of(model, [model(case=case)]) == street
        # Without its case loaded the row cannot say without a query: every user's badges.
        assert BADGES.parts_of(model, [model(case_id=case.pk)]) is None


def test_a_request_reads_the_versions_in_one_round_trip(
    client, tree, categories, crew, monkeypatch
):
    reads = []
    real = processcache.cache

    class Counting:
        def __getattr__(self, name):
            attribute = getattr(real, name)
            if name in ("get", "get_many"):

                def read(*args, **kwargs):
                    reads.append(name)
                    return attribute(*args, **kwargs)

                return read
            return attribute

    monkeypatch.setattr(processcache, "cache", Counting())
    CaseFactory(category=categories.garbage, area=tree.building_a1)
    client.force_login(crew.center)
    assert client.get("/cases/").status_code == 200
    del reads[:]

    assert client.get("/cases/").status_code == 200

    # The versions of the process caches the list page used before (roles, calendar,
    # categories, filter options, the badges...) and, with the signed-in user's part, the parts
    # of their badges (the user's and their street's) that the last list page read after it.
    assert reads == ["get_many"]


def test_a_request_reads_only_the_versions_its_kind_used(tree, crew, monkeypatch):
    from rest_framework.test import APIClient

    from governance import tokens

    keys = []
    real = processcache.cache

    class Counting:
        def __getattr__(self, name):
            attribute = getattr(real, name)
            if name == "get":
                return lambda key, *args, **kwargs: keys.append([key]) or attribute(key)
            if name == "get_many":
                return lambda wanted, *args, **kwargs: (
                    keys.append(list(wanted)) or attribute(wanted)
                )
            return attribute

    monkeypatch.setattr(processcache, "cache", Counting())
    _, key = tokens.token_issue(user=crew.worker_a, name="phone")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    for _ in range(2):  # the first call learns the token's owner, the second keeps the token
        assert client.get("/api/v1/me/").status_code == 200
    del keys[:]

    assert client.get("/api/v1/me/").status_code == 200

    # The API's cheapest call uses one process cache (the tokens): one read of its version and
    # of its user's part, not of every cache's version.
    user_part = tokens.TOKENS.part_key(f"user:{crew.worker_a.pk}")
    assert keys == [[tokens.TOKENS.version_key, user_part]]


@pytest.mark.django_db(transaction=True)
def test_within_a_request_this_process_own_change_is_seen_and_another_at_the_next(tree, crew):
    from django.db import connection

    from governance.cache import shared_cache

    def roles() -> set[str]:
        return scopes.UserScope(crew.worker_a).roles()

    with one_read_per_request():
        assert roles() == {Role.GRID_WORKER}
        with transaction.atomic():
            RoleAssignment.objects.filter(user=crew.worker_a).delete()
        assert roles() == set()  # this process's change: its version read again at once
        RoleAssignment.objects.create(user=crew.worker_a, role=Role.VIEWER, area=tree.street)
        assert roles() == {Role.VIEWER}

    with one_read_per_request():
        assert roles() == {Role.VIEWER}
        # Another process revokes the role (no signal reaches this one) and bumps.
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {RoleAssignment._meta.db_table} WHERE user_id = %s",
                [crew.worker_a.pk],
            )
        shared_cache.set(scopes.ASSIGNMENTS.version_key, "bumped elsewhere", timeout=None)
        assert roles() == {Role.VIEWER}  # this request read the versions at its start
    with one_read_per_request():
        assert roles() == set()  # the next one sees it


@pytest.mark.django_db(transaction=True)
def test_within_a_request_with_the_shared_cache_away_roles_are_read_every_time(
    tree, crew, django_assert_num_queries, shared_cache_away
):
    with one_read_per_request():
        for _ in range(2):
            with django_assert_num_queries(1):
                assert scopes.UserScope(crew.worker_a).roles() == {Role.GRID_WORKER}
    assert scopes.ASSIGNMENTS._values == {}
