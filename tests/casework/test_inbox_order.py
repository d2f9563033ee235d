"""The dispatcher's inbox: the most urgent priority first, within it a case just reported
first (marked "new"), then by due time."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from casework.models import Priority
from casework.selectors import dispatcher_inbox
from tests.casework.factories import CaseFactory


def test_a_case_reported_a_minute_ago_comes_first_within_its_priority(
    client, crew, tree, categories, django_assert_max_num_queries
):
    now = timezone.now()
    old = [
        CaseFactory(
            area=tree.building_a1,
            category=categories.garbage,
            title=f"旧案件{i}",
            reported_at=now - dt.timedelta(days=3),
            due_at=now + dt.timedelta(hours=i + 1),
        )
        for i in range(3)
    ]
    urgent = CaseFactory(
        area=tree.building_a1,
        category=categories.garbage,
        title="紧急旧案件",
        priority=Priority.URGENT,
        reported_at=now - dt.timedelta(days=2),
        due_at=now + dt.timedelta(hours=20),
    )
    fresh = CaseFactory(
        area=tree.building_a1,
        category=categories.garbage,
        title="刚上报的案件",
        reported_at=now - dt.timedelta(minutes=1),
        due_at=now + dt.timedelta(hours=30),
    )
    order = list(dispatcher_inbox(crew.dispatcher_a, now))
    assert order == [urgent, fresh, *old]
    assert fresh.is_new(now) and not old[0].is_new(now)
    client.force_login(crew.dispatcher_a)
    with django_assert_max_num_queries(20):
        html = client.get(reverse("casework:inbox")).content.decode()
    assert html.count("tag-new") == 1
    assert html.index("刚上报的案件") < html.index("旧案件0")
