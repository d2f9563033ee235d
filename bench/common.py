"""What every benchmark needs: its own PostgreSQL database, Django set up against it."""

from __future__ import annotations

import os
import platform
import sys
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
