"""The keys of DRF's authtoken (one per user, kept in clear) become API tokens of their own (only
a digest kept), so that programs already signed in keep working; then its table goes, and with it
the record of its migrations, so that nothing of the old app is left behind."""

import hashlib
from datetime import UTC, timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime

OLD_TABLE = "authtoken_token"


def _issued(value, default):
    # SQLite hands back the stored text, in UTC without an offset.
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is None:
        return default
    return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)


def import_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("governance", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {OLD_TABLE}")
        rows = cursor.fetchall()
    now = timezone.now()
    days = settings.API_TOKEN_TTL_DAYS
    ApiToken.objects.bulk_create(
        ApiToken(
            user_id=user_id,
            name="升级前签发的令牌",
            prefix=key[:8],
            digest=hashlib.sha256(key.encode()).hexdigest(),
            created_at=_issued(created, now),
            expires_at=now + timedelta(days=days) if days else None,
        )
        for key, user_id, created in rows
    )
    schema_editor.execute(f"DROP TABLE {OLD_TABLE}")
    schema_editor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0010_api_tokens"),
    ]

    operations = [
        migrations.RunPython(import_drf_tokens, migrations.RunPython.noop),
    ]
