"""The statistics rollups' build rate, this checkout beside an earlier revision, side by side.

    BENCH_DATABASE_URL=postgres://…/db_with_cases .venv/bin/python bench/rollup_build.py \
        [--cases 20000] [--base main] [--repeat 2] [--profile PATH]

``manage.py seed_scale`` spends most of its time building the rollups
(``casework.stats.rollup.build_missing`` over id ranges, bench/results/seed_scale.md). This
loads ``casework/stats/rollup.py`` of ``--base`` (from git) as a second module beside the
current one and has each build the rollups of the same ``--cases`` cases (the first ones by id)
in turn, ``--repeat`` times, each in a transaction rolled back at the end on emptied rollup
tables (TRUNCATE inside it; DELETE on SQLite). Reported per build: the CPU time of this process
(``time.process_time``: what the machine's load does not inflate), the CPU time of the server
process that served it (``/proc/<backend pid>/stat``, the server being on this machine) and the
wall time. The rows each build wrote (days, months, overlaps, open cases, states) are compared:
the builds must write the same rows. ``--profile`` writes a cProfile (CPU time) of one build of
the current module to PATH.

Needs a database with cases (``manage.py seed_scale --cases 100000 …``); nothing is kept.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TABLES = ("CaseRollup", "CaseRollupMonth", "CaseRollupOpen", "CaseRollupOverlap", "CaseRollupState")


class _Rollback(Exception):
    pass


def _load_base(revision: str):
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:casework/stats/rollup.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "rollup_base.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("rollup_base", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["rollup_base"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _server_cpu(cursor) -> float:
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0  # SQLite: in this process, counted as the client's
    cursor.execute("SELECT pg_backend_pid()")
    pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _digest(models) -> str:
    """A digest of every row of the rollup tables (without surrogate ids), in key order."""
    h = hashlib.sha256()
    for model in models:
        names = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
        for row in model.objects.order_by(*names[:6]).values_list(*names):
            h.update(repr(row).encode())
    return h.hexdigest()[:16]


def build(module, first: int, last: int, *, profile: str | None = None) -> dict:
    from django.db import connection, transaction

    from casework.stats import models as stats_models

    models = [getattr(stats_models, name) for name in TABLES]
    result = {}
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                tables = [connection.ops.quote_name(m._meta.db_table) for m in models]
                if connection.vendor == "postgresql":
                    cursor.execute(f"TRUNCATE {', '.join(tables)}")
                else:
                    for table in tables:
                        cursor.execute(f"DELETE FROM {table}")
                server = _server_cpu(cursor)
            wall, cpu = time.perf_counter(), time.process_time()
            profiler = cProfile.Profile(time.process_time) if profile else None
            if profiler:
                profiler.enable()
            counted = module.build_missing(first=first, last=last)
            if profiler:
                profiler.disable()
                profiler.dump_stats(profile)
            result["cpu"] = time.process_time() - cpu
            result["wall"] = time.perf_counter() - wall
            with connection.cursor() as cursor:
                result["server"] = _server_cpu(cursor) - server
            result["cases"] = counted
            result["digest"] = _digest(models)
            raise _Rollback
    except _Rollback:
        pass
    return result


def run(cases: int, base: str = "main", repeat: int = 2, profile: str | None = None) -> int:
    """Time the builds (Django set up); 0 when every build wrote the same rows."""
    from casework.models import Case
    from casework.stats import rollup

    ids = list(Case.objects.order_by("pk").values_list("pk", flat=True)[:cases])
    first, last = ids[0], ids[-1]
    base_module = _load_base(base)
    print(f"{len(ids):,} cases (ids {first}–{last}); load {os.getloadavg()[0]:.1f}")
    print("build | cases | cases/s (wall) | client CPU s | server CPU s | CPU ms a case | rows")
    digests = set()
    for n in range(repeat):
        for name, module in ((f"base ({base})", base_module), ("this checkout", rollup)):
            r = build(module, first, last)
            digests.add(r["digest"])
            print(
                f"{name} #{n + 1} | {r['cases']:,} | {r['cases'] / r['wall']:,.0f} | "
                f"{r['cpu']:.2f} | {r['server']:.2f} | "
                f"{(r['cpu'] + r['server']) * 1000 / r['cases']:.3f} | {r['digest']}",
                flush=True,
            )
    print(f"load {os.getloadavg()[0]:.1f}; rows {'the same' if len(digests) == 1 else 'DIFFER'}")
    if profile:
        build(rollup, first, last, profile=profile)
        print(f"profile of this checkout's build: {profile}")
    return 0 if len(digests) == 1 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--base", default="main")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--profile")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", ""))
    os.environ.setdefault("ALLOW_DEV_SECRET_KEY", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
    import django

    django.setup()
    sys.exit(run(args.cases, args.base, args.repeat, args.profile))


if __name__ == "__main__":
    main()
