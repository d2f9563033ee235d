"""`make run`'s runner: web, worker and beat start together and one interrupt stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what} after {timeout} s")


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_one_interrupt_stops_web_worker_and_beat_with_one_message(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(DEBUG="1", VAR_DIR=str(tmp_path / "var"), REDIS_URL="", CACHE_URL="")
    port = _free_port()
    runner = subprocess.Popen(
        [sys.executable, "manage.py", "runportal", "--port", str(port), "--concurrency", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Three Django processes start side by side (runserver's twice, with its autoreloader):
        # on a loaded CI machine that took 45 s of the minute this waited.
        _wait_for(lambda: _healthy(port), timeout=180, what="the portal's health page")
        children = subprocess.run(
            ["pgrep", "-P", str(runner.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(children) == 3
        runner.send_signal(signal.SIGINT)
        output, _ = runner.communicate(timeout=120)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == 0, output
    assert output.rstrip().endswith("Stopped web, worker and beat.")
    assert "Traceback" not in output
    assert "No hostname was supplied" not in output
    _wait_for(
        lambda: not any(_alive(int(pid)) for pid in children), timeout=60, what="children to end"
    )
