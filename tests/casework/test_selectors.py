"""Inboxes, badges, duplicates, available steps and due times."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from casework import selectors
from casework.models import Holder, Priority, Source, Status
from casework.services import case_report, case_step
from governance.navigation import items_for
from tests.casework.factories import CaseFactory

TZ = ZoneInfo("Asia/Shanghai")


def _case(tree, categories, area=None, **kwargs):
    return CaseFactory(
        category=categories.garbage,
        area=area or tree.building_a1,
        street=tree.street,
        **kwargs,
    )


def test_each_role_sees_its_own_inbox(tree, categories, crew, departments):
    reported_a = _case(tree, categories)
    _case(tree, categories, area=tree.building_b1)
    escalated = _case(tree, categories, holder=Holder.CENTER, escalated_at=timezone.now())
    dispatched = _case(
        tree,
        categories,
        status=Status.DISPATCHED,
        holder=Holder.DEPARTMENT,
        department=departments.a,
    )
    handled = _case(tree, categories, status=Status.HANDLED, department=departments.a)
    handled_b = _case(
        tree, categories, area=tree.building_b1, status=Status.HANDLED, department=departments.a
    )
    overdue = _case(
        tree,
        categories,
        status=Status.IN_PROGRESS,
        holder=Holder.DEPARTMENT,
        department=departments.b,
        due_at=timezone.now() - timedelta(hours=1),
    )

    assert set(selectors.dispatcher_inbox(crew.dispatcher_a)) == {reported_a}
    assert set(selectors.department_inbox(crew.handler_a)) == {dispatched}
    assert set(selectors.department_inbox(crew.handler_b)) == {overdue}
    assert set(selectors.verification_inbox(crew.worker_a)) == {handled}
    assert set(selectors.verification_inbox(crew.worker_b)) == {handled_b}
    assert set(selectors.center_inbox(crew.center)) == {escalated, handled, handled_b, overdue}
    assert selectors.inbox_count(crew.dispatcher_a) == 1
    assert selectors.inbox_count(crew.viewer_a) is None
    assert selectors.dispatcher_inbox(crew.viewer_a).count() == 0


def test_inbox_badge_costs_a_few_queries(tree, categories, crew, django_assert_max_num_queries):
    for _ in range(10):
        _case(tree, categories)
    crew.center._scope_cache = None
    with django_assert_max_num_queries(3):
        assert selectors.inbox_count(crew.center) == 0


def test_navigation_renders_even_before_the_pages_exist(crew):
    entries = items_for(crew.dispatcher_a)
    assert all(entry["url"] for entry in entries)


def test_available_steps_follow_role_state_and_scope(tree, categories, crew, departments):
    case = _case(tree, categories)
    names = lambda user: [s.name for s in selectors.available_steps(user, case)]  # noqa: E731
    assert names(crew.dispatcher_a) == ["accept", "reject", "merge", "escalate", "attach"]
    assert names(crew.worker_a) == ["resolve_on_spot", "attach"]
    assert names(crew.dispatcher_b) == []
    assert names(crew.center) == ["attach"]
    assert names(crew.viewer_a) == []


def test_duplicates_in_the_same_building_and_within_100_m(tree, categories, crew):
    here = _case(tree, categories, latitude="39.900000", longitude="116.400000")
    near = _case(
        tree, categories, area=tree.building_b1, latitude="39.900500", longitude="116.400500"
    )
    _case(tree, categories, area=tree.building_b1, latitude="39.902000", longitude="116.400000")
    _case(tree, categories, status=Status.CLOSED, holder=Holder.NONE)
    old = _case(tree, categories)
    old.reported_at = timezone.now() - timedelta(days=8)
    old.save()
    other_category = _case(tree, categories)
    other_category.category = categories.lamp
    other_category.save()
    found = selectors.possible_duplicates(
        crew.center,
        category=categories.garbage,
        area=tree.building_a1,
        latitude="39.900000",
        longitude="116.400000",
        exclude=here,
    )
    assert {c.pk for c in found} == {near.pk}
    # ... and in the same building without coordinates; scope applies.
    found = selectors.possible_duplicates(
        crew.dispatcher_a, category=categories.garbage, area=tree.building_a1
    )
    assert {c.pk for c in found} == {here.pk}


def test_due_times_follow_the_working_clock_and_around_the_clock(tree, categories, crew):
    friday_5pm = datetime(2026, 11, 20, 17, 0, tzinfo=TZ)
    case = case_report(
        actor=crew.worker_a,
        title="垃圾",
        category=categories.garbage,
        area=tree.building_a1,
        source=Source.PATROL,
        address="1号楼",
        now=friday_5pm,
    )
    # Two working hours from Friday 17:00: one hour on Friday, one on Monday morning.
    assert case.due_at.astimezone(TZ) == datetime(2026, 11, 23, 10, 0, tzinfo=TZ)
    categories.parent.around_the_clock = True
    categories.parent.save()
    categories.garbage.refresh_from_db()
    categories.garbage.around_the_clock = True
    categories.garbage.save()
    urgent = case_report(
        actor=crew.worker_a,
        title="燃气味",
        category=categories.garbage,
        area=tree.building_a1,
        source=Source.PATROL,
        address="1号楼",
        priority=Priority.URGENT,
        now=friday_5pm,
    )
    assert urgent.due_at.astimezone(TZ) == datetime(2026, 11, 20, 18, 0, tzinfo=TZ)
    accepted = case_step(
        case=urgent,
        actor=crew.dispatcher_a,
        step="accept",
        now=datetime(2026, 11, 20, 19, 0, tzinfo=TZ),
    )
    event = accepted.events.last()
    assert event.on_time is False  # accepted an hour after the one-hour limit
    assert accepted.due_at.astimezone(TZ) == datetime(2026, 11, 20, 20, 0, tzinfo=TZ)


def test_case_handlers_start_on_their_inbox(client, crew):
    from django.urls import reverse

    client.force_login(crew.handler_a)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("casework:inbox")


def _badges(client) -> dict:
    page = client.get("/cases/inbox/")
    assert page.status_code == 200
    return {item["key"]: item["badge"] for item in page.context["nav_items"]}


def test_badges_are_kept_between_pages_and_right_after_a_transition(
    client, tree, categories, crew, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from governance.notifications import mark_all_read, notify

    first, _second = _case(tree, categories), _case(tree, categories)
    client.force_login(crew.dispatcher_a)
    with CaptureQueriesContext(connection) as counted:
        assert _badges(client)["case-inbox"] == 2
    # The next page reads no badge: the inbox count, the desk and the bell come from the cache.
    with django_assert_max_num_queries(len(counted) - 3):
        assert _badges(client)["case-inbox"] == 2

    first = case_step(case=first, actor=crew.dispatcher_a, step="accept")
    case_step(case=first, actor=crew.dispatcher_a, step="dispatch")
    assert _badges(client)["case-inbox"] == 1  # dispatched: no longer the dispatcher's

    notify(recipients=[crew.dispatcher_a], kind="case", title="新消息")
    assert _badges(client)["notifications"] == 1
    mark_all_read(user=crew.dispatcher_a)
    assert _badges(client)["notifications"] is None


def test_badges_follow_the_clock_within_a_minute(client, tree, categories, crew, monkeypatch):
    """A case coming near its due time moves the center's badge with no write: the kept
    badges are drawn afresh after BADGE_SECONDS."""
    from django.db.models import Q

    from governance import navigation

    case = _case(tree, categories, status=Status.ACCEPTED, due_at=timezone.now() + timedelta(30))
    client.force_login(crew.center)
    before = _badges(client)["case-inbox"] or 0
    # The clock moves on: the case is near its due time now.
    monkeypatch.setattr(selectors, "near_due_q", lambda now=None: Q(pk=case.pk))
    assert (_badges(client)["case-inbox"] or 0) == before  # kept
    navigation.BADGES._loaded_at -= navigation.BADGES.max_age + 1  # its time is up
    assert _badges(client)["case-inbox"] == before + 1
