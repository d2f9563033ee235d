"""On PostgreSQL, refuse UPDATE and DELETE of case events and attachments in the database itself:
the event log is append-only whatever the client (admin, shell, raw SQL). TRUNCATE (used by test
flushes and full resets) is a table-level operation and stays possible for the owner."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION casework_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = TG_TABLE_NAME || ' rows are append-only',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
TABLES = ("casework_caseevent", "casework_attachment")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION casework_refuse_change()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS casework_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
