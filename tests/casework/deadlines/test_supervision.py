"""Extension and suspension requests, resuming, supervision orders and their pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from casework.deadlines import reminders
from casework.deadlines import services as deadline_services
from casework.deadlines.models import DeadlineRequest, SupervisionOrder
from casework.deadlines.selectors import deadline_stats
from casework.models import Case, CaseEvent, Holder, Status
from casework.workflow import step_label
from governance.models import Notification
from tests.casework.factories import CaseFactory

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=TZ)  # a Wednesday


@pytest.fixture
def held(tree, categories, departments):
    """A case being handled by department A, due Thursday 10:00 (handle stage)."""
    return CaseFactory(
        area=tree.building_a1,
        category=categories.garbage,
        status=Status.IN_PROGRESS,
        holder=Holder.DEPARTMENT,
        department=departments.a,
        due_at=datetime(2026, 11, 19, 10, 0, tzinfo=TZ),
    )


def _ask(case, actor, kind="extension", **kwargs):
    kwargs.setdefault("reason", "等待法院裁定")
    if kind == "extension":
        kwargs.setdefault("hours", "8")
    return deadline_services.deadline_request_create(
        case=case, actor=actor, kind=kind, now=NOW, **kwargs
    )


# -- extension ------------------------------------------------------------------------------
def test_an_approved_extension_moves_the_due_time_by_working_hours(crew, held):
    request = _ask(held, crew.handler_a, hours="8")

    deadline_services.deadline_request_decide(
        request=request, actor=crew.center, approve=True, now=NOW
    )

    held.refresh_from_db()
    # Thursday 10:00 + 8 working hours = Friday 10:30 (7.5 working hours a day).
    assert held.due_at == datetime(2026, 11, 20, 10, 30, tzinfo=TZ)
    request.refresh_from_db()
    assert request.status == "approved" and request.due_after == held.due_at
    assert held.version == 2
    steps = list(CaseEvent.objects.filter(case=held).values_list("step", flat=True))
    assert steps == ["request_extension", "approve_extension"]
    assert Notification.objects.filter(recipient=crew.center, kind="case.request_extension")
    assert Notification.objects.filter(recipient=crew.handler_a, kind="case.approve_extension")


def test_after_an_extension_the_stage_is_not_reported_overdue_again(crew, held):
    reminders.scan_deadlines(now=datetime(2026, 11, 19, 10, 5, tzinfo=TZ))
    request = _ask(held, crew.handler_a)
    deadline_services.deadline_request_decide(
        request=request, actor=crew.center, approve=True, now=NOW
    )

    result = reminders.scan_deadlines(now=datetime(2026, 11, 19, 10, 10, tzinfo=TZ))

    assert result.overdue == 0
    # Due Friday 10:30 now: 8.3 of the 40 working hours are left, so it is near due.
    assert result.near_due == 1


def test_only_the_holder_may_ask_and_only_the_center_decides(crew, held):
    with pytest.raises(PermissionDenied):
        _ask(held, crew.handler_b)
    with pytest.raises(PermissionDenied):
        _ask(held, crew.dispatcher_a)  # the department holds it, not the community
    request = _ask(held, crew.handler_a)
    for outsider in (crew.handler_a, crew.dispatcher_a, crew.dispatcher_b):
        with pytest.raises(PermissionDenied):
            deadline_services.deadline_request_decide(request=request, actor=outsider, approve=True)
    assert DeadlineRequest.objects.get().status == "pending"


def test_bad_requests_are_refused_with_field_errors_and_nothing_written(crew, held):
    with pytest.raises(ValidationError) as error:
        _ask(held, crew.handler_a, reason="  ", hours="-2")
    assert set(error.value.message_dict) == {"reason", "hours"}
    with pytest.raises(ValidationError) as error:
        _ask(held, crew.handler_a, kind="suspension", hours="4")
    assert "hours" in error.value.message_dict
    assert not DeadlineRequest.objects.exists()
    assert not CaseEvent.objects.exists()


def test_one_request_waits_at_a_time_and_refusing_needs_a_reason(crew, held):
    request = _ask(held, crew.handler_a)
    with pytest.raises(ValidationError):
        _ask(held, crew.handler_a, kind="suspension")
    with pytest.raises(ValidationError) as error:
        deadline_services.deadline_request_decide(request=request, actor=crew.center, approve=False)
    assert "comment" in error.value.message_dict

    deadline_services.deadline_request_decide(
        request=request, actor=crew.center, approve=False, comment="时限充足"
    )
    held.refresh_from_db()
    assert held.due_at == datetime(2026, 11, 19, 10, 0, tzinfo=TZ)
    with pytest.raises(ValidationError):
        deadline_services.deadline_request_decide(request=request, actor=crew.center, approve=True)


# -- suspension -----------------------------------------------------------------------------
def test_a_suspension_stops_the_clock_and_resuming_restarts_it_with_the_time_left(crew, held):
    request = _ask(held, crew.handler_a, kind="suspension", reason="业主在国外")
    deadline_services.deadline_request_decide(
        request=request, actor=crew.center, approve=True, now=NOW
    )

    held.refresh_from_db()
    assert held.due_at is None
    request.refresh_from_db()
    assert request.remaining_seconds == int(Decimal("7.5") * 3600)  # Wed 10:00 → Thu 10:00
    # Suspended cases are not scanned, however late it gets.
    assert reminders.scan_deadlines(now=NOW + timedelta(days=10)).total == 0

    monday = datetime(2026, 11, 30, 9, 0, tzinfo=TZ)
    deadline_services.case_resume(case=held, actor=crew.handler_a, now=monday)

    held.refresh_from_db()
    assert held.due_at == datetime(2026, 11, 30, 18, 0, tzinfo=TZ)  # a whole working day later
    assert CaseEvent.objects.filter(case=held, step="resume").count() == 1
    with pytest.raises(ValidationError):
        deadline_services.case_resume(case=held, actor=crew.handler_a, now=monday)


def test_a_step_that_starts_a_new_stage_ends_the_suspension(crew, held):
    from casework.services import case_step

    request = _ask(held, crew.handler_a, kind="suspension", reason="业主在国外")
    deadline_services.deadline_request_decide(
        request=request, actor=crew.center, approve=True, now=NOW
    )
    held.refresh_from_db()
    later = NOW + timedelta(days=1)

    case_step(case=held, actor=crew.handler_a, step="return", comment="非本部门职责", now=later)

    held.refresh_from_db()
    request.refresh_from_db()
    assert held.due_at is not None  # the dispatcher's stage runs on its own limit
    assert request.resumed_at == later
    assert Case.objects.get(pk=held.pk).active_suspension is None
    with pytest.raises(ValidationError):
        deadline_services.case_resume(case=held, actor=crew.center, now=later)


def test_deadline_statistics_count_extended_and_suspended_cases_in_scope(
    crew, held, tree, categories
):
    other = CaseFactory(
        area=tree.building_b1, category=categories.garbage, due_at=NOW + timedelta(hours=1)
    )
    deadline_services.deadline_request_decide(
        request=_ask(held, crew.handler_a), actor=crew.center, approve=True
    )
    deadline_services.deadline_request_decide(
        request=_ask(other, crew.dispatcher_b, kind="suspension"), actor=crew.center, approve=True
    )

    center = deadline_stats(crew.center)
    community_a = deadline_stats(crew.dispatcher_a)

    assert (center["total"], center["extended"], center["suspended"]) == (2, 1, 1)
    assert center["extended_share"] == 50.0
    assert (community_a["total"], community_a["suspended"]) == (1, 0)


# -- supervision orders ---------------------------------------------------------------------
def test_a_supervision_order_is_issued_answered_once_and_told_to_both_sides(crew, held):
    order = deadline_services.supervision_issue(
        case=held, actor=crew.center, demand="请于今日内处置完毕", reply_hours=4, now=NOW
    )

    assert order.status == "issued" and order.department_id == held.department_id
    assert order.reply_due_at == datetime(2026, 11, 18, 15, 30, tzinfo=TZ)
    assert Notification.objects.filter(recipient=crew.handler_a, kind="case.supervision")
    with pytest.raises(PermissionDenied):
        deadline_services.supervision_answer(order=order, actor=crew.handler_b, reply="已处理")
    with pytest.raises(ValidationError):
        deadline_services.supervision_answer(order=order, actor=crew.handler_a, reply=" ")

    deadline_services.supervision_answer(order=order, actor=crew.handler_a, reply="已安排清运")

    order.refresh_from_db()
    assert order.status == "answered" and order.replied_by == crew.handler_a
    assert Notification.objects.filter(recipient=crew.center, kind="case.supervision_answer")
    with pytest.raises(ValidationError):
        deadline_services.supervision_answer(order=order, actor=crew.handler_a, reply="再次答复")
    steps = list(CaseEvent.objects.filter(case=held).values_list("step", flat=True))
    assert steps == ["supervise", "answer_supervision"]


def test_only_the_center_issues_orders(crew, held):
    for user in (crew.handler_a, crew.dispatcher_a, crew.worker_a):
        with pytest.raises(PermissionDenied):
            deadline_services.supervision_issue(case=held, actor=user, demand="督办")
    assert not SupervisionOrder.objects.exists()


def test_the_order_page_prints_and_takes_the_answer(client, crew, held):
    order = deadline_services.supervision_issue(case=held, actor=crew.center, demand="请尽快处置")
    client.force_login(crew.handler_a)

    page = client.get(reverse("deadlines:order", args=[order.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert order.number in html and "请尽快处置" in html and "data-print" in html
    assert 'name="reply"' in html

    empty = client.post(reverse("deadlines:answer", args=[order.pk]), {"reply": ""})
    assert empty.status_code == 400
    done = client.post(reverse("deadlines:answer", args=[order.pk]), {"reply": "已清运完毕"})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.reply == "已清运完毕"


def test_supervision_pages_keep_to_the_scope(client, crew, held):
    order = deadline_services.supervision_issue(case=held, actor=crew.center, demand="请尽快处置")
    client.force_login(crew.dispatcher_b)

    assert client.get(reverse("deadlines:order", args=[order.pk])).status_code == 404
    assert client.get(reverse("deadlines:case", args=[held.pk])).status_code == 404
    desk = client.get(reverse("deadlines:desk"))
    assert desk.status_code == 200 and order.number not in desk.content.decode()


def test_the_case_deadline_page_takes_a_request_and_the_desk_decides_it(
    client, crew, held, django_assert_max_num_queries
):
    client.force_login(crew.handler_a)
    bad = client.post(
        reverse("deadlines:request", args=[held.pk]), {"kind": "extension", "reason": "x"}
    )
    assert bad.status_code == 400 and "hours" in bad.context["request_form"].errors
    ok = client.post(
        reverse("deadlines:request", args=[held.pk]),
        {"kind": "extension", "hours": "4", "reason": "等待天晴"},
    )
    assert ok.status_code == 302

    client.force_login(crew.center)
    with django_assert_max_num_queries(15):
        desk = client.get(reverse("deadlines:desk"))
    assert "等待天晴" in desk.content.decode()
    request = DeadlineRequest.objects.get()
    decided = client.post(
        reverse("deadlines:decide", args=[request.pk]), {"decision": "approve", "comment": ""}
    )
    assert decided.status_code == 302
    request.refresh_from_db()
    assert request.status == "approved"


def test_the_deadline_tag_says_suspended(crew, held):
    from django.template import Context, Template

    request = _ask(held, crew.handler_a, kind="suspension", reason="等待法院裁定")
    deadline_services.deadline_request_decide(
        request=request, actor=crew.center, approve=True, now=NOW
    )
    held = Case.objects.get(pk=held.pk)

    html = Template(
        "{% load deadline_tags %}{% case_deadline case as d %}{{ d.words }}|{{ d.is_suspended }}|"
        "{{ d.is_overdue }}"
    ).render(Context({"case": held}))

    words, suspended, overdue = html.split("|")
    assert words and suspended == "True" and overdue == "False"


# -- reminders of a stage entered again -----------------------------------------------------
def test_a_stage_entered_again_after_a_return_is_reminded_again_once(crew, held, departments):
    from django.db import IntegrityError, transaction

    from casework.deadlines.models import Reminder
    from casework.services import case_step

    held.status = Status.DISPATCHED
    held.due_at = NOW - timedelta(minutes=5)
    held.save()
    assert reminders.scan_deadlines(now=NOW).overdue == 1

    returned = case_step(
        case=held, actor=crew.handler_a, step="return", comment="不属本部门", now=NOW
    )
    again = case_step(
        case=returned, actor=crew.dispatcher_a, step="dispatch", department=departments.a, now=NOW
    )
    late = again.due_at + timedelta(minutes=1)
    first = reminders.scan_deadlines(now=late)
    second = reminders.scan_deadlines(now=late + timedelta(seconds=30))

    assert (first.overdue, second.overdue) == (1, 0)
    rows = list(
        Reminder.objects.filter(case=held, stage="acknowledge", kind="overdue", tier=1)
        .order_by("entry")
        .values_list("entry", flat=True)
    )
    assert rows == [held.stage_entry, again.stage_entry] and rows[0] < rows[1]
    # Still a database rule: the same entry cannot be reminded twice.
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            case=held, stage="acknowledge", entry=again.stage_entry, kind="overdue", due_at=late
        )


# -- the admin ------------------------------------------------------------------------------
@pytest.fixture
def deadline_records(crew, held, tree, categories):
    """In community A: a request, an order and reminders on ``held``; in B one of each."""
    other = CaseFactory(
        area=tree.building_b1,
        category=categories.garbage,
        status=Status.ACCEPTED,
        due_at=NOW - timedelta(minutes=5),
        title="柳荫案件",
    )
    reminders.scan_deadlines(now=NOW)
    for i in range(6):
        case = CaseFactory(
            area=tree.building_a1,
            category=categories.garbage,
            status=Status.REPORTED,
            due_at=NOW + timedelta(minutes=5 + i),
        )
        _ask(case, crew.dispatcher_a, kind="suspension")
        deadline_services.supervision_issue(
            case=case, actor=crew.center, demand=f"督办{i}", now=NOW
        )
    reminders.scan_deadlines(now=NOW + timedelta(hours=1))
    _ask(held, crew.handler_a)
    _ask(other, crew.dispatcher_b, kind="suspension")
    deadline_services.supervision_issue(case=held, actor=crew.center, demand="请尽快处置", now=NOW)
    deadline_services.supervision_issue(case=other, actor=crew.center, demand="柳荫督办", now=NOW)
    return held, other


def _staff(user):
    from django.contrib.auth.models import Permission

    user.is_staff = True
    user.save()
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="casework",
            codename__in=["view_reminder", "view_deadlinerequest", "view_supervisionorder"],
        )
    )
    return user


@pytest.mark.parametrize(
    "model", ["reminder", "deadlinerequest", "supervisionorder"], ids=lambda m: m
)
def test_deadline_admin_lists_are_scoped_read_only_and_without_n_plus_1(
    client, crew, deadline_records, model, django_assert_max_num_queries
):
    from django.urls import reverse

    held, other = deadline_records
    client.force_login(_staff(crew.admin_a))
    with django_assert_max_num_queries(16):
        page = client.get(reverse(f"admin:casework_{model}_changelist"))

    assert page.status_code == 200
    rows = list(page.context["cl"].result_list)
    assert len(rows) >= 7 and all(row.case.area_id == held.area_id for row in rows)
    assert other.number not in page.content.decode()
    assert client.get(reverse(f"admin:casework_{model}_add")).status_code == 403
    row = rows[0]
    view = client.get(reverse(f"admin:casework_{model}_change", args=[row.pk]))
    assert view.status_code == 200 and "<textarea" not in view.content.decode()
    assert client.post(reverse(f"admin:casework_{model}_change", args=[row.pk])).status_code == 403
    client.force_login(crew.superuser)
    assert client.get(reverse(f"admin:casework_{model}_changelist")).context[
        "cl"
    ].result_count > len(rows)


def test_reminders_not_told_yet_are_filtered_in_the_admin(client, crew, deadline_records):
    from django.urls import reverse

    from casework.deadlines.models import Reminder

    told = Reminder.objects.order_by("pk").first()
    reminders.notify_reminder(reminder_id=told.pk, now=NOW)
    client.force_login(crew.superuser)
    url = reverse("admin:casework_reminder_changelist")

    waiting = client.get(url, {"told": "no"}).context["cl"].result_list
    done = client.get(url, {"told": "yes"}).context["cl"].result_list

    assert [r.pk for r in done] == [told.pk]
    assert told.pk not in {r.pk for r in waiting} and len(waiting) == Reminder.objects.count() - 1


def test_the_admin_approves_waiting_requests_through_the_service(client, crew, held):
    from django.urls import reverse

    request = _ask(held, crew.handler_a)
    client.force_login(crew.superuser)

    response = client.post(
        reverse("admin:casework_deadlinerequest_changelist"),
        {"action": "approve_requests", "_selected_action": [request.pk]},
    )

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "approved" and request.decided_by == crew.superuser
    assert CaseEvent.objects.filter(case=held, step="approve_extension").count() == 1


def test_the_event_admin_filters_by_every_logged_step_with_its_label(client, crew, held):
    from django.urls import reverse

    _ask(held, crew.handler_a)
    client.force_login(crew.superuser)

    page = client.get(reverse("admin:casework_caseevent_changelist"), {"step": "request_extension"})

    assert page.status_code == 200
    assert [e.step for e in page.context["cl"].result_list] == ["request_extension"]
    assert str(step_label("request_extension")) in page.content.decode()
