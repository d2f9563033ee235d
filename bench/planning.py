"""Planning against execution on the hot one-case requests, with and without prepared statements.

    BENCH_DATABASE_URL=… .venv/bin/python bench/planning.py [--cases 10000] [--renders 100]
                                                           [--reuse] [--results PATH]

PostgreSQL planned the case page's and the API detail's statement (nine and eight tables) in
13–32 ms for 0.3 ms of execution (bench/RESULTS.md, "Planning above execution"). This measures
what a request costs on both sides of the connection, in-process through Django's whole stack:
the Python CPU of the request (``time.process_time``) and the CPU the PostgreSQL backend serving
the connection spent on it (``/proc/<backend pid>/stat``: the server must run on this machine;
otherwise that column is empty), with the statements of the request. Each request runs on three
connections side by side, request by request (the machine's load falls on all alike): one with
no prepared statement at all (parameters bound by psycopg, every statement planned: the portal
before the one-case reads were prepared), one with ``DATABASE_PREPARED_STATEMENTS`` (bound by
the server, prepared after ``DATABASE_PREPARE_THRESHOLD`` runs, so that PostgreSQL may reuse a
generic plan), one with only the statement of one case by its primary key prepared
(``governance.db.prepared_statements``: the portal before its events' were), and one as the
portal connects by default: the case's and its events' (``governance.db.prepared``).

The data is ``bench/lists.py``'s street (``--cases`` cases, written unless ``--reuse``); the case
measured is given six events if it has none (that street's cases have none).
Writes ``bench/results/planning.md``; ``tests/test_bench.py`` runs :func:`run` at a tiny size.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, load_average, machine, setup_django

RESULTS = ROOT / "bench" / "results" / "planning.md"
# (label, who, path): {pk} is a case in the middle of the table.
REQUESTS = [
    ("API case detail", "admin", "/api/v1/cases/{pk}/"),
    ("page: case", "admin", "/cases/{pk}/"),
    ("API case events", "admin", "/api/v1/cases/{pk}/events/"),
    ("API case list", "admin", "/api/v1/cases/"),
    ("page: case list", "admin", "/cases/"),
    ("page: dispatcher's inbox", "dispatcher", "/cases/inbox/"),
]
MODES = ("planned each time", "prepared", "one case prepared", "case and events prepared")


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--renders", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="measure the street as it is")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    return run(args.cases, renders=args.renders, reuse=args.reuse, results=args.results)


def run(cases: int, *, renders: int = 100, reuse: bool = False, results: Path = RESULTS) -> int:
    """Fill the street with ``cases`` cases (unless ``reuse``), then measure ``renders`` runs
    of each request in each mode, interleaved. Returns 1 when a request did not answer 200."""
    import importlib.util

    from casework.models import Case

    spec = importlib.util.spec_from_file_location(
        "bench_lists", Path(__file__).with_name("lists.py")
    )
    lists = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lists)
    if reuse:
        people = _people(lists)
    else:
        people = lists._prepare_street()
        lists._grow(people, 0, cases)
    size = Case.objects.filter(street=people.street).count()
    case = Case.objects.filter(street=people.street).order_by("pk")[size // 2 : size // 2 + 1].get()
    _give_events(case, people.users["admin"])
    rows, failed = _measure(people, renders, pk=case.pk)
    _report(results, cases=size, renders=renders, rows=rows)
    if failed:
        print(f"FAILED requests: {failed}", file=sys.stderr)
        return 1
    return 0


def _give_events(case, actor, count: int = 6) -> None:
    """``count`` events on ``case`` if it has none: a case's log as its page and API show it."""
    from datetime import timedelta

    from casework.models import CaseEvent

    if CaseEvent.objects.filter(case=case).exists():
        return
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case=case,
            step="report",
            actor=actor,
            actor_name=str(actor),
            role="",
            from_status="",
            to_status=case.status,
            to_holder=case.holder,
            comment=f"{n}",
            is_public=True,
            created_at=case.reported_at + timedelta(minutes=n),
        )
        for n in range(count)
    )


def _people(lists):
    from types import SimpleNamespace

    from django.contrib.auth import get_user_model

    from grids.models import Area

    users = get_user_model().objects
    return SimpleNamespace(
        street=Area.objects.get(code=lists.STREET_CODE),
        users={
            "admin": users.get(username="bench-admin"),
            "dispatcher": users.get(username="bench-dispatcher"),
        },
    )


def _wrappers():
    """One connection per mode: without prepared statements, with them for every statement, with
    the one-case reads only, and as the portal connects by default (the first with the opt-in
    ``DATABASE_PREPARED_READS`` switched off while it runs, the third with the events' reads
    unprepared: :func:`_interleaved`)."""
    import copy

    from django.db import connections

    default = connections["default"]
    settings_dict = copy.deepcopy(default.settings_dict)
    options = settings_dict.setdefault("OPTIONS", {})
    prepared = dict(options, server_side_binding=True, prepare_threshold=5)
    plain = {
        k: v for k, v in options.items() if k not in ("server_side_binding", "prepare_threshold")
    }
    # Kept open for the whole run (the portal's are closed after CONN_MAX_AGE, 60 s, and a new
    # connection prepares its statements again): the steady state of a busy connection.
    settings_dict["CONN_MAX_AGE"] = None
    return [
        type(default)({**settings_dict, "OPTIONS": options}, alias="default")
        for options in (plain, prepared, plain, plain)
    ]


