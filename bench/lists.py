"""Benchmark of the case lists at two sizes: the same requests at 10,000 and at 1,000,000 cases.

    .venv/bin/python bench/lists.py [--small 10000] [--large 1000000] [--repeat 5]

One street of 5 communities, 20 grids, 60 micro-grids and 300 buildings; cases over three years
(one in five of the youngest 10,000 open, spread over the four open states, one in seven of them
overdue; every older case closed), written with ``INSERT … SELECT generate_series``. The small size is measured first, then the table
grows to the large size and the same requests run again, in one process, so that the ratio
compares like with like on a shared machine. Each request goes through Django's full stack
in-process (middleware, view, template or serializer) as a street admin or a community
dispatcher; the figure is the median server time of ``--repeat`` runs, with the number of SQL
queries. Writes ``bench/results/lists.md``; ``tests/test_bench.py`` runs :func:`run` at a tiny
size so that it cannot rot.
"""

from __future__ import annotations

import contextlib
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, run_two_sizes, street_tree, time_requests, two_size_main, write_two_sizes

RESULTS = ROOT / "bench" / "results" / "lists.md"
STREET_CODE = "110101950"
# Open cases are among the youngest this many (one in five of them): 2,000 open at any size from
# 10,000 cases on. A district closes its cases; its history grows, its backlog does not.
OPEN_WINDOW = 10_000
JURISDICTION = "list-bench.example.org"
# (label, who, path) — {number} and {pk} are filled with a case in the middle of the table.
# The text searches: 井盖 is in one title in a thousand (10 matches at 10,000 cases, a page
# of 10 rows; 1,000 at 1,000,000), 路灯 in one in a hundred (100 and 10,000: full pages at both
# sizes, so that only the search's own cost grows), 路12号 in one address in 300 (33 and 3,333:
# the page's 25 rows at both sizes; the API's 33 and 50).
REQUESTS = [
    ("API case list", "admin", "/api/v1/cases/"),
    ("API ?status=closed", "admin", "/api/v1/cases/?status=closed"),
    ("API ?overdue=true", "admin", "/api/v1/cases/?overdue=true"),
    ("API ?q=<case number>", "admin", "/api/v1/cases/?q={number}"),
    ("API ?q=<word>", "admin", "/api/v1/cases/?q=%E4%BA%95%E7%9B%96"),
    ("API ?q=<common word>", "admin", "/api/v1/cases/?q=%E8%B7%AF%E7%81%AF"),
    ("API ?q=<address>", "admin", "/api/v1/cases/?q=%E8%B7%AF12%E5%8F%B7"),
    ("API case detail", "admin", "/api/v1/cases/{pk}/"),
    ("page: case list", "admin", "/cases/"),
    ("page: list ?status=closed", "admin", "/cases/?status=closed"),
    ("page: list, page 50", "admin", "/cases/?page=50"),
    ("page: list ?overdue=true", "admin", "/cases/?overdue=true"),
    ("page: list ?q=<case number>", "admin", "/cases/?q={number}"),
    ("page: list ?q=<word>", "admin", "/cases/?q=%E4%BA%95%E7%9B%96"),
    ("page: list ?q=<common word>", "admin", "/cases/?q=%E8%B7%AF%E7%81%AF"),
    ("page: list ?q=<address>", "admin", "/cases/?q=%E8%B7%AF12%E5%8F%B7"),
    ("page: dispatcher's inbox", "dispatcher", "/cases/inbox/"),
    # A community's search: its scope is one community of the street (a fifth of the cases).
    ("API ?q=<word>, community dispatcher", "dispatcher", "/api/v1/cases/?q=%E4%BA%95%E7%9B%96"),
    ("page: list ?q=<word>, community dispatcher", "dispatcher", "/cases/?q=%E4%BA%95%E7%9B%96"),
    ("page: grid worker's inbox", "worker", "/cases/inbox/"),
    ("page: department's inbox", "handler", "/cases/inbox/"),
    ("page: center supervisor's inbox", "supervisor", "/cases/inbox/"),
    ("page: case", "admin", "/cases/{pk}/"),
    ("page: area tree", "admin", "/areas/"),
    ("export ?q=<case number>", "admin", "/cases/export.xlsx?q={number}"),
    ("Open311 requests.json", "admin", f"/open311/v2/requests.json?jurisdiction_id={JURISDICTION}"),
]


def main() -> int:
    return two_size_main(run, __doc__.splitlines()[0], small=10_000, large=1_000_000)


