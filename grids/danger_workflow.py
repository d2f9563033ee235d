"""The hidden-danger transition table: the one place that says which step may be taken from which
state, by which role, with which inputs, where the danger goes afterwards and which deadline
starts.

:func:`grids.danger_services.danger_transition` enforces it; the pages draw their step forms from
it, the API lists and accepts its steps. Changing the workflow means changing this table.

```
found 已发现 ──order (deadline)──▶ rectifying 整改中 ──rectified (photo)──▶ reinspecting 待复查
  │                                  ▲                                        │
  └─dismiss──▶ dismissed             └──────────── fail (new deadline) ───────┤
                                                                              └─pass──▶ cleared 已销号
found / rectifying / reinspecting ──escalate (casework files the case)──▶ escalated 已转案件
```
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from governance.models import Role
from governance.models.roles import IMPLIED_ROLES
from governance.scopes import scope_of
from grids.models import DangerStage, DangerState

# Every input a step may take; the API and the forms use these names for their fields.
INPUTS = ("comment", "limit_days", "requirement", "responsible_party", "photo", "case")

# Working days a rectification may be given (the order's deadline), and the re-inspection's
# own limit once the rectification is reported done, in working hours.
LIMIT_DAY_CHOICES = (1, 2, 3, 5, 7, 10, 15, 20, 30)
REINSPECT_HOURS = 16
# Share of a stage's working time after which the holder is reminded (as for cases).
NEAR_DUE_SHARE = 0.75

_FIELD = frozenset(
    {
        Role.GRID_WORKER,
        Role.COMMUNITY_DISPATCHER,
        Role.CENTER_SUPERVISOR,
        Role.STREET_ADMIN,
    }
)
_OFFICE = frozenset({Role.COMMUNITY_DISPATCHER, Role.CENTER_SUPERVISOR, Role.STREET_ADMIN})
_OPEN = frozenset({DangerState.FOUND, DangerState.RECTIFYING, DangerState.REINSPECTING})


@dataclass(frozen=True)
class Step:
    name: str
    label: Promise
    # States the danger must be in (empty for "report", which creates it).
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    # The stage whose deadline starts with this step (None: no deadline runs afterwards).
    stage: str | None = None
    # Label of the comment field when the step requires it.
    comment_label: Promise | None = None
    # Taken only by casework's escalation service, which files the case it needs.
    via_case: bool = False

    @property
    def creates(self) -> bool:
        return not self.sources

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.required + self.optional


STEP_LIST: tuple[Step, ...] = (
    Step(
        name="report",
        label=_("Report a hidden danger"),
        sources=frozenset(),
        target=DangerState.FOUND,
        roles=_FIELD,
        optional=("photo", "responsible_party"),
    ),
    Step(
        name="order",
        label=_("Order rectification"),
        sources=frozenset({DangerState.FOUND}),
        target=DangerState.RECTIFYING,
        roles=_FIELD,
        required=("requirement", "limit_days"),
        optional=("responsible_party", "comment"),
        stage=DangerStage.RECTIFY,
    ),
    Step(
        name="rectified",
        label=_("Rectification done"),
        sources=frozenset({DangerState.RECTIFYING}),
        target=DangerState.REINSPECTING,
        roles=_FIELD,
        required=("comment", "photo"),
        stage=DangerStage.REINSPECT,
        comment_label=_("What was done"),
    ),
    Step(
        name="pass",
        label=_("Re-inspected: cleared"),
        sources=frozenset({DangerState.REINSPECTING}),
        target=DangerState.CLEARED,
        roles=_FIELD,
        optional=("comment", "photo"),
    ),
    Step(
        name="fail",
        label=_("Re-inspected: not rectified"),
        sources=frozenset({DangerState.REINSPECTING}),
        target=DangerState.RECTIFYING,
        roles=_FIELD,
        required=("comment", "limit_days"),
        optional=("photo",),
        stage=DangerStage.RECTIFY,
        comment_label=_("What is still wrong"),
    ),
    Step(
        name="escalate",
        label=_("Escalate as a case"),
        sources=_OPEN,
        target=DangerState.ESCALATED,
        roles=_FIELD,
        required=("comment", "case"),
        comment_label=_("Why it needs a case"),
        via_case=True,
    ),
    Step(
        name="dismiss",
        label=_("Not a danger"),
        sources=frozenset({DangerState.FOUND}),
        target=DangerState.DISMISSED,
        roles=_OFFICE,
        required=("comment",),
        comment_label=_("Why it is not a danger"),
    ),
)

STEPS: dict[str, Step] = {step.name: step for step in STEP_LIST}
STEP_CHOICES = [(step.name, step.label) for step in STEP_LIST]
# Steps written to the log by the deadline scan; they change no state.
LOG_STEP_LABELS: dict[str, Promise] = {"overdue": _("Overdue")}
EVENT_STEP_CHOICES = [*STEP_CHOICES, *LOG_STEP_LABELS.items()]


def step_label(name: str) -> Promise | str:
    step = STEPS.get(name)
    if step is not None:
        return step.label
    return LOG_STEP_LABELS.get(name, name)


def role_for(user, step: Step, area) -> str | None:
    """The role in which ``user`` may take ``step`` on a danger in ``area``, or None. Reads only
    the user's cached role assignments."""
    scope = scope_of(user)
    if scope.is_superuser:
        return "superuser"
    for assignment in scope.assignments:
        if not (assignment.area_id and area.is_within(assignment.area)):
            continue
        if assignment.role in step.roles:
            return assignment.role
        # A district admin acts as the street admin of the streets below.
        carried = sorted(IMPLIED_ROLES.get(assignment.role, frozenset()) & set(step.roles))
        if carried:
            return carried[0]
    return None


def available_steps(user, danger) -> list[Step]:
    """The steps ``user`` may take on ``danger`` now (state, role and scope)."""
    return [
        step
        for step in STEP_LIST
        if not step.creates
        and danger.state in step.sources
        and role_for(user, step, danger.area) is not None
    ]
