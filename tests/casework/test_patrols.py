"""Field work that becomes a case (casework.patrols): a patrol finding filed as a case, a hidden
danger escalated as one, each in one step, both or nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from casework import patrols
from casework.models import Attachment, Case, Source, Status
from grids import danger_services
from grids.models import DangerState, HiddenDanger, PatrolFinding
from tests.grids.field_factories import danger, jpeg, open_patrol


@pytest.fixture
def patrol(crew, tree):
    return open_patrol(crew.worker_a, tree.grid_a1)


def test_a_finding_is_filed_as_a_case_in_the_same_step(crew, tree, categories, patrol):
    finding, case = patrols.finding_report(
        actor=crew.worker_a,
        patrol=patrol,
        description="青松里1号楼东侧垃圾堆放",
        area=tree.building_a1,
        latitude="39.950000",
        longitude="116.450000",
        photo=jpeg(),
        category=categories.garbage,
    )

    assert (case.source, case.status, case.reporter) == (
        Source.PATROL,
        Status.REPORTED,
        crew.worker_a,
    )
    assert case.title == "青松里1号楼东侧垃圾堆放" and case.area == tree.building_a1
    assert PatrolFinding.objects.get(pk=finding.pk).case == case
    assert Case.objects.get(pk=case.pk).patrol_finding == finding
    assert Attachment.objects.filter(case=case, kind="before").count() == 1


def test_a_finding_without_a_category_is_only_recorded(crew, tree, patrol):
    finding, case = patrols.finding_report(
        actor=crew.worker_a, patrol=patrol, description="路灯闪烁，继续观察", category=None
    )
    assert case is None and finding.case is None
    assert not Case.objects.exists()


def test_a_refused_case_leaves_no_finding_either(crew, tree, categories, patrol):
    with pytest.raises(ValidationError) as excinfo:
        patrols.finding_report(
            actor=crew.worker_a,
            patrol=patrol,
            description="垃圾",
            category=categories.parent,  # not a sub-category
        )
    assert "category" in excinfo.value.message_dict
    assert not PatrolFinding.objects.exists() and not Case.objects.exists()


def test_an_earlier_finding_is_filed_once(crew, tree, categories, patrol):
    finding, _case = patrols.finding_report(
        actor=crew.worker_a, patrol=patrol, description="井盖缺失", category=None
    )
    case = patrols.finding_file_case(actor=crew.worker_a, finding=finding, category=categories.lamp)
    with pytest.raises(ValidationError):
        patrols.finding_file_case(actor=crew.worker_a, finding=finding, category=categories.lamp)
    assert Case.objects.get() == case


@pytest.mark.parametrize("who", ["worker_b", "dispatcher_b", "nobody"])
def test_nobody_out_of_scope_files_a_finding(crew, tree, categories, patrol, who):
    finding, _case = patrols.finding_report(
        actor=crew.worker_a, patrol=patrol, description="井盖缺失", category=None
    )
    with pytest.raises(PermissionDenied):
        patrols.finding_file_case(
            actor=getattr(crew, who), finding=finding, category=categories.lamp
        )
    assert not Case.objects.exists()


# -- escalation -----------------------------------------------------------------------------
def _danger(crew, tree, state=DangerState.FOUND, categories=None):
    d = danger(crew.worker_a, tree.building_a1, photo=jpeg())
    if state in (DangerState.RECTIFYING, DangerState.REINSPECTING, DangerState.CLEARED):
        d = danger_services.danger_transition(
            danger=d, actor=crew.worker_a, step="order", requirement="清理", limit_days=1
        )
    if state in (DangerState.REINSPECTING, DangerState.CLEARED):
        d = danger_services.danger_transition(
            danger=d, actor=crew.worker_a, step="rectified", comment="已整改", photo=jpeg()
        )
    if state == DangerState.CLEARED:
        d = danger_services.danger_transition(danger=d, actor=crew.worker_a, step="pass")
    if state == DangerState.DISMISSED:
        d = danger_services.danger_transition(
            danger=d, actor=crew.dispatcher_a, step="dismiss", comment="不构成"
        )
    if state == DangerState.ESCALATED:
        patrols.danger_escalate(
            actor=crew.worker_a, danger=d, category=categories.garbage, comment="逾期"
        )
        d.refresh_from_db()
    return d


def test_escalating_a_danger_files_its_case_with_its_place_and_photo(crew, tree, categories):
    d = _danger(crew, tree, DangerState.RECTIFYING)

    case = patrols.danger_escalate(
        actor=crew.dispatcher_a, danger=d, category=categories.garbage, comment="逾期未整改"
    )

    d.refresh_from_db()
    assert (d.state, d.case) == (DangerState.ESCALATED, case)
    assert case.hidden_danger == d
    assert (case.source, case.area, case.title) == (Source.PATROL, tree.building_a1, d.title)
    assert Attachment.objects.filter(case=case).count() == 1
    assert list(d.events.values_list("step", flat=True)) == ["report", "order", "escalate"]


@pytest.mark.parametrize(
    ("who", "state", "allowed"),
    [
        ("worker_a", DangerState.FOUND, True),
        ("dispatcher_a", DangerState.REINSPECTING, True),
        ("center", DangerState.RECTIFYING, True),
        ("admin_a", DangerState.FOUND, True),
        ("viewer_a", DangerState.FOUND, False),
        ("party_a", DangerState.RECTIFYING, False),
        ("worker_b", DangerState.FOUND, False),
        ("dispatcher_b", DangerState.RECTIFYING, False),
        ("handler_a", DangerState.FOUND, False),
        ("worker_a", DangerState.CLEARED, False),
        ("dispatcher_a", DangerState.DISMISSED, False),
        ("dispatcher_a", DangerState.ESCALATED, False),
    ],
)
def test_escalation_follows_the_table_and_a_refusal_files_no_case(
    crew, tree, categories, who, state, allowed
):
    d = _danger(crew, tree, state, categories)
    cases_before = Case.objects.count()
    try:
        with transaction.atomic():
            patrols.danger_escalate(
                actor=getattr(crew, who), danger=d, category=categories.garbage, comment="转案"
            )
        happened = True
    except (PermissionDenied, ValidationError):
        happened = False
    assert happened is allowed
    assert Case.objects.count() == cases_before + (1 if allowed else 0)
    assert HiddenDanger.objects.get(pk=d.pk).state == (DangerState.ESCALATED if allowed else state)


def test_escalating_a_stale_copy_is_a_conflict_and_files_no_case(crew, tree, categories):
    d = _danger(crew, tree, DangerState.FOUND)
    stale = HiddenDanger.objects.get(pk=d.pk)
    danger_services.danger_transition(
        danger=d, actor=crew.worker_a, step="order", requirement="清理", limit_days=1
    )
    with pytest.raises(danger_services.DangerConflict):
        patrols.danger_escalate(
            actor=crew.dispatcher_a,
            danger=stale,
            category=categories.garbage,
            comment="转案",
            version=stale.version,
        )
    assert not Case.objects.exists()


def test_escalating_needs_a_reason(crew, tree, categories):
    d = _danger(crew, tree)
    with pytest.raises(ValidationError) as excinfo:
        patrols.danger_escalate(
            actor=crew.worker_a, danger=d, category=categories.garbage, comment=" "
        )
    assert "comment" in excinfo.value.message_dict