def run(small: int, large: int, *, repeat: int = 5, results: Path = RESULTS) -> int:
    """Measure at ``small`` then at ``large`` cases; write the report. Returns 1 when a request
    failed (a benchmark of error pages would measure nothing)."""
    return run_two_sizes(
        prepare=_prepare_street,
        grow=_grow,
        measure=_measure,
        report=partial(
            write_two_sizes,
            results,
            title="Case lists at two sizes",
            script="bench/lists.py",
            what="cases",
            issue=15,
            requests=REQUESTS,
        ),
        small=small,
        large=large,
        repeat=repeat,
    )


def _prepare_street():
    """The street, its tree, an Open311 jurisdiction, a public category, a department and a user
    of each role whose pages are measured (``users``); cases of an earlier run removed."""
    from types import SimpleNamespace

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from governance.models import Department, Role, RoleAssignment
    from grids.models import Area, AreaKind

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE casework_reminder, casework_supervisionorder, casework_deadlinerequest, "
                "casework_caseevent, casework_attachment, casework_case RESTART IDENTITY CASCADE"
            )
        street = street_tree(STREET_CODE, "压测街道", "压测", households=60)
        from casework.models import Category, TimeLimit
        from casework.open311.models import Jurisdiction

        category, _ = Category.objects.get_or_create(
            code="LISTBENCH", defaults={"name": "压测类别", "is_public": True}
        )
        Jurisdiction.objects.get_or_create(area=street, defaults={"jurisdiction_id": JURISDICTION})
        TimeLimit.objects.get_or_create(
            category=category, priority="normal",
            defaults={"accept_hours": 2, "dispatch_hours": 2, "acknowledge_hours": 2,
                      "handle_hours": 40},
        )  # fmt: skip
        department, _ = Department.objects.get_or_create(
            owner=None, code="list-bench", defaults={"name": "压测处置部门"}
        )
        users = get_user_model().objects
        admin, _ = users.get_or_create(username="bench-admin", defaults={"full_name": "压测管理员"})
        dispatcher, _ = users.get_or_create(
            username="bench-dispatcher", defaults={"full_name": "压测派遣员"}
        )
        worker, _ = users.get_or_create(
            username="bench-grid", defaults={"full_name": "压测网格员甲"}
        )
        handler, _ = users.get_or_create(
            username="bench-handler", defaults={"full_name": "压测处置员"}
        )
        supervisor, _ = users.get_or_create(
            username="bench-supervisor", defaults={"full_name": "压测督办员"}
        )
        community = Area.objects.get(code=f"{STREET_CODE}001")
        grid = Area.objects.get(code=f"{STREET_CODE}00101")
        for user, role, scope in (
            (admin, Role.STREET_ADMIN, {"area": street}),
            (dispatcher, Role.COMMUNITY_DISPATCHER, {"area": community}),
            (worker, Role.GRID_WORKER, {"area": grid}),
            (handler, Role.DEPARTMENT_HANDLER, {"department": department}),
            (supervisor, Role.CENTER_SUPERVISOR, {"area": street}),
        ):
            RoleAssignment.objects.get_or_create(user=user, role=role, **scope)
        buildings = list(
            Area.objects.filter(kind=AreaKind.BUILDING, code__startswith=STREET_CODE)
            .order_by("code")
            .values_list("pk", "parent__parent_id", "parent__parent__parent_id")
        )
    return SimpleNamespace(
        street=street, category=category, department=department, admin=admin,
        dispatcher=dispatcher, buildings=buildings,
        users={"admin": admin, "dispatcher": dispatcher, "worker": worker, "handler": handler,
               "supervisor": supervisor},
    )  # fmt: skip


