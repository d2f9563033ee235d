"""Migrations give the same database whatever the installed packages."""

from __future__ import annotations

import importlib
import json
import sys
import types
from pathlib import Path

import pytest
from django.apps import apps

from governance.models import CalendarDay

FROZEN = Path(apps.get_app_config("governance").path) / "migrations" / "holidays_0004.json"


def _calendar() -> list[list[str]]:
    return sorted(
        [d.isoformat(), kind, name]
        for d, kind, name in CalendarDay.objects.filter(date__year__lte=2026).values_list(
            "date", "kind", "name"
        )
    )


@pytest.mark.django_db
def test_the_holiday_migration_loads_the_frozen_days(monkeypatch):
    frozen = json.loads(FROZEN.read_text(encoding="utf-8"))
    assert _calendar() == frozen  # what migrating the test database gave

    # Another chinese-calendar, with other days, installed later: the migration does not care.
    other = types.ModuleType("chinese_calendar")
    other.constants = types.SimpleNamespace(holidays={}, workdays={}, Holiday=[])
    monkeypatch.setitem(sys.modules, "chinese_calendar", other)
    CalendarDay.objects.all().delete()
    migration = importlib.import_module("governance.migrations.0004_load_holidays")
    migration.load(apps, None)

    assert _calendar() == frozen
    assert {row[0][:4] for row in frozen} == {str(y) for y in range(2004, 2027)}
