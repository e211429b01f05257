"""Cold start of whole command-line processes: ONNX Runtime inference against Keras, beside ``import tensorflow``.

Each command runs as a fresh process, 5 times (2 with --quick), in rotation, so a slow moment of the
machine falls on every command alike; the table gives the median and the fastest wall time, and the
peak resident memory of the median run. ``MIDISTYLE_BACKEND=keras`` makes the same command load
TensorFlow and the Keras weights (the path before the ONNX export).

Inputs: the embedded Ode to Joy (16 bars, MusicXML) and a four-part setting of it, written once
by the ONNX harmonizer into a temporary folder. Outputs go to that folder and are removed.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MELODY = ROOT / "midistyle" / "assets" / "ode_to_joy.musicxml"


def _commands(folder: Path) -> list[tuple[str, list[str], dict]]:
    python = [sys.executable]
    cli = python + ["-m", "midistyle"]
    satb = folder / "satb.mid"
    keras = {"MIDISTYLE_BACKEND": "keras"}
    return [
        ('python -c "import tensorflow"', python + ["-c", "import tensorflow"], {}),
        ("midistyle --help", cli + ["--help"], {}),
        ("harmonize (ONNX)", cli + ["harmonize", str(MELODY), "-o", str(folder / "h_onnx.mid")], {}),
        ("harmonize (Keras)", cli + ["harmonize", str(MELODY), "-o", str(folder / "h_keras.mid")], keras),
        ("reharmonize --bars 5-6 (ONNX)", cli + ["reharmonize", str(satb), "--bars", "5-6", "-o",
                                                 str(folder / "re.mid")], {}),
        ("chorale --bars 16 (ONNX)", cli + ["chorale", "--bars", "16", "--seed", "1", "-o", str(folder / "c_onnx")],
         {}),
        ("chorale --bars 16 (Keras)", cli + ["chorale", "--bars", "16", "--seed", "1", "-o",
                                             str(folder / "c_keras")], keras),
        ("check", cli + ["check", str(satb)], {}),
        ("render", cli + ["render", str(satb), "-o", str(folder / "r.wav")], {}),
        ("engrave", cli + ["engrave", str(satb), "-o", str(folder / "e.svg")], {}),
        ("plot", cli + ["plot", str(satb), "-o", str(folder / "p.png")], {}),
        ("convert", cli + ["convert", str(satb), "-o", str(folder / "c.musicxml")], {}),
    ]


def _clear(folder: Path) -> None:
    for path in folder.iterdir():
        if path.name != "satb.mid":
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def _timed(command: list[str], environment: dict) -> tuple[float, float]:
    """(wall seconds, peak resident MiB) of one run; ``os.wait4`` gives that child's own resource use."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env={**os.environ, **environment}, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise RuntimeError(f"{' '.join(command)} exited with {child.returncode}")
    return elapsed, usage.ru_maxrss / 1024  # KiB on Linux


def run(quick: bool = False) -> list[dict]:
    repeats = 2 if quick else 5
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        subprocess.run([sys.executable, "-m", "midistyle", "harmonize", str(MELODY), "-o", str(folder / "satb.mid")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        commands = _commands(folder)
        runs: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in commands}
        for _ in range(repeats):
            for label, command, environment in commands:
                _clear(folder)
                runs[label].append(_timed(command, environment))
    rows = []
    for label, _, _ in commands:
        seconds = [elapsed for elapsed, _ in runs[label]]
        rows.append({"command": label, "runs": repeats, "median s": round(statistics.median(seconds), 2),
                     "fastest s": round(min(seconds), 2),
                     "peak MiB": round(statistics.median(peak for _, peak in runs[label]))})
    return rows
