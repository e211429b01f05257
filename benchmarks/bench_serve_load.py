"""The studio under load: a bounded queue, rejections with Retry-After, flat memory. Loopback only.

``midistyle serve`` is started as a user starts it (defaults: 1 job at a time, at most 32 queued or
running, 8 per client address) on a free port of 127.0.0.1. Every request goes to that port only,
from client addresses in 127.0.0.0/8 (each client binds its own, 127.0.0.2, 127.0.0.3, …, so that
the per-client limit sees them as different users). Bounded in count and time. Three phases:

- **burst**: one client posts 200 harmonize requests as fast as it can, without waiting;
  counted: accepted (202), refused (429, 503), anything else;
- **flood**: 40 clients post at once, then wait for their jobs (the queue is 32);
- **soak**: 8 clients, each harmonizing one tune after another (the embedded Ode to Joy), honouring
  Retry-After when refused, for a fixed time; latency p50/p95 of finished jobs.

The server's resident memory (VmRSS) is sampled every second: at the start of the soak, its peak,
and at the end, to see that it stays flat. A 500 or a server that stops answering fails the run.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

BURST_REQUESTS = 200
FLOOD_CLIENTS = 40
SOAK_CLIENTS = 8
SOAK_SECONDS, SOAK_SECONDS_QUICK = 120, 20
TIME_LIMIT_SECONDS = 900
BOUNDARY = "midistyle-load-boundary"


def _request(port: int, client: int, method: str, path: str, body: bytes | None = None) -> tuple[int, dict, dict]:
    """(status, JSON body, headers) of one request from 127.0.0.<client> to 127.0.0.1:<port>."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60,
                                            source_address=(f"127.0.0.{client}", 0))
    try:
        headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"} if body is not None else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}"), dict(response.getheaders())
    finally:
        connection.close()


def _form(fields: dict) -> bytes:
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _wait_for(port: int, client: int, job: dict, deadline: float) -> dict:
    while job["status"] in ("queued", "running") and time.time() < deadline:
        time.sleep(0.1)
        status, job, _ = _request(port, client, "GET", job["job"])
        if status != 200:
            raise RuntimeError(f"polling answered {status}: {job}")
    return job


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(quick: bool = False) -> list[dict]:
    import numpy as np

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "midistyle.cli", "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + TIME_LIMIT_SECONDS
    body = _form({"samples": "1"})
    rows = []
    try:
        while time.time() < deadline:
            try:
                status, health, _ = _request(port, 2, "GET", "/api/health")
                if status == 200 and health["models_loaded"]:
                    break
            except OSError:
                pass
            if server.poll() is not None:
                raise RuntimeError("the studio exited")
            time.sleep(0.3)

        # burst: one client, as fast as it can
        counts: dict[int, int] = {}
        accepted = []
        for _ in range(BURST_REQUESTS if not quick else 60):
            status, job, headers = _request(port, 2, "POST", "/api/harmonize", body)
            counts[status] = counts.get(status, 0) + 1
            if status == 202:
                accepted.append(job)
            elif status in (429, 503):
                if "retry-after" not in {k.lower() for k in headers} or job.get("retry_after", 0) < 1:
                    raise RuntimeError(f"a refusal without Retry-After: {status} {headers} {job}")
        for job in accepted:
            _wait_for(port, 2, job, deadline)
        rows.append({"phase": "burst", "clients": 1, "requests": sum(counts.values()),
                     "accepted": counts.get(202, 0), "429": counts.get(429, 0), "503": counts.get(503, 0),
                     "other": sum(v for k, v in counts.items() if k not in (202, 429, 503))})

        # flood: many clients at once, each waits for its job
        results: list[int] = []

        def flood_client(number: int) -> None:
            status, job, _ = _request(port, 10 + number, "POST", "/api/harmonize", body)
            results.append(status)
            if status == 202:
                _wait_for(port, 10 + number, job, deadline)

        threads = [threading.Thread(target=flood_client, args=(n,)) for n in range(FLOOD_CLIENTS if not quick else 12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rows.append({"phase": "flood", "clients": len(threads), "requests": len(results),
                     "accepted": results.count(202), "429": results.count(429), "503": results.count(503),
                     "other": sum(s not in (202, 429, 503) for s in results)})

        # soak: steady clients for a fixed time, memory sampled
        soak_seconds = SOAK_SECONDS_QUICK if quick else SOAK_SECONDS
        latencies: list[float] = []
        statuses: list[int] = []
        memory = [_rss_mb(server.pid)]
        stop = time.time() + soak_seconds

        def soak_client(number: int) -> None:
            while time.time() < stop:
                started = time.perf_counter()
                status, job, headers = _request(port, 100 + number, "POST", "/api/harmonize", body)
                statuses.append(status)
                if status in (429, 503):
                    time.sleep(min(float(headers.get("Retry-After", 1)), max(stop - time.time(), 0)))
                    continue
                if status != 202:
                    continue
                job = _wait_for(port, 100 + number, job, deadline)
                if job["status"] == "done":
                    latencies.append(time.perf_counter() - started)

        threads = [threading.Thread(target=soak_client, args=(n,)) for n in range(SOAK_CLIENTS)]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            memory.append(_rss_mb(server.pid))
            time.sleep(1.0)
        memory.append(_rss_mb(server.pid))
        rows.append({"phase": f"soak {soak_seconds} s", "clients": SOAK_CLIENTS, "requests": len(statuses),
                     "accepted": statuses.count(202), "429": statuses.count(429), "503": statuses.count(503),
                     "other": sum(s not in (202, 429, 503) for s in statuses), "jobs done": len(latencies),
                     "p50 s": round(float(np.percentile(latencies, 50)), 2) if latencies else None,
                     "p95 s": round(float(np.percentile(latencies, 95)), 2) if latencies else None,
                     "RSS start MB": round(memory[0]), "RSS peak MB": round(max(memory)),
                     "RSS end MB": round(memory[-1])})
        status, health, _ = _request(port, 2, "GET", "/api/health")
        if status != 200 or server.poll() is not None:
            raise RuntimeError("the studio did not survive the load")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows
