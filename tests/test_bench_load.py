"""``bench/load.py``, the load generator of ``make bench``, against a small HTTP server of the
test's own: every thread measures at least one request and every answer is counted."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.test_bench import _load


def _load_module():
    return _load("load")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        status = 404 if self.path == "/missing" else 200
        body = b"{}"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("seconds", [0, 0.05])
def test_every_thread_measures_at_least_one_request(server, seconds):
    # With no window at all each of the four threads still measures one request; a thread that
    # died (the window's end read before it was set) would leave fewer.
    row = _load_module().run_one(server, {"label": "ok", "path": "/"}, threads=4, seconds=seconds)
    assert row["label"] == "ok"
    assert row["requests"] >= 4
    assert row["failed"] == 0
    assert row["per_second"] > 0
    assert row["p50"] <= row["p95"] <= row["p99"]


def test_answers_outside_2xx_are_counted_with_their_status(server):
    row = _load_module().run_one(
        server, {"label": "missing", "path": "/missing"}, threads=2, seconds=0
    )
    assert row["requests"] >= 2
    assert row["failed"] == row["requests"]
    assert row["statuses"] == [404]


def test_cpu_of_a_process_tree_counts_the_children_that_ended():
    """bench/cputime.py: a child that burned CPU and was waited for is counted in its parent's
    tree (a recycled gunicorn worker, a closed PostgreSQL backend); a group whose process is
    gone, or whose database has no backend here, is reported as unknown, not as zero."""
    import os
    import subprocess
    import sys

    cputime = _load("cputime")
    groups = {
        "mine": [os.getpid()],
        "gone": [2**22 + 1],  # above the kernel's largest process id
        "db": ["postgres:no_such_database_here"],
    }
    before = cputime.snapshot(groups)
    subprocess.run(
        [sys.executable, "-c", "import time\nend = time.process_time() + 0.3\n"
         "while time.process_time() < end: pass"],
        check=True,
    )  # fmt: skip
    spent = cputime.spent(before, cputime.snapshot(groups))
    assert spent["mine"] >= 0.25
    assert spent["gone"] is None
    assert spent["db"] is None
