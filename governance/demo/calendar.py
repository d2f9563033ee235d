"""The demo part of the working-time calendar: the published holidays and the street's hours."""

from __future__ import annotations

from datetime import time

from django.contrib.auth.models import Permission

from governance.demo import DemoContext
from governance.models import CalendarDay, Role, WorkingHours
from governance.workclock import calendar_load_from_package, years_without_calendar


def seed_holidays(ctx: DemoContext) -> None:
    created, _updated = calendar_load_from_package()
    total = CalendarDay.objects.count()
    ctx.say(f"  {total} calendar days ({created} added from the chinese-calendar package)")
    missing = years_without_calendar()
    if missing:
        ctx.say(f"  no holiday calendar yet for {', '.join(map(str, missing))}")


def seed_working_hours(ctx: DemoContext) -> None:
    """The demo street's hours; its admin may keep them and enter next year's holidays."""
    # The demo street keeps its summer timetable: a longer lunch break, a later afternoon.
    WorkingHours.objects.update_or_create(
        area=ctx.data["street"],
        defaults={
            "morning_start": time(8, 30),
            "morning_end": time(12, 0),
            "afternoon_start": time(14, 0),
            "afternoon_end": time(18, 0),
        },
    )
    ctx.say(f"  {ctx.data['street']}: 8:30–12:00, 14:00–18:00")
    street_admin = ctx.data["users"][Role.STREET_ADMIN]
    street_admin.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="governance",
            content_type__model__in=("calendarday", "workinghours"),
        )
    )
