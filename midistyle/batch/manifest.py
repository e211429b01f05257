"""``OUT_DIR/manifest.jsonl``: one JSON record per input as it finishes, so nothing is lost or redone.

A record is ``{"input", "outputs", "status": "ok"|"error", "error", "seconds"}`` (plus ``metrics``
for evaluate). Each is appended and flushed to disk at once, so a run killed at any moment (Ctrl-C
or kill -9) leaves every finished input recorded; a torn last line is ignored when reading. The
latest record of an input wins.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

MANIFEST_NAME = "manifest.jsonl"


class Manifest:
    def __init__(self, out_dir: Path) -> None:
        self.path = Path(out_dir) / MANIFEST_NAME
        self.records: dict[str, dict] = {}
        if self.path.is_file():
            for line in self.path.read_text().splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:  # a line cut by a kill: that input is simply redone
                    continue
                self.records[record["input"]] = record

    def is_done(self, source: Path) -> bool:
        """True when the latest record of ``source`` is ok and all its outputs exist."""
        record = self.records.get(str(source))
        return bool(record and record["status"] == "ok" and all(Path(p).is_file() for p in record["outputs"]))

    def append(self, record: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as handle:
            handle.write(json.dumps(record) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.records[record["input"]] = record
