"""The portal behind PgBouncer in transaction mode (issue 15, deployment: several web and worker
machines against one PostgreSQL through a pooler).

A real ``pgbouncer`` of the test's own (Debian's, transaction mode) stands in front of the test
database, with three server sessions and ``server_round_robin``, so that consecutive
transactions of one client land on different server sessions, as under load. The portal's code
runs in a ``manage.py shell`` whose ``DATABASE_URL`` is the pooler: with
``DATABASE_TRANSACTION_POOLING=1`` an export reads its rows in chunks (governance.db.chunked)
and the case page's one-case read is not prepared, and both work; without it, the export's
server-side cursor and the prepared read fail there, which shows that the pooler really hands
one client's transactions to different sessions (the test could not pass by accident) and
that deploy/README.md's warnings are real.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.conftest import missing
from tests.processes import BIN, ROOT, SEED_STREET, PgBouncer, pgbouncer_binary, suite_database_url

pytestmark = [pytest.mark.postgres]

# Run against the pooler: a street, a grid worker, 120 cases, then the export's rows read in
# chunks of 50 (three chunks) and one case read four times by the case page's read.
SCRIPT = (
    """
import json
from django.db import connection
from django.test.utils import override_settings
from casework import page_selectors, selectors
from casework.models import Case
from casework.services import case_report
# Filed without prepared statements (a filing's lock and number upsert are prepared with the
# reads): only the reads below depend on the setting under test.
seeding = override_settings(DATABASE_PREPARED_READS=False)
seeding.enable()
"""
    + SEED_STREET
    + """
for i in range(120):
    case_report(actor=user, title=f"井盖缺失{i}", category=category, area=grid,
        source="patrol", address=f"青松里{i}号楼")
seeding.disable()
result = {"server_side_cursors": not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")}
try:
    rows = list(page_selectors.export_rows(
        Case.objects.order_by("-reported_at", "-pk"), chunk_size=50))
    result["exported"] = [row["number"] for row in rows]
except Exception as exc:
    result["export_error"] = f"{type(exc).__name__}: {exc}"
pk = Case.objects.order_by("pk").values_list("pk", flat=True)[5]
try:
    result["read"] = [selectors.case_detail_for(user, pk).pk for _ in range(4)]
except Exception as exc:
    result["read_error"] = f"{type(exc).__name__}: {exc}"
result["numbers"] = sorted(Case.objects.values_list("number", flat=True))
print(json.dumps(result))
"""
)


@pytest.fixture
def pgbouncer():
    """A pgbouncer in transaction mode in front of the test database's server, with three server
    sessions handed out in turn; its URL."""
    if pgbouncer_binary() is None:
        missing("this test starts its own PgBouncer: apt-get install pgbouncer")
    pooler = PgBouncer(suite_database_url(), pool_size=3, round_robin=True)
    try:
        pooler.start()
        yield pooler.url()
    finally:
        # Its server sessions close with it, before the test database is flushed and dropped.
        pooler.stop()


def _run(url: str, **env) -> dict:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        "DATABASE_URL": url,
        "ALLOW_DEV_SECRET_KEY": "1",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        **env,
    }
    done = subprocess.run(
        [str(BIN / "python"), "manage.py", "shell", "-c", SCRIPT],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_behind_pgbouncer_in_transaction_mode_exports_and_reads_work(pgbouncer, transactional_db):
    result = _run(pgbouncer, DATABASE_TRANSACTION_POOLING="1")

    assert not result["server_side_cursors"]
    assert "export_error" not in result and "read_error" not in result, result
    # Every case once, in the list's order (the newest first): three chunks of keys.
    assert len(result["exported"]) == 120
    assert sorted(result["exported"]) == result["numbers"]
    assert result["exported"] == sorted(result["numbers"], reverse=True)
    assert len(set(result["read"])) == 1


def test_without_the_setting_the_pooler_breaks_cursors_and_prepared_reads(
    pgbouncer, transactional_db
):
    result = _run(pgbouncer, DATABASE_TRANSACTION_POOLING="0")

    assert result["server_side_cursors"]
    assert "does not exist" in result.get("export_error", ""), result
    assert "does not exist" in result.get("read_error", ""), result
