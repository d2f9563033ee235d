"""Hidden dangers: reporting, the transition table (every step × role × state, in and out of
scope), deadlines on working time, conflicts, and the reminders, exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from governance.models import Notification
from governance.workclock import add_working_time
from grids import danger_reminders, danger_services
from grids import danger_workflow as workflow
from grids.models import DangerReminder, DangerState, HiddenDanger, HiddenDangerEvent
from tests.grids.field_factories import danger, jpeg

TZ = ZoneInfo("Asia/Shanghai")
# A Wednesday without holidays: working time 9:00–12:00, 13:30–18:00 (7.5 hours a day).
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=TZ)

INPUTS = {
    "order": {"requirement": "三日内清理楼道杂物", "limit_days": 3},
    "rectified": {"comment": "已清理", "photo": None},
    "pass": {"comment": "复查合格"},
    "fail": {"comment": "仍有杂物", "limit_days": 1},
    "dismiss": {"comment": "临时堆放，已搬走"},
}
# The users of the cast by (role, in scope of building A1).
ACTORS = {
    "worker_a": "grid_worker",
    "dispatcher_a": "community_dispatcher",
    "admin_a": "street_admin",
    "street_admin": "street_admin",
    "center": "center_supervisor",
    "viewer_a": "viewer",
    "party_a": "party_officer",
    "dispatcher_b": None,
    "worker_b": None,
    "nobody": None,
}


def _in_state(actor, area, state) -> HiddenDanger:
    """A danger reported by ``actor`` put directly into ``state`` (with a deadline where the
    state has one)."""
    d = danger(actor, area, now=NOW)
    values = {"state": state}
    if state in (DangerState.RECTIFYING, DangerState.REINSPECTING):
        values.update(due_at=NOW + timedelta(days=3), stage_entry=1, limit_days=3)
    HiddenDanger.objects.filter(pk=d.pk).update(**values)
    d.refresh_from_db()
    return d


# -- the table ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "step", [s for s in workflow.STEP_LIST if not s.creates and not s.via_case]
)
def test_each_step_is_taken_exactly_by_the_roles_in_the_table_from_its_states(field, tree, step):
    """For every state and every member of the cast: the step succeeds exactly when the table
    lists the state and the actor's role, and the danger lies in the actor's scope."""
    mismatches = []
    # An escalated danger has its case (a constraint): casework's tests take steps from there.
    for state in [s for s in DangerState if s != DangerState.ESCALATED]:
        for name, role in ACTORS.items():
            actor = getattr(field, name)
            with transaction.atomic():
                d = _in_state(field.worker_a, tree.building_a1, state)
                inputs = dict(INPUTS[step.name])
                if "photo" in inputs:
                    inputs["photo"] = jpeg()
                expected = state in step.sources and role in step.roles
                try:
                    after = danger_services.danger_transition(
                        danger=d, actor=actor, step=step.name, now=NOW, **inputs
                    )
                    happened = True
                    assert after.state == step.target
                    assert d.events.count() == 2
                except (PermissionDenied, ValidationError):
                    happened = False
                    assert HiddenDanger.objects.get(pk=d.pk).state == state
                    assert d.events.count() == 1
                if happened != expected:
                    mismatches.append((state.value, name, happened))
                transaction.set_rollback(True)
    assert mismatches == []


def test_a_superuser_takes_any_step_of_the_table(field, tree):
    d = _in_state(field.worker_a, tree.building_a1, DangerState.FOUND)
    d = danger_services.danger_transition(
        danger=d, actor=field.superuser, step="dismiss", comment="不构成", now=NOW
    )
    assert d.state == DangerState.DISMISSED


def test_escalating_needs_the_case_that_casework_files(field, tree):
    d = _in_state(field.worker_a, tree.building_a1, DangerState.RECTIFYING)
    with pytest.raises(ValidationError) as excinfo:
        danger_services.danger_transition(
            danger=d, actor=field.dispatcher_a, step="escalate", comment="逾期", now=NOW
        )
    assert "case" in excinfo.value.message_dict


def test_an_unknown_step_or_a_field_the_step_does_not_take_is_refused(field, tree):
    d = _in_state(field.worker_a, tree.building_a1, DangerState.FOUND)
    with pytest.raises(ValidationError):
        danger_services.danger_transition(danger=d, actor=field.worker_a, step="report")
    with pytest.raises(ValidationError) as excinfo:
        danger_services.danger_transition(
            danger=d, actor=field.worker_a, step="pass", limit_days=3, comment="x"
        )
    assert "limit_days" in excinfo.value.message_dict


# -- reporting ------------------------------------------------------------------------------
def test_a_grid_worker_reports_a_danger_and_follows_it_up(field, tree):
    d = danger(field.worker_a, tree.building_a1, photo=jpeg(), latitude="39.95", longitude="116.45")

    assert d.state == DangerState.FOUND and d.assignee == field.worker_a
    event = d.events.get()
    assert (event.step, event.role, event.to_state) == ("report", "grid_worker", "found")
    assert event.photo and event.photo_thumbnail


@pytest.mark.parametrize(
    ("changes", "field_name"),
    [
        ({"title": ""}, "title"),
        ({"category": "meteor"}, "category"),
        ({"address": ""}, "address"),
        ({"latitude": "91", "longitude": "116"}, "latitude"),
        ({"latitude": "39.9"}, "latitude"),
    ],
)
def test_a_report_with_bad_input_is_refused_on_the_field(field, tree, changes, field_name):
    with pytest.raises(ValidationError) as excinfo:
        danger(field.worker_a, tree.building_a1, **changes)
    assert field_name in excinfo.value.message_dict
    assert not HiddenDanger.objects.exists()


def test_a_danger_is_reported_on_a_place_below_a_street(field, tree):
    with pytest.raises(ValidationError):
        danger(field.street_admin, tree.street)


@pytest.mark.parametrize("who", ["viewer_a", "party_a", "dispatcher_b", "worker_b", "nobody"])
def test_reporting_needs_a_field_role_with_the_place_in_scope(field, tree, who):
    with pytest.raises(PermissionDenied):
        danger(getattr(field, who), tree.building_a1)


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_written(field, tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError) as excinfo:
        danger(field.worker_a, tree.building_a1, photo=SimpleUploadedFile("x.jpg", b"%PDF-1.4"))
    assert "photo" in excinfo.value.message_dict
    assert not HiddenDanger.objects.exists()


# -- deadlines ------------------------------------------------------------------------------
def test_ordering_rectification_sets_the_deadline_in_working_days(field, tree):
    d = danger(field.worker_a, tree.building_a1, now=NOW)
    d = danger_services.danger_transition(
        danger=d,
        actor=field.dispatcher_a,
        step="order",
        requirement="清理楼道",
        limit_days=2,
        responsible_party="物业",
        now=NOW,
    )
    assert d.state == DangerState.RECTIFYING
    assert d.due_at == add_working_time(NOW, 15, area=tree.building_a1)
    assert d.due_at == datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
    assert d.remind_at == add_working_time(NOW, 15 * 0.75, area=tree.building_a1)
    assert (d.stage_entry, d.responsible_party, d.requirement) == (1, "物业", "清理楼道")


def test_a_failed_re_inspection_orders_again_with_a_new_deadline(field, tree):
    d = danger(field.worker_a, tree.building_a1, now=NOW)
    later = NOW + timedelta(days=1)
    d = danger_services.danger_transition(
        danger=d, actor=field.worker_a, step="order", requirement="清理", limit_days=1, now=NOW
    )
    d = danger_services.danger_transition(
        danger=d, actor=field.worker_a, step="rectified", comment="已清理", photo=jpeg(), now=later
    )
    assert (d.state, d.stage_entry) == (DangerState.REINSPECTING, 2)
    assert d.due_at == add_working_time(later, workflow.REINSPECT_HOURS, area=tree.building_a1)
    d = danger_services.danger_transition(
        danger=d, actor=field.worker_a, step="fail", comment="未清理", limit_days=2, now=later
    )
    assert (d.state, d.stage_entry, d.limit_days) == (DangerState.RECTIFYING, 3, 2)
    d = danger_services.danger_transition(
        danger=d, actor=field.worker_a, step="rectified", comment="已清理", photo=jpeg(), now=later
    )
    d = danger_services.danger_transition(danger=d, actor=field.worker_a, step="pass", now=later)
    assert (d.state, d.due_at, d.remind_at, d.closed_at) == (DangerState.CLEARED, None, None, later)
    assert list(d.events.values_list("step", flat=True)) == [
        "report",
        "order",
        "rectified",
        "fail",
        "rectified",
        "pass",
    ]


@pytest.mark.parametrize(
    ("step", "inputs", "field_name"),
    [
        ("order", {"requirement": "", "limit_days": 3}, "requirement"),
        ("order", {"requirement": "清理", "limit_days": 4}, "limit_days"),
        ("order", {"requirement": "清理", "limit_days": "three"}, "limit_days"),
        ("dismiss", {"comment": ""}, "comment"),
    ],
)
def test_a_step_with_bad_inputs_is_refused_on_the_field(field, tree, step, inputs, field_name):
    d = danger(field.worker_a, tree.building_a1, now=NOW)
    with pytest.raises(ValidationError) as excinfo:
        danger_services.danger_transition(danger=d, actor=field.dispatcher_a, step=step, **inputs)
    assert field_name in excinfo.value.message_dict
    assert HiddenDanger.objects.get(pk=d.pk).state == DangerState.FOUND


def test_rectification_done_needs_a_photo(field, tree):
    d = _in_state(field.worker_a, tree.building_a1, DangerState.RECTIFYING)
    with pytest.raises(ValidationError) as excinfo:
        danger_services.danger_transition(
            danger=d, actor=field.worker_a, step="rectified", comment="已整改"
        )
    assert "photo" in excinfo.value.message_dict


def test_a_step_on_a_stale_copy_names_who_acted_first(field, tree, in_english):
    d = danger(field.worker_a, tree.building_a1, now=NOW)
    stale = HiddenDanger.objects.get(pk=d.pk)
    danger_services.danger_transition(
        danger=d, actor=field.dispatcher_a, step="dismiss", comment="不构成", now=NOW
    )
    with pytest.raises(danger_services.DangerConflict) as excinfo:
        danger_services.danger_transition(
            danger=stale, actor=field.worker_a, step="order", requirement="清理", limit_days=3
        )
    assert str(field.dispatcher_a) in excinfo.value.message
    assert HiddenDanger.objects.get(pk=d.pk).events.count() == 2


# -- reminders ------------------------------------------------------------------------------
def _ordered(field, tree, *, days=1, at=NOW) -> HiddenDanger:
    d = danger(field.worker_a, tree.building_a1, now=at)
    return danger_services.danger_transition(
        danger=d, actor=field.worker_a, step="order", requirement="清理", limit_days=days, now=at
    )


def _notify_all(now):
    for pk in DangerReminder.objects.filter(notified_at__isnull=True).values_list("pk", flat=True):
        danger_reminders.notify_danger_reminder(reminder_id=pk, now=now)


def _told(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_the_holder_is_reminded_once_near_the_deadline(field, tree):
    d = _ordered(field, tree)  # 7.5 working hours: due Thursday 10:00, remind at 75 %
    near = d.remind_at + timedelta(minutes=1)
    assert near < d.due_at

    first = danger_reminders.scan_danger_deadlines(now=near)
    second = danger_reminders.scan_danger_deadlines(now=near + timedelta(minutes=5))
    _notify_all(near)
    _notify_all(near)

    assert (first.near_due, second.near_due, first.overdue) == (1, 0, 0)
    assert _told(field.worker_a) == ["danger.near_due"]
    assert _told(field.dispatcher_a) == _told(field.center) == []


def test_nothing_is_reminded_before_three_quarters_of_the_time(field, tree):
    d = _ordered(field, tree)
    result = danger_reminders.scan_danger_deadlines(now=d.remind_at - timedelta(minutes=1))
    assert result.total == 0 and not DangerReminder.objects.exists()


def test_past_the_deadline_the_holder_and_their_superiors_are_told_once(field, tree):
    d = _ordered(field, tree)
    late = d.due_at + timedelta(hours=1)

    first = danger_reminders.scan_danger_deadlines(now=late)
    second = danger_reminders.scan_danger_deadlines(now=late + timedelta(minutes=1))
    _notify_all(late)
    _notify_all(late)

    assert (first.overdue, second.overdue) == (1, 0)
    # Found late by both passes, it is reported as overdue only.
    assert first.near_due == 0
    assert _told(field.worker_a) == ["danger.overdue"]
    assert _told(field.dispatcher_a) == ["danger.overdue"]
    assert _told(field.center) == ["danger.overdue"]
    assert _told(field.dispatcher_b) == _told(field.worker_b) == []
    assert d.events.filter(step="overdue").count() == 1


def test_a_danger_nobody_follows_up_reminds_the_grid_workers_of_its_area(field, tree):
    d = danger(field.dispatcher_a, tree.building_a1, now=NOW)
    d = danger_services.danger_transition(
        danger=d, actor=field.dispatcher_a, step="order", requirement="清理", limit_days=1, now=NOW
    )
    assert d.assignee is None
    danger_reminders.scan_danger_deadlines(now=d.remind_at + timedelta(minutes=1))
    _notify_all(NOW)
    assert _told(field.worker_a) == ["danger.near_due"]
    assert _told(field.worker_b) == []


def test_a_stage_entered_again_is_reminded_again_once(field, tree):
    d = _ordered(field, tree)
    danger_reminders.scan_danger_deadlines(now=d.due_at + timedelta(minutes=1))
    later = d.due_at + timedelta(hours=2)
    d = danger_services.danger_transition(
        danger=d, actor=field.worker_a, step="rectified", comment="已整改", photo=jpeg(), now=later
    )
    d = danger_services.danger_transition(
        danger=d, actor=field.worker_a, step="fail", comment="未整改", limit_days=1, now=later
    )
    danger_reminders.scan_danger_deadlines(now=d.due_at + timedelta(minutes=1))
    danger_reminders.scan_danger_deadlines(now=d.due_at + timedelta(minutes=2))
    rows = list(DangerReminder.objects.order_by("entry").values_list("stage", "entry", "kind"))
    assert rows == [("rectify", 1, "overdue"), ("rectify", 3, "overdue")]


def test_closed_dangers_are_not_scanned(field, tree):
    d = _ordered(field, tree)
    danger_services.danger_transition(
        danger=d, actor=field.worker_a, step="rectified", comment="已整改", photo=jpeg(), now=NOW
    )
    d.refresh_from_db()
    danger_services.danger_transition(danger=d, actor=field.worker_a, step="pass", now=NOW)
    result = danger_reminders.scan_danger_deadlines(now=NOW + timedelta(days=30))
    assert result.total == 0


def test_a_reminder_is_told_once_whoever_runs_the_notification(field, tree):
    d = _ordered(field, tree)
    danger_reminders.scan_danger_deadlines(now=d.due_at + timedelta(minutes=1))
    reminder = DangerReminder.objects.get()
    told = [
        danger_reminders.notify_danger_reminder(reminder_id=reminder.pk, now=NOW) for _ in range(3)
    ]
    assert told[0] == 3 and told[1:] == [0, 0]


def test_a_reminder_written_already_is_not_written_again(field, tree):
    d = _ordered(field, tree)
    DangerReminder.objects.create(
        danger=d, stage="rectify", entry=1, kind="overdue", due_at=d.due_at, created_at=NOW
    )
    result = danger_reminders.scan_danger_deadlines(now=d.due_at + timedelta(minutes=1))
    assert result.overdue == 0
    assert DangerReminder.objects.count() == 1
    assert not HiddenDangerEvent.objects.filter(step="overdue").exists()


def test_grid_workers_follow_dangers_up_but_only_the_office_dismisses_them():
    """The table itself, spelled out: what a street's grid center expects."""
    field_roles = {"grid_worker", "community_dispatcher", "center_supervisor", "street_admin"}
    for name in ("order", "rectified", "pass", "fail", "escalate"):
        assert set(workflow.STEPS[name].roles) == field_roles, name
    assert set(workflow.STEPS["dismiss"].roles) == field_roles - {"grid_worker"}
    for step in workflow.STEP_LIST:
        assert not {"viewer", "party_officer", "department_handler"} & set(step.roles)
    assert workflow.STEPS["order"].stage == "rectify"
    assert workflow.STEPS["fail"].stage == "rectify"
    assert workflow.STEPS["rectified"].stage == "reinspect"
    assert workflow.STEPS["escalate"].via_case
