"""Corpus-scale jobs: ``midistyle batch`` over 200 chorales, 1 process vs 2 workers vs Ray with 2 actors.

The first 200 chorales of the dataset (test, valid, then train split) as MIDI files, and their
soprano lines as melody files. Each job runs as a user runs it (the CLI, in a fresh output folder):

- render: the chorales, organ ensemble, default font, 44.1 kHz WAV (real-time factor in the table);
- harmonize: the sopranos with the shipped harmonizer;
- evaluate: the chorales' per-file metrics and the set summary (``--no-style``).

Start-up is a batch of one file (interpreter, imports, models or font, one file). Peak memory is the
largest drop of the machine's MemAvailable during the run (so Ray's processes, which are not the
command's children, count too), sampled every 0.1 s. The baseline is one ``midistyle harmonize``
call per file, on 5 of the sopranos. Run alone on the machine.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

COUNT = 200
BASELINE_FILES = 5


def _available_mb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _timed(args: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds, peak memory used (MB) and the result of running the CLI with ``args``."""
    baseline, lowest, running = _available_mb(), [_available_mb()], [True]

    def sample() -> None:
        while running[0]:
            lowest[0] = min(lowest[0], _available_mb())
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "midistyle.cli", *args], capture_output=True, text=True)
    wall = time.perf_counter() - started
    running[0] = False
    sampler.join()
    if result.returncode != 0:
        raise RuntimeError(f"{args[:3]} failed: {result.stderr[-1500:]}")
    return wall, baseline - lowest[0], result


def _corpus(folder: Path, count: int) -> tuple[Path, Path, list[Path]]:
    from midistyle.data.chorales import load_chorales
    from midistyle.music.io import write_score

    chorales = (load_chorales("test") + load_chorales("valid") + load_chorales("train"))[:count]
    scores, sopranos = folder / "chorales", folder / "sopranos"
    scores.mkdir()
    sopranos.mkdir()
    melodies = []
    for chorale in chorales:
        write_score(chorale, scores / f"{chorale.title}.mid")
        melodies.append(write_score(chorale.select_voices([0]), sopranos / f"{chorale.title}.mid"))
    return scores, sopranos, melodies


def run(quick: bool = False) -> list[dict]:
    import soundfile

    count = 8 if quick else COUNT
    rows = []
    with tempfile.TemporaryDirectory(prefix="midistyle-batch-bench-") as folder:
        folder = Path(folder)
        scores, sopranos, melodies = _corpus(folder, count)
        jobs = {"render": (["render", str(scores), "--ensemble", "organ"], scores),
                "harmonize": (["harmonize", str(sopranos)], sopranos),
                "evaluate": (["evaluate", str(scores), "--no-style"], scores)}
        executors = {"1 process": [], "2 workers": ["--workers", "2"], "Ray, 2 actors": ["--workers", "2", "--ray"]}
        one_file = {}
        for job, (args, source) in jobs.items():
            first = sorted(source.glob("*.mid"))[0]
            startup, _, _ = _timed(["batch", job, str(first), "-o", str(folder / f"{job}-one")] + args[2:])
            one_file[job] = startup
            for label, extra in executors.items():
                out = folder / f"{job}-{label.split(',')[0].replace(' ', '')}"
                wall, memory_mb, _ = _timed(["batch", *args, "-o", str(out), *extra])
                row = {"job": job, "executor": label, "files": count, "wall_s": round(wall, 1),
                       "files_per_s": round(count / wall, 2), "startup_s (1-file batch)": round(startup, 1),
                       "peak_memory_mb": round(memory_mb)}
                if job == "render":
                    audio = sum(soundfile.info(str(p)).duration for p in out.rglob("*.wav"))
                    row["real_time_factor"] = round(audio / wall, 1)
                rows.append(row)
        per_call = []
        for melody in melodies[:BASELINE_FILES]:
            wall, _, _ = _timed(["harmonize", str(melody), "-o", str(folder / "single" / melody.name)])
            per_call.append(wall)
        single = sum(per_call) / len(per_call)
        batch_per_file = next(r["wall_s"] for r in rows if r["job"] == "harmonize" and r["executor"] == "1 process") \
            / count
        rows.append({"job": "harmonize", "executor": "one `midistyle harmonize` call per file",
                     "files": len(per_call), "wall_s": round(sum(per_call), 1), "files_per_s": round(1 / single, 2),
                     "speed-up of batch (1 process) per file": round(single / batch_per_file, 1)})
    return rows
