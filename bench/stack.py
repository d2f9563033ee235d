"""``make bench``: the production stack on loopback under load, at two sizes.

    .venv/bin/python bench/stack.py [--small 10000] [--large 1000000] [--threads 4] [--seconds 10]
    .venv/bin/python bench/stack.py --tiny      # a smoke test
    .venv/bin/python bench/stack.py --pgbouncer # the stack's processes through PgBouncer

Starts a PostgreSQL cluster and a redis-server of its own, gunicorn (deploy/gunicorn.conf.py,
two workers for this 2-core machine, DEBUG off), a Celery worker and beat — with the helpers of
the production-stack test (tests/processes.py). The cases are those of ``bench/lists.py`` (one
street, written with ``INSERT … SELECT generate_series``). At each size a second process
(bench/load.py, threads with http.client) drives each main page and endpoint for ``--seconds``
and reports throughput and p50/p95/p99, beside the ceiling (the cheapest authenticated
endpoint, ``/api/v1/me/``) and the filing rate over the API. Queries per request are counted
in this process through Django's test client. The CPU each request costs is accounted by
process group over each row's measured window (bench/cputime.py, from /proc): the web
(gunicorn), the database, the load generator and the rest (Redis, the worker and beat). Writes ``bench/RESULTS.md`` (the measured part,
between markers; the findings around it are kept).

With ``--pgbouncer`` gunicorn, the worker and beat reach PostgreSQL through a PgBouncer of the
run's own in transaction mode (``DATABASE_TRANSACTION_POOLING=1``, as deploy/README.md says for
several machines behind a pooler), its pool as large as the stack's clients (two web workers, the
worker's two processes, beat); the pooler's CPU counts with the database's. The results go to
``bench/results/pgbouncer.md`` unless ``--results`` names another file. CI runs the tiny sizes
through PgBouncer (tests/test_bench.py): every request answered through a pooler under load.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cputime
import lists
from common import ROOT, load_average, machine, setup_django

sys.path.insert(0, str(ROOT))
from tests.processes import PgBouncer, PostgresServer, RedisServer, Stack

RESULTS = ROOT / "bench" / "RESULTS.md"
PGBOUNCER_RESULTS = ROOT / "bench" / "results" / "pgbouncer.md"
# Server sessions of the pooler: one per client of the stack (two web workers, the Celery
# worker's two processes, beat), so that no client waits for a session.
PGBOUNCER_POOL = 5
# The settings of deploy/portal.env.example the figures depend on, given to the stack as there
# (an environment variable of the same name set for the run wins). Persistent connections need
# none: settings.py keeps them (a minute, health-checked) whenever DATABASE_URL is set.
PRODUCTION_EXAMPLE = ROOT / "deploy" / "portal.env.example"
PRODUCTION_SETTINGS = ("DATABASE_PREPARED_STATEMENTS", "DATABASE_PREPARE_THRESHOLD")
BEGIN = "<!-- measured: written by bench/stack.py -->"
END = "<!-- end of measured -->"
CEILING = "ceiling: GET /api/v1/me/"
FILING = "filing: POST /api/v1/cases/"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--tiny", action="store_true", help="a smoke test: tiny sizes, 1 s each")
    parser.add_argument(
        "--keep", action="store_true",
        help="leave the PostgreSQL cluster running at the end (to EXPLAIN on the large size); "
        "the command to remove it is printed",
    )  # fmt: skip
    parser.add_argument(
        "--open-everywhere", action="store_true",
        help="one in five cases open at every size (the open backlog grows with the history); "
        "by default only the youngest 10,000 cases have open ones",
    )  # fmt: skip
    parser.add_argument(
        "--settle", type=float, default=SETTLE_AT_LEAST,
        help="after writing each size's cases, wait at least this many seconds, and until the "
        "worker and the database are idle, before measuring (0: only until idle)",
    )  # fmt: skip
    parser.add_argument(
        "--pgbouncer", action="store_true",
        help="gunicorn, the worker and beat through a PgBouncer of the run's own in "
        "transaction mode (results in bench/results/pgbouncer.md)",
    )  # fmt: skip
    parser.add_argument("--results", type=Path, help="where to write the results")
    args = parser.parse_args()
    if args.tiny:
        args.small, args.large, args.seconds, args.threads = 60, 150, 1, 2
        args.settle = 0
    results = args.results or (PGBOUNCER_RESULTS if args.pgbouncer else RESULTS)
    return run(
        args.small, args.large, threads=args.threads, seconds=args.seconds, keep=args.keep,
        open_window=None if args.open_everywhere else lists.OPEN_WINDOW, settle=args.settle,
        results=results, pgbouncer=args.pgbouncer,
    )  # fmt: skip


def run(
    small: int,
    large: int,
    *,
    threads: int = 4,
    seconds: float = 10,
    results: Path = RESULTS,
    database_url: str | None = None,
    keep: bool = False,
    open_window: int | None = lists.OPEN_WINDOW,
    settle: float | None = None,
    pgbouncer: bool = False,
) -> int:
    """Start the stack, measure at ``small`` then ``large`` cases, write ``results``. Returns 1
    when a request failed. ``database_url``: an existing (migrated) database instead of a
    cluster of its own (the smoke test uses the suite's). ``open_window``: the youngest cases
    among which one in five is open (``lists._grow``); None: one in five at every size.
    ``settle``: wait so long at least after writing each size's cases, and until the stack
    is idle (:func:`_settle`); None: measure at once. ``pgbouncer``: the stack's processes
    through a PgBouncer in transaction mode."""
    with running_stack("gg-bench-", database_url, keep=keep, pgbouncer=pgbouncer) as stack:
        people = lists._prepare_street()
        auth = _credentials(people, secret_key=stack.env["SECRET_KEY"])
        stack.env.update(
            GUNICORN_WORKERS="2",
            GUNICORN_ACCESS_LOG=os.devnull,
            # The user's limit lifted, over a window of one second: DRF keeps every request
            # of the window in the throttle's history, read and written on each request, and a
            # minute's window at this rate (tens of thousands of entries) cost the API rows
            # ~3 ms a request that production, at 1,200 a minute, never pays (branch apilist).
            API_THROTTLE_USER="100000/second",
        )
        started = time.perf_counter()
        stack.up(workers=True)
        print(f"Stack up in {time.perf_counter() - started:.0f} s", flush=True)
        rows, settled = {}, {}
        done = 0
        for size in (small, large):
            started = time.perf_counter()
            lists._grow(people, done, size, open_window=open_window)
            done = size
            print(f"{size:,} cases written in {time.perf_counter() - started:.0f} s", flush=True)
            if settle is not None:
                settled[size] = _settle(stack, at_least=settle)
                print(f"  the worker and the database idle after {settled[size]:.0f} s")
            requests = _requests(people, auth, size)
            queries = _queries(people, requests)
            measured = _load(stack, requests, threads=threads, seconds=seconds)
            for row in measured:
                row["queries"] = queries.get(row["label"])
            rows[size] = measured
        pooled = stack.pgbouncer.transactions() if stack.pgbouncer is not None else None
        failed = [
            (size, row["label"], row["statuses"])
            for size, measured in rows.items()
            for row in measured
            if row["failed"] or not row["requests"]
        ]
        _write(
            results, small, large, threads, seconds, rows, open_window,
            database_own=stack.postgres is not None, settled=settled,
            pooled=pooled,
        )  # fmt: skip
        print(f"Results written to {results}")
        if failed:
            print(f"FAILED requests: {failed}\n{stack.logs()}", file=sys.stderr)
            return 1
        return 0


@contextlib.contextmanager
def running_stack(
    prefix: str, database_url: str | None, *, durable=False, keep=False, pgbouncer=False
):
    """The services a stack benchmark runs against, removed on leaving: a temporary folder, a
    PostgreSQL cluster of the run's own (``durable``: fsync and synchronous commit on, as in
    production; kept running with ``keep``, the command to remove it printed) unless
    ``database_url`` names an existing migrated database that Django is already set up on, and
    a redis-server; with ``pgbouncer``, a PgBouncer in transaction mode in front of the
    database, which the stack's processes reach through it (this process goes on reaching the
    database directly). Yields the :class:`Stack` over them, not started (``stack.up()``); its
    processes are stopped on leaving. ``stack.postgres`` is the cluster, or None;
    ``stack.pgbouncer`` the pooler, or None."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    postgres = None
    pooler = None
    redis = RedisServer(tmp)
    stack = None
    try:
        redis.start()
        if database_url is None:
            postgres = PostgresServer(durable=durable)
            postgres.init(database="bench")
            database_url = postgres.url("bench")
            os.environ["BENCH_DATABASE_URL"] = database_url
            # This process's Django caches in the run's Redis, as the stack's processes do (and
            # production): what a benchmark measures in-process is then production's path, not
            # the embedded default's cache files (whose every write lists their folder).
            os.environ["REDIS_URL"] = redis.url
            setup_django()
        stack_url = database_url
        if pgbouncer:
            pooler = PgBouncer(database_url, pool_size=PGBOUNCER_POOL)
            pooler.start()
            stack_url = pooler.url()
        stack = Stack(tmp, redis, stack_url)
        stack.env.update(production_settings())
        if pooler is not None:
            stack.env["DATABASE_TRANSACTION_POOLING"] = "1"
        stack.postgres = postgres
        stack.pgbouncer = pooler
        stack.redis = redis
        yield stack
    finally:
        if stack is not None:
            stack.down()
        if pooler is not None:
            pooler.stop()
        redis.stop()
        if postgres is not None and keep:
            print(
                f"PostgreSQL cluster kept: {database_url} (data in {postgres.data}); remove it "
                f"with: {'runuser -u postgres -- ' if postgres.as_postgres else ''}"
                f"{postgres.bin / 'pg_ctl'} -D {postgres.data} -m fast stop && rm -rf {postgres.dir}",
                flush=True,
            )
        elif postgres is not None:
            postgres.remove()
        shutil.rmtree(tmp, ignore_errors=True)


