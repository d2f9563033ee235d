"""The flush after a transactional test (tests/flush.py) leaves every table empty and the
append-only guard of case events in force; a grown table is truncated, and a kept database's dead
rows are vacuumed away."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection

from governance.models import ObjectChange, User
from tests.flush import TRUNCATE_ABOVE, vacuum_grown_tables

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_flush_empties_every_table_and_keeps_the_triggers(cast):
    assert cast.tree.street.pk and cast.worker_a.pk

    call_command("flush", interactive=False, verbosity=0)

    # What post_migrate writes again after a flush, as after Django's own.
    refilled = {"auth.Permission", "contenttypes.ContentType"}
    left = {
        model._meta.label
        for model in apps.get_models(include_auto_created=True)
        if model._base_manager.exists()
    }
    assert left == refilled
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal"
        )
        triggers = dict(cursor.fetchall())
    assert triggers == {"casework_caseevent": "O", "casework_attachment": "O"}


def _table_bytes(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_table_size(%s::regclass)", [table])
        return cursor.fetchone()[0]


def _grow_users() -> None:
    """More than ``TRUNCATE_ABOVE`` bytes of users (about 200 bytes a row)."""
    User.objects.bulk_create(
        User(username=f"grown-{i:05d}", password="x" * 120, email=f"grown-{i:05d}@example.org")
        for i in range(8000)
    )
    assert _table_bytes("governance_user") > TRUNCATE_ABOVE


def test_a_grown_table_is_truncated_with_the_tables_that_refer_to_it(cast):
    _grow_users()
    # A row that refers to a user: the user table cannot be truncated alone.
    ObjectChange.objects.create(
        user=cast.worker_a, user_name="worker_a", interface="web", action="create",
        object_id="1", object_repr="x", content_type=ContentType.objects.get_for_model(User),
    )  # fmt: skip
    tables = connection.introspection.django_table_names(only_existing=True)
    flush = connection.ops.sql_flush(no_style(), tables)
    # One TRUNCATE, with what refers to it, of the grown tables only: the users, and any other
    # table this process's earlier tests grew past the bar (rolled-back rows); the rest are
    # deleted from.
    (truncate,) = [s for s in flush if s.startswith("TRUNCATE")]
    named = truncate.removeprefix("TRUNCATE ").removesuffix(" CASCADE").split(", ")
    assert '"governance_user"' in named
    assert all(_table_bytes(name.strip('"')) > TRUNCATE_ABOVE for name in named)
    # Before any delete: PostgreSQL refuses to truncate a table with checks pending.
    assert flush.index(truncate) < min(i for i, s in enumerate(flush) if s.startswith("DELETE"))
    assert sum(s.startswith("DELETE FROM") for s in flush) == len(tables)

    call_command("flush", interactive=False, verbosity=0)

    assert not User.objects.exists() and not ObjectChange.objects.exists()
    # Truncated: a new, empty file.
    assert _table_bytes("governance_user") < 64 * 1024


def test_the_dead_rows_of_a_kept_database_are_vacuumed_away():
    _grow_users()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM governance_user WHERE username LIKE 'grown-%%'")

    assert "governance_user" in vacuum_grown_tables(connection)

    assert _table_bytes("governance_user") < 64 * 1024
    assert vacuum_grown_tables(connection) == []