def _grow(
    people, start: int, end: int, *, open_window: int | None = OPEN_WINDOW,
    rebuild_over: int = 50_000,
) -> None:  # fmt: skip
    """Add cases ``start + 1`` … ``end``. One in five of the youngest ``open_window`` cases is
    open, every older one closed (cases that were open before and fell out of the window are
    closed now, as a district closes its cases): the open backlog stays the same size while the
    history grows. ``open_window=None``: one in five of all cases open, at any size.
    ``rebuild_over``: the size of a growth from which the indexes are set aside."""
    from django.db import connection, transaction

    from governance.bulk import refresh_planner_statistics

    if end <= start:
        return
    print(f"Writing cases {start + 1:,} … {end:,} …", flush=True)
    # More than doubling a large table: its secondary indexes are set aside and built again
    # after the rows are in (one sort per index instead of a million index insertions; the two
    # GIN indexes of character pairs cost the most).
    rebuild = connection.vendor == "postgresql" and end - start > max(start, rebuild_over)
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        _indexes_set_aside(cursor, "casework_case", rebuild),
    ):
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_building "
            "(k int PRIMARY KEY, area int, grid int, community int) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE bench_building")
        cursor.executemany(
            "INSERT INTO bench_building VALUES (%s, %s, %s, %s)",
            [(k, *row) for k, row in enumerate(people.buildings)],
        )
        cursor.execute(
            """
            INSERT INTO casework_case (
                number, street_id, community_id, grid_id, title, description, category_id,
                area_id, address, source, reporter_name, reporter_phone, priority, status,
                holder, department_id, due_at, result, satisfaction, reported_at, closed_at,
                resolved_on_spot, rework_count, return_count, stage_entry, version,
                created_at, updated_at)
            SELECT '2026-' || lpad(i::text, 7, '0'), %(street)s, b.community, b.grid,
                CASE WHEN i %% 1000 = 0 THEN '井盖缺失' || i
                     WHEN i %% 100 = 50 THEN '路灯不亮' || i ELSE '楼道堆物' || i END, '',
                %(category)s, b.area, '压测路' || (i %% 300) || '号', 'patrol', '压测居民', '',
                'normal', s.status,
                CASE s.status WHEN 'closed' THEN '' WHEN 'reported' THEN 'community'
                    WHEN 'accepted' THEN 'community' ELSE 'department' END,
                CASE WHEN s.status IN ('dispatched', 'in_progress') THEN %(department)s END,
                CASE WHEN s.status = 'closed' THEN NULL
                     WHEN i %% 7 = 0 THEN now() - interval '1 hour'
                     ELSE now() + interval '3 days' END,
                CASE WHEN s.status = 'closed' THEN '已处置' ELSE '' END, '',
                r.at, CASE WHEN s.status = 'closed' THEN r.at + interval '2 days' END,
                false, 0, 0, 1, 1, r.at, r.at
            FROM generate_series(%(start)s + 1, %(end)s) AS i
            JOIN bench_building b ON b.k = i %% %(buildings)s
            CROSS JOIN LATERAL (SELECT (ARRAY['reported', 'accepted', 'dispatched',
                'in_progress'])[1 + i %% 4] AS open_status) o
            CROSS JOIN LATERAL (SELECT CASE WHEN i %% 5 = 0 AND i > %(end)s - %(window)s
                THEN o.open_status ELSE 'closed' END AS status) s
            CROSS JOIN LATERAL (SELECT now() - make_interval(days => (%(end)s - i) * 1095
                / %(end)s, mins => i %% 1440) AS at) r
            """,
            {
                "street": people.street.pk,
                "category": people.category.pk,
                "department": people.department.pk,
                "start": start,
                "end": end,
                "buildings": len(people.buildings),
                "window": end if open_window is None else open_window,
            },
        )
        if open_window is not None and start > 0 and end - open_window > 0:
            # The written cases (not those the stack benchmark filed) older than the window.
            cursor.execute(
                """
                UPDATE casework_case SET status = 'closed', holder = '', department_id = NULL,
                    due_at = NULL, result = '已处置', closed_at = reported_at + interval '2 days'
                WHERE status <> 'closed' AND street_id = %(street)s AND length(number) = 12
                    AND number < '2026-' || lpad((%(first)s)::text, 7, '0')
                    AND title NOT LIKE '压测%%'
                """,
                {"street": people.street.pk, "first": end - open_window + 1},
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM casework_case")
    # As autovacuum would have by then in production: without statistics on the area table the
    # planner takes the scope filter for one row and sorts a million (34 s for page 50).
    refresh_planner_statistics()


@contextlib.contextmanager
def _indexes_set_aside(cursor, table: str, active: bool = True):
    """Drop ``table``'s indexes that no constraint owns, and create them again (the same
    definitions, from ``pg_indexes``) when the block ends. Nothing when not ``active``."""
    if not active:
        yield
        return
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = %s
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [table],
    )
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    started = time.perf_counter()
    # The deferred foreign-key checks of the new rows first: an index cannot be built on a
    # table with pending trigger events.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for _name, definition in indexes:
        cursor.execute(definition)
    print(
        f"  {len(indexes)} indexes built again in {time.perf_counter() - started:.0f} s", flush=True
    )


def _measure(people, size: int, repeat: int) -> dict[str, dict]:
    from casework.models import Case

    middle = Case.objects.filter(street=people.street).order_by("pk")[size // 2 : size // 2 + 1]
    case = middle.get()
    print(f"Measuring at {size:,} cases …", flush=True)
    return time_requests(REQUESTS, people.users, repeat, number=case.number, pk=case.pk)


if __name__ == "__main__":
    sys.exit(main())