def _backend_cpu(wrapper) -> float | None:
    """CPU seconds the backend process of ``wrapper``'s connection has used, or None when it
    cannot be read (a server on another machine)."""
    pid = wrapper.connection.info.backend_pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(people, renders: int, *, pk: int) -> tuple[list[dict], list[str]]:
    """Each request in each mode, ``renders`` times, interleaved request by request. Backend CPU
    is read in clock ticks (10 ms): the figure is its total over the runs divided by them."""
    from django.conf import settings
    from django.db import connections

    from casework import selectors

    wrappers = _wrappers()
    original = connections["default"]
    opt_in, events = settings.DATABASE_PREPARED_READS, selectors.prepared
    try:
        return _interleaved(people, renders, pk=pk, wrappers=wrappers)
    finally:
        connections._connections.default = original
        settings.DATABASE_PREPARED_READS, selectors.prepared = opt_in, events
        for wrapper in wrappers:
            wrapper.close()


def _interleaved(people, renders: int, *, pk: int, wrappers) -> tuple[list[dict], list[str]]:
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {}
    for who, user in people.users.items():
        clients[who] = Client()
        clients[who].force_login(user)
    plan = [(label, clients[who], path.format(pk=pk)) for label, who, path in REQUESTS]
    python = {(k, m): [] for k in range(len(plan)) for m in range(len(MODES))}
    server = dict.fromkeys(python, 0.0)
    queries, status = {}, {}

    from django.conf import settings

    from casework import selectors

    events = selectors.prepared

    def events_unprepared(queryset):
        # selectors.prepared serves the case's statement too (case_details): keep that one.
        return queryset if queryset.model is selectors.CaseEvent else events(queryset)

    def use(mode: int):
        connections._connections.default = wrappers[mode]
        # "planned each time" is the portal before the one-case reads were prepared, "one case
        # prepared" the portal before the events' were.
        settings.DATABASE_PREPARED_READS = mode != 0
        selectors.prepared = events_unprepared if mode == 2 else events
        wrappers[mode].ensure_connection()
        return wrappers[mode]

    for mode in range(len(MODES)):
        wrapper = use(mode)
        for key, (_label, client, url) in enumerate(plan):
            for _ in range(12):  # warm: caches; past the threshold and the five custom plans
                client.get(url)
            with CaptureQueriesContext(wrapper) as captured:
                status[key, mode] = client.get(url).status_code
            queries[key, mode] = len(captured)
    for _ in range(renders):
        for key, (_label, client, url) in enumerate(plan):
            for mode in range(len(MODES)):
                wrapper = use(mode)
                before = _backend_cpu(wrapper)
                started = time.process_time()
                client.get(url)
                python[key, mode].append(time.process_time() - started)
                after = _backend_cpu(wrapper)
                if before is None or after is None:
                    server[key, mode] = None
                elif server[key, mode] is not None:
                    server[key, mode] += after - before
    prepared = []
    for wrapper in wrappers:
        with wrapper.cursor() as cursor:
            # How often PostgreSQL ran each prepared statement on a generic plan (not planned
            # again) and on a custom one (planned for its values): plan_cache_mode "auto" keeps
            # custom plans where the generic one would cost more.
            cursor.execute(
                "SELECT count(*), coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0)"
                " FROM pg_prepared_statements"
            )
            prepared.append(cursor.fetchone())
    rows = []
    for key, (label, _client, url) in enumerate(plan):
        for mode, name in enumerate(MODES):
            spent = server[key, mode]
            rows.append(
                {
                    "label": label, "mode": name, "url": url,
                    "python": 1000 * statistics.median(python[key, mode]),
                    "server": None if spent is None else 1000 * spent / renders,
                    "queries": queries[key, mode], "status": status[key, mode],
                    "prepared": prepared[mode],
                }
            )  # fmt: skip
            shown = "n/a" if spent is None else f"{1000 * spent / renders:.2f}"
            print(f"  {label}, {name}: Python {rows[-1]['python']:.1f} ms, PostgreSQL {shown} ms")
    failed = [f"{r['label']} ({r['mode']})" for r in rows if r["status"] != 200]
    return rows, failed


def _report(results: Path, *, cases: int, renders: int, rows: list[dict]) -> None:
    load = load_average()
    lines = [
        "# Planning on the hot requests: planned each time, prepared statements, one case prepared,"
        " case and events prepared",
        "",
        "Generated by `bench/planning.py`; do not edit by hand.",
        "",
        f"- {machine()}; load average at the end {load}",
        f"- One street, {cases:,} cases (bench/lists.py's data); {renders} runs of each row in "
        "each mode, interleaved request by request, through Django's whole stack in-process",
        "- Python: CPU of the request in this process (median); PostgreSQL: CPU of the backend "
        "serving the connection (mean over the runs, from /proc; n/a when the server is "
        "elsewhere)",
        "",
        "| request | connection | Python CPU ms | PostgreSQL CPU ms | queries |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for r in rows:
        server = "n/a" if r["server"] is None else f"{r['server']:.2f}"
        lines.append(
            f"| {r['label']} | {r['mode']} | {r['python']:.1f} | {server} | {r['queries']} |"
        )
    counts = {r["mode"]: r["prepared"] for r in rows}
    lines += [
        "",
        "Statements prepared on each connection at the end: "
        + ", ".join(f"{mode} {count}" for mode, (count, _, _) in counts.items()),
        "",
        "Their runs on a generic plan (not planned again) and on a custom one: "
        + ", ".join(f"{mode} {g} and {c}" for mode, (_, g, c) in counts.items()),
        "",
    ]
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
