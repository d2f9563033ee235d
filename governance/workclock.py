"""The working-time clock: the one module that turns "N working hours" into a due time.

A day is a working day when the holiday calendar (:class:`~governance.models.CalendarDay`) says
so — a public holiday is off, an adjusted working weekend (调休) is on — and otherwise when it is
Monday to Friday. A working day has two periods, a street's own (:class:`WorkingHours`) or the
default 9:00–12:00, 13:30–18:00 (Asia/Shanghai). Urgent categories run around the clock.

The calendar is read a year at a time (one query) and kept in a process cache
(:class:`governance.processcache.ProcessCache`, with the streets' hours); any change to the
calendar or to a street's hours bumps its version in the shared cache (Redis, or files in the
embedded default), and every process drops its copy when it sees a new version; each process
also re-reads after ``MAX_AGE`` in case a version was lost (Redis away or evicted). A year
nobody has entered counts weekends only, with one warning in the log per process and year, and a
warning on the admin home page.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from governance.models import CalendarDay, WorkingHours
from governance.processcache import ProcessCache
from governance.scopes import area_model

logger = logging.getLogger(__name__)

Periods = tuple[tuple[time, time], ...]

WORKING_PERIODS: Periods = (
    (time(9, 0), time(12, 0)),
    (time(13, 30), time(18, 0)),
)

# How long a process trusts its copy without a version change (seconds).
MAX_AGE = 300
# Years and streets' hours kept per process; past this the copy starts afresh.
_MAX_CACHED = 10_000


class _YearCalendar:
    __slots__ = ("holidays", "known", "working_days")

    def __init__(self, holidays: set[date], working_days: set[date]) -> None:
        self.holidays = frozenset(holidays)
        self.working_days = frozenset(working_days)
        self.known = bool(holidays or working_days)


# The years of the calendar under ("year", year), the streets' hours under ("area", pk, *tree
# position); watched: CalendarDay and WorkingHours (governance.apps).
_cache = ProcessCache("workclock", max_age=MAX_AGE, max_entries=_MAX_CACHED)
VERSION_KEY = _cache.version_key
# Years warned about in this process (kept across versions: one warning per process and year).
_warned_years: set[int] = set()


def _year(year: int) -> _YearCalendar:
    return _cache.lookup(("year", year), lambda: _read_year(year))


def _read_year(year: int) -> _YearCalendar:
    holidays: set[date] = set()
    working_days: set[date] = set()
    rows = CalendarDay.objects.filter(date__year=year).values_list("date", "kind")
    for day, kind in rows:
        (holidays if kind == CalendarDay.Kind.HOLIDAY else working_days).add(day)
    calendar = _YearCalendar(holidays, working_days)
    if not calendar.known and year not in _warned_years:
        _warned_years.add(year)
        logger.warning(
            "No holiday calendar for %s: working time in that year counts weekends "
            "only. Once the State Council publishes the year's holidays, enter them in "
            "the admin (/admin/governance/calendarday/) or run `manage.py load_holidays` "
            "after upgrading the chinese-calendar package.",
            year,
        )
    return calendar


def synced_once():
    """Read the calendar version once for the block instead of once per call: a table of 25
    cases' time left read it 25 times (a cache round trip each). For the reads of one request;
    an edit made meanwhile is seen by the next request."""
    return _cache.synced_once()


def bump_calendar_version() -> None:
    """Tell every process that the calendar or a street's hours changed."""
    _cache.bump()


def watch_calendar() -> None:
    """Bump the version on every save or delete of a calendar day or a street's hours (from
    ``GovernanceConfig.ready``)."""
    _cache.watch(CalendarDay, WorkingHours)


# -- the calendar ---------------------------------------------------------------------------


def is_working_day(day: date) -> bool:
    _cache.sync()
    return _is_working_day(day)


def _is_working_day(day: date) -> bool:
    calendar = _year(day.year)
    if day in calendar.holidays:
        return False
    if day in calendar.working_days:
        return True
    return day.weekday() < 5


def working_periods_for(area=None) -> Periods:
    """The working periods of the street ``area`` lies in (the default without a street row).

    One query for an area not seen under the current calendar version, none after.
    """
    _cache.sync()
    return _periods_for(area)


def _periods_for(area) -> Periods:
    """The working periods of the street ``area`` lies in (the default without a street row):
    one query for an area not seen under the current calendar version, none after."""
    if area is None:
        return WORKING_PERIODS
    # The tree position is part of the key: an area moved to another street is a new key.
    key = (area.pk, *area.tree_position)
    return _cache.lookup(("area", *key), lambda: _read_periods(area))


