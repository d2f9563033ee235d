"""The words of case handling: priorities, stages, statuses, holders, sources, satisfaction.

Their own module so that the case models and the deadline models (``casework.deadlines``) both
build on them without importing each other.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Priority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    CRITICAL = "critical", _("Critical")


class Stage(models.TextChoices):
    """The stages that carry a time limit (时限)."""

    ACCEPT = "accept", _("Accept")
    DISPATCH = "dispatch", _("Dispatch")
    ACKNOWLEDGE = "acknowledge", _("Acknowledge")
    HANDLE = "handle", _("Handle")


class Status(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("In progress")
    HANDLED = "handled", _("Handled")
    CLOSED = "closed", _("Closed")


# Statuses in which somebody still has to act on the case.
OPEN_STATUSES = frozenset(
    {
        Status.REPORTED,
        Status.ACCEPTED,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.HANDLED,
    }
)
# The stage whose time limit runs while a case is in each status (no limit in the others).
STATUS_STAGE = {
    Status.REPORTED: Stage.ACCEPT,
    Status.ACCEPTED: Stage.DISPATCH,
    Status.DISPATCHED: Stage.ACKNOWLEDGE,
    Status.IN_PROGRESS: Stage.HANDLE,
}


class Holder(models.TextChoices):
    COMMUNITY = "community", _("Community")
    CENTER = "center", _("Grid management center")
    DEPARTMENT = "department", _("Department")
    NONE = "", _("Nobody (finished)")


class Source(models.TextChoices):
    PATROL = "patrol", _("Grid-worker patrol")
    RESIDENT = "resident", _("Resident report")
    HOTLINE = "hotline_12345", _("12345 hotline")
    COUNCIL = "council", _("Council resolution")
    LEADER = "leader", _("Leader's assignment")
    OPEN311 = "open311", _("Open311 client")
    STATION = "station", _("Deputies' contact station")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
