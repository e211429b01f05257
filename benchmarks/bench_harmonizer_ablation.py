"""Do the progressive-GAN audio work's two proposals help here? Three runs of 1000 steps, same seed:

* ``runs/ablation_base`` — WGAN-GP, LeakyReLU (``--steps 1000``)
* ``runs/ablation_tanh_linear`` — f(x) = tanh(x) + x/alpha
  (``--config benchmarks/configs/harmonizer_tanh_linear.json``)
* ``runs/ablation_sign_normalized`` — the sign-normalized loss
  (``--config benchmarks/configs/harmonizer_sign_normalized.json``)

each measured on the Bach test sopranos with the joint and the greedy decoder (the greedy one shows
the network's own output with fewer rules on top). Runs that are missing are skipped.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = ("ablation_base", "ablation_tanh_linear", "ablation_sign_normalized")
METRICS = ("parallel_fifths_octaves", "chord_beat_rate", "unresolved_dissonance_rate", "large_leaps",
           "pitch_class_entropy", "bach_accept_rate", "frechet_distance")


def run(quick: bool = False) -> list[dict]:
    import json

    from midistyle.data.chorales import load_chorales
    from midistyle.evaluation.harmonizer_report import compare_harmonizers, melodies_of
    from midistyle.models.harmonize import Harmonizer

    test = load_chorales("test")[: 6 if quick else None]
    chosen = {}
    for name in RUNS:
        folder = ROOT / "runs" / name
        if not (folder / "config.json").exists():
            continue
        model = Harmonizer.load(folder)
        chosen[f"{name} joint"] = lambda m, model=model: model.harmonize(m)[0].score
        chosen[f"{name} greedy"] = lambda m, model=model: model.harmonize(m, decoder="greedy")[0].score
    if not chosen:
        return [{"run": "none of runs/ablation_* exists; see this module's docstring"}]
    table = compare_harmonizers(chosen, melodies_of(test))
    rows = []
    for name, values in table.items():
        report = json.loads((ROOT / "runs" / name.rsplit(" ", 1)[0] / "training_report.json").read_text())
        rows.append({"run": name, **{m: round(values[m], 3) for m in METRICS},
                     "final g_rec": report["final_losses"]["g_rec"], "train s": report["train_seconds"]})
    return rows
