"""The production stack on loopback: gunicorn (deploy/gunicorn.conf.py) with DEBUG off and
collected static files, a Celery worker and beat, against the suite's PostgreSQL and a Redis
server of the test's own — which the test stops and starts again.

A case is filed, dispatched and closed over HTTP with API tokens, and the 12345 platform's
webhook receiver hears every event through the worker. Then Redis goes away: filing still
answers 201 and the case is saved; once Redis is back, beat's outbox sweep sends the event that
could not be enqueued. What this does not cover is in deploy/README.md ("What is tested").
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from PIL import Image

from governance.models import WebhookDelivery, WebhookEndpoint
from governance.tokens import token_issue
from tests.conftest import REQUIRE_SERVICES
from tests.receiver import Receiver

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what} after {timeout:.0f} s")


def _database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class RedisServer:
    """A redis-server process of the test's own, on a free port, that can be stopped and started."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = _free_port()
        self.tmp_path = tmp_path
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.tmp_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(self._answers, timeout=20, what="redis-server to answer")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None


class Stack:
    """gunicorn, a worker and beat, started as systemd would, with the environment of deploy/."""

    def __init__(self, tmp_path: Path, redis: RedisServer) -> None:
        self.tmp_path = tmp_path
        self.port = _free_port()
        self.procs: dict[str, subprocess.Popen] = {}
        queue = f"test-stack-{uuid.uuid4().hex[:12]}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))},
            "DJANGO_SETTINGS_MODULE": "governance.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOW_DEV_SECRET_KEY": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": f"{redis.url}/0",
            "REDIS_URL": f"{redis.url}/1",
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "VAR_DIR": str(tmp_path / "var"),
            "STATIC_ROOT": str(tmp_path / "static"),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": "2",
            # The outbox sweeps run every second here (minutes in production).
            "WEBHOOK_SWEEP_SECONDS": "1",
            "WEBHOOK_STALE_SECONDS": "1",
            "WEBHOOK_RETRY_BASE_SECONDS": "1",
            "NOTIFY_SWEEP_SECONDS": "1",
            "NOTIFY_STALE_SECONDS": "1",
            "LOG_LEVEL": "WARNING",
        }

    def manage(self, *args: str) -> None:
        subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=ROOT, env=self.env, check=True, capture_output=True, timeout=300,
        )  # fmt: skip

    def start(self, name: str, *argv: str) -> None:
        log = open(self.tmp_path / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        self.procs[name] = subprocess.Popen(
            list(argv), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()

    def up(self) -> None:
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.start("web", str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py")
        queue = self.env["CELERY_TASK_DEFAULT_QUEUE"]
        self.start(
            "worker", str(BIN / "celery"), "-A", "governance", "worker", "-Q", queue,
            "-n", f"{queue}@%h", "--concurrency=2", "--without-gossip", "--without-mingle",
            "--loglevel=WARNING",
        )  # fmt: skip
        self.start(
            "beat", str(BIN / "celery"), "-A", "governance", "beat", "--loglevel=WARNING",
            "--schedule", str(self.tmp_path / "beat-schedule"),
        )  # fmt: skip
        _wait(lambda: self.get("/health/")[0] == 200, timeout=60, what="the portal's /health/")

    def down(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.tmp_path.glob("*.log"))
        )

    # -- HTTP ---------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, token: str = "", body=None, content_type=""):
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=body, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (urllib.error.URLError, ConnectionError):
            return 0, b""

    def get(self, path: str, token: str = ""):
        return self.request("GET", path, token=token)

    def post_json(self, path: str, data: dict, token: str):
        status, body = self.request(
            "POST", path, token=token, body=json.dumps(data).encode(),
            content_type="application/json",
        )  # fmt: skip
        return status, json.loads(body or b"null")

    def post_multipart(self, path: str, fields: dict, photo: bytes, token: str):
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="scene.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n".encode()
            + photo
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        status, body = self.request(
            "POST", path, token=token, body=b"".join(parts),
            content_type=f"multipart/form-data; boundary={boundary}",
        )  # fmt: skip
        return status, json.loads(body or b"null")


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def redis_server(tmp_path):
    if not shutil.which("redis-server"):
        reason = "this test starts its own redis-server (apt-get install redis-server)"
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stack(tmp_path, redis_server):
    stack = Stack(tmp_path, redis_server)
    try:
        stack.up()
        yield stack
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.down()


def _token(user) -> str:
    return token_issue(user=user, name="stack test")[1]


def test_a_case_goes_round_the_production_stack_and_survives_a_broker_outage(
    stack, redis_server, crew, tree, categories
):
    status, _ = stack.get("/static/css/portal.css")
    assert status == 200  # collected static files, served with DEBUG off
    tokens = {
        name: _token(getattr(crew, name))
        for name in ("worker_a", "dispatcher_a", "handler_a", "street_admin")
    }
    with Receiver([200]) as receiver:
        WebhookEndpoint.objects.create(
            name="12345 平台",
            url=receiver.url,
            owner=tree.street,
            events=["case.filed", "case.step"],
        )
        fields = {
            "title": "小区门口垃圾堆放",
            "category": categories.garbage.pk,
            "area": tree.building_a1.pk,
            "source": "patrol",
            "address": "青松里1号楼东门",
        }
        status, case = stack.post_multipart("/api/v1/cases/", fields, _jpeg(), tokens["worker_a"])
        assert status == 201, case
        url = f"/api/v1/cases/{case['id']}/transitions/"
        for who, step, extra in (
            ("dispatcher_a", "accept", {}),
            ("dispatcher_a", "dispatch", {}),
            ("handler_a", "acknowledge", {}),
        ):
            status, body = stack.post_json(url, {"step": step, **extra}, tokens[who])
            assert status == 200, (step, body)
        status, body = stack.post_multipart(
            url, {"step": "complete", "result": "已清运"}, _jpeg(), tokens["handler_a"]
        )
        assert status == 200, body
        status, body = stack.post_json(url, {"step": "verify_pass"}, tokens["worker_a"])
        assert (status, body["status"]) == (200, "closed"), body

        # Every event reached the platform through the worker, in order.
        received = receiver.wait_for(6, timeout=60)
        events = [json.loads(r.body)["event"] for r in received]
        assert events == ["case.filed"] + ["case.step"] * 5

        # Redis goes away: filing still works, the event waits in the outbox.
        redis_server.stop()
        status, health = stack.get("/health/")
        assert status == 503, health
        status, second = stack.post_multipart(
            "/api/v1/cases/", {**fields, "title": "楼道堆物"}, _jpeg(), tokens["worker_a"]
        )
        assert status == 201, second
        waiting = WebhookDelivery.objects.get(payload__data__case__id=second["id"])
        assert waiting.status == WebhookDelivery.Status.PENDING

        # Redis is back (empty, as after a crash): beat's sweep sends what was waiting.
        redis_server.start()
        # The worker reconnects with a growing pause (2, 4, 6 … s): allow for a loaded machine.
        received = receiver.wait_for(7, timeout=180)
        assert json.loads(received[-1].body)["data"]["case"]["id"] == second["id"]
    waiting.refresh_from_db()
    assert waiting.status == WebhookDelivery.Status.SENT
    assert WebhookDelivery.objects.filter(payload__data__case__id=second["id"]).count() == 1
