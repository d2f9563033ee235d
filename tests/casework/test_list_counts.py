"""The case list's count kept per process (issue 15): "N cases" is counted once and served until
a case of the list's street is written (a filing, a step, a bulk write), so that the page shows
the right count after every write and skips the count between them. A list narrowed by the
clock (overdue) is counted every time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework import selectors
from casework.models import Case, Source, Status
from casework.services import case_report, case_step
from governance import processcache
from governance.pagination import count_up_to
from tests.casework.factories import CaseFactory


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _list(client, user, **params) -> tuple[int, bool]:
    """The list's count as the page shows it, and whether the request counted."""
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/cases/", params)
    assert response.status_code == 200
    counted = any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)
    return response.context["page_obj"].paginator.count, counted


def _report(worker, area, category, title="垃圾堆放"):
    return case_report(
        actor=worker,
        title=title,
        category=category,
        area=area,
        source=Source.PATROL,
        address="1号楼东侧",
    )


def test_the_count_is_kept_until_a_case_of_the_street_is_filed(client, tree, categories, crew):
    _report(crew.worker_a, tree.building_a1, categories.garbage)

    assert _list(client, crew.center) == (1, True)
    assert _list(client, crew.center) == (1, False)  # kept

    _report(crew.worker_a, tree.building_a1, categories.garbage, title="第二件")

    assert _list(client, crew.center) == (2, True)
    assert _list(client, crew.center) == (2, False)


def test_a_case_filed_in_another_street_keeps_this_streets_count(
    client, tree, categories, crew, other_street
):
    building_b, center_b = other_street.building, other_street.center
    _report(crew.worker_a, tree.building_a1, categories.garbage)
    assert _list(client, crew.center) == (1, True)
    assert _list(client, center_b) == (0, True)

    CaseFactory(category=categories.garbage, area=building_b)

    assert _list(client, crew.center) == (1, False)  # another street: kept
    assert _list(client, center_b) == (1, True)


def test_a_step_recounts_the_lists_filtered_by_status(client, tree, categories, crew):
    case = _report(crew.worker_a, tree.building_a1, categories.garbage)
    assert _list(client, crew.dispatcher_a, status=Status.REPORTED) == (1, True)
    assert _list(client, crew.dispatcher_a, status=Status.ACCEPTED) == (0, True)
    assert _list(client, crew.dispatcher_a, status=Status.REPORTED) == (1, False)

    case_step(case=case, actor=crew.dispatcher_a, step="accept")

    assert _list(client, crew.dispatcher_a, status=Status.REPORTED) == (0, True)
    assert _list(client, crew.dispatcher_a, status=Status.ACCEPTED) == (1, True)


def test_each_scope_and_filter_has_its_own_count(client, tree, categories, crew):
    _report(crew.worker_a, tree.building_a1, categories.garbage)
    _report(crew.worker_b, tree.building_b1, categories.garbage)
    _report(crew.worker_b, tree.building_b1, categories.garbage)

    assert _list(client, crew.center)[0] == 3
    assert _list(client, crew.dispatcher_a)[0] == 1  # the same street, another scope
    assert _list(client, crew.center, area=tree.community_b.pk)[0] == 2
    assert _list(client, crew.center, area=tree.community_a.pk)[0] == 1


def test_a_write_without_signals_recounts_once_it_says_so(client, tree, categories, crew):
    _report(crew.worker_a, tree.building_a1, categories.garbage)
    assert _list(client, crew.center, status=Status.CLOSED) == (0, True)

    Case.objects.update(status=Status.CLOSED, holder="")  # no signal: stale until told
    assert _list(client, crew.center, status=Status.CLOSED) == (0, False)
    processcache.changed(Case)

    assert _list(client, crew.center, status=Status.CLOSED) == (1, True)


def test_a_list_narrowed_by_the_clock_is_counted_every_time(
    client, tree, categories, crew, monkeypatch
):
    case = _report(crew.worker_a, tree.building_a1, categories.garbage)
    # The clock stands still between the requests (the same statement, the same parameters):
    # a case falling overdue meanwhile would still not be seen by a kept count.
    from casework import models

    now = case.due_at - timedelta(minutes=1)
    monkeypatch.setattr(models.timezone, "now", lambda: now)
    assert _list(client, crew.center, overdue="true") == (0, True)
    assert _list(client, crew.center, overdue="true") == (0, True)
    assert _list(client, crew.center, overdue="false") == (1, True)

    now = case.due_at + timedelta(minutes=1)  # no write: the clock alone moved it

    assert _list(client, crew.center, overdue="true") == (1, True)
    assert _list(client, crew.center, overdue="false") == (0, True)


def test_a_count_is_kept_per_statement_and_parameters(tree, categories, django_assert_num_queries):
    CaseFactory(category=categories.garbage, area=tree.building_a1)
    CaseFactory(category=categories.garbage, area=tree.building_b1)
    kept, parts = selectors.CASE_COUNTS, (f"street:{tree.street.pk}",)
    in_a = Case.objects.filter(community=tree.community_a)
    in_b = Case.objects.filter(community=tree.community_b)
    assert count_up_to(in_a, 10, kept=kept, parts=parts) == 1
    assert count_up_to(in_b, 10, kept=kept, parts=parts) == 1
    with django_assert_num_queries(0):
        assert count_up_to(in_b, 10, kept=kept, parts=parts) == 1

    CaseFactory(category=categories.garbage, area=tree.building_b1)

    with django_assert_num_queries(1):
        assert count_up_to(in_b, 10, kept=kept, parts=parts) == 2
    assert count_up_to(in_a, 10, kept=kept, parts=parts) == 1
    assert count_up_to(Case.objects.none(), 10, kept=kept, parts=parts) == 0
