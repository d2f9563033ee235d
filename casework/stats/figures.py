"""Every figure of the statistics, defined once: which cases it counts in a period.

A figure is a filter on cases (:class:`Figure`); a rate is one figure over another
(:class:`Rate`). The dashboard, the API, the wall screen, the monthly assessment, the exports and
the case list behind every figure (``figure=`` in :mod:`casework.filters`) all read these
definitions. They are built on the case rules that already have a home and never restate them:
open, overdue and near due from :class:`casework.models.Case` and :mod:`casework.selectors`,
suspensions from the deadline models, whether a step came in time from the event the step wrote
(``CaseEvent.on_time``, set by :func:`casework.services.apply_step`), working time from
:mod:`casework.clock`.

Period figures count what happened inside the period (reported, accepted, closed, escalated,
acknowledged, returned... in it). Snapshot figures (open, near due, overdue now) describe the
cases as they are at ``now`` and have no previous period. A case counts where it is now: a case
moved to another area during the month counts there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from casework.deadlines.models import DeadlineRequest, Reminder
from casework.models import OPEN_STATUSES, Case, CaseEvent, Satisfaction, Status
from casework.selectors import near_due_q
from casework.stats.periods import Period


def _within(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _step_taken(period: Period, step: str, **extra) -> Q:
    """Cases on which ``step`` was taken inside the period (read from the event log)."""
    return Q(
        Exists(
            CaseEvent.objects.filter(
                case=OuterRef("pk"),
                step=step,
                created_at__gte=period.start,
                created_at__lt=period.end,
                **extra,
            )
        )
    )


def _late_step() -> Q:
    """Cases with a step that came after the due time of the stage it ended (ever)."""
    return Q(Exists(CaseEvent.objects.filter(case=OuterRef("pk"), on_time=False)))


def _approved(kind: str) -> Q:
    return Q(
        Exists(
            DeadlineRequest.objects.filter(
                case=OuterRef("pk"), kind=kind, status=DeadlineRequest.Status.APPROVED
            )
        )
    )


def _reported(p: Period, now: datetime) -> Q:
    return _within("reported_at", p)


def _closed(p: Period, now: datetime) -> Q:
    return Q(status=Status.CLOSED) & _within("closed_at", p)


def _taken_on(p: Period, now: datetime) -> Q:
    # Rejected and merged cases are not problems to solve (a merged one is solved as the
    # case it duplicates).
    return _reported(p, now) & ~Q(status__in=[Status.REJECTED, Status.MERGED])


def _evaluated(p: Period, now: datetime) -> Q:
    return _within("evaluated_at", p) & ~Q(satisfaction="")


def _acknowledged(p: Period, now: datetime) -> Q:
    return _step_taken(p, "acknowledge")


@dataclass(frozen=True)
class Figure:
    key: str
    label: Promise
    # The cases it counts in ``period`` as seen at ``now``.
    cases: Callable[[Period, datetime], Q]
    # Describes the cases as they are at ``now`` (no period, no previous period).
    snapshot: bool = False
    help: Promise | str = ""


FIGURE_LIST: tuple[Figure, ...] = (
    Figure("reported", _("Reported"), _reported, help=_("Cases filed in the period.")),
    Figure(
        "accepted",
        _("Accepted"),
        lambda p, now: _within("accepted_at", p),
        help=_("Cases accepted (立案) in the period."),
    ),
    Figure("closed", _("Closed"), _closed, help=_("Cases closed in the period.")),
    Figure(
        "open",
        _("Open cases"),
        lambda p, now: Q(status__in=sorted(OPEN_STATUSES)),
        snapshot=True,
        help=_("Cases somebody still has to act on, now."),
    ),
    Figure(
        "near_due",
        _("Near due"),
        lambda p, now: near_due_q(now),
        snapshot=True,
        help=_("Open cases due within the next hours."),
    ),
    Figure(
        "overdue",
        _("Overdue"),
        lambda p, now: Case.overdue_q(now),
        snapshot=True,
        help=_("Open cases past the due time of their stage, now."),
    ),
    Figure(
        "suspended_now",
        _("Suspended"),
        lambda p, now: Q(status__in=sorted(OPEN_STATUSES)) & Case.suspended_q(),
        snapshot=True,
        help=_("Open cases whose clock is stopped, now."),
    ),
    Figure(
        "went_overdue",
        _("Went overdue"),
        lambda p, now: Q(
            Exists(
                Reminder.objects.filter(
                    case=OuterRef("pk"),
                    kind=Reminder.Kind.OVERDUE,
                    tier=1,
                    created_at__gte=p.start,
                    created_at__lt=p.end,
                )
            )
        ),
        help=_("Cases found overdue in the period."),
    ),
    Figure(
        "escalated",
        _("Escalated"),
        lambda p, now: _within("escalated_at", p),
        help=_("Cases escalated to the street in the period."),
    ),
    Figure(
        "returned",
        _("Returned"),
        lambda p, now: _step_taken(p, "return"),
        help=_("Cases a department returned to the dispatcher in the period."),
    ),
    Figure(
        "reworked",
        _("Sent back for rework"),
        lambda p, now: _step_taken(p, "verify_fail"),
        help=_("Cases that failed the on-site check in the period."),
    ),
    Figure(
        "taken_on", _("Taken on"), _taken_on, help=_("Filed in the period, not rejected or merged.")
    ),
    Figure(
        "resolved",
        _("Resolved"),
        lambda p, now: _taken_on(p, now) & Q(status=Status.CLOSED),
        help=_("Filed in the period and closed since."),
    ),
    Figure("evaluated", _("Evaluated"), _evaluated, help=_("Satisfaction recorded in the period.")),
    Figure(
        "satisfied",
        _("Satisfied"),
        lambda p, now: (
            _evaluated(p, now)
            & Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED])
        ),
        help=_("Satisfied or basically satisfied, recorded in the period."),
    ),
    Figure(
        "acknowledged",
        _("Acknowledged"),
        _acknowledged,
        help=_("Cases a department acknowledged in the period."),
    ),
    Figure(
        "acknowledged_on_time",
        _("Acknowledged in time"),
        lambda p, now: _acknowledged(p, now) & ~_step_taken(p, "acknowledge", on_time=False),
        help=_("Acknowledged in the period, every time within the limit."),
    ),
    Figure(
        "closed_on_time",
        _("Closed in time"),
        lambda p, now: _closed(p, now) & ~_late_step(),
        help=_("Closed in the period with no step past its limit."),
    ),
    Figure(
        "on_spot",
        _("Resolved on the spot"),
        lambda p, now: _closed(p, now) & Q(resolved_on_spot=True),
        help=_("Closed on the spot by a grid worker in the period."),
    ),
    Figure(
        "extended",
        _("Extended"),
        lambda p, now: _reported(p, now) & _approved(DeadlineRequest.Kind.EXTENSION),
        help=_("Filed in the period and given more time."),
    ),
    Figure(
        "suspended",
        _("Suspended at some time"),
        lambda p, now: _reported(p, now) & _approved(DeadlineRequest.Kind.SUSPENSION),
        help=_("Filed in the period and suspended at some time."),
    ),
)
FIGURES: dict[str, Figure] = {f.key: f for f in FIGURE_LIST}


@dataclass(frozen=True)
class Rate:
    key: str
    label: Promise
    numerator: str
    denominator: str
    help: Promise | str = ""


RATE_LIST: tuple[Rate, ...] = (
    Rate(
        "response_rate",
        _("Response rate"),
        "acknowledged_on_time",
        "acknowledged",
        _("Acknowledged within the limit, of the cases acknowledged (响应率)."),
    ),
    Rate(
        "resolution_rate",
        _("Resolution rate"),
        "resolved",
        "taken_on",
        _("Closed, of the cases filed in the period and taken on (解决率)."),
    ),
    Rate(
        "satisfaction_rate",
        _("Satisfaction rate"),
        "satisfied",
        "evaluated",
        _("Satisfied and basically satisfied, of the evaluated cases (满意率)."),
    ),
    Rate(
        "on_time_rate",
        _("On-time rate"),
        "closed_on_time",
        "closed",
        _("Closed with every step within its limit, of the closed cases."),
    ),
    Rate(
        "on_spot_share",
        _("Resolved on the spot"),
        "on_spot",
        "closed",
        _("Resolved on the spot, of the closed cases."),
    ),
    Rate(
        "extension_share",
        _("Extended"),
        "extended",
        "reported",
        _("Given more time, of the cases filed."),
    ),
    Rate(
        "suspension_share",
        _("Suspended"),
        "suspended",
        "reported",
        _("Suspended at some time, of the cases filed."),
    ),
)
RATES: dict[str, Rate] = {r.key: r for r in RATE_LIST}
# The figures shown as key figures, in this order (the others are the rates' parts).
KEY_FIGURES = (
    "reported",
    "accepted",
    "closed",
    "open",
    "near_due",
    "overdue",
    "went_overdue",
    "escalated",
    "returned",
    "reworked",
)
# The figures a table row carries: the key period figures and every rate's parts.
ROW_FIGURES = tuple(f.key for f in FIGURE_LIST)


def cases_q(key: str, period: Period, now: datetime) -> Q:
    """The cases figure ``key`` counts (for a rate: its denominator's cases)."""
    if key in RATES:
        key = RATES[key].denominator
    return FIGURES[key].cases(period, now)


def candidates_q(period: Period) -> Q:
    """A superset of the cases any figure of ``period`` counts, cheap to test first: filed in
    it, open now, or finished (closed, evaluated, rejected, merged) since it began. A case with
    a step or a reminder in the period was open then, so it is open now or finished since."""
    return (
        Q(reported_at__gte=period.start, reported_at__lt=period.end)
        | Q(status__in=sorted(OPEN_STATUSES))
        | Q(closed_at__gte=period.start)
        | Q(evaluated_at__gte=period.start)
        | Q(status__in=[Status.REJECTED, Status.MERGED], updated_at__gte=period.start)
    )


def rate(numerator: int, denominator: int) -> float | None:
    """A percentage with one decimal, None when there is nothing to divide by."""
    if not denominator:
        return None
    return round(100 * numerator / denominator, 1)
