"""Periods of the statistics: today, this week, this month, a custom range, and the one before.

A period is a half-open range of local calendar days ``[first, last + 1 day)``; every figure
counts what happened inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PRESETS = {
    "today": _("Today"),
    "week": _("This week"),
    "month": _("This month"),
    "custom": _("Custom range"),
}
# The longest custom range: a year and a day, so that "last year" fits.
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive
    preset: str = "custom"

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period before: the previous calendar month for a whole month, else as many days
        right before."""
        if self.first.day == 1 and (self.last + timedelta(days=1)).day == 1:
            last = self.first - timedelta(days=1)
            return Period(last.replace(day=1), last, self.preset)
        return Period(
            self.first - timedelta(days=self.days), self.first - timedelta(days=1), self.preset
        )

    def query(self) -> dict[str, str]:
        """The case list's parameters for this period (see casework.filters)."""
        return {"figure_from": self.first.isoformat(), "figure_to": self.last.isoformat()}


def today() -> date:
    return timezone.localdate()


def preset(name: str, *, day: date | None = None) -> Period:
    day = day or today()
    if name == "today":
        return Period(day, day, "today")
    if name == "week":
        return Period(day - timedelta(days=day.weekday()), day, "week")
    return Period(day.replace(day=1), day, "month")


def month(year: int, month_: int) -> Period:
    first = date(year, month_, 1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following - timedelta(days=1), "month")


def from_params(params) -> tuple[Period, dict[str, str]]:
    """The period asked for by query parameters ``period`` (a preset) or ``from``/``to``
    (ISO dates), and the errors by parameter; this month when nothing (valid) is asked."""
    errors: dict[str, str] = {}
    name = params.get("period") or ""
    if name and name not in PRESETS:
        errors["period"] = str(_("Choose today, week, month or custom."))
    if name == "custom" or (not name and (params.get("from") or params.get("to"))):
        try:
            first = date.fromisoformat(params.get("from") or "")
            last = date.fromisoformat(params.get("to") or "")
        except ValueError:
            errors["from"] = str(_("Give both dates as YYYY-MM-DD."))
        else:
            if last < first:
                errors["to"] = str(_("The end comes before the start."))
            elif (last - first).days + 1 > MAX_DAYS:
                errors["to"] = str(_("Choose at most %(days)d days.") % {"days": MAX_DAYS})
            else:
                return Period(first, last, "custom"), errors
        return preset("month"), errors
    if name in PRESETS:
        return preset(name), errors
    return preset("month"), errors
