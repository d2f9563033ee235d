"""The flush after a transactional test (tests/flush.py) leaves every table empty and the
append-only guard of case events in force."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

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
