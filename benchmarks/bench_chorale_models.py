"""The chorale models side by side on the tuning seeds: the shipped (distilled) model, a retrained
copy of the maximum-likelihood Transformer it was distilled from, and a distillation of that copy
with a guarded teacher (the two folders below in ``runs/``).

Each model writes 60 chorales (5 with ``--quick``) of 16 bars with seeds 1000-1059 (the tuning
seeds, never the evaluation seeds 0-99 of ``bench_chorale``), as ``midistyle chorale`` does (phrase plan, parallel
guard, 3 voice-leading retries, temperature 0.8, top-p 0.95) and with ``--retries 0`` (the
maximum-likelihood model also with ``--retries 6``). Model folders (gitignored ``runs/``, rows left
out when absent):

* ``runs/chorale_transformer``: ``midistyle train chorale --out runs/chorale_transformer --epochs 14``,
  the maximum-likelihood model the shipped one was distilled from, trained again;
* ``runs/chorale_distilled_guarded``: ``midistyle train chorale-distil --init runs/chorale_transformer
  --out runs/chorale_distilled_guarded --config benchmarks/configs/chorale_distillation_guard.json``
  (two rounds, the teacher sampling with the parallel guard).

Every set goes through the code of ``bench_chorale``: the Fréchet distance of the style
classifier's embeddings to Bach's test split, pitch-class entropy, voice crossings, the harmony
critic's rate of every rule, how many rules exceed 1.5x (3x without retries) Bach's test rate, and
the classifier two-sample accuracy against Bach's test chorales; and the seconds each model takes
per chorale.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = range(1000, 1060)
RUNS = {"maximum likelihood": ROOT / "runs" / "chorale_transformer",
        "distilled, guarded teacher": ROOT / "runs" / "chorale_distilled_guarded"}
RETRIES = {"maximum likelihood": (3, 6, 0)}  # voice-leading retries per set; (3, 0) for the others
SHOWN = ("frechet_distance", "pitch_class_entropy", "voice_crossings")


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.evaluation.report import evaluate_sets
    from midistyle.evaluation.two_sample import two_sample_accuracy
    from midistyle.models.compose import WEIGHTS_DIR, ChoraleGenerator
    from midistyle.music.harmony import RULES

    seeds = SEEDS[:5] if quick else SEEDS
    folders = {"distilled (shipped)": WEIGHTS_DIR,
               **{name: folder for name, folder in RUNS.items() if (folder / "config.json").exists()}}
    sets, nll, seconds = {}, {}, {}
    for name, folder in folders.items():
        generator = ChoraleGenerator.load(folder)
        report = json.loads((folder / "training_report.json").read_text())
        nll[name] = round(report["valid"]["nll_per_note"], 3)
        for retries in RETRIES.get(name, (3, 0)):
            label = name if retries == 3 else f"{name}, no retries" if retries == 0 else f"{name}, {retries} retries"
            started = time.perf_counter()
            sets[label] = [generator.generate(bars=16, seed=seed, voice_leading_retries=retries).score
                           for seed in seeds]
            seconds[label] = round((time.perf_counter() - started) / len(seeds), 2)
            nll[label] = nll[name]
    test = load_chorales("test")
    sets["Bach test"] = test
    table = evaluate_sets(sets)
    bach = table["Bach test"]
    rows = [{"what": "valid NLL per note", **nll}]
    rows += [{"what": metric, **{name: round(values[metric], 3) for name, values in table.items()}}
             for metric in SHOWN]
    above = {name: [] for name in sets}
    for rule in RULES:
        key = f"critic: {rule}"
        rows.append({"what": key, **{name: round(values[key], 3) for name, values in table.items()}})
        for name, values in table.items():
            factor = 3.0 if name.endswith("no retries") else 1.5
            if values[key] > factor * bach[key] + 1e-9:
                above[name].append(rule)
    rows.append({"what": "rules above 1.5 x Bach (3 x without retries)",
                 **{name: ", ".join(rules) or "none" for name, rules in above.items()}})
    rows.append({"what": "two-sample accuracy vs Bach test",
                 **{name: round(two_sample_accuracy(scores, test), 3) for name, scores in sets.items()
                    if name != "Bach test"}})
    rows.append({"what": "seconds per chorale (ONNX step, run alone)", **seconds})
    return rows
