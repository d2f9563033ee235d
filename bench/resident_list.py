"""Benchmark of the resident register's lists at two sizes: the same requests at 3,000 and at
300,000 residents of one street.

    .venv/bin/python bench/resident_list.py [--small 3000] [--large 300000] [--repeat 5]

One street of 5 communities, 20 grids, 60 micro-grids and 300 buildings; residents written with
``INSERT … SELECT generate_series`` (one in twelve moved out, one in fifty deceased, one in eight
with a care tag). The small size is measured first, then the table grows to the large size and
the same requests run again, in one process, so that the ratio compares like with like on a
shared machine. Each request goes through Django's whole stack in-process as the street admin or
a grid worker; the figure is the median server time of ``--repeat`` runs, with the number of SQL
queries. Writes ``bench/results/resident_list.md``; ``tests/test_bench.py`` runs :func:`run` at a
tiny size so that it cannot rot. Goal (issue 12): the large street within twice the small one's
time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, setup_django

RESULTS = ROOT / "bench" / "results" / "resident_list.md"
STREET_CODE = "110101951"
# (label, who, path); {name} is a resident's name in the middle of the table.
REQUESTS = [
    ("page: residents", "admin", "/people/residents/"),
    ("page: residents, page 40", "admin", "/people/residents/?page=40"),
    ("page: ?q=<name>", "admin", "/people/residents/?q={name}"),
    ("page: ?tag=<care tag>", "admin", "/people/residents/?tag={tag}"),
    ("page: ?status=all, by name", "admin", "/people/residents/?status=all&order=name"),
    ("page: visits due (grid worker)", "worker", "/people/visits/due/"),
    ("API residents", "admin", "/api/v1/residents/"),
    ("API ?search=<name>", "admin", "/api/v1/residents/?search={name}"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=3_000)
    parser.add_argument("--large", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup_django()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host name is allowed
    return run(args.small, args.large, repeat=args.repeat)


def run(small: int, large: int, *, repeat: int = 5, results: Path = RESULTS) -> int:
    """Measure at ``small`` then at ``large`` residents; write the report. Returns 1 when a
    request failed."""
    people = _prepare_street()
    started = time.perf_counter()
    _grow(people, 0, small)
    prepared = [time.perf_counter() - started]
    at_small = _measure(people, small, repeat)
    started = time.perf_counter()
    _grow(people, small, large)
    prepared.append(time.perf_counter() - started)
    at_large = _measure(people, large, repeat)
    failed = [label for label, row in {**at_small, **at_large}.items() if row["status"] != 200]
    _write(results, small, large, repeat, prepared, at_small, at_large)
    print(f"Results written to {results}")
    if failed:
        print(f"FAILED requests: {failed}", file=sys.stderr)
        return 1
    return 0


def _prepare_street():
    """The street, its tree, a care tag and the two users; residents of an earlier run removed."""
    from types import SimpleNamespace

    from django.contrib.auth import get_user_model
    from django.db import transaction

    from governance.models import Role, RoleAssignment
    from grids.models import Area, AreaKind, CareTag, Resident, ResidentCareTag, Visit

    with transaction.atomic():
        street = Area.objects.filter(code=STREET_CODE).first()
        if street is None:
            street = Area.objects.create(
                kind=AreaKind.STREET, name="名册压测街道", code=STREET_CODE
            )
            for c in range(1, 6):
                community = Area.objects.create(
                    kind=AreaKind.COMMUNITY, name=f"名册{c}社区", code=f"{STREET_CODE}{c:03d}",
                    parent=street,
                )  # fmt: skip
                for g in range(1, 5):
                    grid = Area.objects.create(
                        kind=AreaKind.GRID, name=f"名册{c}社区第{g}网格",
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
                                code=f"{micro.code}{b:03d}", parent=micro,
                            )  # fmt: skip
        in_street = Area.subtree_q(street, prefix="resident__area__")
        Visit.objects.filter(in_street).delete()
        ResidentCareTag.objects.filter(in_street).delete()
        Resident.objects.filter(Area.subtree_q(street, prefix="area__")).delete()
        tag, _ = CareTag.objects.get_or_create(
            street=street, name="独居老人", defaults={"visit_every_days": 7}
        )
        users = get_user_model().objects
        admin, _ = users.get_or_create(
            username="register-bench-admin", defaults={"full_name": "名册压测管理员"}
        )
        worker, _ = users.get_or_create(
            username="register-bench-worker", defaults={"full_name": "名册压测网格员"}
        )
        grid = Area.objects.get(code=f"{STREET_CODE}00101")
        RoleAssignment.objects.get_or_create(user=admin, role=Role.STREET_ADMIN, area=street)
        RoleAssignment.objects.get_or_create(user=worker, role=Role.GRID_WORKER, area=grid)
        buildings = list(
            Area.objects.filter(kind=AreaKind.BUILDING, code__startswith=STREET_CODE)
            .order_by("code")
            .values_list("pk", flat=True)
        )
    return SimpleNamespace(street=street, tag=tag, admin=admin, worker=worker, buildings=buildings)


def _grow(people, start: int, end: int) -> None:
    """Add residents ``start + 1`` … ``end`` (and the care tags of one in eight)."""
    from django.db import connection, transaction

    from governance import pinyin
    from governance.bulk import refresh_planner_statistics
    from grids.models import Resident, ResidentCareTag

    if end <= start:
        return
    print(f"Writing residents {start + 1:,} … {end:,} …", flush=True)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_building (k int PRIMARY KEY, area int) "
            "ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE bench_building")
        cursor.executemany(
            "INSERT INTO bench_building VALUES (%s, %s)", list(enumerate(people.buildings))
        )
        cursor.execute(
            """
            INSERT INTO grids_resident (
                created_at, updated_at, relation, name, id_type, id_number, phone, gender,
                birth_date, ethnicity, political_status, resident_type, registered_address,
                moved_in_on, moved_out_on, deceased_on, last_visit_on, next_visit_due, notes,
                area_id, room_id, household_id, name_pinyin, name_sort)
            SELECT now(), now(), CASE WHEN i %% 3 = 0 THEN 'householder' ELSE 'child' END,
                '名册居民' || i, 'resident_id', 'B' || lpad(i::text, 17, '0'),
                '139' || lpad(i::text, 8, '0'), CASE WHEN i %% 2 = 0 THEN 'f' ELSE 'm' END,
                date '1940-01-01' + (i %% 25000), '汉族', 'masses',
                CASE WHEN i %% 6 = 0 THEN 'floating' ELSE 'registered' END, '',
                date '2010-05-01',
                CASE WHEN i %% 12 = 0 THEN date '2024-01-01' END,
                CASE WHEN i %% 50 = 0 THEN date '2025-01-01' END,
                NULL, CASE WHEN i %% 8 = 0 THEN current_date + (i %% 20) - 10 END, '',
                b.area, NULL, NULL,
                %(pinyin)s || i || ' ' || %(initials)s || i,
                %(sort)s || lpad(i::text, 10, '0')
            FROM generate_series(%(start)s + 1, %(end)s) AS i
            JOIN bench_building b ON b.k = i %% %(buildings)s
            """,
            {
                "start": start,
                "end": end,
                "buildings": len(people.buildings),
                # The keys governance.pinyin gives 名册居民<i> (the number's part added in SQL).
                "pinyin": "mingcejumin",
                "initials": "mcjm",
                "sort": pinyin.sort_key("名册居民"),
            },
        )
        cursor.execute(
            """
            INSERT INTO grids_residentcaretag (created_at, updated_at, resident_id, tag_id,
                since, notes)
            SELECT now(), now(), r.id, %(tag)s, date '2024-01-01', ''
            FROM grids_resident r
            WHERE r.id_number LIKE 'B%%'
              AND substr(r.id_number, 2)::bigint BETWEEN %(start)s + 1 AND %(end)s
              AND substr(r.id_number, 2)::bigint %% 8 = 0
            """,
            {"start": start, "end": end, "tag": people.tag.pk},
        )
    refresh_planner_statistics(Resident, ResidentCareTag)


def _measure(people, size: int, repeat: int) -> dict[str, dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {}
    for who, user in (("admin", people.admin), ("worker", people.worker)):
        clients[who] = Client()
        clients[who].force_login(user)
    name = f"名册居民{size // 2}"
    rows = {}
    print(f"Measuring at {size:,} residents …", flush=True)
    for label, who, path in REQUESTS:
        url = path.format(name=name, tag=people.tag.pk)
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


def _write(results, small, large, repeat, prepared, at_small, at_large) -> None:
    lines = [
        "# Resident lists at two sizes",
        "",
        "Generated by `bench/resident_list.py`; do not edit by hand.",
        "",
        f"- {machine()}",
        f"- One street (300 buildings); {small:,} then {large:,} residents in the same run "
        f"(writing them took {prepared[0]:.0f} s and {prepared[1]:.0f} s); median of {repeat} "
        "requests through Django's whole stack in-process, after one warm-up request",
        "",
        f"| request | {small:,} residents | queries | {large:,} residents | queries | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, _who, _path in REQUESTS:
        a, b = at_small[label], at_large[label]
        ratio = b["ms"] / a["ms"] if a["ms"] else float("nan")
        flag = "" if ratio <= 2 else " ⚠"
        lines.append(
            f"| {label} | {a['ms']:.1f} ms | {a['queries']} | {b['ms']:.1f} ms | "
            f"{b['queries']} | {ratio:.1f}×{flag} |"
        )
    lines += [
        "",
        "The goal (issue 12) is a ratio of at most 2× for every row; ⚠ marks a row above it. "
        "The machine is shared (2 CPUs), so single figures vary between runs; run it again "
        "before reading much into one.",
        "",
    ]
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
