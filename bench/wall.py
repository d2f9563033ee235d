"""Benchmark of the wall screen: its page and its update feed (the poll every wall makes every
few seconds), at 10,000 and at 1,000,000 cases, on PostgreSQL.

    .venv/bin/python bench/wall.py [--sizes 10000 1000000]

Reuses the street and the fill of ``bench/stats.py`` (a year of cases written with one
``INSERT ... SELECT generate_series``) on its own database (``BENCH_WALL_DATABASE_URL``, default
``gov_bench_wall`` on the local server, created and migrated when missing), then builds the
rollups (the wall's figures come from them, as the dashboard's). ``--reuse`` keeps the cases
and rollups already there when the database holds exactly that many (point
``BENCH_WALL_DATABASE_URL`` at the stats bench's database to skip a second build). For each size a wall link of the street is issued and each
request is answered by its view three times (the median server time and the query count):
the page, a poll with this month's part already in the cache (what eleven polls out of twelve
are), and a poll with the cache emptied first (the one poll a minute that recomputes the month's
rates and ranking). Results in ``bench/results/wall.md``; ``tests/test_bench.py`` runs
:func:`run` at tiny sizes so that the benchmark cannot rot.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "wall.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/gov_bench_wall"
SIZES = (10_000, 1_000_000)
REPEAT = 3


def _stats_bench():
    """bench/stats.py as a module (its street and its fill)."""
    spec = importlib.util.spec_from_file_location("bench_stats", ROOT / "bench" / "stats.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the cases (and rollups) of an earlier run of this or bench/stats.py when the "
        "database holds exactly that many (BENCH_WALL_DATABASE_URL may name the stats one)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()

    url = os.environ.get("BENCH_WALL_DATABASE_URL", DEFAULT_URL)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from common import ensure_database

    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["CELERY_BROKER_URL"] = "memory://"
    # The wall's month part is shared through the cache; measure with the in-process cache so
    # that a shared Redis on this machine is not part of the figure.
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("ALLOW_DEV_SECRET_KEY", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return run(args.sizes, results=args.results, reuse=args.reuse)


def _as_the_workflow_leaves_them() -> None:
    """The fill writes ``updated_at`` = the filing time; every step writes the case, so a case
    closed today was written today: set ``updated_at`` to its last step (the wall's figures of
    today read the cases written today). Then the statistics of the area table, which the fill
    does not analyse (without them PostgreSQL joins the whole street before the latest steps)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE casework_case SET updated_at = LEAST(now(), GREATEST(reported_at,
                accepted_at, dispatched_at, acknowledged_at, closed_at, evaluated_at))
            WHERE LEAST(now(), GREATEST(reported_at, accepted_at, dispatched_at,
                acknowledged_at, closed_at, evaluated_at)) <> updated_at
            """
        )
        cursor.execute("VACUUM ANALYZE casework_case")
        cursor.execute("ANALYZE grids_area")


def _measure(view, key: str, *, cold: bool) -> tuple[float, int]:
    """Median server time (s) and query count of ``view`` for the wall link ``key``."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    view(RequestFactory().get("/"), key=key)  # warm: templates, prepared plans, the cache
    for _i in range(REPEAT):
        if cold:
            cache.clear()
        request = RequestFactory().get("/")
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = view(request, key=key)
            times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{view.__name__} answered {response.status_code}")
        queries = len(ctx.captured_queries)
    return statistics.median(times), queries


