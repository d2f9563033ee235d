"""CPU of the case lists, pages and API, against the framework's ceiling, in-process.

    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/page_cpu.py [--cases 10000]
        [--renders 200] [--profile PATH] [--only TEXT] [--results PATH]

Issue 15 asks the lists to serve at least a third of the ceiling's throughput (the ceiling is
the cheapest authenticated endpoint, ``GET /api/v1/me/`` with a token). Throughput on this
machine is CPU-bound, so the figure read here is the Python CPU (``time.process_time``) of one
request through Django's whole stack in-process — middleware, session, view, template — for the
case list, the filtered list and the inbox, as a center supervisor of the street and as a grid
worker of one grid, for the list searched by text (the supervisor), for the API's case list
(plain and ``?status=closed``) with the street admin's token as ``make bench`` asks it, for
the Open311 request list (public), the Excel export (the street admin), the case page (a handled
case with six events and three photos) and the area tree as both users, each beside the ceiling
measured in the same loop (the rows alternate, in an order shuffled each round, so that the
machine's load falls on every row alike). A list at ≤ 3× the ceiling's CPU meets the goal.
``--profile`` writes a cProfile of every request measured to PATH (read it with ``pstats``).
``--only TEXT`` measures only the rows whose label contains TEXT (and the ceiling). The Open311
rows also give the CPU per request item (the response's number of requests).

The data is ``bench/lists.py``'s street (``--cases`` cases), with a share of the grid's cases
put in "handled" so that the grid worker's inbox has rows. Writes
``bench/results/page_cpu.md``; ``tests/test_bench.py`` runs :func:`run` at a tiny size.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, load_average, machine, setup_django

RESULTS = ROOT / "bench" / "results" / "page_cpu.md"
CEILING = "ceiling: GET /api/v1/me/ (token)"
# (label, who, path); {category} and {community} are filled in.
PAGES = [
    ("case list", "supervisor", "/cases/"),
    ("filtered list", "supervisor", "/cases/?status=reported&status=accepted&area={community}"),
    # The list searched by text: a word in one title of 1,000 (井盖) and an address fragment in
    # one address of 300 (路12号), read through the grams' indexes.
    ("search ?q=井盖", "supervisor", "/cases/?q=%E4%BA%95%E7%9B%96"),
    ("search ?q=路12号", "supervisor", "/cases/?q=%E8%B7%AF12%E5%8F%B7"),
    ("inbox", "supervisor", "/cases/inbox/"),
    ("case list", "worker", "/cases/"),
    ("filtered list", "worker", "/cases/?status=handled&status=closed&sort=due"),
    ("inbox", "worker", "/cases/inbox/"),
    # The API's case list as `make bench` asks it (bench/lists.py): the street admin's token, the
    # ceiling's own client.
    ("API case list", "token", "/api/v1/cases/"),
    ("API ?status=closed", "token", "/api/v1/cases/?status=closed"),
    # The Open311 request list (GeoReport v2's default: the last 90 days, up to 1,000 requests),
    # public, in both formats; {jurisdiction} is filled in.
    ("Open311 requests.json", "public", "/open311/v2/requests.json?jurisdiction_id={jurisdiction}"),
    ("Open311 requests.xml", "public", "/open311/v2/requests.xml?jurisdiction_id={jurisdiction}"),
    # The Excel export as `make bench` asks it (one case, by its number, as the street admin),
    # and one of about a hundred cases (a grid's cases reported, accepted or dispatched: 101 at
    # 10,000 cases): what costs the same at any size and what grows with the rows.
    ("export ?q=<case number>", "admin", "/cases/export.xlsx?q={number}"),
    (
        "export ~100 cases",
        "admin",
        "/cases/export.xlsx?status=reported&status=accepted&status=dispatched&area={grid}",
    ),
    # The case page on a case with a timeline (six steps, three photos) that both may verify,
    # and the area tree (the street opened for the supervisor, the grid for the worker).
    ("case page", "supervisor", "/cases/{case}/"),
    ("case page", "worker", "/cases/{case}/"),
    ("area tree", "supervisor", "/areas/"),
    ("area tree", "worker", "/areas/"),
]
WHO = {
    "supervisor": "center supervisor (street)",
    "worker": "grid worker (one grid)",
    "token": "street admin (token)",
    "public": "anyone (no login)",
    "admin": "street admin",
}


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--only", default="", help="only the rows whose label contains this")
    args = parser.parse_args()
    # The token's user sends the ceiling and the API rows, hundreds a second: as in the stack
    # benchmark, the user's rate limit must not answer 429 (cheaper than a list) in their place.
    os.environ.setdefault("API_THROTTLE_USER", "100000/second")
    setup_django()
    from django.conf import settings

    # Not setup_test_environment(): it instruments every template render for the test client
    # (a signal and a copy of the context per template), which would weigh on the pages and
    # not on the ceiling. Only the test client's host name is needed.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    return run(
        args.cases, renders=args.renders, results=args.results, profile=args.profile,
        only=args.only,
    )  # fmt: skip


def run(
    cases: int, *, renders: int = 200, results: Path = RESULTS, profile=None, only: str = ""
) -> int:
    """Fill the street with ``cases`` cases, then measure ``renders`` requests of each page
    (whose label contains ``only``) and of the ceiling, interleaved. Returns 1 when a request
    did not answer 200."""
    people = _prepare(cases)
    rows, failed = _measure(people, renders, profile, only)
    _report(results, cases=cases, renders=renders, rows=rows)
    if failed:
        print(f"FAILED requests: {failed}", file=sys.stderr)
        return 1
    return 0


def _prepare(cases: int):
    import importlib.util

    from django.contrib.auth import get_user_model
    from django.db import connection

    from casework.models import Case
    from governance.models import Role, RoleAssignment
    from governance.tokens import token_issue
    from grids.models import Area

    spec = importlib.util.spec_from_file_location(
        "bench_lists", Path(__file__).with_name("lists.py")
    )
    lists = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lists)
    people = lists._prepare_street()
    lists._grow(people, 0, cases)
    grid = Area.objects.get(code=f"{lists.STREET_CODE}00101")
    community = grid.parent
    # A fifth of the grid's closed cases handled and waiting for the worker's check.
    handled = list(
        Case.objects.filter(grid=grid, status="closed").order_by("pk").values_list("pk", flat=True)
    )[::5]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE casework_case SET status = 'handled', holder = 'center', closed_at = NULL, "
            "handled_at = reported_at + interval '1 day' WHERE id = ANY(%s)",
            [handled],
        )
    users = get_user_model().objects
    supervisor, _ = users.get_or_create(
        username="bench-supervisor", defaults={"full_name": "压测督办员"}
    )
    worker, _ = users.get_or_create(username="bench-worker", defaults={"full_name": "压测网格员"})
    RoleAssignment.objects.get_or_create(
        user=supervisor, role=Role.CENTER_SUPERVISOR, area=people.street
    )
    RoleAssignment.objects.get_or_create(user=worker, role=Role.GRID_WORKER, area=grid)
    people.supervisor, people.worker, people.community = supervisor, worker, community
    people.grid = grid
    # A case in the middle of the street's table, as bench/lists.py picks it.
    middle = Case.objects.filter(street=people.street).order_by("pk")[cases // 2 :][:1]
    people.number = middle.get().number
    people.token = token_issue(user=people.admin, name="page-cpu")[1]
    people.jurisdiction = lists.JURISDICTION
    first = handled[0] if handled else Case.objects.filter(grid=grid).order_by("pk")[0].pk
    people.case = _timeline_case(people, first)
    return people


def _items(response) -> int:
    """The number of requests in an Open311 list's response (0 for any other page)."""
    if response["Content-Type"].startswith("application/json"):
        data = response.json()
        return len(data) if isinstance(data, list) else 0  # the API's pages are objects
    if response["Content-Type"].startswith("text/xml"):
        return response.content.count(b"<request>")
    return 0


