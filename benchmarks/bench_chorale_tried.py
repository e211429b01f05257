"""The steps that led to the shipped chorale model, on the tuning seeds (README, "What was tried").

Each run samples 20 chorales of 16 bars with seeds 1000-1019 (the seeds the sampling settings were
tuned on, never the evaluation seeds 0-99 of ``bench_chorale``), the default sampling (temperature
0.8, top-p 0.95) and **no voice-leading retries**: the network alone. Runs (missing ones are skipped):

* ``runs/chorale_transformer``: maximum likelihood (``midistyle train chorale --out
  runs/chorale_transformer --epochs 14``);
* ``runs/chorale_unlikelihood``: ``midistyle train chorale-unlikelihood --init runs/chorale_transformer
  --out runs/chorale_unlikelihood --config benchmarks/configs/chorale_unlikelihood.json``;
* ``runs/chorale_distilled_teacher08``: distillation with the teacher sampling at temperature 0.8,
  2 rounds (``--config benchmarks/configs/chorale_distillation_teacher08.json``);
* ``runs/chorale_distilled_rN``: distillation with the teacher at temperature 1.0 after N rounds
  (``--config benchmarks/configs/chorale_distillation.json`` with ``"rounds": N``; a run resumed with
  more rounds equals an uninterrupted one); N = 5 is the shipped model.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = (("maximum likelihood", "chorale_transformer"),
        ("unlikelihood on its own parallels, 400 steps", "chorale_unlikelihood"),
        ("distilled, teacher at T 0.8, 2 rounds", "chorale_distilled_teacher08"),
        *((f"distilled, teacher at T 1.0, {n} rounds" + (" (shipped)" if n == 5 else ""), f"chorale_distilled_r{n}")
          for n in (2, 4, 5, 6)))
SEEDS = range(1000, 1020)


def run(quick: bool = False) -> list[dict]:
    import numpy as np

    from midistyle.models.compose import ChoraleGenerator
    from midistyle.music import metrics

    rows = []
    for label, folder in RUNS:
        path = ROOT / "runs" / folder
        if not (path / "config.json").exists():
            continue
        generator = ChoraleGenerator.load(path)
        scores = [generator.generate(bars=16, seed=seed, voice_leading_retries=0, parallel_guard=False,
                                     avoid_quotes=False).score
                  for seed in (SEEDS[:3] if quick else SEEDS)]
        report = json.loads((path / "training_report.json").read_text())
        rows.append({"run": label,
                     "parallel 5/8 per 100": round(float(np.mean([metrics.parallel_perfect_intervals(s)
                                                                  for s in scores])), 2),
                     "chord beat rate": round(float(np.mean([metrics.chord_beat_rate(s) for s in scores])), 3),
                     "valid NLL per note": round(report["valid"]["nll_per_note"], 3),
                     "train s": report["train_seconds"]})
    return rows