def run(sizes, *, results: Path = RESULTS, reuse: bool = False) -> int:
    """Fill, measure and report each size; returns 1 when a request at the largest size takes
    more than twice its time at the smallest (the promise of issue 11), else 0."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from casework.models import Case
    from casework.stats import rollup, wall, wall_views
    from governance.models import Role, RoleAssignment

    stats_bench = _stats_bench()
    street = stats_bench._street()
    admin, _created = get_user_model().objects.get_or_create(username="bench-wall-admin")
    RoleAssignment.objects.get_or_create(user=admin, role=Role.STREET_ADMIN, area=street)
    requests = (
        ("wall page", wall_views.wall_screen, False),
        ("feed poll (month part cached)", wall_views.wall_feed, False),
        ("feed poll (cache empty: month recomputed)", wall_views.wall_feed, True),
    )
    rows, prepared = [], {}
    for size in sizes:
        started = time.perf_counter()
        if reuse and Case.objects.filter(number__startswith="S-").count() == size:
            print(f"Keeping the {size:,} cases of an earlier run …", flush=True)
            _as_the_workflow_leaves_them()
            rollup.build_missing()
            rollup.catch_up()
        else:
            print(f"Writing {size:,} cases …", flush=True)
            stats_bench._fill(street, size)
            _as_the_workflow_leaves_them()
            # The wall's figures come from the rollups, as the dashboard's.
            rollup.rebuild()
        with connection.cursor() as cursor:
            cursor.execute(
                "VACUUM ANALYZE casework_case, casework_caserollup, casework_caserollupmonth, "
                "casework_caserollupopen, grids_area"
            )
        prepared[size] = time.perf_counter() - started
        print(f"  prepared in {prepared[size]:.1f} s", flush=True)
        _token, key = wall.wall_token_issue(actor=admin, area=street, name=f"压测大屏{size}")
        for label, view, cold in requests:
            seconds, queries = _measure(view, key, cold=cold)
            rows.append((size, label, seconds, queries))
            print(f"  {label}: {seconds * 1000:.0f} ms, {queries} queries", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM casework_case WHERE status <> 'closed'")
        open_now = cursor.fetchone()[0]
    status = _write(results, sorted(sizes), rows, prepared, open_now)
    print(f"Results written to {results}")
    return status


def _write(results: Path, sizes, rows, prepared, open_now: int) -> int:
    sys.path.insert(0, str(ROOT / "bench"))
    from common import machine

    smallest, largest = sizes[0], sizes[-1]
    by = {(size, label): (seconds, queries) for size, label, seconds, queries in rows}
    labels = list(dict.fromkeys(label for _s, label, _t, _q in rows))
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    lines = [
        "# Wall screen benchmark",
        "",
        "Generated by `bench/wall.py`; do not edit by hand (the notes below the table are its "
        "`NOTES`).",
        "",
        "- The street of `bench/stats.py` (6 communities, 42 grids, 294 buildings) and its fill: "
        "cases spread over the last 365 days, closed after 30 days (70 % of the recent ones); "
        f"{open_now:,} open at the largest size",
        f"- {machine()}, shared with other work; load average at the end {load}",
        f"- Each request answered {REPEAT} times by its view through the wall link of the "
        "street, after one warm-up; median server time; the in-process cache",
        "- Writing the cases (setting their last write to their last step) and building the "
        "rollups (or, reused, catching them up) took "
        + ", ".join(f"{prepared[s]:.0f} s ({s:,})" for s in sizes),
        "",
        "| request | "
        + " | ".join(f"{s:,} cases" for s in sizes)
        + f" | {largest:,} / {smallest:,} |",
        "| --- | " + " | ".join("---:" for _s in sizes) + " | ---: |",
    ]
    status = 0
    for label in labels:
        cells = [f"{by[(s, label)][0] * 1000:.0f} ms, {by[(s, label)][1]} queries" for s in sizes]
        ratio = by[(largest, label)][0] / max(by[(smallest, label)][0], 1e-6)
        if ratio > 2 and largest > smallest:
            status = 1
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {ratio:.1f}× |")
    lines += ["", *NOTES]
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return status


NOTES = (
    "## What grows, and where the promise of issue 11 is still missed",
    "",
    "Read with care: the run above had the machine's load average at 16-18 on 2 cores (other "
    "engineers' suites and fills); the 1,000,000 fill alone took 11 minutes.",
    "",
    "- The page is the same two queries at any size (the link, the area's children).",
    "- A poll with the month part cached (eleven polls in twelve; the month part is shared by "
    "every wall of the area and every web process through the cache for a minute): 6 queries at "
    "both sizes, 3.6x the time at 100x the cases, so the 2x of the issue is missed here. Before "
    "this branch the poll read `compute.total` (every figure and rate, the handling times, the "
    "suspensions: 10 queries) and 1.3 s at 100,000 cases already (4.8x its 10,000 time); today's "
    "figures are now one aggregate by the figures' own definitions, and the lists read only the "
    "shown columns. What still grows, from `EXPLAIN ANALYZE` at 1,000,000: that aggregate visits "
    "every open case of the area (24,660 here, 250 at 10,000 — open, near due and overdue are "
    "counts of the open cases now; 150-200 ms), and the escalated open list sorts the open cases "
    "with an escalation (90 ms). Both need a count kept per area (the rollup's snapshot part, "
    "being rewritten on another branch) or an index carrying the street, status and due time; "
    "neither is in this branch.",
    "- A poll with the cache empty (once a minute per area): 13 queries at both sizes, but 16 s "
    "at 1,000,000 (19x): the month's rates and ranking are `compute.count_by` over the cases of "
    "the month (about 82,000 here) with their handling times worked out in Python. The dashboard "
    "reads them from the rollups (`rollup.Subtree`); the wall should too, measured with rollups "
    "built (building them for 1,000,000 cases takes longer than this session had). Until then a "
    "wall of a large street shows a month part up to a minute old and one poll a minute is slow; "
    "the page keeps its last figures meanwhile and retries, so nothing on the wall breaks.",
    "- Latest steps: without statistics on the area table PostgreSQL joined every case of the "
    "street to find the last twelve events (0.7-1.0 s at 100,000); with them, 3 ms by the events' "
    "time index. The bench analyses the area table after the fill; a live database has its "
    "statistics from autovacuum.",
    "",
)


if __name__ == "__main__":
    sys.exit(main())
