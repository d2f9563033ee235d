"""The portal's Celery app with one task more, for tests/governance/test_broker_outage.py: a
worker started with ``-A tests.broker_outage_app`` runs with the portal's settings (the broker
transport, late acknowledgement, a prefetch of one) and can hold a task in flight while the test
stops and starts Redis under it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from governance.celery import app

__all__ = ["app", "hold"]


@app.task(name="tests.broker_outage.hold", bind=True)
def hold(self, directory: str, tag: str) -> None:
    """Record a run in ``<tag>.runs``, then wait until the test creates ``<tag>.release``."""
    folder = Path(directory)
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    with open(folder / f"{tag}.runs", "a") as runs:
        runs.write(f"{os.getpid()} redelivered={redelivered}\n")
    deadline = time.monotonic() + 600
    while not (folder / f"{tag}.release").exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{tag} was never released")
        time.sleep(0.05)
    with open(folder / f"{tag}.done", "a") as done:
        done.write(f"{os.getpid()}\n")
