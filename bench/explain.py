"""EXPLAIN (ANALYZE, BUFFERS) of the statements behind the stack benchmark's requests.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:PORT/bench \\
        .venv/bin/python bench/explain.py [--min-ms 2] [--only 'API ?q' …] [--repeat 1]
                                          [--results FILE]

Run against a database that ``bench/stack.py --keep`` (or ``bench/lists.py``) left filled: it
reads the street, the users and the cases already there and changes nothing in them. Each
request of ``bench/lists.py``'s list is sent twice through Django's whole stack in-process (the
first warms caches); every statement of the second is explained with ANALYZE and BUFFERS, and
those that took at least ``--min-ms`` (planning + execution) are written with their plan.
Planning and execution time of every statement are summed per request, so that a request whose
planner costs more than its executor shows it. With ``--repeat N`` each statement is explained N
times in a row and its median planning and execution are taken (one EXPLAIN is noisy on a busy
machine).

A statement the portal prepares (``governance.db.prepared``: one case by its key) runs bound by
the server, and the query log shows it with ``$1`` for its values, which EXPLAIN cannot run. So
each request is captured twice, as production runs it (to tell which statements are prepared)
and with ``DATABASE_PREPARED_READS`` off (the same statements with their values, explained
here). A prepared statement is planned once a connection, not once a request: its planning is
written beside it and left out of the request's sum.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, load_average, machine, setup_django

RESULTS = ROOT / "bench" / "results" / "explain.md"
# Who sends each request of bench/lists.py's list (its ``who``) → the user it made.
USERNAMES = {
    "admin": "bench-admin",
    "dispatcher": "bench-dispatcher",
    "worker": "bench-grid",
    "handler": "bench-handler",
    "supervisor": "bench-supervisor",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-ms", type=float, default=2.0)
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="only the requests whose label contains this (may be given again)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="EXPLAINs per statement (median)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    setup_django()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host name is allowed
    return run(min_ms=args.min_ms, only=args.only, repeat=args.repeat, results=args.results)


def _people():
    """The street of bench/lists.py and its users, as a previous run left them."""
    from types import SimpleNamespace

    import lists
    from django.contrib.auth import get_user_model

    from grids.models import Area

    users = get_user_model().objects
    return SimpleNamespace(
        street=Area.objects.get(code=lists.STREET_CODE),
        users={who: users.get(username=name) for who, name in USERNAMES.items()},
    )


def explain(sql: str, *, repeat: int = 1) -> tuple[float, float, str]:
    """Median planning ms and execution ms of ``sql`` over ``repeat`` runs, and its text plan
    (rolled back afterwards)."""
    from django.db import connection, transaction

    planning, execution = [], []
    with transaction.atomic(), connection.cursor() as cursor:
        for _ in range(repeat):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
            (plan,) = cursor.fetchone()
            plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
            planning.append(plan["Planning Time"])
            execution.append(plan["Execution Time"])
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        text = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return statistics.median(planning), statistics.median(execution), text


# A value bound by the server, as the query log shows a prepared statement's.
_PLACEHOLDER = re.compile(r"\$[0-9]+")


def _reads(client, url: str, accept: str) -> list[str]:
    """The SQL of the reads (SELECT, WITH) of one request of ``url``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, HTTP_ACCEPT=accept)
    return [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    ]


def run(
    *, min_ms: float = 2.0, only: list[str] = (), repeat: int = 1, results: Path = RESULTS
) -> int:
    import lists
    from django.test import Client, override_settings

    from casework.models import Case

    people = _people()
    size = Case.objects.filter(street=people.street).count()
    case = Case.objects.filter(street=people.street).order_by("pk")[size // 2 : size // 2 + 1].get()
    users = people.users
    where = f"{machine()}; {size:,} cases in the benchmark's street"
    lines = [
        f"- Statements of at least {min_ms:g} ms (planning + execution) with their plans; "
        "every request's planning and execution summed over all its statements"
        + (f" (each the median of {repeat} EXPLAINs)" if repeat > 1 else "")
        + "; a prepared statement's planning (once a connection) is not in its request's sum",
        "",
        "| request | statements | prepared | planning ms | execution ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    details = []
    for label, who, path in lists.REQUESTS:
        if only and not any(part in label for part in only):
            continue
        client = Client()
        client.force_login(users[who])
        url = path.format(number=case.number, pk=case.pk)
        accept = "application/json" if url.startswith("/api/") else "text/html"
        client.get(url, HTTP_ACCEPT=accept)
        as_run = _reads(client, url, accept)
        with override_settings(DATABASE_PREPARED_READS=False):
            reads = _reads(client, url, accept)
        # The statements with their values, each marked when production prepares it (the
        # same statements in the same order, but for the placeholders).
        marks = [_PLACEHOLDER.search(sql) is not None for sql in as_run]
        if len(marks) != len(reads):
            raise RuntimeError(f"{label}: {len(as_run)} statements prepared, {len(reads)} not")
        planning = execution = 0.0
        statements = prepared = 0
        for sql, is_prepared in zip(reads, marks, strict=True):
            statements += 1
            prepared += is_prepared
            plan_ms, exec_ms, text = explain(sql, repeat=repeat)
            planning += 0.0 if is_prepared else plan_ms
            execution += exec_ms
            if plan_ms + exec_ms >= min_ms:
                how = " (prepared: planned once a connection)" if is_prepared else ""
                details += [
                    f"### {label}: planning {plan_ms:.2f} ms{how}, execution {exec_ms:.2f} ms",
                    "",
                    "```sql",
                    sql,
                    "```",
                    "",
                    "```",
                    text,
                    "```",
                    "",
                ]
        print(f"  {label}: {statements} statements ({prepared} prepared), planning "
              f"{planning:.1f} ms, execution {execution:.1f} ms", flush=True)  # fmt: skip
        lines.append(f"| {label} | {statements} | {prepared} | {planning:.1f} | {execution:.1f} |")
    lines = [
        "# The statements behind the stack benchmark's requests",
        "",
        "Generated by `bench/explain.py`; do not edit by hand.",
        "",
        f"- {where}; load average at the end {load_average()}",
        *lines,
        "",
        "## Statements and their plans",
        "",
        *details,
    ]
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text("\n".join(lines), encoding="utf-8")
    print(f"Results written to {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
