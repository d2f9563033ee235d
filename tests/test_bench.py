"""The deadline benchmark (``make bench``) run at a tiny size, so that it cannot rot when the case
tables change. It measures nothing here: the point is that it runs and keeps its promises."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from django.db import connection

from casework.deadlines.models import Reminder

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_run", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_runs_at_a_tiny_size_and_keeps_its_promises(tmp_path):
    bench = _bench_module()
    results = tmp_path / "scan.md"
    with connection.cursor() as cursor:
        # A few hundred rows are cheaper to scan than to look up; the benchmark's question is
        # whether the partial index can serve the candidate query, so take the table scan away.
        cursor.execute("SET enable_seqscan = off")
    try:
        status = bench.run(200, 0.05, history=50, results=results)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")

    assert status == 0
    assert Reminder.objects.filter(case__number__startswith="B-").count() == 10
    from casework.services import cases_with_stale_levels

    assert not cases_with_stale_levels().exists()  # filed on the street: no community, no grid
    report = results.read_text(encoding="utf-8")
    assert "| first scan (writes every reminder) |" in report
    assert "uses the partial index `case_open_due`: yes" in report


def _load(name: str):
    path = BENCH.with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_resident_import_benchmark_runs_at_a_tiny_size(tmp_path):
    from grids.models import Resident

    results = tmp_path / "import.md"
    assert _load("resident_import").run(120, results=results) == 0
    assert Resident.objects.filter(name__startswith="压测居民").count() == 120
    report = results.read_text(encoding="utf-8")
    assert "| apply (all rows new) |" in report and "result: ok" in report


def _run_at_two_tiny_sizes(name: str, tmp_path):
    """Runs a two-size list benchmark at 40 then 90 rows; every request has its row."""
    bench = _load(name)
    results = tmp_path / f"{name}.md"

    assert bench.run(40, 90, repeat=1, results=results) == 0

    table = results.read_text(encoding="utf-8")
    for label, _who, _path in bench.REQUESTS:
        assert f"| {label} |" in table
    return bench


def test_the_list_benchmark_runs_at_a_tiny_size(tmp_path):
    from casework.models import Case
    from casework.services import cases_with_stale_levels

    lists = _run_at_two_tiny_sizes("lists", tmp_path)

    assert Case.objects.filter(street__code=lists.STREET_CODE).count() == 90
    # The written cases keep the street, community and grid above their area, as filing does.
    assert not cases_with_stale_levels().exists()
    # The plans behind the requests, for every user the list sends them as (the inboxes), and
    # for the case page, whose case is read by a prepared statement: the query log shows it with
    # $1 for its values, and EXPLAIN is given it with them (planned once a connection).
    results = tmp_path / "explain.md"
    explain = _load("explain")
    assert explain.run(min_ms=0, only=["inbox", "page: case"], results=results) == 0
    report = results.read_text(encoding="utf-8")
    assert "| page: center supervisor's inbox |" in report
    assert "| page: department's inbox |" in report
    (case_page,) = [line for line in report.splitlines() if line.startswith("| page: case |")]
    statements, prepared = (int(cell) for cell in case_page.split("|")[2:4])
    assert 0 < prepared < statements
    assert "(prepared: planned once a connection)" in report
    assert "$1" not in report


def _indexes(table: str) -> set[tuple[str, str, bool]]:
    """``table``'s indexes: name, definition up to its condition (PostgreSQL prints a partial
    index's condition again in its own words once built from its printed form) and whether it
    has one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return {
            (name, definition.split(" WHERE ")[0], " WHERE " in definition)
            for name, definition in cursor.fetchall()
        }


def test_the_list_data_keeps_its_open_backlog_and_builds_its_indexes_again():
    """Growing the list benchmark's cases past the open window closes the cases that fell out of
    it (the backlog stays one in five of the youngest), and a large growth sets the indexes
    aside and builds the same ones again."""
    from casework.models import OPEN_STATUSES, Case

    lists = _load("lists")
    people = lists._prepare_street()
    before = _indexes("casework_case")
    cases = Case.objects.filter(street=people.street)

    lists._grow(people, 0, 60, open_window=20)
    assert cases.filter(status__in=OPEN_STATUSES).count() == 4
    lists._grow(people, 60, 150, open_window=20, rebuild_over=50)

    assert cases.count() == 150
    open_numbers = sorted(cases.filter(status__in=OPEN_STATUSES).values_list("number", flat=True))
    assert open_numbers == [f"2026-{i:07d}" for i in range(135, 151, 5)]
    assert not cases.exclude(status__in=OPEN_STATUSES).exclude(holder="").exists()
    assert _indexes("casework_case") == before
    assert any(name == "case_title_grams" for name, _definition, _partial in before)


