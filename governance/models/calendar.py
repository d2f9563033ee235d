"""The working-time calendar: public holidays, adjusted working days (调休) and per-street hours.

The State Council publishes each year's schedule in November or December; the holiday package
only knows the years published before its release, so the schedule lives here, where a street
admin can enter next year's before the package catches up. The clock
(:mod:`governance.workclock`) reads these rows, a year at a time, through a process cache.
"""

from __future__ import annotations

from datetime import time

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from governance.models.base import TimeStampedModel


def street_choices() -> dict:
    """The areas that may carry working hours: streets, as the area model names its kind
    (``STREET_KIND``, part of what ``SCOPE_AREA_MODEL`` promises the core)."""
    return {"kind": apps.get_model(settings.SCOPE_AREA_MODEL).STREET_KIND}


class CalendarDay(TimeStampedModel):
    """One date that breaks the weekday/weekend rule: a holiday, or a weekend worked (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday")
        WORKING_DAY = "working_day", _("Adjusted working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    name = models.CharField(
        _("name"), max_length=50, help_text=_("The holiday it belongs to, e.g. 春节.")
    )

    class Meta:
        ordering = ("date",)
        verbose_name = _("holiday calendar day")
        verbose_name_plural = _("holiday calendar")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["holiday", "working_day"]),
                name="calendar_day_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name} ({self.get_kind_display()})"


class WorkingHours(TimeStampedModel):
    """A street's working day: a morning and an afternoon period (the lunch break between them).

    A street without a row works the default day (9:00–12:00, 13:30–18:00). A continuous day is
    a morning ending when the afternoon starts.
    """

    area = models.OneToOneField(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("street"),
        on_delete=models.CASCADE,
        related_name="working_hours",
        limit_choices_to=street_choices,
    )
    morning_start = models.TimeField(_("morning starts"), default=time(9, 0))
    morning_end = models.TimeField(_("morning ends"), default=time(12, 0))
    afternoon_start = models.TimeField(_("afternoon starts"), default=time(13, 30))
    afternoon_end = models.TimeField(_("afternoon ends"), default=time(18, 0))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints = [
            models.CheckConstraint(
                condition=Q(morning_start__lt=F("morning_end"))
                & Q(morning_end__lte=F("afternoon_start"))
                & Q(afternoon_start__lt=F("afternoon_end")),
                name="working_hours_periods_in_order",
                violation_error_message=_(
                    "The periods must be in order: the morning starts before it ends, the "
                    "afternoon starts no earlier than the morning ends and before it ends."
                ),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.morning_start:%H:%M}–{self.morning_end:%H:%M}, "
            f"{self.afternoon_start:%H:%M}–{self.afternoon_end:%H:%M}"
        )

    @property
    def periods(self) -> tuple[tuple[time, time], tuple[time, time]]:
        return (
            (self.morning_start, self.morning_end),
            (self.afternoon_start, self.afternoon_end),
        )