def _read_periods(area) -> Periods:
    Area = area_model()
    streets = Area._default_manager.filter(
        Area.ancestors_q(area, include_self=True), kind=Area.STREET_KIND
    )
    hours = WorkingHours.objects.filter(area__in=streets).first()
    return hours.periods if hours is not None else WORKING_PERIODS


def _working_periods(moment: datetime, periods: Periods) -> Iterator[tuple[datetime, datetime]]:
    """Working periods from the day of ``moment`` on, as aware datetimes, without end."""
    day = moment.date()
    while True:
        if _is_working_day(day):
            for begin, end in periods:
                yield (
                    datetime.combine(day, begin, tzinfo=moment.tzinfo),
                    datetime.combine(day, end, tzinfo=moment.tzinfo),
                )
        day += timedelta(days=1)


# -- the clock ------------------------------------------------------------------------------


def add_working_time(
    start: datetime, hours: float, *, area=None, around_the_clock: bool = False
) -> datetime:
    """The moment ``hours`` of working time after ``start`` (aware datetimes in, aware out).

    ``around_the_clock`` (urgent categories) counts every hour. ``area`` selects the street whose
    working hours apply. Starting outside working time, the clock starts when work resumes.
    Reads at most one query per calendar year not yet cached and one for an area's street.
    """
    if hours < 0:
        raise ValueError("hours must not be negative")
    if around_the_clock:
        return start + timedelta(hours=hours)
    _cache.sync()
    periods = _periods_for(area)
    moment = timezone.localtime(start, timezone.get_default_timezone())
    remaining = timedelta(hours=hours)
    for period_start, period_end in _working_periods(moment, periods):
        if moment >= period_end:
            continue
        moment = max(moment, period_start)
        available = period_end - moment
        if remaining <= available:
            return moment + remaining
        remaining -= available
        moment = period_end
    raise AssertionError("unreachable: working periods never end")


def working_time_between(
    start: datetime, end: datetime, *, area=None, around_the_clock: bool = False
) -> timedelta:
    """The working time from ``start`` to ``end``; negative when ``end`` comes first."""
    if end < start:
        return -working_time_between(end, start, area=area, around_the_clock=around_the_clock)
    if around_the_clock:
        return end - start
    _cache.sync()
    periods = _periods_for(area)
    tz = timezone.get_default_timezone()
    start = timezone.localtime(start, tz)
    end = timezone.localtime(end, tz)
    total = timedelta()
    for period_start, period_end in _working_periods(start, periods):
        if period_start >= end:
            break
        overlap = min(period_end, end) - max(period_start, start)
        if overlap > timedelta():
            total += overlap
    return total


class WorkingTimeMeter:
    """Working time counted for many intervals at once, between ``first`` and ``last`` (local
    days): ``meter(end) - meter(start)`` equals :func:`working_time_between` for any moments in
    that range, at a dictionary lookup each instead of a walk over the days between them (the
    statistics count the handling time of a month's closed cases this way).
    """

    def __init__(self, first: date, last: date, *, area=None) -> None:
        _cache.sync()
        self.periods = _periods_for(area)
        self.tz = timezone.get_default_timezone()
        self.first = first
        self.before: dict[date, float] = {}
        # The working days of the range, and each period as microseconds of the day: a call
        # is then a dictionary lookup and integer arithmetic (the statistics' rollups call it
        # twice per closed case, a million times after a bulk load).
        self.working: set[date] = set()
        self._spans = tuple((_day_us(begin), _day_us(end)) for begin, end in self.periods)
        total = 0.0
        day = first
        while day <= last + timedelta(days=1):
            self.before[day] = total
            if _is_working_day(day):
                self.working.add(day)
                total += sum(self._overlap(day, begin, end, None) for begin, end in self.periods)
            day += timedelta(days=1)

    @staticmethod
    def _overlap(day: date, begin: time, end: time, until: time | None) -> float:
        stop = end if until is None else min(end, max(until, begin))
        return (datetime.combine(day, stop) - datetime.combine(day, begin)).total_seconds()

    def __call__(self, moment: datetime) -> float:
        """Working seconds from the start of ``first`` to ``moment``."""
        local = moment.astimezone(self.tz)
        day = local.date()
        seconds = self.before.get(day)
        if seconds is None:
            raise ValueError(f"{moment} lies outside the meter's days")
        if day in self.working:
            until = (
                local.hour * 3600 + local.minute * 60 + local.second
            ) * 1_000_000 + local.microsecond
            # What _overlap gives (a timedelta's total_seconds: microseconds / 10**6), added
            # up in the same order as before, so the sum is the same float.
            extra = 0
            for begin, end in self._spans:
                extra += (min(end, max(until, begin)) - begin) / 1_000_000
            seconds += extra
        return seconds


