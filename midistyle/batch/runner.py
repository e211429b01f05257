"""Run a batch: plan every input's outputs, skip what the manifest says is done, run the rest,
record each as it finishes, and end with a summary (exit code 0 when all succeeded, 2 otherwise).
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from midistyle.batch.executors import run_local, run_ray
from midistyle.batch.inputs import check_collisions, find_inputs
from midistyle.batch.manifest import Manifest
from midistyle.batch.tasks import TASKS
from midistyle.errors import InputError
from midistyle.music.io import write_atomically

LOCAL_RAY = "local"  # --ray without an address: start Ray on this machine


@dataclass(frozen=True)
class BatchSummary:
    done: int
    skipped: int
    failed: int
    manifest: Path

    @property
    def exit_code(self) -> int:
        return 2 if self.failed else 0

    def __str__(self) -> str:
        return (f"{self.done} done, {self.skipped} skipped (already done), {self.failed} failed; "
                f"manifest: {self.manifest}")


def run_batch(command: str, patterns: list[str], out_dir: str | Path, *, options: dict | None = None,
              workers: int = 1, ray: str | None = None, progress: bool = True, report=print) -> BatchSummary:
    """Run ``command`` over every input of ``patterns`` into ``out_dir``.

    Parameters
    ----------
    command : str
        ``harmonize``, ``render``, ``stylize`` or ``evaluate``.
    patterns : list of str
        Files, folders (searched recursively for the command's formats) or globs.
    options : dict
        The single-file command's options (see :mod:`midistyle.batch.tasks`).
    workers : int
        Local processes, or Ray actors with ``ray``.
    ray : str, optional
        None for local processes; ``"local"`` to start Ray on this machine; ``"auto"`` or an
        address (``host:6379``) to join a running cluster.
    """
    from tqdm import tqdm

    if command not in TASKS:
        raise InputError(f"batch command {command!r} must be one of {', '.join(TASKS)}")
    if not 1 <= workers <= 256:
        raise InputError(f"--workers {workers} must be in 1..256")
    options = options or {}
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a folder")
    task = TASKS[command]
    items = find_inputs(patterns, task.extensions)
    outputs = {item.source: task.output_paths(item, out_dir, options) for item in items}
    check_collisions(outputs, [item.source for item in items])
    manifest = Manifest(out_dir)
    todo = [(str(i.source), [str(p) for p in outputs[i.source]]) for i in items if not manifest.is_done(i.source)]
    skipped = len(items) - len(todo)
    if skipped:
        report(f"{skipped} of {len(items)} inputs already done (see {manifest.path}); doing the other {len(todo)}")
    failed = 0
    bar = tqdm(total=len(todo), desc=command, unit="file", disable=not progress or not todo)
    records = run_local(command, options, todo, workers) if ray is None else \
        run_ray(command, options, todo, workers, None if ray == LOCAL_RAY else ray)
    for record in records:
        manifest.append(record)
        failed += record["status"] != "ok"
        if record["status"] != "ok":
            bar.write(f"midistyle: error: {record['error']}", file=sys.stderr)
        bar.set_postfix(failed=failed)
        bar.update()
    bar.close()
    if command == "evaluate":
        _write_metrics(manifest, [str(i.source) for i in items], out_dir, options, report)
    return BatchSummary(len(todo) - failed, skipped, failed, manifest.path)


def _write_metrics(manifest: Manifest, sources: list[str], out_dir: Path, options: dict, report) -> None:
    """Per-file metrics as CSV and JSON, and the set's table beside Bach (``summary.json``)."""
    rows = [{"input": s, **manifest.records[s]["metrics"]} for s in sources
            if s in manifest.records and manifest.records[s]["status"] == "ok"]
    if not rows:
        return
    columns = list(rows[0])

    def write_csv(temporary: Path) -> None:
        with open(temporary, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)

    write_atomically(out_dir / "metrics.csv", write_csv)
    write_atomically(out_dir / "metrics.json", lambda t: t.write_text(json.dumps(rows, indent=1) + "\n"))
    from midistyle.evaluation import evaluate_files
    from midistyle.evaluation.report import format_table

    table = evaluate_files([r["input"] for r in rows], reference=options.get("reference", "bach-test"),
                           style=options.get("style", False))
    write_atomically(out_dir / "summary.json", lambda t: t.write_text(json.dumps(table, indent=1) + "\n"))
    report(format_table(table))
    report(f"per-file metrics: {out_dir / 'metrics.csv'}, {out_dir / 'metrics.json'}; set summary: "
           f"{out_dir / 'summary.json'}")
