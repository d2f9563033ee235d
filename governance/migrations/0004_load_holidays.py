"""Fill the holiday calendar with the official days off and make-up working days of 2004–2026.

The days are frozen in ``holidays_0004.json`` (written from chinese-calendar 1.11.0), so that a
database migrated today and one migrated in three years, with another version of the package
installed, start from the same calendar. Later years come with ``manage.py load_holidays`` after a
package upgrade, or by hand in the admin.
"""

import json
from datetime import date
from pathlib import Path

from django.db import migrations

FROZEN = Path(__file__).with_name("holidays_0004.json")


def load(apps, schema_editor):
    CalendarDay = apps.get_model("governance", "CalendarDay")
    rows = json.loads(FROZEN.read_text(encoding="utf-8"))
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=date.fromisoformat(day), kind=kind, name=name) for day, kind, name in rows],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("governance", "0003_working_calendar")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
