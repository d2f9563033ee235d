"""Backup and restore, as deploy/README.md documents them: ``pg_dump -Fc`` of a populated
database restored with ``pg_restore`` into an empty one gives the same rows in every table and the
same case timelines."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import psycopg
import pytest
from django.apps import apps

from casework.services import case_step
from tests.casework.factories import jpeg_upload
from tests.conftest import missing
from tests.processes import suite_database_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed (apt-get install postgresql-client)")
    return path


def _snapshot(conninfo: str) -> dict:
    """Row counts of every model's table, and every case's timeline."""
    tables = sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed})
    with psycopg.connect(conninfo) as conn:
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        timelines = conn.execute(
            "SELECT case_id, step, from_status, to_status, actor_id, created_at, due_at "
            "FROM casework_caseevent ORDER BY case_id, created_at, id"
        ).fetchall()
    return {"counts": counts, "timelines": timelines}


def test_a_dump_restored_into_an_empty_database_holds_the_same_data(
    tmp_path, crew, tree, categories, departments, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    from tests.casework.test_services import _report

    for n in range(3):
        case = _report(crew.worker_a, tree, categories)
        case = case_step(case=case, actor=crew.dispatcher_a, step="accept")
        case = case_step(case=case, actor=crew.dispatcher_a, step="dispatch")
        if n:
            case = case_step(case=case, actor=crew.handler_a, step="acknowledge")
            case = case_step(
                case=case, actor=crew.handler_a, step="complete", result="已清运",
                photos=[jpeg_upload()],
            )  # fmt: skip
    before = _snapshot(suite_database_url())
    assert before["counts"]["casework_case"] == 3 and len(before["timelines"]) == 13

    dump = tmp_path / "portal.dump"
    subprocess.run(
        [_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(dump), suite_database_url()], check=True
    )
    target = f"restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(suite_database_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{target}"')
    try:
        subprocess.run(
            [_tool("pg_restore"), "--no-owner", "--exit-on-error", "-d", suite_database_url(target),
             str(dump)],
            check=True,
        )  # fmt: skip
        after = _snapshot(suite_database_url(target))
    finally:
        with psycopg.connect(suite_database_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')

    assert after == before
