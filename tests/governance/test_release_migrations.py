"""An installation of the previous release upgrades cleanly.

The previous release's schema is named by its last migration of each app (update the table when a
release is cut). The test takes the test database back to that schema, files records there
through the historical models, and migrates forward again: every migration since runs on a
populated database, and is reversible on the way back.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

PREVIOUS_RELEASE = [
    ("governance", "0013_departments_to_the_only_street"),
    ("grids", "0006_text_limits_residents"),
    ("casework", "0011_assessment"),
    ("partybuilding", "0013_text_limits_of_positions_and_consortia"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] in dict(PREVIOUS_RELEASE)]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_previous_release_migrates_forward_with_its_data():
    old = _migrate(PREVIOUS_RELEASE)
    Area = old.get_model("grids", "Area")
    Category = old.get_model("casework", "Category")
    Case = old.get_model("casework", "Case")
    street = Area.objects.create(
        name="旧版街道",
        code="110999999",
        kind="street",
        notes="",
        lft=1,
        rght=2,
        tree_id=990,
        level=0,
    )
    category = Category.objects.create(
        name="旧版分类", code="OLD-1", description="", lft=1, rght=2, tree_id=990, level=0
    )
    case = Case.objects.create(
        number="OLD-0001", title="旧版案件", description="升级前的案件", area=street,
        street=street, category=category, address="旧版地址", source="patrol",
        reporter_name="王师傅", reporter_phone="", priority="normal", result="", satisfaction="",
        reported_at=timezone.now(),
    )  # fmt: skip

    new = _migrate(_latest())

    kept = new.get_model("casework", "Case").objects.get(pk=case.pk)
    assert (kept.number, kept.title, kept.area_id) == ("OLD-0001", "旧版案件", street.pk)
    assert new.get_model("grids", "Area").objects.get(pk=street.pk).name == "旧版街道"