def _day_us(moment: time) -> int:
    return (
        moment.hour * 3600 + moment.minute * 60 + moment.second
    ) * 1_000_000 + moment.microsecond


def describe_remaining(
    due: datetime, now: datetime | None = None, *, area=None, around_the_clock: bool = False
) -> str:
    """Words for the time left until ``due``: working time left, or how long it is overdue.

    Time left counts working time (every hour for ``around_the_clock``); overdue counts
    calendar time, as people say "overdue by 2 days" over a weekend too.
    """
    now = now or timezone.now()
    if now > due:
        late = now - due
        if late >= timedelta(days=1):
            n = late.days
            return ngettext("Overdue by %(n)d day", "Overdue by %(n)d days", n) % {"n": n}
        if late >= timedelta(hours=1):
            n = int(late.total_seconds() // 3600)
            return ngettext("Overdue by %(n)d hour", "Overdue by %(n)d hours", n) % {"n": n}
        n = max(1, int(late.total_seconds() // 60))
        return ngettext("Overdue by %(n)d minute", "Overdue by %(n)d minutes", n) % {"n": n}
    left = working_time_between(now, due, area=area, around_the_clock=around_the_clock)
    minutes = math.ceil(left.total_seconds() / 60)
    if minutes == 0:
        return gettext("Due when work resumes")
    if minutes >= 60:
        n = minutes // 60
        if around_the_clock:
            return ngettext("%(n)d hour left", "%(n)d hours left", n) % {"n": n}
        return ngettext("%(n)d working hour left", "%(n)d working hours left", n) % {"n": n}
    if around_the_clock:
        return ngettext("%(n)d minute left", "%(n)d minutes left", minutes) % {"n": minutes}
    return ngettext("%(n)d working minute left", "%(n)d working minutes left", minutes) % {
        "n": minutes
    }


# -- keeping the calendar -------------------------------------------------------------------


def years_without_calendar(years: list[int] | None = None) -> list[int]:
    """Which of ``years`` (default: this year and the next) have no calendar day entered."""
    if years is None:
        this_year = timezone.localdate().year
        years = [this_year, this_year + 1]
    known = {d.year for d in CalendarDay.objects.filter(date__year__in=years).dates("date", "year")}
    return [year for year in years if year not in known]


def package_calendar_days() -> Iterator[tuple[date, str, str]]:
    """(date, kind, Chinese name) of every holiday and adjusted working day the
    ``chinese_calendar`` package knows, in date order."""
    from chinese_calendar import constants

    # The package keys its tables by the English name; its Holiday enum carries the Chinese.
    chinese = {holiday.value: holiday.chinese for holiday in constants.Holiday}
    for day, name in sorted(constants.holidays.items()):
        yield day, CalendarDay.Kind.HOLIDAY.value, chinese.get(name, name)
    for day, name in sorted(constants.workdays.items()):
        yield day, CalendarDay.Kind.WORKING_DAY.value, chinese.get(name, name)


def calendar_load_from_package(*, overwrite: bool = False) -> tuple[int, int]:
    """Copy the package's holidays and adjusted working days into the calendar.

    Dates already entered are kept (a street may have corrected one) unless ``overwrite``.
    Runs in one transaction and bumps the calendar version. Returns (created, updated).
    """
    days = sorted(package_calendar_days())
    with transaction.atomic():
        existing = {
            row.date: row
            for row in CalendarDay.objects.filter(date__range=(days[0][0], days[-1][0]))
        }
        created = [
            CalendarDay(date=day, kind=kind, name=name)
            for day, kind, name in days
            if day not in existing
        ]
        CalendarDay.objects.bulk_create(created)
        updated = []
        if overwrite:
            for day, kind, name in days:
                row = existing.get(day)
                if row is not None and (row.kind, row.name) != (kind, name):
                    row.kind, row.name, row.updated_at = kind, name, timezone.now()
                    updated.append(row)
            CalendarDay.objects.bulk_update(updated, ["kind", "name", "updated_at"])
        _cache.changed()
    return len(created), len(updated)
