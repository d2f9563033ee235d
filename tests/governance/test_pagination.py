"""Capped counts for long lists."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from governance.pagination import CappedPaginator
from tests.factories import UserFactory


@pytest.mark.django_db
def test_the_count_stops_at_the_cap_and_says_so(django_assert_num_queries):
    UserFactory.create_batch(7)
    users = get_user_model().objects.order_by("pk")

    exact = CappedPaginator(users, 2, cap=10)
    capped = CappedPaginator(users, 2, cap=5)

    assert (exact.count, exact.capped, exact.display_count) == (7, False, "7")
    with django_assert_num_queries(1):
        assert capped.count == 5
    assert capped.capped and capped.display_count == "5+"
    assert capped.num_pages == 3  # pages reach the cap, not past it
    assert [u.pk for u in capped.get_page(99).object_list] == [u.pk for u in users[4:5]]


@pytest.mark.django_db
def test_the_count_does_not_sort(django_assert_num_queries):
    UserFactory.create_batch(3)
    paginator = CappedPaginator(get_user_model().objects.order_by("-date_joined", "pk"), 2)
    with django_assert_num_queries(1) as queries:
        assert paginator.count == 3
    assert "ORDER BY" not in queries.captured_queries[0]["sql"]


def test_plain_sequences_are_counted_as_they_are():
    paginator = CappedPaginator(list(range(12_345)), 50)
    assert paginator.count == 10_000 and paginator.display_count == "10,000+"


@pytest.mark.django_db
def test_a_page_read_keys_first_is_the_same_page_in_two_narrow_queries(
    django_assert_num_queries,
):
    UserFactory.create_batch(7)
    users = get_user_model().objects.order_by("-username", "pk")
    one_step = CappedPaginator(users, 3)
    two_steps = CappedPaginator(users, 3, keys_first=True)
    assert two_steps.count == 7
    for number in (1, 2, 3):
        with django_assert_num_queries(2) as queries:
            rows = list(two_steps.page(number).object_list)
        assert [u.pk for u in rows] == [u.pk for u in one_step.page(number).object_list]
        keys_sql = queries.captured_queries[0]["sql"]
        assert "ORDER BY" in keys_sql and "username" not in keys_sql.split("FROM")[0]
    assert len(two_steps.page(3).object_list) == 1


@pytest.mark.django_db
def test_keys_first_pages_keep_the_order_and_read_rows_once(django_assert_num_queries):
    UserFactory.create_batch(7)
    users = get_user_model().objects.order_by("-pk")
    read = []

    def rows(queryset):
        read.append(queryset)
        return queryset.only("pk", "username")

    paginator = CappedPaginator(users, 3, rows=rows)
    assert paginator.count == 7
    with django_assert_num_queries(2):  # the page's keys, then its rows
        page = paginator.get_page(2)
    assert [u.pk for u in page.object_list] == [u.pk for u in users[3:6]]
    assert len(read) == 1 and page.has_next() and page.has_previous()
    assert [u.pk for u in paginator.get_page(3).object_list] == [users[6].pk]


@pytest.mark.django_db
def test_counted_keys_give_the_count_and_every_page_from_one_read(django_assert_num_queries):
    UserFactory.create_batch(7)
    users = get_user_model().objects.order_by("-username", "pk")
    expected = [u.pk for u in users]
    paginator = CappedPaginator(users, 2, cap=5, count_keys=True)
    with django_assert_num_queries(2) as queries:  # the first cap + 1 keys, then the page's rows
        page = paginator.get_page(1)
        assert paginator.count == 5 and paginator.display_count == "5+"
    assert "LIMIT 6" in queries.captured_queries[0]["sql"]
    shown = [u.pk for u in page.object_list]
    for number in (2, 3):
        with django_assert_num_queries(1):  # the rows only: the keys are read
            shown += [u.pk for u in paginator.get_page(number).object_list]
    assert shown == expected[:5] and paginator.num_pages == 3
    exact = CappedPaginator(users, 4, cap=10, count_keys=True)
    assert exact.count == 7 and not exact.capped
    assert [u.pk for u in exact.get_page(2).object_list] == expected[4:]


@pytest.mark.django_db
def test_a_count_up_to_a_limit_is_the_sliced_count_in_one_statement(monkeypatch):
    """count_up_to gives what ``queryset[:limit].count()`` gives, in one statement without
    ORDER BY; the plain queries without Django's aggregation of a sliced query (built around
    the compiled keys), the others (distinct, annotated, combined) by Django."""
    from django.db import connection
    from django.db.models import Count, Q
    from django.db.models.sql.query import Query
    from django.test.utils import CaptureQueriesContext

    from governance.pagination import count_up_to

    UserFactory.create_batch(6, is_staff=True)
    UserFactory.create_batch(2)
    users = get_user_model().objects
    aggregated = []
    real = Query.get_aggregation

    def spy(self, *args, **kwargs):
        aggregated.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Query, "get_aggregation", spy)
    plain = [
        users.order_by(),
        users.filter(is_staff=True).order_by(),
        users.filter(Q(groups__isnull=True) | Q(username__startswith="x")).order_by(),
        users.filter(pk__in=[]).order_by(),
        users.none(),
    ]
    for queryset in plain:
        for limit in (1, 3, 100):
            with CaptureQueriesContext(connection) as ours:
                counted = count_up_to(queryset, limit)
            assert not aggregated
            with CaptureQueriesContext(connection) as theirs:
                expected = queryset[:limit].count()
            assert counted == expected == len(list(queryset[:limit]))
            del aggregated[:]
            assert len(ours) == len(theirs) <= 1
            assert all("ORDER BY" not in q["sql"] for q in ours.captured_queries)
    rewritten = [
        users.values("is_staff").distinct().order_by(),
        users.annotate(n=Count("groups")).order_by(),
        users.filter(is_staff=True).order_by().union(users.filter(is_staff=False).order_by()),
    ]
    for queryset in rewritten:
        assert count_up_to(queryset, 100) == queryset[:100].count()
    assert aggregated  # counted by Django
