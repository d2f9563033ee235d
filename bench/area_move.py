"""Moving an area at scale: how long moving a grid and a community takes with N cases below their
street, and how long a filing elsewhere in the install waits for it (issue 15; deploy/README.md,
"Moving an area").

    .venv/bin/python bench/area_move.py                  # 1,000,000 cases
    .venv/bin/python bench/area_move.py --cases 100000

A move takes the areas' ancestry lock exclusive and every filing takes it shared, so that no case
keeps the community or grid of before the move; the move then updates the cases below the moved
area (``casework.services.cases_follow_area``) in its own transaction. The cases are
bench/lists.py's (one street of 5 communities and 20 grids, so a grid holds a twentieth of them and
a community a fifth) in ``BENCH_DATABASE_URL`` (default ``gov_bench``). Each move is made, timed
and undone. While it runs, once its lock is held (``pg_locks``), another thread files a case in a
grid that does not move: its time is the filings' wait.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import load_average, machine, setup_django

RESULTS = Path(__file__).resolve().parent / "results" / "area_move.md"
OTHER_STREET = "110101951"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    setup_django()
    return run(args.cases, results=args.results)


def run(cases: int, *, results: Path = RESULTS) -> int:
    """Fill the list benchmark's street with ``cases`` cases, time the moves, write the report.
    Returns 1 when a case did not follow its area."""
    import lists

    from casework.services import cases_with_stale_levels
    from governance.bulk import refresh_planner_statistics
    from grids.models import Area, AreaKind

    people = lists._prepare_street()
    lists._grow(people, 0, cases)
    refresh_planner_statistics()
    street = people.street
    other, _ = Area.objects.get_or_create(
        code=OTHER_STREET, defaults={"kind": AreaKind.STREET, "name": "压测二街道"}
    )
    community = Area.objects.get(code=f"{lists.STREET_CODE}001")
    neighbour = Area.objects.get(code=f"{lists.STREET_CODE}002")
    grid = Area.objects.get(code=f"{community.code}01")
    # Filings go to a building of the last community, which no move touches.
    still = Area.objects.filter(
        kind=AreaKind.BUILDING, code__startswith=f"{lists.STREET_CODE}005"
    ).first()
    actor = _root()
    baseline = [_file(people, actor, still) for _ in range(5)]
    rows = [
        ("a grid to another community", grid, neighbour, community),
        ("a community to another street", community, other, street),
    ]
    measured = []
    for label, area, there, back in rows:
        went, filing, below, changed = _move(actor, area, there, people, still)
        came, *_ = _move(actor, area, back, people, still)
        measured.append((label, below, changed, went, came, filing))
    stale = cases_with_stale_levels().count()
    _write(results, cases, sorted(baseline)[len(baseline) // 2], measured, stale)
    print(results.read_text(encoding="utf-8"))
    return 1 if stale else 0


def _root():
    from django.contrib.auth import get_user_model

    root, _ = get_user_model().objects.get_or_create(
        username="bench-root", defaults={"is_superuser": True, "is_staff": True}
    )
    return root


def _file(people, actor, area) -> float:
    """Seconds to file one case on ``area`` (the report step, through the service), read again
    as a request would (a move renumbers the tree around it)."""
    from casework.services import case_report
    from grids.models import Area

    started = time.perf_counter()
    case_report(
        actor=actor, title="压测移动期间立案", category=people.category,
        area=Area.objects.get(pk=area.pk), source="patrol", address="压测路1号",
    )  # fmt: skip
    return time.perf_counter() - started


def _move(actor, area, new_parent, people, still) -> tuple[float, float | None, int, int]:
    """Move ``area`` under ``new_parent`` in a thread; once the move holds the ancestry lock, file
    a case on ``still``. Seconds of the move, seconds of that filing (None: the move had ended
    before the filing began), cases below the area, cases changed."""
    from django.db import connection

    from casework.models import Case
    from grids.models import Area
    from grids.services import area_move

    # The areas by key: ``within`` reads the tree's numbers, which the move changes.
    below = Case.objects.filter(
        area__in=list(Area.objects.within(area).values_list("pk", flat=True))
    )
    before = set(below.values_list("pk", "street", "community", "grid"))
    outcome: dict = {}

    def move() -> None:
        started = time.perf_counter()
        try:
            area_move(actor=actor, area=Area.objects.get(pk=area.pk), new_parent=new_parent)
            outcome["seconds"] = time.perf_counter() - started
        except BaseException as exc:  # reported below, in the main thread
            outcome["error"] = exc
        finally:
            connection.close()

    mover = threading.Thread(target=move)
    mover.start()
    deadline = time.monotonic() + 600
    while not _move_holds_the_lock() and mover.is_alive():
        if time.monotonic() > deadline:
            raise TimeoutError("the move never took the ancestry lock")
        time.sleep(0.001)
    # Filed whether or not the move is still running (a small one may be over already): the
    # report says which.
    held = mover.is_alive()
    filing = _file(people, actor, still)
    mover.join()
    if "error" in outcome:
        raise outcome["error"]
    after = set(below.values_list("pk", "street", "community", "grid"))
    return outcome["seconds"], (filing if held else None), len(before), len(before - after)


def _move_holds_the_lock() -> bool:
    """Another connection holds the areas' ancestry lock exclusive (not yet the tree lock,
    which a move takes first and filings never take)."""
    from django.db import connection

    from grids.models import Area

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory'"
            " AND mode = 'ExclusiveLock' AND granted AND classid = 0 AND objid = %s"
            " AND objsubid = 1 AND pid <> pg_backend_pid())",
            [Area.ancestry_lock_key()],
        )
        return cursor.fetchone()[0]


def _write(results: Path, cases: int, baseline: float, measured, stale: int) -> None:
    lines = [
        "# Moving an area at scale (issue 15)",
        "",
        "`bench/area_move.py`: the list benchmark's street (bench/lists.py) with "
        f"{cases:,} cases; each move made and undone through `grids.services.area_move`, and a "
        "case filed elsewhere while the move holds the areas' ancestry lock.",
        "",
        f"- {machine()}; load average (1, 5, 15 min) at the end: {load_average()}",
        f"- A filing alone (median of 5): {baseline * 1000:.0f} ms",
        f"- Cases keeping a community or grid not above their area afterwards: {stale}",
        "",
        "| move | cases below | cases changed | move s | move back s | a filing meanwhile s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, below, changed, went, came, filing in measured:
        waited = "— (the move had ended)" if filing is None else f"{filing:.2f}"
        lines.append(f"| {label} | {below:,} | {changed:,} | {went:.2f} | {came:.2f} | {waited} |")
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
