"""The demo part of the working-time calendar: the published holidays and the street's hours."""

from __future__ import annotations

from datetime import time

from governance.demo import DemoContext
from governance.models import WorkingHours
from governance.workclock import calendar_load_from_package


def seed_holidays(ctx: DemoContext) -> None:
    created, _updated = calendar_load_from_package()
    ctx.say(f"  {created} holiday calendar day(s) added from the chinese-calendar package")


def seed_working_hours(ctx: DemoContext) -> None:
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
