"""A case's clock: the due time of its stage, and working time counted on the case.

The one place that says how time runs for a case: on the working hours of its street (holidays
and adjusted working days included), or every hour for an around-the-clock category. The counting
itself is :mod:`governance.workclock`'s; every caller in casework (steps, the deadline scan,
extensions, suspensions, supervision orders, pages, the demo) goes through the functions here and
passes the case, never an area.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from casework.models import STATUS_STAGE, Case, TimeLimit
from casework.selectors import time_limit_for
from governance import workclock


class TimeLimits:
    """The limits of each (category, priority), read once: for code that computes many due
    times in a row (the deadline scan, the demo). Use one per run; limits edited meanwhile are
    seen by the next."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str], TimeLimit | None] = {}

    def for_case(self, case: Case) -> TimeLimit | None:
        key = (case.category_id, case.priority)
        if key not in self._cache:
            self._cache[key] = time_limit_for(case.category, case.priority)
        return self._cache[key]

    def hours(self, case: Case, stage: str) -> Decimal | None:
        """The hours ``stage`` of ``case`` may take (None when its category has no limits)."""
        limit = self.for_case(case)
        return limit.hours_for(stage) if limit is not None else None


def due_time(case: Case, *, start: datetime, limits: TimeLimits | None = None) -> datetime | None:
    """When the stage the case is now in must be finished, counted from ``start`` (None when no
    limit runs: a finished case, a handled one waiting for its check, a category without
    limits). One query for the limit unless ``limits`` has it."""
    stage = STATUS_STAGE.get(case.status)
    if stage is None:
        return None
    hours = (limits or TimeLimits()).hours(case, stage)
    if hours is None:
        return None
    return add(case, start, hours)


def add(case: Case, start: datetime, hours: Decimal | float) -> datetime:
    """``start`` plus ``hours`` of the case's time."""
    return workclock.add_working_time(start, float(hours), **_clock(case))


def between(case: Case, start: datetime, end: datetime) -> timedelta:
    """The case's time from ``start`` to ``end`` (negative when ``end`` comes first)."""
    return workclock.working_time_between(start, end, **_clock(case))


def remaining(case: Case, now: datetime | None = None) -> str:
    """The time left in words ("3 working hours left", "Overdue by 2 days"); empty when no
    limit runs."""
    if not case.is_open or case.due_at is None:
        return ""
    return workclock.describe_remaining(case.due_at, now or timezone.now(), **_clock(case))


class Meters:
    """The working time of many cases at once, between the local days ``first`` and ``last``
    (the statistics' handling times): the same count as :func:`between`, one meter per street
    (:class:`governance.workclock.WorkingTimeMeter`) instead of a walk per case."""

    def __init__(self, first, last) -> None:
        self.first, self.last = first, last
        self._meters: dict[int, workclock.WorkingTimeMeter] = {}
        # The streets met so far (by pk): a caller that keeps the meters over many reads (a
        # rollup build) reads each street once.
        self.streets: dict[int, object] = {}

    def covers(self, first, last) -> bool:
        """Whether the meters count the local days ``first`` to ``last``."""
        return self.first <= first and last <= self.last

    def between(self, *, street, around_the_clock: bool, start: datetime, end: datetime):
        if around_the_clock:
            return end - start
        meter = self._meters.get(street.pk)
        if meter is None:
            meter = self._meters[street.pk] = workclock.WorkingTimeMeter(
                self.first, self.last, area=street
            )
        return timedelta(seconds=meter(end) - meter(start))


def _clock(case: Case) -> dict:
    # Working hours belong to streets, and every case knows its street: the clock looks them up
    # once per street, not once per building.
    return {"area": case.street, "around_the_clock": case.category.around_the_clock}
