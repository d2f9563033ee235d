"""The deadline scan against real Redis and real worker processes (not eager).

Each test starts ``celery -A governance worker`` subprocesses on the pytest PostgreSQL database and
a queue of its own on Redis, and always stops them and removes that queue (and only that queue's
messages) afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from casework.deadlines.models import Reminder
from casework.models import Case, Holder, Status
from governance.celery import app as celery_app
from governance.models import Notification
from tests.casework.factories import CaseFactory
from tests.processes import suite_database_url

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CELERY = str(Path(sys.executable).with_name("celery"))
# Seconds to wait for the workers. Starting one takes seconds, and far more on a loaded CI
# machine (two test processes, each with workers of its own): a wait costs nothing when all
# goes well, and a deadline missed there is a failed run.
WAIT = 120
ROOT = Path(__file__).resolve().parents[3]


def _broker_url() -> str:
    """The Redis the suite was given (CI sets CELERY_BROKER_URL); the tests use a queue of
    their own on it."""
    for name in ("CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL"):
        url = os.environ.get(name, "")
        if url.startswith("redis://"):
            return url
    raise RuntimeError("the redis marker lets these tests run only with a Redis URL")


class Workers:
    """Worker subprocesses consuming one queue of their own."""

    def __init__(self, tmp_path: Path) -> None:
        self.queue = f"test-deadlines-{uuid.uuid4().hex[:12]}"
        self.tmp_path = tmp_path
        self.procs: dict[str, subprocess.Popen] = {}
        # Messages a killed worker took and never acknowledged: Redis keeps them aside until
        # their visibility timeout (an hour), so they are no work in hand of the live workers.
        self.orphans: set[bytes] = set()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "governance.settings",
            "ALLOW_DEV_SECRET_KEY": "1",
            "DATABASE_URL": suite_database_url(),
            "CELERY_BROKER_URL": _broker_url(),
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "VAR_DIR": str(tmp_path / "var"),
            "DEADLINE_SCAN_BATCH": "10",
            "DEADLINE_RENOTIFY_SECONDS": "1",
            "LOG_LEVEL": "WARNING",
        }

    def start(self, name: str) -> subprocess.Popen:
        log = open(self.tmp_path / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            [
                CELERY,
                "-A",
                "governance",
                "worker",
                "-Q",
                self.queue,
                "-n",
                f"{name}-{self.queue}@%h",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        self.orphans |= self._taken()

    def node(self, name: str) -> str:
        return f"{name}-{self.queue}@{socket.gethostname()}"

    def _taken(self) -> set[bytes]:
        """Delivery tags of this queue's messages taken by a worker and not acknowledged yet."""
        import redis

        client = redis.Redis.from_url(_broker_url())
        return {
            tag for tag, raw in client.hgetall("unacked").items() if _routing_key(raw) == self.queue
        }

    def pending(self) -> int:
        """Messages of this queue not finished: waiting, or taken and not acknowledged (tasks
        are acknowledged late, once they have run), orphans of killed workers aside."""
        import redis

        waiting = redis.Redis.from_url(_broker_url()).llen(self.queue)
        return waiting + len(self._taken() - self.orphans)

    def idle(self) -> bool:
        """Every live worker answers, and none holds a task (running or reserved)."""
        nodes = [self.node(name) for name in self.procs]
        with celery_app.connection_for_write(_broker_url()) as connection_:
            inspect = celery_app.control.inspect(
                destination=nodes, connection=connection_, timeout=5, limit=len(nodes)
            )
            answers = [inspect.active(), inspect.reserved()]
        return all(
            answer is not None
            and set(answer) == set(nodes)
            and not any(tasks for tasks in answer.values())
            for answer in answers
        )

    def stop_all(self) -> None:
        for name in list(self.procs):
            proc = self.procs.pop(name)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)
        self._drop_queue()

    def _drop_queue(self) -> None:
        """Remove this test's queue and its unacknowledged messages; nothing else in Redis."""
        import redis

        client = redis.Redis.from_url(_broker_url())
        client.delete(
            self.queue,
            f"_kombu.binding.{self.queue}",
            f"_kombu.binding_permanent.{self.queue}",
        )
        for tag, raw in client.hgetall("unacked").items():
            if _routing_key(raw) == self.queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.tmp_path.glob("*.log"))


@pytest.fixture(scope="module")
def worker_pool(tmp_path_factory):
    """Two workers shared by the tests of this module (starting one takes seconds)."""
    w = Workers(tmp_path_factory.mktemp("workers"))
    try:
        w.start("w1")
        w.start("w2")
        yield w
    finally:
        w.stop_all()


@pytest.fixture
def workers(worker_pool, transactional_db):
    return worker_pool


def _routing_key(raw: bytes) -> str | None:
    try:
        return json.loads(raw)[2]
    except (ValueError, IndexError, TypeError):
        return None


