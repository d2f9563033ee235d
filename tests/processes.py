"""Processes of the production stack on loopback, for the tests that start it and for
``make bench``: a PostgreSQL cluster and a redis-server of the caller's own, which can be stopped
and started, and gunicorn with a Celery worker and beat run as systemd would run them (the
environment of deploy/). Nothing here imports Django: the benchmark uses it before setting up.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


# Python for ``manage.py shell -c`` against a portal's empty database: a street with a
# community and a grid, a category with its limits, and ``user``, a grid worker of ``grid``.
SEED_STREET = """
from casework.models import Category, TimeLimit
from governance.models import Role, RoleAssignment, User
from grids.models import Area, AreaKind
street = Area.objects.create(kind=AreaKind.STREET, name="青松街道", code="110101001")
community = Area.objects.create(
    kind=AreaKind.COMMUNITY, name="青松社区", code="110101001001", parent=street)
grid = Area.objects.create(
    kind=AreaKind.GRID, name="第一网格", code="11010100100101", parent=community)
category = Category.objects.create(code="01", name="市容环境")
TimeLimit.objects.create(category=category, priority="normal", accept_hours=2,
    dispatch_hours=2, acknowledge_hours=2, handle_hours=40)
user = User.objects.create_user(username="worker", password="x-Pass-2026-x", full_name="网格员")
RoleAssignment.objects.create(user=user, role=Role.GRID_WORKER, area=grid)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what} after {timeout:.0f} s")


class RedisServer:
    """A redis-server process of the test's own, on a free port, that can be stopped and started.

    It starts empty each time, as after a crash, unless ``keep_data``: then it saves its data
    when it is stopped and reads it back when it starts, as a Redis restarted by its operator
    does (the unacknowledged messages of a broker outage are still there). With ``tls`` it
    speaks TLS only (``rediss://``), as a managed Redis does, with a certificate for 127.0.0.1
    signed by a certificate authority of its own (``ca_file``), made by ``openssl``."""

    def __init__(self, tmp_path: Path, *, keep_data: bool = False, tls: bool = False) -> None:
        self.port = free_port()
        self.tmp_path = tmp_path
        self.keep_data = keep_data
        self.tls = tls
        self.ca_file = make_certificates(tmp_path / "tls") if tls else None
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"{'rediss' if self.tls else 'redis'}://127.0.0.1:{self.port}"

    @property
    def client_options(self) -> dict:
        """What a redis-py client needs besides the URL."""
        return {"ssl_ca_certs": str(self.ca_file)} if self.tls else {}

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as raw:
                sock = raw
                if self.tls:
                    context = ssl.create_default_context(cafile=str(self.ca_file))
                    sock = context.wrap_socket(raw, server_hostname="127.0.0.1")
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        # A save point makes redis-server write its snapshot when it is stopped (SIGTERM).
        save = "3600 1" if self.keep_data else ""
        listen = ["--port", str(self.port)]
        if self.tls:
            folder = self.ca_file.parent
            listen = [
                "--port", "0", "--tls-port", str(self.port),
                "--tls-cert-file", str(folder / "server.pem"),
                "--tls-key-file", str(folder / "server.key"),
                "--tls-ca-cert-file", str(self.ca_file), "--tls-auth-clients", "no",
            ]  # fmt: skip
        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), *listen, "--bind", "127.0.0.1",
             "--save", save, "--appendonly", "no", "--dir", str(self.tmp_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self._answers, timeout=60, what="redis-server to answer")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None


