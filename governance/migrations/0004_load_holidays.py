"""Fill the holiday calendar from the chinese-calendar package installed at migration time.

Later years come with ``manage.py load_holidays`` after a package upgrade, or by hand in the admin.
"""

from django.db import migrations


def load(apps, schema_editor):
    from chinese_calendar import constants

    CalendarDay = apps.get_model("governance", "CalendarDay")
    chinese = {holiday.value: holiday.chinese for holiday in constants.Holiday}
    days = [
        CalendarDay(date=day, kind="holiday", name=chinese.get(name, name))
        for day, name in constants.holidays.items()
    ] + [
        CalendarDay(date=day, kind="working_day", name=chinese.get(name, name))
        for day, name in constants.workdays.items()
    ]
    CalendarDay.objects.bulk_create(days, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("governance", "0003_working_calendar")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
