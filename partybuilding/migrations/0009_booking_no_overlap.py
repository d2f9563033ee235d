"""On PostgreSQL, refuse overlapping bookings of one room in the database itself: an exclusion
constraint over (room, [starts_at, ends_at)) for the bookings that hold the room (awaiting
approval or confirmed). It needs the btree_gist extension (for ``room_id WITH =``); creating it
needs a role allowed to create extensions, once per database. On SQLite nothing is created: the
booking service's check under the room lock is the rule there."""

from django.db import migrations

CONSTRAINT = "partybuilding_booking_no_overlap"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE partybuilding_booking ADD CONSTRAINT {CONSTRAINT} "
        "EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
        "WHERE (status IN ('pending', 'confirmed'))"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE partybuilding_booking DROP CONSTRAINT IF EXISTS {CONSTRAINT}"
    )


class Migration(migrations.Migration):
    dependencies = [("partybuilding", "0008_positions")]

    operations = [migrations.RunPython(forwards, backwards)]