def make_certificates(folder: Path) -> Path:
    """A certificate authority (``ca.pem``, returned) and a server certificate it signed for
    127.0.0.1 (``server.pem``, ``server.key``) in ``folder``, by ``openssl``."""
    folder.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "2", "-subj", "/CN=Test CA of the portal")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
            "server.csr", "-subj", "/CN=127.0.0.1")  # fmt: skip
    (folder / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.cnf")  # fmt: skip
    return folder / "ca.pem"


def pgbouncer_binary() -> str | None:
    """Debian's pgbouncer (in /usr/sbin, often not on a user's PATH), None when not installed."""
    return shutil.which("pgbouncer") or shutil.which("/usr/sbin/pgbouncer")


class PgBouncer:
    """A pgbouncer (Debian's) of the caller's own in front of a PostgreSQL server, in transaction
    mode, as deploy/README.md puts it before one PostgreSQL for several web and worker machines.

    ``pool_size`` server sessions are opened before :meth:`start` returns (pgbouncer opens its
    pool only once a client came: one is held open meanwhile), so that ``round_robin`` (each
    transaction to the next session: one client's transactions land on different sessions, as
    under load) has them all to hand out. As root it runs as postgres (it refuses root), its
    files in a folder that user reads."""

    def __init__(self, target_url: str, *, pool_size: int = 3, round_robin: bool = False) -> None:
        self.binary = pgbouncer_binary()
        target = urlsplit(target_url)
        self.host = target.hostname or "127.0.0.1"
        self.target_port = target.port or 5432
        self.user = target.username or "postgres"
        self.database = target.path.lstrip("/")
        self.port = free_port()
        self.pool_size = pool_size
        self.round_robin = round_robin
        self.folder: Path | None = None
        self.proc: subprocess.Popen | None = None
        self._held: list = []

    def url(self, database: str | None = None) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{database or self.database}"

    def start(self) -> None:
        import psycopg

        if self.binary is None:
            raise RuntimeError("pgbouncer is not installed (apt-get install pgbouncer)")
        self.folder = Path(tempfile.mkdtemp(prefix="gg-pgbouncer-"))
        self.folder.chmod(0o755)
        (self.folder / "users.txt").write_text(f'"{self.user}" ""\n')
        (self.folder / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={self.host} port={self.target_port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.folder / 'users.txt'}\n"
            f"admin_users = {self.user}\npool_mode = transaction\n"
            f"server_round_robin = {int(self.round_robin)}\n"
            f"default_pool_size = {self.pool_size}\nmin_pool_size = {self.pool_size}\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
        )
        for name in ("users.txt", "pgbouncer.ini"):
            (self.folder / name).chmod(0o644)
        as_postgres = ["-u", "postgres"] if os.geteuid() == 0 else []
        log = open(self.folder / "pgbouncer.log", "wb")  # noqa: SIM115 (closed with the process)
        self.proc = subprocess.Popen(
            [self.binary, *as_postgres, str(self.folder / "pgbouncer.ini")], stdout=log, stderr=log
        )
        log.close()

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError((self.folder / "pgbouncer.log").read_text())
            try:
                if not self._held:
                    self._held.append(
                        psycopg.connect(self.url(), autocommit=True, connect_timeout=2)
                    )
                    self._held[0].execute("SELECT 1")
                with psycopg.connect(
                    self.url("pgbouncer"), autocommit=True, connect_timeout=2
                ) as admin:
                    return len(admin.execute("SHOW SERVERS").fetchall()) >= self.pool_size
            except psycopg.Error:
                return False

        wait_for(ready, timeout=30, what=f"pgbouncer and its {self.pool_size} server sessions")

    def transactions(self) -> int:
        """The transactions it has passed to the server for its database (``SHOW STATS``)."""
        import psycopg

        with psycopg.connect(self.url("pgbouncer"), autocommit=True, connect_timeout=5) as admin:
            cursor = admin.execute("SHOW STATS")
            names = [column.name for column in cursor.description]
            return sum(
                row[names.index("total_xact_count")]
                for row in cursor.fetchall()
                if row[names.index("database")] == self.database
            )

    def stop(self) -> None:
        """Stop it (its server sessions close with it) and remove its folder."""
        for conn in self._held:
            conn.close()
        self._held.clear()
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def suite_database_url(database: str | None = None) -> str:
    """The URL of the database the suite's Django connection uses (the test database once
    pytest-django has set it up), for a subprocess or a dump to reach it; with ``database``,
    of that database on the same server as the same user."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    name = quote(database or s["NAME"], safe="")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


class PostgresServer:
    """A PostgreSQL cluster of the caller's own (initdb + pg_ctl, on a free port, trust auth on
    loopback only), which can be stopped and started under a running portal. As root, the
    server runs as the ``postgres`` user (PostgreSQL refuses root) in a directory it owns.

    By default it trades durability for speed (no fsync, asynchronous commit): the tests and the
    list benchmarks measure reads. ``durable=True`` runs it as production does (fsync, a commit
    answered only once its WAL is flushed) with deploy/postgresql's group commit: the filing
    benchmark measures writes, and a case answered 201 must survive a crash."""

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable
        found = sorted(
            Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if Path(p, "initdb").exists()
        )
        if not found:
            raise FileNotFoundError("initdb (apt-get install postgresql)")
        self.bin = found[-1]
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="gg-pg-"))
        self.data = self.dir / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    def url(self, name: str = "portal") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *argv: str, timeout: float = 120) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        subprocess.run(
            [*prefix, *argv], check=True, capture_output=True, timeout=timeout, cwd=self.dir
        )

    def init(self, *, database: str = "portal") -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        self.start()
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')

    def copy_schema(self, source_url: str, *, database: str = "portal") -> None:
        """Give ``database`` the tables, indexes, functions and recorded migrations of the
        migrated database at ``source_url`` (the suite's own): ``pg_dump`` of its schema and of
        ``django_migrations``, read by ``psql``. Seconds, where ``migrate`` takes most of a
        minute of CPU; the migrations themselves are tested on the suite's database."""
        dumps = [
            [str(self.bin / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges"],
            [str(self.bin / "pg_dump"), "--data-only", "--table=django_migrations"],
        ]
        script = b"".join(
            subprocess.run([*argv, source_url], check=True, capture_output=True, timeout=120).stdout
            for argv in dumps
        )
        subprocess.run(
            [str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", self.url(database)],
            input=script, check=True, capture_output=True, timeout=120,
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} "
        if self.durable:
            options += "-c synchronous_commit=on -c commit_delay=200 -c commit_siblings=5"
        else:
            options += "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.dir / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class Stack:
    """gunicorn, a worker and beat, started as systemd would, with the environment of deploy/."""

    def __init__(self, tmp_path: Path, redis: RedisServer, database_url: str) -> None:
        self.tmp_path = tmp_path
        self.port = free_port()
        self.procs: dict[str, subprocess.Popen] = {}
        self.restarts: list[str] = []
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        queue = f"test-stack-{uuid.uuid4().hex[:12]}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))},
            "DJANGO_SETTINGS_MODULE": "governance.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOW_DEV_SECRET_KEY": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": f"{redis.url}/0",
            "REDIS_URL": f"{redis.url}/1",
            **({"REDIS_TLS_CA_FILE": str(redis.ca_file)} if redis.tls else {}),
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

    def manage(self, *args: str, timeout: float = 300) -> str:
        """Run a management command with the stack's environment; returns what it printed."""
        done = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=ROOT, env=self.env, capture_output=True, timeout=timeout, text=True,
        )  # fmt: skip
        if done.returncode:
            raise AssertionError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self, name: str, *argv: str) -> None:
        log = open(self.tmp_path / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        self.procs[name] = subprocess.Popen(
            list(argv), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()

    def up(self, *, workers: bool = True) -> None:
        """Collect the static files and start gunicorn, then (``workers``) a worker and beat."""
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.start("web", str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py")
        if workers:
            self.start_workers()
        # gunicorn imports the portal in each worker: a minute and more on a loaded CI machine.
        wait_for(lambda: self.get("/health/")[0] == 200, timeout=180, what="the portal's /health/")

    def start_workers(self) -> None:
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
        self._supervise("worker", "beat")

    def _supervise(self, *names: str) -> None:
        """As systemd's ``Restart=always`` with ``RestartSec=2`` (deploy/systemd): a worker or
        beat that ends is started again two seconds later. Each restart is in ``restarts`` and
        in supervisor.log.

        It is a safety net, as in production: a broker outage no longer ends the worker. kombu
        5.7's worker did end (``AttributeError: 'NoneType' object has no attribute 'hostname'``
        while a channel whose connection was gone restored its unacknowledged messages) when a
        task was in flight; the portal's Redis transport (governance/broker.py) keeps that
        channel's connection parameters, and tests/governance/test_broker_outage.py asserts
        that ``restarts`` stays empty through a Redis stop and start."""
        argv = {name: list(self.procs[name].args) for name in names}

        def run() -> None:
            while not self._stopping.wait(0.5):
                for name in names:
                    if self.procs[name].poll() is None or self._stopping.wait(2):
                        continue
                    if self._stopping.is_set():
                        return
                    code = self.procs[name].returncode
                    with open(self.tmp_path / "supervisor.log", "a") as log:
                        log.write(f"{name} ended (exit code {code}); started again\n")
                    self.restarts.append(name)
                    self.start(name, *argv[name])

        self._supervisor = threading.Thread(target=run, daemon=True)
        self._supervisor.start()

    def down(self) -> None:
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout=30)
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
    def request(
        self, method: str, path: str, *, token: str = "", body=None, content_type="", headers=None
    ):
        headers = {"Accept": "application/json", **(headers or {})}
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
