"""The working-time clock: the one module that turns "N working hours" into a due time.

This first version knows weekends and the default working day (9:00–12:00, 13:30–18:00, Asia/Shanghai);
Chinese public holidays, adjusted working weekends and per-street hours come with the holiday calendar.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

WORKING_PERIODS: tuple[tuple[time, time], ...] = (
    (time(9, 0), time(12, 0)),
    (time(13, 30), time(18, 0)),
)


def is_working_day(day) -> bool:
    return day.weekday() < 5


def add_working_time(
    start: datetime, hours: float, *, area=None, around_the_clock: bool = False
) -> datetime:
    """The moment ``hours`` of working time after ``start`` (aware datetimes in, aware out).

    ``around_the_clock`` (urgent categories) counts every hour. ``area`` selects the street whose
    working hours apply.
    """
    if around_the_clock:
        return start + timedelta(hours=hours)
    tz = timezone.get_default_timezone()
    moment = timezone.localtime(start, tz)
    remaining = timedelta(hours=hours)
    while True:
        day = moment.date()
        if is_working_day(day):
            for begin, end in WORKING_PERIODS:
                period_start = datetime.combine(day, begin, tzinfo=moment.tzinfo)
                period_end = datetime.combine(day, end, tzinfo=moment.tzinfo)
                if moment >= period_end:
                    continue
                moment = max(moment, period_start)
                available = period_end - moment
                if remaining <= available:
                    return moment + remaining
                remaining -= available
                moment = period_end
        moment = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=moment.tzinfo)
