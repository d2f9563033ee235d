"""The load generator of ``make bench``: a process of its own, driving the portal over HTTP.

    python bench/load.py < plan.json > results.json

The plan: ``{"base": "http://127.0.0.1:PORT", "threads": 4, "seconds": 5, "requests": [{"label",
"method", "path", "headers", "body"}]}``. Each request is run in turn by ``threads`` threads for
``seconds`` seconds (after one unmeasured request per thread), each thread with its own ``http.client``
connection (kept alive while the server keeps it). Prints, per label, the number of requests,
the non-2xx answers, the throughput and the 50th, 95th and 99th percentiles of the latency (ms).
With ``"cpu": {"web": [PID], "db": [PID or "postgres:NAME"], ...}`` in the plan (bench/cputime.py's
groups), each row also gives the seconds of CPU each group, and this process (``load``), used
between the opening of its measured window and the end of its last request.
Only the standard library: nothing of the portal is imported here.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cputime


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


class Client:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.conn: http.client.HTTPConnection | None = None

    def send(self, method: str, path: str, headers: dict, body: bytes | None) -> int:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status
            except (http.client.HTTPException, ConnectionError):
                # The server closed a kept-alive connection: reconnect once.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        return 0


def run_one(
    base: str, request: dict, *, threads: int, seconds: float, cpu: dict | None = None
) -> dict:
    parts = urlsplit(base)
    body = request.get("body")
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Accept": "application/json", **request.get("headers", {})}
    if data is not None:
        headers["Content-Type"] = "application/json"
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    # Each thread sends one request unmeasured (a connection, the worker's first rendering of
    # a template), then all start measuring together and each measures at least one.
    # The window is set by the barrier's action, before any thread passes it: set after the
    # wait, a thread that finished its first request before the main thread ran again found
    # no end and died (a row of 0 requests on a loaded machine).
    window: dict = {}

    def open_window() -> None:
        # The other processes are read first and this one's own time last, so that reading
        # /proc is not counted as the load generator's work (and the reverse at the end).
        if cpu is not None:
            window["cpu"] = cputime.snapshot(cpu)
            window["own"] = time.process_time()
        window["start"] = time.monotonic()
        window["end"] = window["start"] + seconds

    ready = threading.Barrier(threads + 1, action=open_window)

    def call(client: Client) -> int:
        try:
            return client.send(request.get("method", "GET"), request["path"], headers, data)
        except OSError:
            return 0

    def work() -> None:
        client = Client(parts.hostname, parts.port)
        call(client)
        ready.wait()
        mine, bad = [], []
        while not mine or time.monotonic() < window["end"]:
            began = time.monotonic()
            status = call(client)
            mine.append(time.monotonic() - began)
            if not 200 <= status < 300:
                bad.append(status)
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    ready.wait()
    for thread in pool:
        thread.join()
    elapsed = max(time.monotonic() - window["start"], 1e-9)
    used = None
    if cpu is not None:
        own = time.process_time() - window["own"]
        used = {**cputime.spent(window["cpu"], cputime.snapshot(cpu)), "load": own}
    return {
        "label": request["label"],
        "requests": len(latencies),
        "failed": len(failures),
        "statuses": sorted(set(failures)),
        "per_second": len(latencies) / elapsed,
        "p50": 1000 * percentile(latencies, 0.50),
        "p95": 1000 * percentile(latencies, 0.95),
        "p99": 1000 * percentile(latencies, 0.99),
        "elapsed": elapsed,
        "cpu": used,
    }


def main() -> int:
    plan = json.load(sys.stdin)
    results = [
        run_one(
            plan["base"],
            request,
            threads=plan["threads"],
            seconds=plan["seconds"],
            cpu=plan.get("cpu"),
        )
        for request in plan["requests"]
    ]
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
