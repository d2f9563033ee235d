"""Indexes for the resident search at 300,000 residents (issue 12): the search is
``UPPER(name) LIKE '%…%' OR id_number = … OR phone = …``; with an index under every arm
PostgreSQL combines them (BitmapOr) instead of scanning the table (126 ms → 3 ms)."""

from django.db import migrations, models

NAME_TRGM = "grids_resident_name_upper_trgm"


def name_trigram_index(apps, schema_editor):
    """``icontains`` on the name is ``UPPER(name) LIKE``: a trigram index on that expression
    (PostgreSQL only; SQLite scans, which a test's data allows)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NAME_TRGM} ON grids_resident "
        "USING gin (UPPER(name) gin_trgm_ops)"
    )


def drop_name_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME_TRGM}")


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0008_import_jobs_visit_demand"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["id_number"], name="resident_id_number"),
        ),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["phone"], name="resident_phone"),
        ),
        migrations.RunPython(name_trigram_index, drop_name_trigram_index),
    ]
