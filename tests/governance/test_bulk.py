"""Planner statistics after a bulk load."""

from __future__ import annotations

import pytest
from django.db import connection

from governance.bulk import refresh_planner_statistics
from grids.models import Area
from tests.factories import AreaTreeFactory


def _analyzed_rows() -> int | None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE relname = %s", [Area._meta.db_table]
            )
            return int(cursor.fetchone()[0])
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [Area._meta.db_table])
        row = cursor.fetchone()
        return int(row[0].split()[0]) if row else None


@pytest.mark.django_db(transaction=True)
def test_the_planner_knows_the_rows_of_a_table_loaded_in_bulk():
    AreaTreeFactory.build_street()
    loaded = Area.objects.count()

    refresh_planner_statistics(Area)

    assert _analyzed_rows() == loaded
