"""Indexes for the case search box.

A case number is a prefix lookup (``varchar_pattern_ops`` lets PostgreSQL use a btree for
``LIKE '2026-0001%'``). Title and address are matched with ``ILIKE '%…%'``, which Django writes as
``UPPER(col::text) LIKE UPPER(…)``; trigram GIN indexes on exactly those expressions serve it on
PostgreSQL (pg_trgm works on Chinese characters; a query of fewer than three characters still
scans). SQLite has no such index and searches by scanning, which a street's data allows.
"""

from django.db import migrations, models

TRIGRAM_INDEXES = {
    "case_title_trgm": "title",
    "case_address_trgm": "address",
}


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON casework_case "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("casework", "0005_public_intake")]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["number"], name="case_number_prefix", opclasses=("varchar_pattern_ops",)
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["reporter_name"], name="case_reporter_name"),
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
