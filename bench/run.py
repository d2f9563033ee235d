"""Benchmark of the deadline scan: 1,000,000 open cases, 1 % of them due, on PostgreSQL.

    make bench            # or: .venv/bin/python bench/run.py [--cases N] [--due-share 0.01]

Uses a dedicated database (``BENCH_DATABASE_URL``, default ``gov_bench`` on the local server),
created and migrated when missing; the cases are written with one ``INSERT ... SELECT
generate_series`` in SQL. Measures the first scan (which writes a reminder and an event per due
case) and a second one (nothing left to write), prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the
candidate query and writes everything to ``bench/results/scan.md``. ``tests/test_bench.py`` runs
:func:`run` at a tiny size on the test database, so that the benchmark cannot rot.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, setup_django

RESULTS = ROOT / "bench" / "results" / "scan.md"
# Closed cases with one old reminder each, written before the measured scans.
HISTORY = 100_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--due-share", type=float, default=0.01)
    parser.add_argument("--history", type=int, default=HISTORY)
    args = parser.parse_args()

    setup_django()
    return run(args.cases, args.due_share, history=args.history)


def run(total: int, due_share: float, *, history: int = HISTORY, results: Path = RESULTS) -> int:
    """Write the cases, scan twice, explain the candidate query; write the report to
    ``results``. Returns the exit status: 1 when the scan did not keep its promises."""
    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models import Q
    from django.utils import timezone

    from casework.deadlines import reminders
    from casework.deadlines.models import Reminder
    from casework.models import CaseEvent, Category, TimeLimit
    from grids.models import Area, AreaKind

    due = int(total * due_share)
    print(f"Preparing {total:,} open cases, {due:,} due …", flush=True)
    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE casework_reminder, casework_supervisionorder, casework_deadlinerequest, "
                "casework_caseevent, casework_attachment, casework_case RESTART IDENTITY CASCADE"
            )
        street = Area.objects.filter(code="110101901").first() or Area.objects.create(
            kind=AreaKind.STREET, name="压测街道", code="110101901"
        )
        category = Category.objects.filter(code="BENCH").first() or Category.objects.create(
            code="BENCH", name="压测类别"
        )
        TimeLimit.objects.get_or_create(
            category=category,
            priority="normal",
            defaults={
                "accept_hours": 2,
                "dispatch_hours": 2,
                "acknowledge_hours": 2,
                "handle_hours": 40,
            },
        )
        with connection.cursor() as cursor:
            # Due cases: overdue by 1 to 60 minutes. The rest: due in 20 to 75 days, beyond
            # the reach of the near-due pass on any day: the Spring Festival and National Day
            # stop the working clock for up to nine days, and a case due five days into them
            # would be near due (a reminder more than the count the test and the report expect).
            cursor.execute(
                """
                INSERT INTO casework_case (
                    number, street_id, community_id, grid_id, title, description, category_id,
                    area_id, address, source, reporter_name, reporter_phone, priority, status,
                    holder, due_at, result, satisfaction, reported_at, resolved_on_spot,
                    rework_count, return_count, stage_entry, version, created_at, updated_at)
                SELECT 'B-' || i, %(street)s, NULL, NULL, '压测案件' || i, '', %(category)s,
                    %(street)s, '压测地址', 'patrol', '压测', '', 'normal',
                    (ARRAY['reported', 'accepted', 'dispatched', 'in_progress'])[1 + i %% 4],
                    'community',
                    CASE WHEN i <= %(due)s
                        THEN now() - make_interval(mins => 1 + i %% 60)
                        ELSE now() + make_interval(days => 20 + i %% 56, mins => i %% 1440) END,
                    '', '', now() - interval '1 day', false, 0, 0, 1, 1, now(), now()
                FROM generate_series(1, %(total)s) AS i
                """,
                {"street": street.pk, "category": category.pk, "due": due, "total": total},
            )
            # A year of history: closed cases with the overdue reminders they once had, so that
            # the planner sees a reminder table of a realistic size, as it would in production.
            cursor.execute(
                """
                INSERT INTO casework_case (
                    number, street_id, title, description, category_id, area_id, address, source,
                    reporter_name, reporter_phone, priority, status, holder, due_at, result,
                    satisfaction, reported_at, closed_at, resolved_on_spot, rework_count,
                    return_count, stage_entry, version, created_at, updated_at)
                SELECT 'H-' || i, %(street)s, '历史案件' || i, '', %(category)s, %(street)s,
                    '压测地址', 'patrol', '压测', '', 'normal', 'closed', '', NULL, '已处置', '',
                    now() - interval '200 days', now() - interval '190 days', false, 0, 0, 1, 1,
                    now(), now()
                FROM generate_series(1, %(history)s) AS i
                """,
                {"street": street.pk, "category": category.pk, "history": history},
            )
            cursor.execute(
                """
                INSERT INTO casework_reminder (case_id, stage, kind, tier, entry, holder, due_at,
                    created_at, notified_at)
                SELECT id, 'handle', 'overdue', 1, 1, 'department', reported_at, reported_at,
                    reported_at
                FROM casework_case WHERE number LIKE 'H-%%'
                """
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE casework_case")
        cursor.execute("VACUUM ANALYZE casework_reminder")
    prepared = time.perf_counter() - started
    print(f"  prepared in {prepared:.1f} s", flush=True)

    now = timezone.now()
    plan = _explain(
        reminders.candidates(Q(due_at__lte=now), kind=Reminder.Kind.OVERDUE, tier=1)
        .select_for_update(skip_locked=True, of=("self",))
        .values("pk")[: settings.DEADLINE_SCAN_BATCH]
    )

    timings = []
    for label in ("first scan (writes every reminder)", "second scan (nothing left to write)"):
        started = time.perf_counter()
        result = reminders.scan_deadlines(now=timezone.now())
        elapsed = time.perf_counter() - started
        timings.append((label, elapsed, result))
        print(f"  {label}: {elapsed:.2f} s, {result.total:,} reminders", flush=True)

    reminders_written = Reminder.objects.filter(
        case__status__in=["reported", "accepted", "dispatched", "in_progress"]
    ).count()
    events = CaseEvent.objects.filter(step="overdue").count()
    uses_index = "case_open_due" in plan
    _write(results, total, due, history, prepared, timings, reminders_written, events, plan)
    print(f"Results written to {results}")
    if reminders_written != due or not uses_index:
        print("UNEXPECTED: reminders or plan differ from what the scan promises", file=sys.stderr)
        return 1
    return 0


def _explain(qs) -> str:
    from django.db import transaction

    with transaction.atomic():
        return qs.explain(analyze=True, buffers=True)


def _write(results, total, due, history, prepared, timings, reminders_written, events, plan):
    from django.conf import settings

    lines = [
        "# Deadline scan benchmark",
        "",
        "Generated by `make bench` (`bench/run.py`); do not edit by hand.",
        "",
        f"- Cases: {total:,} open, {due:,} due ({due / total:.0%}); all in one street, "
        "one category (limits 2/2/2/40 working hours)",
        f"- {machine()}",
        f"- Plus {history:,} closed cases with one old reminder each (history the planner sees)",
        f"- Batch size {settings.DEADLINE_SCAN_BATCH}; preparing the data took {prepared:.0f} s",
        "",
        "| run | time | reminders written |",
        "| --- | ---: | ---: |",
    ]
    for label, elapsed, result in timings:
        lines.append(f"| {label} | {elapsed:.2f} s | {result.total:,} |")
    lines += [
        "",
        f"Reminders in the table afterwards: {reminders_written:,} (one per due case); "
        f"overdue events: {events:,}.",
        "The candidate query uses the partial index `case_open_due`: "
        f"{'yes' if 'case_open_due' in plan else 'NO'}.",
        "",
        "Reading: the first scan finds every due case and writes its reminder and its overdue "
        f"event ({1000 * timings[0][1] / max(due, 1):.2f} ms per due case, mostly the ORM "
        "building rows; one notification task is enqueued per 50 reminders). The second scan "
        "is what beat runs every 30 s once the reminders exist: it reads only the due cases "
        "through the partial index and probes the reminder index once per case, so its cost "
        "follows the due cases, not the million open ones. The machine is shared (2 CPUs), so "
        "times vary by run; the plan is the point.",
        "",
        "## Plan of one batch's candidate query",
        "",
        "`EXPLAIN (ANALYZE, BUFFERS)` of the overdue pass's first batch, before the first scan:",
        "",
        "```",
        plan,
        "```",
        "",
    ]
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
