"""Run benchmarks, print their markdown tables, and write JSON with machine info to benchmarks/results/.

Each ``bench_<name>.py`` module has ``run(quick: bool) -> list[dict]``: one dict per table row.
``--quick`` runs small sizes (a smoke test); the README's numbers come from full runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def machine_info() -> dict:
    import numpy

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "numpy": numpy.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def markdown_table(rows: list[dict]) -> str:
    if not rows:
        return "(no rows)"
    columns = list(dict.fromkeys(key for row in rows for key in row))  # every key, in order of first use
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(c)) for c in columns) + " |")
    return "\n".join(lines)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return "" if value is None else str(value)


def main() -> None:
    available = sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py"))
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"any of {available} (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    args = parser.parse_args()
    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    for name in args.names or available:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        rows = module.run(quick=args.quick)
        print(f"\n## {name}\n\n{markdown_table(rows)}\n")
        payload = {"benchmark": name, "quick": args.quick, "machine": machine_info(), "rows": rows}
        (results_dir / f"{name}{'_quick' if args.quick else ''}.json").write_text(json.dumps(payload, indent=1))


if __name__ == "__main__":
    main()