def test_the_resident_list_benchmark_runs_at_a_tiny_size(tmp_path):
    from grids.models import Resident

    bench = _run_at_two_tiny_sizes("resident_list", tmp_path)

    assert Resident.objects.filter(area__code__startswith=bench.STREET_CODE).count() == 90


STATS_BENCH = Path(__file__).resolve().parent.parent / "bench" / "stats.py"


def test_the_statistics_benchmark_runs_at_tiny_sizes(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_stats", STATS_BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    results = tmp_path / "stats.md"
    bench.run([100, 300], results=results)
    from casework.services import cases_with_stale_levels

    assert not cases_with_stale_levels().exists()  # street, community, grid above the area
    report = results.read_text(encoding="utf-8")
    for page in ("street dashboard", "community drill-down", "ranking", "monthly freeze"):
        line = next(row for row in report.splitlines() if row.startswith(f"| {page}"))
        # The same number of queries at both sizes: nothing runs once per case or per area.
        counts = [cell.split(", ")[1] for cell in line.split(" | ")[1:3]]
        assert counts[0] == counts[1], line


def test_the_wall_benchmark_runs_at_tiny_sizes(tmp_path):
    results = tmp_path / "wall.md"
    bench = _load("wall")
    bench.run([100, 300], results=results)
    report = results.read_text(encoding="utf-8")
    for request in (
        "wall page",
        "feed poll (month part cached)",
        bench.AFTER,
        "feed poll (cache empty",
        bench.MONTH,
    ):
        line = next(row for row in report.splitlines() if row.startswith(f"| {request}"))
        # The same number of queries at both sizes: nothing runs once per case or per area.
        counts = [cell.split(", ")[1] for cell in line.split(" | ")[1:3]]
        assert counts[0] == counts[1], line


def test_the_export_benchmark_runs_at_tiny_sizes(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    results = tmp_path / "export.md"
    assert _load("export").run(30, 90, results=results) == 0
    report = results.read_text(encoding="utf-8")
    assert "| 90 |" in report and "peak memory" in report


@pytest.mark.redis
def test_make_bench_runs_the_stack_under_load_at_tiny_sizes(tmp_path):
    """``make bench`` at a tiny size: gunicorn, a worker and beat on the suite's database and a
    redis-server of its own, the load from a second process, every request answered. The
    stack's processes reach the database through a PgBouncer in transaction mode
    (``--pgbouncer``): every page and endpoint, filing included, works through a pooler under
    load, as deploy/README.md tells several machines to run (the direct path is the rest of
    the suite's)."""
    import shutil

    from tests.conftest import missing
    from tests.processes import pgbouncer_binary, suite_database_url

    if not shutil.which("redis-server"):
        missing("this test starts its own redis-server (apt-get install redis-server)")
    if pgbouncer_binary() is None:
        missing("this test starts its own PgBouncer: apt-get install pgbouncer")
    results = tmp_path / "RESULTS.md"
    stack = _load("stack")
    # Each size waits for the worker and the database to be idle (no minimum here).
    stack.SETTLE_DEADLINE = 120
    assert (
        stack.run(
            40, 80, threads=2, seconds=0.2, results=results, database_url=suite_database_url(),
            settle=0, pgbouncer=True,
        )
        == 0
    )  # fmt: skip
    report = results.read_text(encoding="utf-8")
    passed = re.search(
        r"through a PgBouncer of the run's own in transaction mode .*; ([\d,]+) "
        r"transactions passed\)",
        report,
    )
    # Through it went the stack's transactions (not this process's): hundreds at these sizes.
    assert passed and int(passed[1].replace(",", "")) > 100
    assert re.search(r"until idle: \d+ s at 40, \d+ s at 80$", report, re.MULTILINE)
    for label in (stack.CEILING, stack.FILING, "API case list", "page: case list"):
        assert f"| {label} |" in report
    assert "Filing rate over the API:" in report
    # Each row's CPU per request by process group, at both sizes: numbers, not dashes (the
    # suite's PostgreSQL runs on this machine, so its backends of the test database are seen).
    header = next(line for line in report.splitlines() if line.startswith("| request |"))
    columns = [i for i, name in enumerate(header.split("|")) if name.startswith(" CPU ms/req")]
    assert len(columns) == 2
    rows = [
        line.split("|")
        for line in report.splitlines()
        if line.startswith("| ") and not line.startswith(("| request |", "| --- |"))
    ]
    assert len(rows) > 3
    for row in rows:
        for column in columns:
            assert re.fullmatch(r" \d+\.\d( / \d+\.\d){3} ", row[column]), row
    # The stack runs with the database settings of deploy/portal.env.example (prepared
    # statements left off there since stop 22's measurement), and says so.
    assert "DATABASE_PREPARED_STATEMENTS" not in stack.production_settings()
    assert "prepared statements off" in report and "persistent connections" in report


@pytest.mark.redis
def test_the_filing_benchmark_files_through_the_stack_at_a_tiny_size(tmp_path):
    """bench/filing.py at a tiny size: the statements of a filing counted in-process, then
    gunicorn restarted in two configurations, every filing answered 201 and written."""
    import shutil

    from tests.conftest import missing
    from tests.processes import suite_database_url

    if not shutil.which("redis-server"):
        missing("this test starts its own redis-server (apt-get install redis-server)")
    results = tmp_path / "filing.md"
    bench = _load("filing")
    status = bench.run(
        clients=2,
        seconds=0.2,
        filings=3,
        web=[(1, 1), (1, 2)],
        results=results,
        database_url=suite_database_url(),
    )
    assert status == 0
    report = results.read_text(encoding="utf-8")
    assert "| 1 × 1 |" in report and "| 1 × 2 |" in report
    # The token, the filer's roles and the area come from process caches: the filing's own writes.
    assert "1. `BEGIN`" in report and "`INSERT casework_case`" in report
    # A count of a filing's work that a busy machine does not move (to compare two commits).
    assert re.search(r"SQL statements\*\* and [\d,]+ function calls \(Python and C\)", report)


def test_the_page_cpu_benchmark_runs_at_a_tiny_size(tmp_path):
    results = tmp_path / "page_cpu.md"
    bench = _load("page_cpu")

    assert bench.run(60, renders=2, results=results) == 0

    report = results.read_text(encoding="utf-8")
    assert f"| {bench.CEILING} |" in report
    assert "- Caches: " in report  # Redis or the embedded default's files: it moves the figures
    for label, who, _path in bench.PAGES:
        assert f"| {label} | {bench.WHO[who]} |" in report
    # The Open311 rows count their requests (the last 90 days of the tiny street's cases) and
    # give the CPU per request beside.
    for fmt in ("json", "xml"):
        row = next(line for line in report.splitlines() if f"Open311 requests.{fmt}" in line)
        items, per_item = row.strip("| ").split(" | ")[-2:]
        assert int(items) > 0 and float(per_item) > 0


def test_the_planning_benchmark_compares_both_connections_at_a_tiny_size(tmp_path):
    from django.db import connections

    results = tmp_path / "planning.md"
    bench = _load("planning")
    before = connections["default"]

    assert bench.run(60, renders=2, results=results) == 0

    assert connections["default"] is before  # the portal's connection is given back
    report = results.read_text(encoding="utf-8")
    for label, _who, _path in bench.REQUESTS:
        for mode in bench.MODES:
            assert f"| {label} | {mode} |" in report
    # The first connection prepared nothing, the second what it ran often enough, the third the
    # one-case statements only (those of the case page and the API detail: fewer), the fourth
    # those and the events' of the case page and the API's events.
    counts = report.split("Statements prepared on each connection at the end: ")[1].split("\n")[0]
    plain, prepared, one_case, with_events = (
        int(part.rsplit(" ", 1)[1]) for part in counts.split(", ")
    )
    assert plain == 0 and 0 < one_case < with_events < prepared


def test_the_rollup_build_benchmark_runs_at_a_tiny_size(db, capsys):
    from io import StringIO

    from django.core.management import call_command

    call_command(
        "seed_scale",
        "--cases=150",
        "--streets=1",
        "--communities=1",
        "--grids=1",
        "--micro-grids=1",
        "--buildings=2",
        "--residents=0",
        "--party-members=0",
        stdout=StringIO(),
    )
    # This checkout beside itself: the same rows, and nothing kept.
    assert _load("rollup_build").run(100, base="HEAD", repeat=1) == 0
    out = capsys.readouterr().out
    assert "| 100 |" in out and "rows the same" in out


def test_the_area_move_benchmark_runs_at_a_tiny_size(tmp_path):
    from casework.models import Case
    from grids.models import Area

    results = tmp_path / "area_move.md"
    moves = _load("area_move")
    lists = _load("lists")
    assert moves.run(200, results=results) == 0

    report = results.read_text(encoding="utf-8")
    # A grid's cases (about a twentieth of the street's) took its new community there and the
    # old one back; a community's (a fifth) kept their street, community and grid. Every filing
    # was filed, the one made while the lock was held too.
    grid = re.search(r"\| a grid to another community \| ([\d,]+) \| ([\d,]+) \|", report)
    community = re.search(r"\| a community to another street \| ([\d,]+) \| ([\d,]+) \|", report)
    assert grid.group(1) == grid.group(2) and community.group(2) == "0"
    assert 0 < int(grid.group(1)) < int(community.group(1)) < 200
    assert "afterwards: 0" in report
    street = Area.objects.get(code=lists.STREET_CODE)
    assert Area.objects.get(code=f"{lists.STREET_CODE}001").parent_id == street.pk
    assert Case.objects.filter(title="压测移动期间立案").count() == 5 + 4