def _credentials(people, *, secret_key: str) -> dict:
    """An API token and a signed-in session (the pages; signed with the stack's key) for each
    user of ``people.users``, and a token for a grid worker who files."""
    import lists
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    from governance.auth import ModelBackend
    from governance.models import Role, RoleAssignment
    from governance.tokens import token_issue
    from grids.models import Area, AreaKind

    grid = Area.objects.filter(kind=AreaKind.GRID, code__startswith=lists.STREET_CODE)
    grid = grid.order_by("code")
    filer, _ = get_user_model().objects.get_or_create(
        username="bench-worker", defaults={"full_name": "压测网格员"}
    )
    RoleAssignment.objects.get_or_create(user=filer, role=Role.GRID_WORKER, area=grid.first())
    people.filer = filer
    people.filing_area = grid.first()

    def session(user) -> str:
        ours = settings.SECRET_KEY
        settings.SECRET_KEY = secret_key
        try:
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = f"{ModelBackend.__module__}.{ModelBackend.__name__}"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
        finally:
            settings.SECRET_KEY = ours
        return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"

    auth = {"filer": {"Authorization": f"Token {token_issue(user=filer, name='bench')[1]}"}}
    for who, user in people.users.items():
        auth[who] = {"Authorization": f"Token {token_issue(user=user, name='bench')[1]}"}
        auth[f"{who}-page"] = {"Cookie": session(user), "Accept": "text/html"}
    return auth


