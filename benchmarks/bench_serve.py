"""The web studio as a user meets it: cold start, warm latency, memory. Loopback only, bounded.

``midistyle serve`` is started as a user starts it, on a free port of 127.0.0.1. Measured:

- cold start: until ``/api/health`` answers, and until the models are loaded (the server warms
  them up in the background);
- warm latency of a harmonization as the page does it: POST ``/api/harmonize`` with the embedded
  16-bar melody (Ode to Joy), then poll the job every 20 ms until it is done; the job harmonizes,
  writes MIDI and MusicXML, engraves the SVG and renders the WAV (organ, 44.1 kHz; the rendering runs
  on a second thread meanwhile). 20 requests one after another: p50 and p95; the same for an
  uploaded folk tune; and the piano roll, which is drawn when the page first asks for it;
- the server process's peak resident memory (VmHWM) after all of it.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REQUESTS = 20
TIME_LIMIT_SECONDS = 600


def _post(url: str, fields: dict, upload: Path | None = None) -> dict:
    boundary = "midistyle-bench-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    if upload is not None:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{upload.name}"\r\n'
                     "Content-Type: application/octet-stream\r\n\r\n".encode() + upload.read_bytes() + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.load(response)


def _harmonize(base: str, upload: Path | None) -> tuple[float, float]:
    """Seconds until the job is done, and then until its piano roll is fetched."""
    started = time.perf_counter()
    job = _post(f"{base}/api/harmonize", {"samples": "1"}, upload)
    while job["status"] in ("queued", "running"):
        time.sleep(0.02)
        job = _get(base + job["job"])
    if job["status"] != "done":
        raise RuntimeError(job["error"])
    done = time.perf_counter() - started
    started = time.perf_counter()
    with urllib.request.urlopen(base + job["files"]["png"], timeout=60) as response:
        response.read()
    return done, time.perf_counter() - started


def run(quick: bool = False) -> list[dict]:
    import numpy as np

    count = 3 if quick else REQUESTS
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "midistyle.cli", "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    try:
        health_s = models_s = None
        while time.perf_counter() - started < TIME_LIMIT_SECONDS:
            try:
                health = _get(f"{base}/api/health")
                health_s = health_s or time.perf_counter() - started
                if health["models_loaded"]:
                    models_s = time.perf_counter() - started
                    break
            except OSError:
                pass
            time.sleep(0.05)
        rows.append({"measure": "cold start: first answer", "value": round(health_s, 2), "unit": "s"})
        rows.append({"measure": "cold start: models loaded and warmed up", "value": round(models_s, 2), "unit": "s"})
        folk = Path(__file__).resolve().parents[1] / "datasets" / "folk_melodies" / "folk_02.mid"
        for label, upload in (("embedded 16-bar melody", None), ("uploaded folk tune (7 bars)", folk)):
            _harmonize(base, upload)  # the first of each kind also warms the worker thread's renderer
            timings = [_harmonize(base, upload) for _ in range(count)]
            latencies = [done for done, _ in timings]
            rows.append({"measure": f"harmonize + engrave + render, {label}: p50", "value":
                         round(float(np.percentile(latencies, 50)), 3), "unit": "s"})
            rows.append({"measure": f"harmonize + engrave + render, {label}: p95", "value":
                         round(float(np.percentile(latencies, 95)), 3), "unit": "s"})
            rows.append({"measure": f"then the piano roll on first request, {label}: p50", "value":
                         round(float(np.percentile([roll for _, roll in timings], 50)), 3), "unit": "s"})
        status = Path(f"/proc/{server.pid}/status").read_text()
        peak_kb = int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1])
        rows.append({"measure": "server peak memory (VmHWM)", "value": round(peak_kb / 1024), "unit": "MB"})
    finally:
        server.terminate()
        server.wait(timeout=10)
    return rows