def _wait_for(condition, *, timeout: float, what: str, workers: Workers, every=0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    pytest.fail(f"timed out waiting for {what}\n--- worker logs ---\n{workers.logs()[-4000:]}")


def _overdue_cases(tree, categories, n: int) -> None:
    """``n`` cases overdue by five minutes: one through the factory, the rest copied in bulk."""
    with transaction.atomic():  # the case number counter is read under a row lock
        first = CaseFactory(
            area=tree.building_a1,
            category=categories.garbage,
            status=Status.REPORTED,
            holder=Holder.COMMUNITY,
            due_at=timezone.now() - timedelta(minutes=5),
        )
    fields = {
        f.attname: getattr(first, f.attname)
        for f in Case._meta.concrete_fields
        if not f.primary_key
    }
    Case.objects.bulk_create(
        [Case(**{**fields, "number": f"{first.number}-{i}"}) for i in range(1, n)]
    )


def _all_told(n: int):
    def check() -> bool:
        return (
            Reminder.objects.count() == n
            and not Reminder.objects.filter(notified_at__isnull=True).exists()
        )

    return check


def _scan(workers: Workers) -> None:
    """Enqueue a scan as beat would, on the workers' broker and queue."""
    from casework.tasks import scan_deadlines

    with celery_app.connection_for_write(_broker_url()) as connection_:
        scan_deadlines.apply_async(connection=connection_, queue=workers.queue)


def _wait_until_drained(workers: Workers) -> None:
    """Wait until every task sent to the workers has run to its end, and with it every task it
    enqueued: nothing of the queue is waiting or unacknowledged, and the workers say they hold
    nothing. The queue is read again after the workers' answer, since a message is in neither
    place for a moment between a worker taking it and Redis listing it as unacknowledged."""
    _wait_for(
        lambda: workers.pending() == 0 and workers.idle() and workers.pending() == 0,
        timeout=WAIT,
        what="the workers to finish every task",
        workers=workers,
    )


def _wait_past_renotify(workers: Workers) -> None:
    """Wait until the newest reminder is older than the renotify delay, so that a scan would
    enqueue again every reminder whose notification it thought lost."""
    delay = timedelta(seconds=int(workers.env["DEADLINE_RENOTIFY_SECONDS"]))
    newest = Reminder.objects.aggregate(newest=Max("created_at"))["newest"]
    _wait_for(
        lambda: timezone.now() - newest > delay,
        timeout=WAIT,
        what="the renotify delay to pass",
        workers=workers,
    )


def _assert_told_exactly_once(crew, n: int) -> None:
    assert Reminder.objects.count() == n
    assert Reminder.objects.filter(kind="overdue", tier=1).count() == n
    for user in (crew.dispatcher_a, crew.center):
        keys = list(Notification.objects.filter(recipient=user).values_list("key", flat=True))
        assert len(keys) == n and len(set(keys)) == n, user
    assert Notification.objects.count() == 2 * n


def test_a_due_case_produces_exactly_one_reminder(crew, tree, categories, workers):
    _overdue_cases(tree, categories, 1)

    _scan(workers)
    _wait_for(_all_told(1), timeout=WAIT, what="the reminder", workers=workers)
    _scan(workers)
    _wait_until_drained(workers)

    _assert_told_exactly_once(crew, 1)


def test_two_workers_and_overlapping_scans_still_remind_once(crew, tree, categories, workers):
    _overdue_cases(tree, categories, 60)

    for _ in range(4):
        _scan(workers)
    _wait_for(_all_told(60), timeout=WAIT, what="60 reminders told", workers=workers)
    _scan(workers)
    _wait_until_drained(workers)

    _assert_told_exactly_once(crew, 60)


def test_a_worker_killed_in_a_batch_and_restarted_leaves_each_reminder_sent_once(
    crew, tree, categories, workers
):
    n = 120
    batch = int(workers.env["DEADLINE_SCAN_BATCH"])
    _overdue_cases(tree, categories, n)

    # Stop the scan half-way through its second batch (its cases locked, its insert waiting),
    # then kill the workers there: a reminder for that batch's first case, inserted here and not
    # committed, holds the worker's insert on the unique constraint. (Waiting for a first batch
    # and then locking the reminder table let the worker write every batch in between on a
    # loaded machine, and the table lock also stopped the notification tasks.)
    held = Case.objects.order_by("due_at", "pk")[batch]
    with transaction.atomic():
        Reminder.objects.create(
            case=held,
            stage=held.stage,
            entry=held.stage_entry,
            kind=Reminder.Kind.OVERDUE,
            tier=1,
            holder=held.holder,
            department_id=held.department_id,
            due_at=held.due_at,
        )
        _scan(workers)

        def worker_blocked() -> bool:
            with connection.cursor() as cursor:
                # Inside a transaction PostgreSQL answers pg_stat_activity from a snapshot
                # taken at the first read: take a fresh one each time.
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock' "
                    "AND pid <> pg_backend_pid()"
                )
                return cursor.fetchone()[0] > 0

        _wait_for(worker_blocked, timeout=WAIT, what="the worker to block", workers=workers)
        workers.kill("w1")
        workers.kill("w2")
        transaction.set_rollback(True)  # the held reminder goes; the scan will write it
    # The first batch, committed; the second died with its worker.
    assert Reminder.objects.count() == batch
    assert not Reminder.objects.filter(case=held).exists()

    workers.start("w1")
    # Beat would run the scan again within 30 s; here the test does.
    _scan(workers)
    _wait_for(_all_told(n), timeout=WAIT, what="every reminder told", workers=workers)
    _wait_past_renotify(workers)
    _scan(workers)
    _wait_until_drained(workers)

    _assert_told_exactly_once(crew, n)