def _requests(people, auth, size: int) -> list[dict]:
    import lists

    from casework.models import Case

    case = Case.objects.filter(street=people.street).order_by("pk")[size // 2 : size // 2 + 1].get()
    plan = [{"label": CEILING, "path": "/api/v1/me/", "headers": auth["admin"], "who": "admin"}]
    for label, who, path in lists.REQUESTS:
        page = not path.startswith("/api/")
        plan.append(
            {
                "label": label,
                "path": path.format(number=case.number, pk=case.pk),
                "headers": auth[f"{who}-page" if page else who],
                "who": who,
            }
        )
    plan.append(
        {
            "label": FILING,
            "method": "POST",
            "path": "/api/v1/cases/",
            "headers": auth["filer"],
            "who": "filer",
            "body": {
                "title": "压测：楼道堆物",
                "category": people.category.pk,
                "area": people.filing_area.pk,
                "source": "patrol",
                "address": "压测路1号",
            },
        }
    )
    return plan


def _queries(people, requests: list[dict]) -> dict[str, int]:
    """SQL statements per request, counted in this process by Django's test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    with contextlib.suppress(RuntimeError):  # already set up when run inside pytest
        setup_test_environment()  # the test client's host name is allowed
    users = {**people.users, "filer": people.filer}
    counts = {}
    for request in requests:
        client = Client()
        client.force_login(users[request["who"]])
        accept = request["headers"].get("Accept", "application/json")
        for _ in range(2):  # the first warms caches and plans; the second is counted
            with CaptureQueriesContext(connection) as captured:
                if request.get("method") == "POST":
                    client.post(
                        request["path"], request["body"], content_type="application/json",
                        HTTP_ACCEPT=accept,
                    )  # fmt: skip
                else:
                    client.get(request["path"], HTTP_ACCEPT=accept)
        counts[request["label"]] = len(captured)
    return counts


def cpu_groups(stack) -> dict[str, list]:
    """The process groups whose CPU bench/load.py accounts (bench/cputime.py's selectors): the
    web (gunicorn's master, whose tree holds the workers and whose children's times keep those
    recycled), the database (the cluster's postmaster when it is the run's own, else the
    backends of the stack's database), Redis, and the worker and beat as they are now (the
    supervisor may have started one again). A group left empty is reported as a dash."""
    groups = {"web": [stack.procs["web"].pid], "db": [], "redis": [], "celery": []}
    if getattr(stack, "postgres", None) is not None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            pidfile = stack.postgres.data / "postmaster.pid"
            groups["db"] = [int(pidfile.read_text().split()[0])]
    else:
        groups["db"] = ["postgres:" + urlsplit(stack.env["DATABASE_URL"]).path.lstrip("/")]
    pooler = getattr(stack, "pgbouncer", None)
    if pooler is not None and pooler.proc is not None:
        groups["db"].append(pooler.proc.pid)
    redis = getattr(stack, "redis", None)
    if redis is not None and redis.proc is not None:
        groups["redis"] = [redis.proc.pid]
    groups["celery"] = [stack.procs[name].pid for name in ("worker", "beat") if name in stack.procs]
    return groups


# Writing a size's cases leaves the stack work to catch up on: the deadline scan (every 30 s)
# writes the reminders of the cases come due, the statistics rollup (every 60 s) counts the new
# cases, autovacuum analyzes the tables. Measured while it ran, it fell in whatever rows ran
# then (4–15 ms of the worker's CPU a request, and 3–8 ms of the database's, at 10,000 cases:
# branch stackcpu's runs), a cost of the benchmark's bulk load that a street's day does not have.
# So each size waits until both beat tasks have had their turn and the worker and the database
# have been idle for two windows in a row.
SETTLE_AT_LEAST = 65.0
SETTLE_IDLE = 0.05  # of one CPU, the worker, beat and the database together
SETTLE_WINDOW = 2.0
SETTLE_DEADLINE = 900.0


def _settle(stack, *, at_least: float) -> float:
    """Wait at least ``at_least`` seconds, and until the Celery worker, beat and the database
    have used under ``SETTLE_IDLE`` of a CPU over two windows in a row (``SETTLE_DEADLINE`` at
    most; then the run goes on and says so). Returns the seconds waited."""
    groups = {name: pids for name, pids in cpu_groups(stack).items() if name in ("db", "celery")}
    started = time.monotonic()
    idle = 0
    while True:
        before = cputime.snapshot(groups)
        time.sleep(SETTLE_WINDOW)  # the measuring window, not a wait for a condition
        used = cputime.spent(before, cputime.snapshot(groups))
        busy = sum(seconds for seconds in used.values() if seconds is not None) / SETTLE_WINDOW
        idle = idle + 1 if busy < SETTLE_IDLE else 0
        waited = time.monotonic() - started
        if idle >= 2 and waited >= at_least:
            return waited
        if waited >= SETTLE_DEADLINE:
            print(f"  still busy after {waited:.0f} s ({busy:.2f} of a CPU); measuring anyway")
            return waited


def _load(stack, requests: list[dict], *, threads: int, seconds: float) -> list[dict]:
    plan = {
        "base": f"http://127.0.0.1:{stack.port}",
        "threads": threads,
        "seconds": seconds,
        "cpu": cpu_groups(stack),
        "requests": [
            {k: r[k] for k in ("label", "method", "path", "headers", "body") if k in r}
            for r in requests
        ],
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py")],
        input=json.dumps(plan), capture_output=True, text=True, check=True,
        timeout=60 + 5 * len(requests) * (seconds + 5),
    )  # fmt: skip
    rows = json.loads(done.stdout)
    for row in rows:
        used = [v for v in (row["cpu"] or {}).values() if v is not None]
        print(
            f"  {row['label']}: {row['per_second']:.1f}/s, p50 {row['p50']:.0f} ms, "
            f"p95 {row['p95']:.0f} ms, p99 {row['p99']:.0f} ms, {row['failed']} failed; "
            f"CPU ms/req web / db / load / redis / celery {cpu_per_request(row, EACH_GROUP)}, "
            f"the stack's share of {os.cpu_count()} CPUs "
            f"{sum(used) / row['elapsed'] / (os.cpu_count() or 1):.2f}",
            flush=True,
        )
    return rows


# The table's groups; "other" is Redis with the worker and beat (the console shows each).
CPU_GROUPS = {"web": ("web",), "db": ("db",), "load": ("load",), "other": ("redis", "celery")}
EACH_GROUP = {part: (part,) for part in ("web", "db", "load", "redis", "celery")}


def cpu_per_request(row: dict, groups: dict = CPU_GROUPS) -> str:
    """The row's milliseconds of CPU per request by group, "web / db / load / other"; a dash for
    a group not accounted (no /proc, a process gone)."""
    cpu = row.get("cpu") or {}
    shown = []
    for parts in groups.values():
        if not row["requests"] or any(cpu.get(part) is None for part in parts):
            shown.append("—")
        else:
            shown.append(f"{1000 * sum(cpu[part] for part in parts) / row['requests']:.1f}")
    return " / ".join(shown)


def production_settings() -> dict[str, str]:
    """:data:`PRODUCTION_SETTINGS` as deploy/portal.env.example sets them, unless set for the
    run."""
    found = {}
    for line in PRODUCTION_EXAMPLE.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() in PRODUCTION_SETTINGS:
            found[name.strip()] = value.strip()
    found.update({k: os.environ[k] for k in PRODUCTION_SETTINGS if k in os.environ})
    return found


def _database_settings() -> str:
    """The database settings of the stack, in words, for the results' header."""
    given = production_settings()
    prepared = given.get("DATABASE_PREPARED_STATEMENTS", "").lower() in ("1", "true", "yes", "on")
    threshold = given.get("DATABASE_PREPARE_THRESHOLD", "5")
    return (
        f"prepared statements on (threshold {threshold})" if prepared else "prepared statements off"
    ) + ", persistent connections (60 s, health-checked), as deploy/portal.env.example"


def _write(
    results: Path,
    small,
    large,
    threads,
    seconds,
    rows,
    open_window=None,
    database_own=True,
    settled: dict | None = None,
    pooled: int | None = None,
) -> None:
    """Write the results; ``pooled``: the transactions a PgBouncer passed, None without one."""
    at_small = {r["label"]: r for r in rows[small]}
    at_large = {r["label"]: r for r in rows[large]}
    ceiling = (at_small[CEILING]["per_second"], at_large[CEILING]["per_second"])
    lines = [
        BEGIN,
        "",
        f"- {machine()}; gunicorn 2 sync workers, a Celery worker and beat, PostgreSQL and Redis "
        "of the run's own, all on this machine beside the load generator; "
        + _database_settings()
        + (
            f"; gunicorn, the worker and beat through a PgBouncer of the run's own in transaction "
            f"mode ({PGBOUNCER_POOL} server sessions, DATABASE_TRANSACTION_POOLING=1; "
            f"{pooled:,} transactions passed)"
            if pooled is not None
            else ""
        ),
        f"- Load: {threads} threads in a second process (bench/load.py, http.client), "
        f"{seconds:g} s per row after one unmeasured request per thread; API rows with a token, pages with a session",
        f"- Sizes: {small:,} then {large:,} cases in one street (bench/lists.py's data), same run; "
        + (
            f"one in five of the youngest {open_window:,} cases open, every older one closed "
            "(the open backlog the same at both sizes)"
            if open_window
            else "one in five cases open at both sizes (the open backlog grows with the history)"
        ),
        "- CPU ms/req: the user and system CPU time of each group of processes (/proc) over the "
        "row's measured window, over the requests answered: web = gunicorn's master and workers "
        "(recycled ones too), db = "
        + (
            "the PostgreSQL cluster (every process: backends, background writers, autovacuum), "
            if database_own
            else "the backends of the stack's database (a cluster not the run's own; "
            "ended backends lost), "
        )
        + ("and the pooler, " if pooled is not None else "")
        + "load = the load generator, other = Redis, the Celery worker and beat; idle "
        "background work falls in the row it happens in. CPU time is inflated less than wall "
        "time by other work on the machine",
        *(
            [
                "- Before each size's rows: the worker, beat and the database left to catch up "
                "on the cases just written (the deadline scan, the statistics rollup, "
                "autovacuum) until idle: "
                + ", ".join(f"{s:.0f} s at {size:,}" for size, s in settled.items())
            ]
            if settled
            else []
        ),
        f"- Load average (1, 5, 15 min) at the end: {load_average()}",
        "",
        f"| request | req/s at {small:,} | share of ceiling | p50 / p95 / p99 ms | queries "
        "| CPU ms/req web / db / load / other "
        f"| req/s at {large:,} | share of ceiling | p50 / p95 / p99 ms | queries "
        "| CPU ms/req web / db / load / other | p50 ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, a in at_small.items():
        b = at_large[label]
        ratio = b["p50"] / a["p50"] if a["p50"] else float("nan")
        lines.append(
            f"| {label} | {a['per_second']:.1f} | {a['per_second'] / ceiling[0]:.2f} | "
            f"{a['p50']:.0f} / {a['p95']:.0f} / {a['p99']:.0f} | {a['queries']} | "
            f"{cpu_per_request(a)} | {b['per_second']:.1f} | {b['per_second'] / ceiling[1]:.2f} | "
            f"{b['p50']:.0f} / {b['p95']:.0f} / {b['p99']:.0f} | {b['queries']} | "
            f"{cpu_per_request(b)} | {ratio:.1f}× |"
        )
    lines += [
        "",
        f"Filing rate over the API: {at_small[FILING]['per_second']:.1f} cases/s at {small:,} "
        f"cases, {at_large[FILING]['per_second']:.1f} cases/s at {large:,} ({threads} clients).",
        "",
        END,
    ]
    text = "\n".join(lines)
    if results.exists() and BEGIN in results.read_text(encoding="utf-8"):
        old = results.read_text(encoding="utf-8")
        text = old[: old.index(BEGIN)] + text + old[old.index(END) + len(END) :]
    else:
        text = "# Benchmark results\n\n" + text + "\n"
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