def _timeline_case(people, pk: int):
    """The grid's first handled case given the timeline such a case has: reported with a photo,
    accepted, dispatched, acknowledged, completed with two photos, and an internal note. Written
    directly (the page reads rows; the photos' files are never opened)."""
    from datetime import timedelta

    from casework.models import Attachment, Case, CaseEvent

    case = Case.objects.get(pk=pk)
    if case.events.exists():
        return case
    t = case.reported_at
    moves = [
        ("report", "", "reported", "community", "井盖缺失，请尽快处理。\n位置在东门。", True),
        ("accept", "reported", "accepted", "", "已受理。", True),
        ("dispatch", "accepted", "dispatched", "department", "请市政部门处理。", True),
        ("acknowledge", "dispatched", "in_progress", "", "", True),
        ("attach", "in_progress", "in_progress", "", "补充现场照片。", False),
        ("complete", "in_progress", "handled", "center", "已更换井盖。", True),
    ]
    roles = ["grid_worker", "community_dispatcher", "community_dispatcher",
             "department_handler", "grid_worker", "department_handler"]  # fmt: skip
    events = CaseEvent.objects.bulk_create(
        CaseEvent(
            case=case,
            step=step,
            actor=people.admin,
            actor_name="压测员",
            role=role,
            from_status=old,
            to_status=new,
            to_holder=holder,
            comment=comment,
            is_public=public,
            department=people.department if step == "dispatch" else None,
            on_time=True if step == "complete" else None,
            created_at=t + timedelta(hours=i),
        )
        for i, ((step, old, new, holder, comment, public), role) in enumerate(
            zip(moves, roles, strict=True)
        )
    )
    shots = [(events[0], "before"), (events[4], "before"), (events[5], "after")]
    Attachment.objects.bulk_create(
        Attachment(
            case=case,
            event=event,
            kind=kind,
            image=f"cases/bench/{i}.jpg",
            thumbnail=f"cases/bench/{i}-t.jpg",
            width=800,
            height=600,
            size=50_000,
            original_name=f"现场{i}.jpg",
            uploaded_by=people.admin,
            created_at=event.created_at,
        )
        for i, (event, kind) in enumerate(shots)
    )
    return case


