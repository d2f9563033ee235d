"""The case step table: the one place that says which step may be taken from which status, by
which role, with which inputs, where the case goes afterwards and what the step writes on it.

Services carry it out (:func:`casework.services.apply_step` reads nothing else), the API lists and
accepts its steps, pages draw their buttons and forms from it, and the admin's actions go through
it. Changing the workflow means changing this table. It also says who acts for each holder of a
case (:data:`HOLDER_ROLES`), which the inboxes, the deadline pages and the notifications read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from casework.choices import OPEN_STATUSES, Holder, Source, Status
from governance.models import Role

# Who acts for each holder of a case. Area roles reach a case through its area, department roles
# through its department.
HOLDER_ROLES: dict[str, tuple[str, ...]] = {
    Holder.COMMUNITY: (Role.COMMUNITY_DISPATCHER,),
    Holder.CENTER: (Role.CENTER_SUPERVISOR, Role.STREET_ADMIN),
    Holder.DEPARTMENT: (Role.DEPARTMENT_HANDLER,),
}
# The grid management center: decides on deadlines, issues supervision orders, verifies.
CENTER_ROLES = HOLDER_ROLES[Holder.CENTER]

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

# Role → the holder the case must have for that role to act.
_COMMUNITY_OR_CENTER = {
    role: holder for holder in (Holder.COMMUNITY, Holder.CENTER) for role in HOLDER_ROLES[holder]
}
_VERIFIERS = {Role.GRID_WORKER: None, **dict.fromkeys(CENTER_ROLES)}
_HANDLER = dict.fromkeys(HOLDER_ROLES[Holder.DEPARTMENT])


@dataclass(frozen=True)
class Step:
    """One step. What it does to the case, in this order: ``target`` and ``holder`` move it;
    ``writes`` stores inputs on the case under their own names, ``sets`` fixed values, ``stamps``
    the step's time, ``counts`` raises counters. A step that changes the status or the holder
    starts a new entry of the stage its status has (a new due time, reminders again)."""

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
    writes: tuple[str, ...] = ()
    sets: dict[str, object] = field(default_factory=dict)
    stamps: tuple[str, ...] = ()
    counts: tuple[str, ...] = ()
    # Kind of the photos taken with this step.
    photo_kind: str = "after"
    # Whether the event is shown to the reporter unless the actor says otherwise.
    public: bool = True
    # Extra condition on the case: returns why the step is not possible, or None.
    guard: Callable | None = field(default=None, compare=False)
    # Label of the comment field when this step requires it (a reason, a note).
    comment_label: Promise | None = None
    # The main action of the moment on the case page (a filled button, offered first).
    primary: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.writes) - set(self.inputs)
        if unknown:
            raise ValueError(f"step {self.name} writes inputs it does not take: {unknown}")

    @property
    def creates(self) -> bool:
        return not self.sources

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.required + self.optional

    @property
    def changes_state(self) -> bool:
        return self.target is not None or self.holder is not None

    def holder_after(self, case) -> str:
        """Who holds ``case`` once this step is taken."""
        if self.holder == DISPATCHER:
            return Holder.CENTER if case.escalated_at else Holder.COMMUNITY
        return case.holder if self.holder is None else self.holder


def _not_evaluated(case) -> Promise | None:
    return _("The case has been evaluated already.") if case.satisfaction else None


# Roles that file cases from some sources only: a party officer files what a council (议事会)
# resolved or what residents told deputies at a contact station, not what they happen to see
# (that is the grid worker's patrol).
REPORT_SOURCES: dict[str, frozenset[str]] = {
    Role.PARTY_OFFICER: frozenset({Source.COUNCIL, Source.STATION})
}


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
        writes=("result",),
        sets={"resolved_on_spot": True},
        stamps=("closed_at",),
        primary=True,
    ),
    Step(
        name="accept",
        label=_("Accept"),
        sources=frozenset({Status.REPORTED}),
        target=Status.ACCEPTED,
        roles=_COMMUNITY_OR_CENTER,
        optional=("comment", "is_public"),
        stamps=("accepted_at",),
        primary=True,
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
        writes=("duplicate_of",),
    ),
    Step(
        name="dispatch",
        label=_("Dispatch to a department"),
        sources=frozenset({Status.ACCEPTED}),
        target=Status.DISPATCHED,
        roles=_COMMUNITY_OR_CENTER,
        optional=("department", "comment", "is_public"),
        holder=Holder.DEPARTMENT,
        writes=("department",),
        stamps=("dispatched_at",),
        primary=True,
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
        stamps=("escalated_at",),
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
        stamps=("acknowledged_at",),
        primary=True,
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
        sets={"department": None},
        counts=("return_count",),
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
        writes=("result",),
        stamps=("handled_at",),
        primary=True,
    ),
    Step(
        name="verify_pass",
        label=_("Verify: fixed"),
        sources=frozenset({Status.HANDLED}),
        target=Status.CLOSED,
        roles=_VERIFIERS,
        optional=("comment", "photos", "is_public"),
        holder=Holder.NONE,
        stamps=("closed_at",),
        primary=True,
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
        counts=("rework_count",),
        comment_label=_("What is still wrong"),
    ),
    Step(
        name="evaluate",
        label=_("Record satisfaction"),
        sources=frozenset({Status.CLOSED}),
        target=None,
        roles=dict.fromkeys(_COMMUNITY_OR_CENTER),
        required=("satisfaction",),
        optional=("comment", "is_public"),
        writes=("satisfaction",),
        stamps=("evaluated_at",),
        guard=_not_evaluated,
        primary=True,
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
# The steps taken on a case once it is filed (every step but "report").
LATER_STEP_CHOICES = [(step.name, step.label) for step in STEP_LIST if not step.creates]

# Steps written to the case log around deadlines (by casework.deadlines.services and the scan in
# casework.deadlines.reminders). They change no status, so they are not in the table above; their labels
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
