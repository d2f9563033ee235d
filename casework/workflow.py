"""The case transition table: the one place that says which step may be taken from which
status, by which role, with which inputs, and where the case goes afterwards.

Services enforce it, the API lists and accepts its steps, pages draw their buttons and forms from
it, and the admin's actions go through it. Changing the workflow means changing this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from casework.models import OPEN_STATUSES, Holder, Source, Status
from governance.models import Role

# A holder value meaning "whoever dispatches this case": the center once escalated, else the
# community.
DISPATCHER = "dispatcher"

# Every input a step may take; the API and the forms use these names for their fields.
INPUTS = (
    "comment",
    "department",
    "duplicate_of",
    "result",
    "satisfaction",
    "photos",
    "is_public",
)

_COMMUNITY_OR_CENTER = {
    Role.COMMUNITY_DISPATCHER: Holder.COMMUNITY,
    Role.CENTER_SUPERVISOR: Holder.CENTER,
    Role.STREET_ADMIN: Holder.CENTER,
}
_VERIFIERS = {Role.GRID_WORKER: None, Role.CENTER_SUPERVISOR: None, Role.STREET_ADMIN: None}
_HANDLER = {Role.DEPARTMENT_HANDLER: None}


@dataclass(frozen=True)
class Step:
    name: str
    label: Promise
    # Statuses the case must be in (empty for "report", which creates the case).
    sources: frozenset[str]
    # Status afterwards; None keeps the status.
    target: str | None
    # Role → the holder the case must have for that role to act (None: whoever holds it).
    roles: dict[str, str | None]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    # Holder afterwards: a Holder value, DISPATCHER, or None (unchanged).
    holder: str | None = None
    # Kind of the photos taken with this step.
    photo_kind: str = "after"
    # Whether the event is shown to the reporter unless the actor says otherwise.
    public: bool = True
    # Extra condition on the case: returns why the step is not possible, or None.
    guard: Callable | None = field(default=None, compare=False)
    # Label of the comment field when this step requires it (a reason, a note).
    comment_label: Promise | None = None

    @property
    def creates(self) -> bool:
        return not self.sources

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.required + self.optional

    @property
    def changes_state(self) -> bool:
        return self.target is not None or self.holder is not None


def _not_evaluated(case) -> Promise | None:
    return _("The case has been evaluated already.") if case.satisfaction else None


# Roles that file cases from some sources only: a party officer files what a council (议事会)
# resolved, not what they happen to see (that is the grid worker's patrol).
REPORT_SOURCES: dict[str, frozenset[str]] = {Role.PARTY_OFFICER: frozenset({Source.COUNCIL})}


STEP_LIST: tuple[Step, ...] = (
    Step(
        name="report",
        label=_("Report"),
        sources=frozenset(),
        target=Status.REPORTED,
        roles={
            Role.GRID_WORKER: None,
            Role.COMMUNITY_DISPATCHER: None,
            Role.CENTER_SUPERVISOR: None,
            Role.STREET_ADMIN: None,
            Role.PARTY_OFFICER: None,
        },
        optional=("photos",),
        holder=Holder.COMMUNITY,
        photo_kind="before",
    ),
    Step(
        name="resolve_on_spot",
        label=_("Resolve on the spot"),
        sources=frozenset({Status.REPORTED}),
        target=Status.CLOSED,
        roles={Role.GRID_WORKER: Holder.COMMUNITY},
        required=("result", "photos"),
        optional=("comment", "is_public"),
        holder=Holder.NONE,
    ),
    Step(
        name="accept",
        label=_("Accept"),
        sources=frozenset({Status.REPORTED}),
        target=Status.ACCEPTED,
        roles=_COMMUNITY_OR_CENTER,
        optional=("comment", "is_public"),
    ),
    Step(
        name="reject",
        label=_("Reject"),
        sources=frozenset({Status.REPORTED}),
        target=Status.REJECTED,
        roles=_COMMUNITY_OR_CENTER,
        required=("comment",),
        optional=("is_public",),
        holder=Holder.NONE,
        comment_label=_("Reason for rejecting"),
    ),
    Step(
        name="merge",
        label=_("Merge into another case"),
        sources=frozenset({Status.REPORTED, Status.ACCEPTED}),
        target=Status.MERGED,
        roles=_COMMUNITY_OR_CENTER,
        required=("duplicate_of",),
        optional=("comment", "is_public"),
        holder=Holder.NONE,
    ),
    Step(
        name="dispatch",
        label=_("Dispatch to a department"),
        sources=frozenset({Status.ACCEPTED}),
        target=Status.DISPATCHED,
        roles=_COMMUNITY_OR_CENTER,
        optional=("department", "comment", "is_public"),
        holder=Holder.DEPARTMENT,
    ),
    Step(
        name="escalate",
        label=_("Escalate to the street"),
        sources=frozenset({Status.REPORTED, Status.ACCEPTED}),
        target=None,
        roles={Role.COMMUNITY_DISPATCHER: Holder.COMMUNITY},
        required=("comment",),
        optional=("is_public",),
        holder=Holder.CENTER,
        public=False,
        comment_label=_("Why the community cannot solve it"),
    ),
    Step(
        name="acknowledge",
        label=_("Acknowledge"),
        sources=frozenset({Status.DISPATCHED}),
        target=Status.IN_PROGRESS,
        roles=_HANDLER,
        optional=("comment", "is_public"),
    ),
    Step(
        name="return",
        label=_("Return to the dispatcher"),
        sources=frozenset({Status.DISPATCHED, Status.IN_PROGRESS}),
        target=Status.ACCEPTED,
        roles=_HANDLER,
        required=("comment",),
        optional=("is_public",),
        holder=DISPATCHER,
        public=False,
        comment_label=_("Why this is not for your department"),
    ),
    Step(
        name="complete",
        label=_("Complete"),
        sources=frozenset({Status.IN_PROGRESS}),
        target=Status.HANDLED,
        roles=_HANDLER,
        required=("result", "photos"),
        optional=("comment", "is_public"),
        holder=DISPATCHER,
    ),
    Step(
        name="verify_pass",
        label=_("Verify: fixed"),
        sources=frozenset({Status.HANDLED}),
        target=Status.CLOSED,
        roles=_VERIFIERS,
        optional=("comment", "photos", "is_public"),
        holder=Holder.NONE,
    ),
    Step(
        name="verify_fail",
        label=_("Verify: not fixed (rework)"),
        sources=frozenset({Status.HANDLED}),
        target=Status.IN_PROGRESS,
        roles=_VERIFIERS,
        required=("comment",),
        optional=("photos", "is_public"),
        holder=Holder.DEPARTMENT,
        comment_label=_("What is still wrong"),
    ),
    Step(
        name="evaluate",
        label=_("Record satisfaction"),
        sources=frozenset({Status.CLOSED}),
        target=None,
        roles={
            Role.COMMUNITY_DISPATCHER: None,
            Role.CENTER_SUPERVISOR: None,
            Role.STREET_ADMIN: None,
        },
        required=("satisfaction",),
        optional=("comment", "is_public"),
        guard=_not_evaluated,
    ),
    Step(
        name="attach",
        label=_("Add photos"),
        sources=frozenset(OPEN_STATUSES),
        target=None,
        roles={
            Role.GRID_WORKER: None,
            Role.COMMUNITY_DISPATCHER: None,
            Role.DEPARTMENT_HANDLER: None,
            Role.CENTER_SUPERVISOR: None,
            Role.STREET_ADMIN: None,
        },
        required=("photos",),
        optional=("comment", "is_public"),
        public=False,
    ),
)

STEPS: dict[str, Step] = {step.name: step for step in STEP_LIST}
STEP_CHOICES = [(step.name, step.label) for step in STEP_LIST]
TRANSITION_CHOICES = [(step.name, step.label) for step in STEP_LIST if not step.creates]

# Steps written to the case log around deadlines (by casework.supervision and the scan in
# casework.reminders). They change no status, so they are not in the table above; their labels
# live here so that every name of a logged step comes from this module.
LOG_STEP_LABELS: dict[str, Promise] = {
    "request_extension": _("Asked for an extension"),
    "approve_extension": _("Extension approved"),
    "refuse_extension": _("Extension refused"),
    "request_suspension": _("Asked to suspend"),
    "approve_suspension": _("Suspended"),
    "refuse_suspension": _("Suspension refused"),
    "resume": _("Resumed"),
    "supervise": _("Supervision order issued"),
    "answer_supervision": _("Supervision order answered"),
    "overdue": _("Overdue"),
    "escalate_overdue": _("Escalated: overdue by a second limit"),
}
# Every step a CaseEvent may carry, with its label: the table's and the deadline ones.
EVENT_STEP_CHOICES = [*STEP_CHOICES, *LOG_STEP_LABELS.items()]


def step_label(name: str) -> Promise | str:
    """The label of a logged step, whichever writes it (the raw name for an unknown one)."""
    step = STEPS.get(name)
    if step is not None:
        return step.label
    return LOG_STEP_LABELS.get(name, name)
