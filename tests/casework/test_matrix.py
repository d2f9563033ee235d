"""The full step matrix: every step × every role × in and out of scope × every state.

The expectations below are written out by hand from DOMAIN.md, not read from casework.workflow,
so that a wrong row in the transition table fails here. Allowed attempts must succeed with one new
event; every other attempt must be refused with a clear error and leave the case as it was.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casework.models import Case, CaseEvent, Holder, Source, Status
from casework.services import case_report, case_step
from casework.workflow import STEPS
from tests.casework.conftest import _role
from tests.casework.factories import CaseFactory, jpeg_upload

OPEN = {
    "reported",
    "reported_escalated",
    "accepted",
    "accepted_escalated",
    "dispatched",
    "in_progress",
    "handled",
}
STATES = {
    # name: (status, holder, escalated, with department A, evaluated)
    "reported": (Status.REPORTED, Holder.COMMUNITY, False, False, False),
    "reported_escalated": (Status.REPORTED, Holder.CENTER, True, False, False),
    "accepted": (Status.ACCEPTED, Holder.COMMUNITY, False, False, False),
    "accepted_escalated": (Status.ACCEPTED, Holder.CENTER, True, False, False),
    "rejected": (Status.REJECTED, Holder.NONE, False, False, False),
    "merged": (Status.MERGED, Holder.NONE, False, False, False),
    "dispatched": (Status.DISPATCHED, Holder.DEPARTMENT, False, True, False),
    "in_progress": (Status.IN_PROGRESS, Holder.DEPARTMENT, False, True, False),
    "handled": (Status.HANDLED, Holder.COMMUNITY, False, True, False),
    "closed": (Status.CLOSED, Holder.NONE, False, True, False),
    "closed_evaluated": (Status.CLOSED, Holder.NONE, False, True, True),
}
ROLES = (
    "street_admin",
    "center_supervisor",
    "community_dispatcher",
    "grid_worker",
    "department_handler",
    "party_officer",
    "viewer",
)


def _dispatch_like(community_states, center_states):
    return {
        "community_dispatcher": community_states,
        "center_supervisor": center_states,
        "street_admin": center_states,
    }


# step → role → states in which an in-scope holder of the role may take it.
ALLOWED = {
    "resolve_on_spot": {"grid_worker": {"reported"}},
    "accept": _dispatch_like({"reported"}, {"reported_escalated"}),
    "reject": _dispatch_like({"reported"}, {"reported_escalated"}),
    "merge": _dispatch_like({"reported", "accepted"}, {"reported_escalated", "accepted_escalated"}),
    "dispatch": _dispatch_like({"accepted"}, {"accepted_escalated"}),
    "escalate": {"community_dispatcher": {"reported", "accepted"}},
    "acknowledge": {"department_handler": {"dispatched"}},
    "return": {"department_handler": {"dispatched", "in_progress"}},
    "complete": {"department_handler": {"in_progress"}},
    "verify_pass": {r: {"handled"} for r in ("grid_worker", "center_supervisor", "street_admin")},
    "verify_fail": {r: {"handled"} for r in ("grid_worker", "center_supervisor", "street_admin")},
    "evaluate": {
        r: {"closed"} for r in ("community_dispatcher", "center_supervisor", "street_admin")
    },
    "attach": {
        "grid_worker": OPEN,
        "community_dispatcher": OPEN,
        "center_supervisor": OPEN,
        "street_admin": OPEN,
        "department_handler": {"dispatched", "in_progress", "handled"},
    },
}
# Where a superuser may take each step: wherever the status allows it.
SUPERUSER = {
    "resolve_on_spot": {"reported", "reported_escalated"},
    "accept": {"reported", "reported_escalated"},
    "reject": {"reported", "reported_escalated"},
    "merge": {"reported", "reported_escalated", "accepted", "accepted_escalated"},
    "dispatch": {"accepted", "accepted_escalated"},
    "escalate": {"reported", "reported_escalated", "accepted", "accepted_escalated"},
    "acknowledge": {"dispatched"},
    "return": {"dispatched", "in_progress"},
    "complete": {"in_progress"},
    "verify_pass": {"handled"},
    "verify_fail": {"handled"},
    "evaluate": {"closed"},
    "attach": OPEN,
}
TARGET = {
    "resolve_on_spot": Status.CLOSED,
    "accept": Status.ACCEPTED,
    "reject": Status.REJECTED,
    "merge": Status.MERGED,
    "dispatch": Status.DISPATCHED,
    "acknowledge": Status.IN_PROGRESS,
    "return": Status.ACCEPTED,
    "complete": Status.HANDLED,
    "verify_pass": Status.CLOSED,
    "verify_fail": Status.IN_PROGRESS,
}


def test_the_matrix_covers_every_step_of_the_table():
    assert set(ALLOWED) == {name for name, step in STEPS.items() if not step.creates}


@pytest.fixture
def actors(crew, tree, departments):
    """(label, user, role, in scope) for every role, in and out of community A / department A."""
    b = tree.community_b
    out = {
        "street_admin": _role("street_admin", area=b, username="admin_b"),
        "center_supervisor": _role("center_supervisor", area=b, username="center_b"),
        "community_dispatcher": crew.dispatcher_b,
        "grid_worker": crew.worker_b,
        "department_handler": crew.handler_b,
        "party_officer": _role("party_officer", area=b, username="party_b"),
        "viewer": _role("viewer", area=b, username="viewer_b"),
    }
    inside = {
        "street_admin": crew.street_admin,
        "center_supervisor": crew.center,
        "community_dispatcher": crew.dispatcher_a,
        "grid_worker": crew.worker_a,
        "department_handler": crew.handler_a,
        "party_officer": crew.party_a,
        "viewer": crew.viewer_a,
    }
    result = [(f"{r}/in", inside[r], r, True) for r in ROLES]
    result += [(f"{r}/out", out[r], r, False) for r in ROLES]
    result += [("nobody", crew.nobody, None, False), ("superuser", crew.superuser, None, None)]
    return result


def _make_case(state, *, tree, categories, departments, original):
    status, holder, escalated, with_department, evaluated = STATES[state]
    now = timezone.now()
    return CaseFactory(
        category=categories.garbage,
        area=tree.building_a1,
        street=tree.street,
        status=status,
        holder=holder,
        escalated_at=now if escalated else None,
        department=departments.a if with_department else None,
        duplicate_of=original if status == Status.MERGED else None,
        satisfaction="satisfied" if evaluated else "",
    )


def _inputs(step, original, departments):
    return {
        "resolve_on_spot": {"result": "已当场清理", "photos": [jpeg_upload()]},
        "reject": {"comment": "不属于受理范围"},
        "merge": {"duplicate_of": original},
        "dispatch": {"department": departments.a},
        "escalate": {"comment": "社区无法解决"},
        "return": {"comment": "不属本部门"},
        "complete": {"result": "已处置", "photos": [jpeg_upload()]},
        "verify_fail": {"comment": "仍未修复"},
        "evaluate": {"satisfaction": "satisfied"},
        "attach": {"photos": [jpeg_upload()]},
    }.get(step, {})


@pytest.mark.parametrize("step", sorted(ALLOWED))
def test_step_matrix(step, actors, tree, categories, departments):
    original = CaseFactory(
        category=categories.garbage, area=tree.building_a1, street=tree.street, title="原案件"
    )
    pristine: dict[str, Case] = {}
    problems: list[str] = []
    for label, user, role, in_scope in actors:
        for state in STATES:
            if state not in pristine:
                pristine[state] = _make_case(
                    state,
                    tree=tree,
                    categories=categories,
                    departments=departments,
                    original=original,
                )
            case = pristine[state]
            before_events = CaseEvent.objects.filter(case=case).count()
            if in_scope is None:
                allowed = state in SUPERUSER[step]
            else:
                allowed = in_scope and state in ALLOWED[step].get(role, set())
            try:
                result = case_step(
                    case=case, actor=user, step=step, **_inputs(step, original, departments)
                )
            except (ValidationError, PermissionDenied) as exc:
                message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                if allowed:
                    problems.append(f"{label} refused in {state}: {message}")
                elif not message or (
                    isinstance(exc, ValidationError) and "step" not in exc.message_dict
                ):
                    problems.append(f"{label} in {state}: unclear refusal {exc!r}")
                stored = Case.objects.get(pk=case.pk)
                after_events = CaseEvent.objects.filter(case=case).count()
                if (stored.status, stored.holder, stored.version) != (
                    case.status,
                    case.holder,
                    case.version,
                ) or after_events != before_events:
                    problems.append(f"{label} in {state}: refused but the case changed")
                continue
            del pristine[state]  # the case moved on: the next attempt gets a fresh one
            if not allowed:
                problems.append(f"{label} was allowed in {state}")
                continue
            expected = TARGET.get(step, STATES[state][0])
            events = CaseEvent.objects.filter(case=case).count() - before_events
            if result.status != expected or events != 1:
                problems.append(f"{label} in {state}: ended {result.status} with {events} events")
    assert problems == []


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("street_admin", True),
        ("admin_a", True),
        ("center", True),
        ("dispatcher_a", True),
        ("worker_a", True),
        ("superuser", True),
        ("dispatcher_b", False),
        ("worker_b", False),
        ("handler_a", False),
        ("party_a", False),
        ("viewer_a", False),
        ("nobody", False),
    ],
)
def test_report_matrix(who, allowed, crew, tree, categories):
    user = getattr(crew, who)
    attempt = dict(
        actor=user,
        title="井盖缺失",
        category=categories.garbage,
        area=tree.building_a1,
        source=Source.PATROL,
        address="青松里1号楼",
    )
    if allowed:
        case = case_report(**attempt)
        assert case.events.count() == 1
    else:
        with pytest.raises(PermissionDenied) as exc:
            case_report(**attempt)
        assert str(exc.value)
        assert not Case.objects.exists()


def test_a_party_officer_files_council_resolutions_only(crew, tree, categories):
    attempt = dict(
        actor=crew.party_a,
        title="院落停车秩序整治",
        category=categories.garbage,
        area=tree.building_a1,
        address="青松里1号楼",
    )

    case = case_report(source=Source.COUNCIL, **attempt)

    assert case.events.get().role == "party_officer"
    with pytest.raises(PermissionDenied):
        case_report(source=Source.PATROL, **attempt)
    assert Case.objects.count() == 1
