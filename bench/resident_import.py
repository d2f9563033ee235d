"""Benchmark of the resident import: a 30,000-row spreadsheet of residents with care tags,
previewed and then applied (all rows in one transaction), on PostgreSQL.

    .venv/bin/python bench/resident_import.py [--rows 30000]

Uses a dedicated database (``BENCH_DATABASE_URL``, default ``gov_bench`` on the local server),
created and migrated when missing. Builds a street of buildings and an .xlsx file in memory,
then measures reading the file, the preview (every row validated, nothing written) and the
apply; peak memory is the process's maximum resident set size. Writes the report to
``bench/results/resident_import.md``. ``tests/test_bench.py`` runs :func:`run` at a tiny size.
Goal (issue 12): under 20 s and 300 MB for 30,000 rows on the development machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "resident_import.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/gov_bench"
STREET_CODE = "110101902"
PER_BUILDING = 60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=30_000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.common import ensure_database

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ.setdefault("ALLOW_DEV_SECRET_KEY", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return run(args.rows)


def _peak_mb() -> float:
    """The process's peak resident set size: since :func:`_reset_peak` where Linux allows it
    (``VmHWM``), else since the process started."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> bool:
    """Start the peak over (Linux: ``5`` to ``/proc/self/clear_refs``), so that it measures the
    import, not the set-up (Django, migrations, the deletion of an earlier run, the test file)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _street(buildings: int):
    from django.contrib.auth import get_user_model

    from grids.models import Area, AreaKind, CareTag

    street = Area.objects.filter(code=STREET_CODE).first() or Area.objects.create(
        kind=AreaKind.STREET, name="导入压测街道", code=STREET_CODE
    )
    community = Area.objects.filter(code=f"{STREET_CODE}001").first() or Area.objects.create(
        kind=AreaKind.COMMUNITY, name="压测社区", code=f"{STREET_CODE}001", parent=street
    )
    grid = Area.objects.filter(code=f"{STREET_CODE}00101").first() or Area.objects.create(
        kind=AreaKind.GRID, name="压测网格", code=f"{STREET_CODE}00101", parent=community
    )
    micro = Area.objects.filter(code=f"{STREET_CODE}0010101").first() or Area.objects.create(
        kind=AreaKind.MICRO_GRID, name="压测微网格", code=f"{STREET_CODE}0010101", parent=grid
    )
    codes = []
    for n in range(1, buildings + 1):
        code = f"{micro.code}{n:03d}"
        if not Area.objects.filter(code=code).exists():
            Area.objects.create(
                kind=AreaKind.BUILDING, name=f"压测{n}号楼", code=code, parent=micro
            )
        codes.append(code)
    CareTag.objects.get_or_create(street=street, name="独居老人", defaults={"visit_every_days": 7})
    CareTag.objects.get_or_create(street=street, name="残疾人", defaults={"visit_every_days": 30})
    user = get_user_model().objects.filter(username="bench-importer").first()
    if user is None:
        user = get_user_model().objects.create_superuser("bench-importer", password=None)
    return street, codes, user


def _xlsx(rows: int, codes: list[str]) -> bytes:
    from openpyxl import Workbook

    from grids import imports
    from grids.models.residents import id_check_digit

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("居民")
    sheet.append(imports.template_headers("residents"))
    born = dt.date(1940, 1, 1)
    for i in range(rows):
        birth = born + dt.timedelta(days=i % 20000)
        first17 = f"110105{birth:%Y%m%d}{i // 20000 % 10}{i % 100:02d}"
        sheet.append(
            [
                codes[i // PER_BUILDING % len(codes)],
                "",
                f"压测居民{i}",
                "居民身份证",
                first17 + id_check_digit(first17),
                f"139{i:08d}",
                "女" if i % 2 else "男",
                "",
                "汉族",
                "群众",
                "常住",
                "户主" if i % 3 == 0 else "子女",
                "",
                "2010-05-01",
                "独居老人" if i % 25 == 0 else ("残疾人" if i % 40 == 0 else ""),
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run(rows: int, *, results: Path = RESULTS) -> int:
    """Import ``rows`` residents twice (the second run must change nothing); write the report.
    Returns 1 when a run failed or the re-import changed something."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from grids import imports
    from grids.models import Area, Resident, ResidentCareTag, Visit

    street, codes, user = _street(max(1, -(-rows // PER_BUILDING)))
    # The buildings just added moved the tree's bounds: read the street's subtree afresh, or
    # residents of an earlier run in the moved buildings would stay (and be "unchanged").
    street.refresh_from_db()
    in_street = Area.subtree_q(street, prefix="resident__area__")
    Visit.objects.filter(in_street).delete()
    ResidentCareTag.objects.filter(in_street).delete()
    Resident.objects.filter(Area.subtree_q(street, prefix="area__")).delete()
    content = _xlsx(rows, codes)
    setup_peak = _peak_mb()
    reset = _reset_peak()
    timings = {}

    def timed(name, step):
        wall, cpu = time.perf_counter(), time.process_time()
        value = step()
        timings[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        print(f"{name}: {timings[name][0]:.1f} s", flush=True)
        return value

    dataset = timed(
        "read the .xlsx", lambda: imports.read_upload(SimpleUploadedFile("bench.xlsx", content))
    )
    preview = timed(
        "preview (nothing written)",
        lambda: imports.import_preview(user=user, kind="residents", dataset=dataset),
    )

    def apply():
        return imports.import_apply(user=user, kind="residents", dataset=dataset, file_name="bench")

    run_1 = timed("apply (all rows new)", apply)
    run_2 = timed("re-import (nothing changes)", apply)
    peak = _peak_mb()
    ok = preview.valid and run_1.new_rows == rows and run_2.skipped_rows == rows
    lines = [
        "# Resident import benchmark",
        "",
        f"- rows: {rows:,} residents ({len(codes)} buildings, care tags on every 25th and 40th)",
        f"- database: {connection.vendor} {connection.pg_version if connection.vendor == 'postgresql' else ''}",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}",
        f"- date: {dt.date.today().isoformat()}",
        "",
        f"- load average when it ran: {os.getloadavg()[0]:.1f} (the machine is shared: wall time "
        "counts the waits for the CPU, the Python process's own CPU time does not)",
        "",
        "| step | wall seconds | CPU seconds (Python) |",
        "| --- | ---: | ---: |",
        *[f"| {name} | {wall:.1f} | {cpu:.1f} |" for name, (wall, cpu) in timings.items()],
        "",
        (
            f"- peak memory of the import (max RSS of the process from reading the file to the "
            f"end of the re-import, with Django and the file in memory): {peak:.0f} MB"
            if reset
            else f"- peak memory (max RSS of the process, set-up included): {peak:.0f} MB"
        ),
        f"- peak memory of the set-up before it (Django with its migrations loaded, the "
        f"deletion of the previous run, writing the test file): {setup_peak:.0f} MB",
        f"- first apply: {run_1.new_rows:,} new; re-import: {run_2.skipped_rows:,} unchanged, "
        f"{run_2.updated_rows:,} changed",
        f"- result: {'ok' if ok else 'FAILED'}",
        "",
    ]
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
