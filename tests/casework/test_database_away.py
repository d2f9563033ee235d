"""The database going away under a running portal (issue 15, reliability).

A PostgreSQL cluster of the test's own (initdb + pg_ctl on a free port) serves gunicorn, started
as in production (deploy/gunicorn.conf.py, DEBUG off, persistent connections with health
checks). Cases are filed over the API from several threads while the server is stopped: every
answer is a 201 or the API's JSON 503 (never an HTML error or a traceback), a page answers the
Chinese 503 page, and nothing is half-written — every case in the database has its report event,
every 201 names a case that is there, and only the filings in flight at the stop can be
saved without their 201. Then the server starts again and the same gunicorn
workers file cases again, without a restart.

The answer's format, with no real server, is tested in tests/governance/test_database_errors.py.
"""

from __future__ import annotations

import json
import shutil
import threading

import pytest

from tests.conftest import missing
from tests.processes import (
    SEED_STREET,
    PostgresServer,
    RedisServer,
    Stack,
    suite_database_url,
    wait_for,
)

# The suite's database is read only for its schema (PostgresServer.copy_schema).
pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db]

# Run in the portal's shell against the private cluster: a street with a grid, a category with
# its limits, a grid worker with an API token and a signed-in session.
SEED = (
    """
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from governance.tokens import token_issue
"""
    + SEED_STREET
    + """
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "governance.auth.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(json.dumps({"token": token_issue(user=user, name="t")[1], "grid": grid.pk,
    "category": category.pk, "session": session.session_key}))
"""
)


def _count(url: str, sql: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


@pytest.fixture
def postgres():
    absent = shutil.which("runuser") is None
    try:
        server = PostgresServer()
    except FileNotFoundError:
        absent = True
    if absent:
        missing("this test starts its own PostgreSQL: initdb, pg_ctl or runuser is missing")
    try:
        server.init()
        yield server
    finally:
        server.remove()


@pytest.fixture
def portal(tmp_path, postgres):
    redis = RedisServer(tmp_path)
    redis.start()
    stack = Stack(tmp_path, redis, postgres.url())
    stack.env["GUNICORN_WORKERS"] = "2"
    try:
        # The suite's migrated schema, copied; migrate then finds nothing to apply and adds
        # the content types and permissions.
        postgres.copy_schema(suite_database_url())
        stack.manage("migrate", "--noinput", "-v", "0", timeout=900)
        seeded = json.loads(
            stack.manage("shell", "-c", "import json\n" + SEED).strip().splitlines()[-1]
        )
        stack.up(workers=False)
        stack.seeded = seeded
        yield stack
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.down()
        redis.stop()


def _file(stack, title: str):
    s = stack.seeded
    body = {"title": title, "category": s["category"], "area": s["grid"], "source": "patrol"}
    body["address"] = "青松里1号楼"
    return stack.post_json("/api/v1/cases/", body, s["token"])


def test_a_database_outage_answers_503_writes_nothing_half_and_the_portal_recovers(
    portal, postgres
):
    status, case = _file(portal, "停库前的案件")
    assert status == 201, case
    answers: list[tuple[int, object]] = []
    stop = threading.Event()

    def file_cases(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                answers.append(_file(portal, f"压测{n}-{i}"))
            except json.JSONDecodeError:  # a body that is not JSON: an HTML error page
                answers.append((-1, None))

    threads = [threading.Thread(target=file_cases, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    wait_for(lambda: len(answers) >= 6, timeout=120, what="filings before the outage")
    postgres.stop("fast")  # terminates the sessions of requests in flight
    stopped_at = len(answers)
    wait_for(lambda: len(answers) >= stopped_at + 6, timeout=120, what="filings during the outage")
    stop.set()
    for thread in threads:
        thread.join(timeout=60)

    statuses = {status for status, _body in answers}
    assert statuses <= {201, 503}, answers
    outage = [body for status, body in answers if status == 503]
    assert outage, "no filing met the outage"
    assert outage[0]["code"] == "service_unavailable", outage[0]
    assert "数据库" in outage[0]["message"]

    status, body = portal.request(
        "GET", "/cases/", headers={"Accept": "text/html", "Cookie": _cookie(portal)}
    )
    assert status == 503
    page = body.decode()
    assert "数据库暂时无法访问" in page and "<html" in page and "Traceback" not in page
    assert portal.get("/health/")[0] == 503

    postgres.start()
    # The same gunicorn workers: their dead connections fail the health check and are
    # replaced on the next request.
    wait_for(
        lambda: _file(portal, "恢复后的案件")[0] == 201, timeout=120, what="filing to work again"
    )
    assert (
        portal.request(
            "GET", "/cases/", headers={"Accept": "text/html", "Cookie": _cookie(portal)}
        )[0]
        == 200
    )
    url = postgres.url()
    created = [body["id"] for status, body in answers if status == 201] + [case["id"]]
    in_db = _count(url, "SELECT count(*) FROM casework_case")
    assert _count(
        url, f"SELECT count(*) FROM casework_case WHERE id IN ({','.join(map(str, created))})"
    ) == len(created)  # every 201 was committed before it was answered
    # Nothing half-written: each case has its report event, no event lacks its case.
    assert (
        _count(
            url,
            "SELECT count(*) FROM casework_case c WHERE NOT EXISTS (SELECT 1 FROM "
            "casework_caseevent e WHERE e.case_id = c.id AND e.step = 'report')",
        )
        == 0
    )
    assert _count(url, "SELECT count(*) FROM casework_caseevent WHERE step = 'report'") == in_db
    # Besides the 201s and the one filed after: at most the filings in flight when the server
    # stopped (committed, then their answer's re-read failed: the 503 page says to check).
    assert len(created) + 1 <= in_db <= len(created) + 1 + len(threads)


def _cookie(stack) -> str:
    return f"sessionid={stack.seeded['session']}"
