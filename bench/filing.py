"""Filing rate over the API (issue 15: ≥ 100 cases/s on this 2-core machine, then the path to 280/s).

    .venv/bin/python bench/filing.py [--clients 8] [--seconds 20] [--filings 200] [--web 2x1,2x4]
    .venv/bin/python bench/filing.py --tiny      # the smoke test (tests/test_bench.py)

Starts a PostgreSQL cluster of its own run as production runs it (fsync and synchronous commit
on, deploy/postgresql's group commit: a case answered 201 survives a crash), a redis-server, a
Celery worker and beat (the notifications go through the outbox as in production) — with the
helpers of tests/processes.py — and the street of bench/lists.py with a grid worker who files.

1. In-process: the SQL statements of one filing (Django's test client, token authentication, as
   the load sends it), then ``--filings`` filings one after the other: wall time and Python CPU
   time per filing, and the function calls of a filing (counted, so unmoved by the machine's
   load: what to compare between two commits on a busy machine).
2. Through the stack: for each ``--web`` configuration (gunicorn ``processes x threads``) gunicorn
   is (re)started and ``--clients`` clients (bench/load.py, a second process) file cases for
   ``--seconds``: cases/s, p50/p95, and where the CPU went (gunicorn, PostgreSQL, the worker, the
   load generator; CPU seconds per filing from /proc) with the load average.

Writes ``bench/results/filing.md``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine
from stack import running_stack

sys.path.insert(0, str(ROOT))
from tests.processes import PostgresServer, Stack, wait_for

RESULTS = ROOT / "bench" / "results" / "filing.md"
TICKS = os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--filings", type=int, default=200, help="in-process filings")
    parser.add_argument(
        "--web", default="2x1,2x4", help="gunicorn configurations: processes x threads, …"
    )
    parser.add_argument("--tiny", action="store_true", help="a smoke test: 2 clients, 1 s")
    args = parser.parse_args()
    if args.tiny:
        args.clients, args.seconds, args.filings, args.web = 2, 1, 5, "1x1,1x2"
    web = [tuple(int(n) for n in item.split("x")) for item in args.web.split(",")]
    return run(clients=args.clients, seconds=args.seconds, filings=args.filings, web=web)


def run(
    *,
    clients: int = 8,
    seconds: float = 20,
    filings: int = 200,
    web: list[tuple[int, int]] = ((2, 1),),
    results: Path = RESULTS,
    database_url: str | None = None,
) -> int:
    """Measure in-process, then each gunicorn configuration in ``web`` under ``clients``
    clients; write ``results``. Returns 1 when a filing failed. ``database_url``: an existing
    (migrated) database instead of a cluster of its own (the smoke test uses the suite's; the
    PostgreSQL CPU is then not measured, as other processes share that server)."""
    with running_stack("gg-filing-", database_url, durable=True) as stack:
        people = _prepare()
        inprocess = _in_process(people, filings)
        stack.env.update(GUNICORN_ACCESS_LOG=os.devnull, API_THROTTLE_USER="100000/second")
        stack.up(workers=True)
        rows = []
        for processes, threads in web:
            _restart_web(stack, processes, threads)
            row = _through_stack(stack, people, stack.postgres, clients=clients, seconds=seconds)
            row["web"] = f"{processes} × {threads}"
            rows.append(row)
        own_pg = stack.postgres is not None
        _write(results, inprocess, rows, clients=clients, seconds=seconds, own_pg=own_pg)
        print(f"Results written to {results}")
        failed = [row for row in rows if row["failed"] or not row["requests"]]
        if failed:
            print(f"FAILED filings: {failed}\n{stack.logs()}", file=sys.stderr)
            return 1
        return 0


def _prepare():
    """bench/lists.py's street (cases of an earlier run removed), a grid worker of its first
    grid who files with an API token."""
    import lists
    from django.contrib.auth import get_user_model

    from governance.models import Role, RoleAssignment
    from governance.tokens import token_issue
    from grids.models import Area, AreaKind

    people = lists._prepare_street()
    grid = Area.objects.filter(kind=AreaKind.GRID, code__startswith=lists.STREET_CODE)
    people.grid = grid.order_by("code").first()
    people.filer, _ = get_user_model().objects.get_or_create(
        username="bench-filer", defaults={"full_name": "压测网格员"}
    )
    RoleAssignment.objects.get_or_create(user=people.filer, role=Role.GRID_WORKER, area=people.grid)
    people.token = token_issue(user=people.filer, name="bench-filing")[1]
    people.body = {
        "title": "压测：楼道堆物",
        "category": people.category.pk,
        "area": people.grid.pk,
        "source": "patrol",
        "address": "压测路1号",
    }
    return people


def _in_process(people, filings: int) -> dict:
    """The statements of one filing, and the time of ``filings`` filings one after the other."""
    from contextlib import suppress

    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from rest_framework.test import APIClient

    with suppress(RuntimeError):  # already set up when run inside pytest
        setup_test_environment()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {people.token}")

    def file() -> None:
        response = client.post("/api/v1/cases/", people.body, format="json")
        if response.status_code != 201:
            raise AssertionError(f"filing answered {response.status_code}: {response.content!r}")

    for _ in range(3):  # warm: caches, prepared plans
        file()
    with CaptureQueriesContext(connection) as captured:
        file()
    statements = [query["sql"] for query in captured.captured_queries]
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(filings):
        file()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    row = {
        "statements": statements,
        "ms": 1000 * wall / filings,
        "cpu_ms": 1000 * cpu / filings,
        "filings": filings,
        "calls": _calls_per(file, repeat=min(filings, 20)),
    }
    print(
        f"In-process: {len(statements)} statements, {row['ms']:.1f} ms a filing "
        f"({row['cpu_ms']:.1f} ms of it Python CPU), {filings} filings; "
        f"{row['calls']:,.0f} function calls a filing",
        flush=True,
    )
    return row


def _calls_per(action, *, repeat: int) -> float:
    """The function calls (Python and C) of one ``action()``, over ``repeat`` of them: a count
    of work that, unlike CPU time, a busy machine does not move, so two commits can be told
    apart on one (stop 23's filing rate: the same calls within 0.3 %, bench/RESULTS.md)."""
    calls = 0

    def count(frame, event, arg) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        for _ in range(repeat):
            action()
    finally:
        sys.setprofile(None)
    return calls / repeat


def _restart_web(stack: Stack, processes: int, threads: int) -> None:
    import signal

    old = stack.procs.get("web")
    if old is not None and old.poll() is None:
        os.killpg(old.pid, signal.SIGTERM)
        old.wait(timeout=60)
    stack.env.update(GUNICORN_WORKERS=str(processes), GUNICORN_THREADS=str(threads))
    stack.start(
        "web", str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py"
    )
    wait_for(lambda: stack.get("/health/")[0] == 200, timeout=60, what="the portal's /health/")


# -- CPU accounting from /proc -------------------------------------------------------------------
def _processes() -> dict[int, tuple[int, int, float]]:
    """pid → (parent pid, process group, CPU seconds used) of every process now running."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        # After the name: state ppid pgrp … utime (12th) stime (13th), cutime, cstime.
        cpu = sum(int(f) for f in fields[11:15]) / TICKS
        found[int(entry)] = (int(fields[1]), int(fields[2]), cpu)
    return found


def _cpu_by_part(stack: Stack, postgres: PostgresServer | None) -> dict[str, float]:
    """CPU seconds used so far by gunicorn, the Celery worker and beat, and PostgreSQL (the
    postmaster's children; connections are kept, so the backends outlive the window)."""
    procs = _processes()
    parts = {"web": 0.0, "worker": 0.0, "postgres": 0.0}
    groups = {
        stack.procs[name].pid: name for name in ("web", "worker", "beat") if name in stack.procs
    }
    postmaster = None
    if postgres is not None:
        with open(postgres.data / "postmaster.pid") as pidfile:
            postmaster = int(pidfile.readline())
    for pid, (ppid, group, cpu) in procs.items():
        name = groups.get(group)
        if name == "web":
            parts["web"] += cpu
        elif name in ("worker", "beat"):
            parts["worker"] += cpu
        elif postmaster is not None and (pid == postmaster or ppid == postmaster):
            parts["postgres"] += cpu
    return parts


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot (/proc/stat)."""
    with open("/proc/stat") as stat:
        fields = [int(f) for f in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / TICKS, sum(fields) / TICKS


def _through_stack(stack: Stack, people, postgres, *, clients: int, seconds: float) -> dict:
    from casework.models import Case

    plan = {
        "base": f"http://127.0.0.1:{stack.port}",
        "threads": clients,
        "seconds": seconds,
        "requests": [
            {
                "label": "filing",
                "method": "POST",
                "path": "/api/v1/cases/",
                "headers": {"Authorization": f"Token {people.token}"},
                "body": people.body,
            }
        ],
    }
    before_cases = Case.objects.count()
    before, busy_before = _cpu_by_part(stack, postgres), _machine_busy()
    load_before = os.times()
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py")],
        input=json.dumps(plan), capture_output=True, text=True, check=True,
        timeout=120 + 2 * seconds,
    )  # fmt: skip
    load_after = os.times()
    after, busy_after = _cpu_by_part(stack, postgres), _machine_busy()
    loadavg = os.getloadavg()[0]
    (row,) = json.loads(done.stdout)
    # Every filing answered 201 was written (the window's filings plus one warm-up per client).
    row["written"] = Case.objects.count() - before_cases
    filed = max(row["requests"], 1)
    row["cpu_ms"] = {part: 1000 * (after[part] - before[part]) / filed for part in before}
    row["cpu_ms"]["load generator"] = (
        1000 * (load_after.children_user + load_after.children_system
                - load_before.children_user - load_before.children_system) / filed
    )  # fmt: skip
    elapsed = busy_after[1] - busy_before[1]
    row["machine_busy"] = (busy_after[0] - busy_before[0]) / elapsed if elapsed else float("nan")
    row["loadavg"] = loadavg
    print(
        f"  {row['per_second']:.1f} cases/s, p50 {row['p50']:.0f} ms, p95 {row['p95']:.0f} ms, "
        f"{row['failed']} failed; CPU ms a filing: "
        + ", ".join(f"{k} {v:.1f}" for k, v in row["cpu_ms"].items())
        + f"; machine {100 * row['machine_busy']:.0f} % busy, load {loadavg:.1f}",
        flush=True,
    )
    return row


def _write(results: Path, inprocess: dict, rows: list[dict], **run) -> None:
    own_pg = run["own_pg"]
    lines = [
        "# Filing rate over the API",
        "",
        "Generated by `bench/filing.py`; do not edit by hand.",
        "",
        f"- {machine()}; PostgreSQL "
        + (
            "a cluster of the run's own with fsync and synchronous commit on, "
            "commit_delay 200 µs, commit_siblings 5"
            if own_pg
            else "the suite's server (its CPU is not measured)"
        ),
        f"- In-process (Django's test client, token authentication): {inprocess['filings']} "
        f"filings one after the other: **{inprocess['ms']:.1f} ms a filing**, of which "
        f"{inprocess['cpu_ms']:.1f} ms Python CPU; **{len(inprocess['statements'])} SQL "
        f"statements** and {inprocess['calls']:,.0f} function calls (Python and C) a filing",
        f"- Through the stack: {run['clients']} clients (bench/load.py, a second process; a "
        "connection each, kept alive where gunicorn keeps it: the threaded worker does, the sync "
        f"one closes after each answer) file for {run['seconds']:g} s against gunicorn, with a "
        "Celery worker and beat and Redis running; all on this machine",
        "",
        "| gunicorn processes × threads | cases/s | p50 / p95 ms | failed | CPU ms a filing: "
        "gunicorn / PostgreSQL / worker / load generator | machine busy | load average |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        cpu = row["cpu_ms"]
        pg = f"{cpu['postgres']:.1f}" if own_pg else "–"
        lines.append(
            f"| {row['web']} | {row['per_second']:.1f} | {row['p50']:.0f} / {row['p95']:.0f} | "
            f"{row['failed']} | {cpu['web']:.1f} / {pg} / {cpu['worker']:.1f} / "
            f"{cpu['load generator']:.1f} | {100 * row['machine_busy']:.0f} % | "
            f"{row['loadavg']:.1f} |"
        )
    lines += ["", "The statements of one filing:", ""]
    lines += [f"{n}. `{_short(sql)}`" for n, sql in enumerate(inprocess["statements"], 1)]
    lines.append("")
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text("\n".join(lines), encoding="utf-8")


def _short(sql: str) -> str:
    """A statement as its verb, its table and how many tables it joins."""
    words = sql.split()
    table = next((w for prev, w in itertools.pairwise(words) if prev in ("FROM", "INTO")), "")
    joins = words.count("JOIN")
    return " ".join(
        filter(None, [words[0], table.strip('"'), f"+ {joins} joined" if joins else ""])
    )


if __name__ == "__main__":
    sys.exit(main())
