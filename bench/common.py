"""What every benchmark needs: its own PostgreSQL database, Django set up against it."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/gov_bench"


def ensure_database(url: str) -> None:
    """Create the benchmark database when it is missing."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    """Point Django at ``BENCH_DATABASE_URL`` (created if missing), migrate it, set it up."""
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    # Tasks enqueued after commit go to an in-memory broker: a benchmark measures its subject,
    # not a broker.
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ.setdefault("ALLOW_DEV_SECRET_KEY", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def street_tree(code: str, name: str, short: str, **building):
    """The street ``code`` of the list benchmarks, made on the first run: 5 communities (named
    ``short`` and a number), 20 grids, 60 micro-grids and 300 buildings (with ``building``
    fields)."""
    from grids.models import Area, AreaKind

    street = Area.objects.filter(code=code).first()
    if street is not None:
        return street
    street = Area.objects.create(kind=AreaKind.STREET, name=name, code=code)
    for c in range(1, 6):
        community = Area.objects.create(
            kind=AreaKind.COMMUNITY, name=f"{short}{c}社区", code=f"{code}{c:03d}",
            parent=street,
        )  # fmt: skip
        for g in range(1, 5):
            grid = Area.objects.create(
                kind=AreaKind.GRID, name=f"{community.name}第{g}网格",
                code=f"{community.code}{g:02d}", parent=community,
            )  # fmt: skip
            for m in range(1, 4):
                micro = Area.objects.create(
                    kind=AreaKind.MICRO_GRID, name=f"{grid.name}{m}微网格",
                    code=f"{grid.code}{m:02d}", parent=grid,
                )  # fmt: skip
                for b in range(1, 6):
                    Area.objects.create(
                        kind=AreaKind.BUILDING, name=f"{micro.name}{b}号楼",
                        code=f"{micro.code}{b:03d}", parent=micro, **building,
                    )  # fmt: skip
    return street


def add_combine_arguments(parser) -> None:
    """``--json`` and ``--combine``: a benchmark that measures each size on its own database
    keeps each run's figures and writes the table from them afterwards."""
    parser.add_argument(
        "--json",
        type=Path,
        help="also keep this run's figures in a JSON file (for --combine)",
    )
    parser.add_argument(
        "--combine",
        type=Path,
        nargs="+",
        help="write the results from the JSON files of earlier runs (each size on its own "
        "database, measured one after the other) instead of measuring",
    )


def load_average() -> str:
    """The load average over 1, 5 and 15 minutes, as the results write it: "1.2, 3.4, 5.6"."""
    return ", ".join(f"{load:.1f}" for load in os.getloadavg())


def machine() -> str:
    """One line naming the database server and the machine, for a results file."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return (
        f"PostgreSQL {version}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs ({platform.machine()})"
    )


def two_size_main(run, description: str, *, small: int, large: int) -> int:
    """The command line of a benchmark measured at two sizes: ``--small``, ``--large`` and
    ``--repeat``; sets Django up and calls ``run(small, large, repeat=…)``."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--small", type=int, default=small)
    parser.add_argument("--large", type=int, default=large)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup_django()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host name is allowed
    return run(args.small, args.large, repeat=args.repeat)


def run_two_sizes(*, prepare, grow, measure, report, small: int, large: int, repeat: int) -> int:
    """Grow the data to ``small`` and measure, then grow it to ``large`` and measure again in the
    same process (so that the ratio compares like with like on a shared machine); ``report``
    (:func:`write_two_sizes` with its page filled in) writes the results. Returns 1 when a request failed (a benchmark of error pages would measure nothing)."""
    people = prepare()
    started = time.perf_counter()
    grow(people, 0, small)
    prepared = [time.perf_counter() - started]
    at_small = measure(people, small, repeat)
    started = time.perf_counter()
    grow(people, small, large)
    prepared.append(time.perf_counter() - started)
    at_large = measure(people, large, repeat)
    failed = [label for label, row in {**at_small, **at_large}.items() if row["status"] != 200]
    report(
        small=small,
        large=large,
        repeat=repeat,
        prepared=prepared,
        at_small=at_small,
        at_large=at_large,
    )
    if failed:
        print(f"FAILED requests: {failed}", file=sys.stderr)
        return 1
    return 0


