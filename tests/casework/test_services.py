"""Filing and stepping cases through the services."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from casework.models import Attachment, Case, CaseEvent, Holder, Source, Status
from casework.services import CaseConflict, case_report, case_step
from tests.casework.factories import jpeg_upload

TZ = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)


def _report(actor, tree, categories, **kwargs):
    fields = dict(
        actor=actor,
        title="垃圾堆放",
        category=categories.garbage,
        area=tree.building_a1,
        source=Source.PATROL,
        address="青松里1号楼东侧",
    )
    fields.update(kwargs)
    return case_report(**fields)


def test_report_numbers_sets_holder_due_and_one_event(tree, categories, crew):
    case = _report(crew.worker_a, tree, categories, photos=[jpeg_upload()], now=MONDAY_10)
    assert case.number == "2026-000001"
    assert case.street == tree.street
    assert case.community == tree.community_a
    assert case.grid == tree.grid_a1
    assert case.status == Status.REPORTED
    assert case.holder == Holder.COMMUNITY
    assert case.reporter == crew.worker_a
    # 2 working hours after Monday 10:00 → 12:00 (limits inherited from 市容环境).
    assert case.due_at == datetime(2026, 11, 23, 12, 0, tzinfo=TZ)
    event = case.events.get()
    assert (event.step, event.role, event.to_status) == ("report", "grid_worker", "reported")
    assert Attachment.objects.get(case=case).kind == "before"
    # The same year (filed at the real time, it was 2027-000001 from 2027-01-01 in Shanghai).
    second = _report(crew.worker_a, tree, categories, now=MONDAY_10)
    assert second.number == "2026-000002"


def test_report_refuses_outside_the_workers_grid(tree, categories, crew):
    with pytest.raises(PermissionDenied):
        _report(crew.worker_a, tree, categories, area=tree.building_b1)
    assert not Case.objects.exists()


def test_report_names_every_bad_field(tree, categories, crew):
    with pytest.raises(ValidationError) as exc:
        _report(
            crew.dispatcher_a,
            tree,
            categories,
            title="",
            category=categories.parent,
            address="",
            source=Source.HOTLINE,
        )
    assert set(exc.value.message_dict) == {"title", "category", "address", "reporter_name"}
    assert not Case.objects.exists()


def test_the_full_loop_writes_one_event_per_step(tree, categories, crew, departments):
    case = _report(crew.worker_a, tree, categories, now=MONDAY_10)
    case = case_step(case=case, actor=crew.dispatcher_a, step="accept")
    case = case_step(case=case, actor=crew.dispatcher_a, step="dispatch")
    assert case.department == departments.a  # the category's default
    assert case.holder == Holder.DEPARTMENT
    case = case_step(case=case, actor=crew.handler_a, step="acknowledge")
    case = case_step(
        case=case, actor=crew.handler_a, step="complete", result="已清运", photos=[jpeg_upload()]
    )
    assert case.holder == Holder.COMMUNITY
    case = case_step(case=case, actor=crew.worker_a, step="verify_fail", comment="仍有残留")
    assert case.status == Status.IN_PROGRESS
    assert case.rework_count == 1
    case = case_step(
        case=case,
        actor=crew.handler_a,
        step="complete",
        result="已彻底清运",
        photos=[jpeg_upload()],
    )
    case = case_step(case=case, actor=crew.worker_a, step="verify_pass")
    case = case_step(case=case, actor=crew.dispatcher_a, step="evaluate", satisfaction="satisfied")
    assert case.status == Status.CLOSED
    assert case.satisfaction == "satisfied"
    steps = list(case.events.values_list("step", flat=True))
    assert steps == [
        "report",
        "accept",
        "dispatch",
        "acknowledge",
        "complete",
        "verify_fail",
        "complete",
        "verify_pass",
        "evaluate",
    ]
    with pytest.raises(ValidationError) as exc:
        case_step(case=case, actor=crew.dispatcher_a, step="evaluate", satisfaction="satisfied")
    assert "step" in exc.value.message_dict


def test_escalated_case_is_dispatched_by_the_center_and_returns_to_it(tree, categories, crew):
    case = _report(crew.worker_a, tree, categories)
    case = case_step(case=case, actor=crew.dispatcher_a, step="escalate", comment="需多部门")
    assert case.holder == Holder.CENTER
    with pytest.raises(PermissionDenied):
        case_step(case=case, actor=crew.dispatcher_a, step="accept")
    case = case_step(case=case, actor=crew.center, step="accept")
    case = case_step(case=case, actor=crew.center, step="dispatch")
    case = case_step(case=case, actor=crew.handler_a, step="return", comment="不属本部门")
    assert (case.status, case.holder, case.department) == (Status.ACCEPTED, Holder.CENTER, None)
    assert case.return_count == 1


def test_a_stale_copy_is_refused_as_a_conflict_naming_the_winner(tree, categories, crew):
    case = _report(crew.worker_a, tree, categories)
    stale = Case.objects.get(pk=case.pk)
    case_step(case=case, actor=crew.dispatcher_a, step="accept")
    with pytest.raises(CaseConflict) as exc:
        case_step(case=stale, actor=crew.dispatcher_a, step="reject", comment="重复")
    assert crew.dispatcher_a.full_name in exc.value.message
    assert CaseEvent.objects.filter(case=case).count() == 2


def test_events_cannot_be_changed_or_deleted(tree, categories, crew):
    case = _report(crew.worker_a, tree, categories)
    event = case.events.get()
    event.comment = "改写历史"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        CaseEvent.objects.filter(pk=event.pk).update(comment="x")
    with pytest.raises(PermissionError):
        CaseEvent.objects.all().delete()


def test_dispatch_takes_the_chosen_department_or_needs_one(tree, categories, crew, departments):
    case = _report(crew.worker_a, tree, categories)
    case = case_step(case=case, actor=crew.dispatcher_a, step="accept")
    case = case_step(case=case, actor=crew.dispatcher_a, step="dispatch", department=departments.b)
    assert case.department == departments.b
    assert case.events.last().department == departments.b

    categories.parent.default_department = None
    categories.parent.save()
    lamp = _report(crew.worker_a, tree, categories, category=categories.lamp)
    lamp = case_step(case=lamp, actor=crew.dispatcher_a, step="accept")
    with pytest.raises(ValidationError) as exc:
        case_step(case=lamp, actor=crew.dispatcher_a, step="dispatch")
    assert "department" in exc.value.message_dict
    lamp.refresh_from_db()
    assert lamp.status == Status.ACCEPTED
    assert lamp.events.count() == 2


def test_merge_needs_a_live_case_of_the_same_street_in_sight(tree, categories, crew):
    original = _report(crew.worker_a, tree, categories)
    rejected = case_step(
        case=_report(crew.worker_a, tree, categories),
        actor=crew.dispatcher_a,
        step="reject",
        comment="不属实",
    )
    in_b = _report(crew.worker_b, tree, categories, area=tree.building_b1)
    duplicate = _report(crew.worker_a, tree, categories)
    for target in (rejected, in_b, duplicate, 999999):
        with pytest.raises(ValidationError) as exc:
            case_step(case=duplicate, actor=crew.dispatcher_a, step="merge", duplicate_of=target)
        assert "duplicate_of" in exc.value.message_dict
    merged = case_step(case=duplicate, actor=crew.dispatcher_a, step="merge", duplicate_of=original)
    assert (merged.status, merged.duplicate_of, merged.holder) == (
        Status.MERGED,
        original,
        Holder.NONE,
    )
    assert merged.due_at is None


def test_a_step_refuses_inputs_it_does_not_take(tree, categories, crew):
    case = _report(crew.worker_a, tree, categories)
    with pytest.raises(ValidationError) as exc:
        case_step(case=case, actor=crew.dispatcher_a, step="accept", result="已处理")
    assert "result" in exc.value.message_dict
    assert case.events.count() == 1


def test_steps_are_in_the_change_log(tree, categories, crew):
    from django.contrib.contenttypes.models import ContentType

    from governance.changelog import change_context
    from governance.models import ObjectChange

    case = _report(crew.worker_a, tree, categories)
    with change_context(user=crew.dispatcher_a):
        case_step(case=case, actor=crew.dispatcher_a, step="accept")
    change = ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Case), object_id=str(case.pk)
    ).first()
    assert change.user == crew.dispatcher_a
    assert change.area_id == tree.building_a1.pk
    assert ("status", "reported", "accepted") in change.diff
