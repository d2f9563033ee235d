"""Run the web server, a Celery worker and Celery beat together, for a development machine.

One Ctrl-C stops all three and the command ends with one line. On a terminal the command becomes
the foreground process group, so that the keyboard's interrupt reaches it alone and not ``make``
(which would otherwise report the interrupt as a failed recipe); it then stops its children.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandError

STOP_GRACE_SECONDS = 10


class Command(BaseCommand):
    help = "Start web (runserver), a Celery worker and Celery beat; Ctrl-C stops all three."

    def add_arguments(self, parser):
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("PORT") or 8000),
            help="Port of the web server (default: $PORT or 8000).",
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--concurrency", type=int, default=2, help="Worker processes.")

    def handle(self, *args, **options):
        port = options["port"]
        if not 0 < port < 65536:
            raise CommandError(f"--port {port} is not a port number.")
        bindir = os.path.dirname(sys.executable)
        celery = os.path.join(bindir, "celery")
        commands = {
            "worker": [
                celery, "-A", "governance", "worker", "--loglevel=INFO",
                f"--concurrency={options['concurrency']}",
            ],
            "beat": [celery, "-A", "governance", "beat", "--loglevel=INFO"],
            "web": [sys.executable, "manage.py", "runserver", f"{options['host']}:{port}"],
        }  # fmt: skip
        restore = _take_foreground()
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        # Each child leads a process group of its own, so that stopping it stops what it started
        # (runserver's autoreloader runs the server in a second process).
        children = {name: subprocess.Popen(cmd, process_group=0) for name, cmd in commands.items()}
        self.stdout.write(
            f"Portal: http://{options['host']}:{port}/  (Ctrl-C stops web, worker and beat)"
        )
        failed = None
        try:
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        failed = name
                        stopping = True
                        break
                time.sleep(0.2)
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            _stop_all(children)
            restore()
        if failed:
            raise CommandError(
                f"The {failed} process ended (exit code {children[failed].returncode})."
            )
        self.stdout.write("Stopped web, worker and beat.")


def _stop_all(children: dict[str, subprocess.Popen]) -> None:
    """Ask every child to stop (a warm shutdown for the worker, which stops its own pool), then
    insist. The web server's whole group is told: its autoreloader does not pass the signal on."""
    for name, child in children.items():
        with contextlib.suppress(ProcessLookupError):
            if name == "web":
                os.killpg(child.pid, signal.SIGTERM)
            else:
                child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def _take_foreground():
    """Become the terminal's foreground process group (no-op without a terminal); return the
    function that hands the terminal back."""
    try:
        tty = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        return lambda: None
    try:
        previous = os.tcgetpgrp(tty)
        os.setpgid(0, 0)
        _set_foreground(tty, os.getpgrp())
    except OSError:
        os.close(tty)
        return lambda: None

    def restore() -> None:
        with contextlib.suppress(OSError):
            _set_foreground(tty, previous)
        os.close(tty)

    return restore


def _set_foreground(tty: int, pgrp: int) -> None:
    # A background group that changes the foreground is sent SIGTTOU; ignore it for the call.
    old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        os.tcsetpgrp(tty, pgrp)
    finally:
        signal.signal(signal.SIGTTOU, old)