def time_requests(requests, users: dict, repeat: int, **fill) -> dict[str, dict]:
    """Each ``(label, who, path)`` request through Django's whole stack in-process, logged in as
    ``users[who]``, ``path`` filled with ``fill``: one warm-up request, then the median of
    ``repeat``, with the number of SQL queries and the status code."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {}
    for who, user in users.items():
        clients[who] = Client()
        clients[who].force_login(user)
    rows = {}
    for label, who, path in requests:
        url = path.format(**fill)
        client = clients[who]
        client.get(url)  # warm: caches, prepared plans, templates
        times = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
        rows[label] = {
            "ms": 1000 * statistics.median(times),
            "queries": len(queries),
            "status": response.status_code,
        }
        print(f"  {label}: {rows[label]['ms']:.1f} ms, {len(queries)} queries", flush=True)
    return rows


def write_two_sizes(
    results: Path,
    *,
    title: str,
    script: str,
    what: str,
    issue: int,
    requests,
    small: int,
    large: int,
    repeat: int,
    prepared: list[float],
    at_small: dict,
    at_large: dict,
    notes: str = "",
) -> None:
    """The report of :func:`run_two_sizes`: a row a request, both sizes and their ratio, and
    ``notes`` (why the figures are what they are) after the table."""
    lines = [
        f"# {title}",
        "",
        f"Generated by `{script}`; do not edit by hand.",
        "",
        f"- {machine()}",
        f"- One street (300 buildings); {small:,} then {large:,} {what} in the same run "
        f"(writing them took {prepared[0]:.0f} s and {prepared[1]:.0f} s); median of {repeat} "
        "requests through Django's whole stack in-process, after one warm-up request",
        "- Load average (1, 5, 15 min) at the end: " + load_average(),
        "",
        f"| request | {small:,} {what} | queries | {large:,} {what} | queries | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, _who, _path in requests:
        a, b = at_small[label], at_large[label]
        ratio = b["ms"] / a["ms"] if a["ms"] else float("nan")
        flag = "" if ratio <= 2 else " ⚠"
        lines.append(
            f"| {label} | {a['ms']:.1f} ms | {a['queries']} | {b['ms']:.1f} ms | "
            f"{b['queries']} | {ratio:.1f}×{flag} |"
        )
    lines += [
        "",
        f"The goal (issue {issue}) is a ratio of at most 2× for every row; ⚠ marks a row above "
        "it. The machine is shared (2 CPUs), so single figures vary between runs; run it again "
        "before reading much into one.",
        "",
    ]
    if notes:
        lines += [notes.strip(), ""]
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text("\n".join(lines), encoding="utf-8")
    print(f"Results written to {results}")


def ratio_table(heading: str, by: dict, sizes, labels, cell) -> tuple[list[str], int]:
    """The Markdown table of ``labels`` at each size with the largest/smallest ratio of the
    time in ``by[(size, label)] = (seconds, queries)`` (``cell`` formats one pair), and 1 when a
    ratio is above the promised 2x, else 0."""
    smallest, largest = min(sizes), max(sizes)
    lines = [
        f"| {heading} | "
        + " | ".join(f"{s:,} cases" for s in sizes)
        + f" | {largest:,} / {smallest:,} |",
        "| --- | " + " | ".join("---:" for _s in sizes) + " | ---: |",
    ]
    status = 0
    for label in labels:
        cells = [cell(*by[(s, label)]) for s in sizes]
        ratio = by[(largest, label)][0] / max(by[(smallest, label)][0], 1e-6)
        if ratio > 2 and largest > smallest:
            status = 1
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {ratio:.1f}× |")
    return lines, status
