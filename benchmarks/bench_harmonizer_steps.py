"""Why the shipped harmonizer trains 1000 steps: the same config at 1000 and 3000 steps, on the valid split.

* ``runs/ablation_base``     — ``midistyle train harmonizer --out runs/ablation_base`` (1000 steps, shipped)
* ``runs/harmonizer_3000``   — ``midistyle train harmonizer --steps 3000 --out runs/harmonizer_3000``

Measured on the 34 valid sopranos (the test split is not used to choose), joint decoder.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = {"1000 steps": "ablation_base", "3000 steps": "harmonizer_3000"}
METRICS = ("frechet_distance", "bach_accept_rate", "chord_beat_rate", "parallel_fifths_octaves")


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.evaluation.harmonizer_report import compare_harmonizers, melodies_of
    from midistyle.models.harmonize import Harmonizer

    valid = load_chorales("valid")[: 6 if quick else None]
    chosen = {}
    for label, folder in RUNS.items():
        if (ROOT / "runs" / folder / "config.json").exists():
            model = Harmonizer.load(ROOT / "runs" / folder)
            chosen[label] = lambda m, model=model: model.harmonize(m)[0].score
    if not chosen:
        return [{"run": "no runs found; see this module's docstring"}]
    table = compare_harmonizers(chosen, melodies_of(valid))
    return [{"run": name, **{m: round(values[m], 3) for m in METRICS}} for name, values in table.items()]
