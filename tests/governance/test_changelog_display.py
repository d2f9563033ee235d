"""The change log as people read it: verbose names, choice labels, objects and people by name,
local time, no bookkeeping fields; the raw values stay in the log and the API."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import translation

from casework.models import Case
from governance.changelog_display import readable_changes
from governance.models import ObjectChange


@pytest.fixture
def departments(db):
    from types import SimpleNamespace

    from tests.factories import DepartmentFactory

    return SimpleNamespace(
        a=DepartmentFactory(name="城管执法队", code="urban-management"),
        b=DepartmentFactory(name="环卫所", code="sanitation"),
    )


def _entry(model, before, after, **kwargs):
    return ObjectChange.objects.create(
        interface="web",
        action="update",
        content_type=ContentType.objects.get_for_model(model),
        object_id="1",
        object_repr="案件",
        prechange_data=before,
        postchange_data=after,
        **kwargs,
    )


def test_a_case_update_reads_as_words_not_a_diff(db, cast, departments):
    entry = _entry(
        Case,
        {
            "satisfaction": "",
            "holder": "community",
            "department": None,
            "version": 6,
            "stage_entry": 3,
            "evaluated_at": None,
            "reporter": None,
        },
        {
            "satisfaction": "satisfied",
            "holder": "",
            "department": departments.a.pk,
            "version": 7,
            "stage_entry": 4,
            "evaluated_at": "2026-11-30T02:30:00Z",
            "reporter": cast.worker_a.pk,
        },
    )
    with translation.override("zh-hans"):
        readable_changes([entry])
        rows = {r.name: r for r in entry.readable}
        assert "version" not in rows and "stage_entry" not in rows
        assert rows["satisfaction"].label == "满意度"
        assert (rows["satisfaction"].before, rows["satisfaction"].after.text) == (None, "满意")
        assert rows["holder"].before.text == "社区" and rows["holder"].after is None
        assert rows["department"].after.text == "城管执法队"
        # 02:30 UTC is 10:30 in Beijing.
        assert rows["evaluated_at"].after.text == "2026-11-30 10:30"
        reporter = rows["reporter"].after
        assert (reporter.text, reporter.title) == (cast.worker_a.display_name, "worker_a")
    # The raw values are what the log keeps.
    assert ("version", 6, 7) in entry.diff


def test_the_change_log_page_shows_the_words_in_bounded_queries(
    client, cast, departments, django_assert_max_num_queries
):
    for i in range(5):
        _entry(
            Case,
            {"department": None, "holder": "community"},
            {"department": departments.a.pk if i % 2 else departments.b.pk, "holder": "department"},
            user=cast.worker_a,
            user_name="worker_a",
        )
    client.force_login(cast.superuser)
    client.get(reverse("changelog"))  # the object-type filter's content types, cached once
    # One query for the departments and one for the people named, however many entries.
    with django_assert_max_num_queries(12):
        html = client.get(reverse("changelog")).content.decode()
    assert "城管执法队" in html and "环卫所" in html
    assert 'title="worker_a"' in html
    assert "<code>department</code>" not in html