def _measure(people, renders: int, profile, only: str = "") -> tuple[list[dict], list[str]]:
    """Each page and the ceiling, ``renders`` times each, interleaved request by request."""
    import cProfile

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    ceiling = Client(HTTP_AUTHORIZATION=f"Token {people.token}")
    clients = {"token": ceiling, "public": Client()}
    for who in ("supervisor", "worker", "admin"):
        clients[who] = Client()
        clients[who].force_login(getattr(people, who))
    plan = [(CEILING, "", ceiling, "/api/v1/me/")]
    for label, who, path in PAGES:
        if only not in label:
            continue
        url = path.format(
            community=people.community.pk,
            grid=people.grid.pk,
            number=people.number,
            jurisdiction=people.jurisdiction,
            case=people.case.pk,
        )
        plan.append((label, who, clients[who], url))
    cpu = {key: [] for key in range(len(plan))}
    queries, status, items = {}, {}, {}
    for key, (_label, _who, client, url) in enumerate(plan):
        client.get(url)  # warm: templates, caches, prepared plans
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        status[key], items[key] = response.status_code, _items(response) if _who else 0
        queries[key] = len(captured)
    profiler = cProfile.Profile(time.process_time) if profile else None
    # Each round takes the rows in an order of its own: in a fixed order a row always followed
    # the same one, and paid for what it left (its garbage, a cache it filled): a row measured
    # 0.3 ms apart depending on its place (stop 27).
    shuffled = random.Random(15)
    order = list(range(len(plan)))
    for _ in range(renders):
        shuffled.shuffle(order)
        for key in order:
            _label, who, client, url = plan[key]
            if profiler and who:
                profiler.enable()
            started = time.process_time()
            answered = client.get(url).status_code
            cpu[key].append(time.process_time() - started)
            if answered != 200:  # e.g. a 429 would be measured in a list's place
                status[key] = answered
            if profiler and who:
                profiler.disable()
    if profiler:
        profiler.dump_stats(profile)
    base = 1000 * statistics.median(cpu[0])
    rows = []
    for key, (label, who, _client, url) in enumerate(plan):
        ms = 1000 * statistics.median(cpu[key])
        rows.append(
            {
                "label": label, "who": WHO.get(who, ""), "url": url, "ms": ms,
                "mean": 1000 * statistics.fmean(cpu[key]), "times": ms / base if base else 0,
                "queries": queries[key], "status": status[key], "items": items[key],
            }
        )  # fmt: skip
        per_item = f", {1000 * ms / items[key]:.1f} µs an item" if items[key] else ""
        print(f"  {label} {who}: {ms:.1f} ms CPU, {ms / base:.2f}× ceiling{per_item}", flush=True)
    failed = [f"{r['label']} ({r['who']})" for r in rows if r["status"] != 200]
    return rows, failed


def _report(results: Path, *, cases: int, renders: int, rows: list[dict]) -> None:
    from django.conf import settings

    load = load_average()
    # Production keeps sessions, rate limits and the process caches' versions in Redis; without
    # REDIS_URL this process runs on the embedded default's cache files, whose sessions are read
    # from the database (a query more a page) and whose writes cost more.
    shared = settings.CACHES["shared"]["BACKEND"]
    cache = (
        "Redis (REDIS_URL), as production" if "Redis" in shared else "the embedded default's files"
    )
    lines = [
        "# Case lists: CPU per request against the ceiling",
        "",
        "Generated by `bench/page_cpu.py`; do not edit by hand.",
        "",
        f"- {machine()}; load average at the end {load}",
        f"- One street, {cases:,} cases (bench/lists.py's data); {renders} requests of each row, "
        "interleaved, through Django's whole stack in-process; Python CPU (`time.process_time`) "
        "per request, median (mean beside it)",
        f"- Caches: {cache}",
        "",
        "| request | who | CPU ms (median) | mean | × ceiling | queries | items | µs an item |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        flag = " ⚠" if r["times"] > 3 else ""
        per_item = f"{1000 * r['ms'] / r['items']:.1f}" if r["items"] else ""
        lines.append(
            f"| {r['label']} | {r['who']} | {r['ms']:.1f} | {r['mean']:.1f} | "
            f"{r['times']:.2f}×{flag} | {r['queries']} | {r['items'] or ''} | {per_item} |"
        )
    lines += [
        "",
        "The goal (issue 15) is a list at no more than 3× the ceiling's CPU (a third of its "
        "throughput); ⚠ marks a row above it.",
        "",
    ]
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text("\n".join(lines), encoding="utf-8")
    print(f"Results written to {results}")


if __name__ == "__main__":
    sys.exit(main())
