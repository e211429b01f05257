"""Train the harmonizer ablation runs that are missing (``bench_harmonizer_ablation`` lists them).

    python -m benchmarks.train_ablation                 # every configuration, seeds 0-2
    python -m benchmarks.train_ablation --only wgan_gp  # one configuration
    python -m benchmarks.train_ablation --dry-run       # print the commands only

Each run is ``midistyle train harmonizer --config C --seed S --out runs/ablation/NAME_sS`` in its own
process, one after another (two at once would share the two cores and muddle the train times); an
interrupted run is resumed from its checkpoint.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from benchmarks.bench_harmonizer_ablation import CONFIGS, ROOT, SEEDS, run_folder


def commands(only: list[str] | None = None) -> list[list[str]]:
    """The training commands of the runs without a training report."""
    todo = []
    for name, config in CONFIGS.items():
        if only and name not in only:
            continue
        for seed in SEEDS:
            folder = run_folder(name, seed)
            if (folder / "training_report.json").exists():
                continue
            command = [sys.executable, "-m", "midistyle", "train", "harmonizer", "--config", config,
                       "--seed", str(seed), "--out", str(folder.relative_to(ROOT))]
            if (folder / "checkpoint").exists() or (folder / "checkpoint.old").exists():
                command.append("--resume")
            todo.append(command)
    return todo


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.train_ablation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=list(CONFIGS), help="configurations to train")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, train nothing")
    args = parser.parse_args()
    todo = commands(args.only)
    for index, command in enumerate(todo, 1):
        if (ROOT / command[command.index("--out") + 1] / "training_report.json").exists():
            continue  # finished meanwhile (by another process)
        print(f"[{index}/{len(todo)}] {' '.join(command[1:])}", flush=True)
        if not args.dry_run:
            subprocess.run(command, cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
