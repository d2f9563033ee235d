"""Each case rule has one home: these tests pin that the forms a rule takes (a method for one
case, a filter for many; the table and those who read it) agree on the same fixtures."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework import clock, selectors, workflow
from casework.deadlines import permissions, reminders
from casework.deadlines import services as deadline_services
from casework.deadlines.models import DeadlineRequest, Reminder
from casework.deadlines.selectors import holder_people
from casework.models import Case, Holder, Source, Status
from casework.services import apply_step, case_report
from governance.models import Notification, Role
from tests.casework.factories import CaseFactory

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=TZ)  # a Wednesday


def _case(tree, categories, **kwargs):
    kwargs.setdefault("area", tree.building_a1)
    kwargs.setdefault("category", categories.garbage)
    return CaseFactory(**kwargs)


@pytest.fixture
def states(tree, categories, departments, crew):
    """A case in each state that matters to the deadline rules, by name."""
    cases = {
        "overdue": _case(tree, categories, due_at=NOW - timedelta(minutes=1)),
        "due_later": _case(tree, categories, due_at=NOW + timedelta(hours=1)),
        "due_now": _case(tree, categories, due_at=NOW),
        "handled": _case(
            tree, categories, status=Status.HANDLED, holder=Holder.COMMUNITY, due_at=None
        ),
        # A finished case keeps whatever due time it had: it is not overdue any more.
        "closed_late": _case(
            tree,
            categories,
            status=Status.CLOSED,
            holder=Holder.NONE,
            due_at=NOW - timedelta(days=3),
        ),
        "in_progress_late": _case(
            tree,
            categories,
            status=Status.IN_PROGRESS,
            holder=Holder.DEPARTMENT,
            department=departments.a,
            due_at=NOW - timedelta(days=1),
        ),
    }
    suspended = _case(
        tree,
        categories,
        status=Status.IN_PROGRESS,
        holder=Holder.DEPARTMENT,
        department=departments.a,
        due_at=NOW + timedelta(days=1),
    )
    request = deadline_services.deadline_request_create(
        case=suspended, actor=crew.handler_a, kind="suspension", reason="等待法院裁定", now=NOW
    )
    deadline_services.deadline_request_decide(
        request=request, actor=crew.center, approve=True, now=NOW
    )
    cases["suspended"] = suspended
    resumed = _case(tree, categories, due_at=NOW + timedelta(days=1))
    request = deadline_services.deadline_request_create(
        case=resumed, actor=crew.dispatcher_a, kind="suspension", reason="业主在国外", now=NOW
    )
    deadline_services.deadline_request_decide(
        request=request, actor=crew.center, approve=True, now=NOW
    )
    deadline_services.case_resume(case=resumed, actor=crew.dispatcher_a, now=NOW)
    cases["resumed"] = resumed
    extended = _case(tree, categories, due_at=NOW + timedelta(hours=2))
    request = deadline_services.deadline_request_create(
        case=extended, actor=crew.dispatcher_a, kind="extension", hours=4, reason="雨天", now=NOW
    )
    deadline_services.deadline_request_decide(
        request=request, actor=crew.center, approve=True, now=NOW
    )
    cases["extended"] = extended
    waiting = _case(tree, categories, due_at=NOW + timedelta(hours=2))
    deadline_services.deadline_request_create(
        case=waiting, actor=crew.dispatcher_a, kind="suspension", reason="待核实", now=NOW
    )
    cases["waiting_for_suspension"] = waiting
    return {name: Case.objects.get(pk=case.pk) for name, case in cases.items()}


def _filed(tree, categories, crew) -> Case:
    return case_report(
        actor=crew.worker_a,
        title="垃圾堆放",
        category=categories.garbage,
        area=tree.building_a1,
        source=Source.PATROL,
        address="1号楼",
    )


# -- overdue --------------------------------------------------------------------------------
def test_overdue_on_a_case_and_in_the_database_agree(states):
    by_method = {name for name, case in states.items() if case.is_overdue(NOW)}
    by_filter = set(Case.objects.overdue(NOW).values_list("pk", flat=True))
    assert by_method == {"overdue", "in_progress_late"}
    assert by_filter == {states[name].pk for name in by_method}
    excluded = Case.objects.exclude(Case.overdue_q(NOW)).values_list("pk", flat=True)
    assert set(excluded) == {case.pk for name, case in states.items() if name not in by_method}


def test_the_list_filter_the_api_and_the_page_read_the_one_overdue_rule(
    client, tree, categories, crew
):
    # The pages ask "overdue now": cases late and not late by the real clock.
    now = timezone.now()
    late = {
        _case(tree, categories, due_at=now - timedelta(minutes=5)).pk,
        _case(tree, categories, area=tree.building_b1, due_at=now - timedelta(days=2)).pk,
    }
    _case(tree, categories, due_at=now + timedelta(hours=3))
    _case(tree, categories, status=Status.CLOSED, holder=Holder.NONE, due_at=now - timedelta(1))
    api = APIClient()
    api.force_authenticate(crew.center)
    rows = api.get("/api/v1/cases/", {"overdue": "true"}).json()["results"]
    assert {row["id"] for row in rows} == late
    everything = api.get("/api/v1/cases/").json()["results"]
    assert len(everything) == 4
    assert {row["id"] for row in everything if row["is_overdue"]} == late
    client.force_login(crew.center)
    page = client.get(reverse("casework:list"), {"overdue": "true"})
    assert {case.pk for case in page.context["cases"]} == late
    listed = client.get(reverse("casework:list")).context["cases"]
    assert {case.pk for case in listed if case.is_overdue()} == late


# -- suspended ------------------------------------------------------------------------------
def test_suspended_on_a_case_on_a_request_and_in_the_database_agree(states):
    by_method = {name for name, case in states.items() if case.is_suspended}
    assert by_method == {"suspended"}
    assert set(Case.objects.suspended().values_list("pk", flat=True)) == {states["suspended"].pk}
    active = [r for r in DeadlineRequest.objects.all() if r.is_active_suspension]
    assert {r.pk for r in active} == set(
        DeadlineRequest.objects.active_suspensions().values_list("pk", flat=True)
    )
    assert [r.case_id for r in active] == [states["suspended"].pk]
    # A suspended case has no due time, so it is never overdue.
    assert not states["suspended"].is_overdue(NOW)


def test_may_resume_is_one_answer_for_the_case_page_and_the_deadline_page(client, states, crew):
    suspended, running = states["suspended"], states["due_later"]
    for user, expected in (
        (crew.handler_a, True),
        (crew.center, True),
        (crew.dispatcher_a, False),  # not the holder of a department's case
        (crew.dispatcher_b, False),
    ):
        assert permissions.may_resume(user, suspended) is expected, user
        assert not permissions.may_resume(user, running)
        if expected:
            client.force_login(user)
            detail = client.get(reverse("casework:detail", args=[suspended.pk]))
            deadline = client.get(reverse("deadlines:case", args=[suspended.pk]))
            assert detail.context["may_resume"] is True
            assert deadline.context["can_resume"] is True


# -- who holds a case -----------------------------------------------------------------------
def test_holder_roles_decide_who_holds_each_case(states, crew, tree, categories):
    street_admin = crew.street_admin
    community_case = states["due_later"]
    department_case = states["in_progress_late"]
    center_case = _case(tree, categories, holder=Holder.CENTER, due_at=NOW + timedelta(hours=1))
    assert selectors.holder_role(crew.dispatcher_a, community_case) == Role.COMMUNITY_DISPATCHER
    assert selectors.holder_role(crew.dispatcher_b, community_case) is None
    assert selectors.holder_role(crew.handler_a, department_case) == Role.DEPARTMENT_HANDLER
    assert selectors.holder_role(crew.handler_b, department_case) is None
    assert selectors.holder_role(crew.center, center_case) == Role.CENTER_SUPERVISOR
    assert selectors.holder_role(street_admin, center_case) == Role.STREET_ADMIN
    assert selectors.holder_role(crew.dispatcher_a, center_case) is None
    for case in (community_case, department_case, center_case):
        roles = workflow.HOLDER_ROLES[case.holder]
        assert {u.pk for u in holder_people(case)} == {
            u.pk
            for u in (crew.dispatcher_a, crew.handler_a, crew.center, street_admin, crew.admin_a)
            if selectors.holder_role(u, case) in roles
        }


def test_an_order_on_a_case_the_center_holds_reaches_every_center_role(crew, tree, categories):
    case = _case(tree, categories, holder=Holder.CENTER, due_at=NOW + timedelta(hours=1))
    order = deadline_services.supervision_issue(
        case=case, actor=crew.center, demand="请今日内处理", now=NOW
    )
    told = set(
        Notification.objects.filter(key=f"supervision:{order.pk}").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"center", crew.street_admin.username, "admin_a"}


def test_a_reminder_of_a_case_the_center_holds_reaches_every_center_role(crew, tree, categories):
    case = _case(tree, categories, holder=Holder.CENTER, due_at=NOW - timedelta(hours=1))
    reminders.scan_deadlines(now=NOW)
    reminder = Reminder.objects.get(case=case, kind=Reminder.Kind.OVERDUE)
    told = {u.username for u in reminders.recipients_for(reminder)}
    # The holder's roles, and the community's dispatcher as a superior.
    assert told == {"center", crew.street_admin.username, "admin_a", "dispatcher_a"}


# -- the step table -------------------------------------------------------------------------
def test_every_field_the_table_writes_is_a_case_field_no_form_can_edit():
    fields = {f.name: f for f in Case._meta.get_fields() if hasattr(f, "editable")}
    for step in workflow.STEP_LIST:
        for name in (*step.writes, *step.sets, *step.stamps, *step.counts):
            assert name in fields, (step.name, name)
            assert not fields[name].editable, (step.name, name)


def test_filing_takes_its_status_and_holder_from_the_table(tree, categories, crew):
    case = _filed(tree, categories, crew)
    report = workflow.STEPS["report"]
    event = case.events.get()
    assert (case.status, case.holder) == (report.target, report.holder)
    assert (event.to_status, event.to_holder) == (report.target, report.holder)


@pytest.mark.parametrize("name", [s.name for s in workflow.STEP_LIST if not s.creates])
def test_apply_step_does_what_the_table_says_and_nothing_else(name, tree, categories, departments):
    step = workflow.STEPS[name]
    status = sorted(step.sources)[0]
    holder = next(iter(step.roles.values())) or Holder.COMMUNITY
    case = _case(
        tree,
        categories,
        status=status,
        holder=holder,
        department=departments.a,
        due_at=NOW + timedelta(hours=1),
    )
    original = _case(tree, categories)
    before = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}
    values = {
        "comment": "说明",
        "result": "已清理",
        "department": departments.b,
        "duplicate_of": original,
        "satisfaction": "satisfied",
    }
    event = apply_step(step, case, actor=None, role="", values=values, now=NOW)

    after = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}
    changed = {name for name in after if after[name] != before[name]}
    expected = {"version"}
    if step.target is not None and step.target != status:
        expected.add("status")
    if step.holder_after(case) != holder or "holder" in changed:
        expected.add("holder")
    if {"status", "holder"} & expected:
        expected |= {"due_at", "stage_entry"}
    expected |= {Case._meta.get_field(f).attname for f in step.writes}
    expected |= {Case._meta.get_field(f).attname for f in step.sets}
    expected |= set(step.stamps) | set(step.counts)
    # A value set to what it was already (no department on return, say) is no change.
    assert changed <= expected and changed >= expected - {"department_id", "due_at"}
    for stamp in step.stamps:
        assert getattr(case, stamp) == NOW
    assert event.step == name and event.to_status == case.status


# -- the clock ------------------------------------------------------------------------------
def test_one_due_time_whether_limits_are_read_once_or_each_time(tree, categories, departments):
    case = _case(
        tree,
        categories,
        status=Status.IN_PROGRESS,
        holder=Holder.DEPARTMENT,
        department=departments.a,
    )
    limits = clock.TimeLimits()
    assert clock.due_time(case, start=NOW) == clock.due_time(case, start=NOW, limits=limits)
    # 40 working hours of the handling stage (inherited from 市容环境) from Wednesday 10:00.
    assert clock.between(case, NOW, clock.due_time(case, start=NOW)) == timedelta(hours=40)
    assert limits.hours(case, "handle") == Decimal("40")


# -- the conflict message -------------------------------------------------------------------
def test_the_page_and_the_api_word_a_conflict_the_same(client, tree, categories, crew, settings):
    settings.LANGUAGE_CODE = "en"
    case = _filed(tree, categories, crew)
    stale = case.version
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(crew.dispatcher_a)
    url = f"/api/v1/cases/{case.pk}/transitions/"
    assert api.post(url, {"step": "accept"}, format="json").status_code == 200
    answer = api.post(url, {"step": "dispatch", "version": stale}, format="json")
    assert answer.status_code == 409

    client.force_login(crew.dispatcher_a)
    page = client.post(
        reverse("casework:step", args=[case.pk, "reject"]),
        {"reject-version": stale, "reject-comment": "不属实"},
        follow=True,
    )
    shown = [str(m) for m in page.context["messages"]]
    assert shown == [answer.json()["message"]]
    assert "already changed by" in shown[0]
