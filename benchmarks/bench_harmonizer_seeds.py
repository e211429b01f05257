"""Which seed of the ``network`` ablation runs is shipped: each seed on the *valid* split's sopranos.

The rule: among the seeds whose greedy decodes (the network alone) meet the targets on the valid
split (at most 7.2 parallel fifths/octaves per 100 transitions, chord beat rate at least 0.85), the
one with the lowest Fréchet distance to Bach; if none does, the lowest Fréchet distance. The test
split is not looked at. Needs ``runs/ablation/network_s*`` (``python -m benchmarks.train_ablation
--only network``).
"""

from __future__ import annotations

from benchmarks.bench_harmonizer_ablation import METRICS, SEEDS, run_folder

PARALLELS_TARGET, CHORD_RATE_TARGET = 7.2, 0.85


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.evaluation.harmonizer_report import compare_harmonizers, melodies_of
    from midistyle.models.harmonize import Harmonizer

    valid = load_chorales("valid")[: 6 if quick else None]
    chosen = {}
    for seed in SEEDS:
        folder = run_folder("network", seed)
        if (folder / "training_report.json").exists():
            model = Harmonizer.load(folder)
            for decoder in ("joint", "greedy"):
                chosen[(seed, decoder)] = lambda m, model=model, d=decoder: model.harmonize(m, decoder=d)[0].score
    if not chosen:
        return [{"seed": "no runs/ablation/network_s*; see this module's docstring"}]
    table = compare_harmonizers({f"{s} {d}": f for (s, d), f in chosen.items()}, melodies_of(valid))
    greedy = {s: table[f"{s} greedy"] for s, d in chosen if d == "greedy"}
    meeting = [s for s, v in greedy.items()
               if v["parallel_fifths_octaves"] <= PARALLELS_TARGET and v["chord_beat_rate"] >= CHORD_RATE_TARGET]
    best = min(meeting or greedy, key=lambda s: greedy[s]["frechet_distance"])
    rows = []
    for (seed, decoder) in chosen:
        values = table[f"{seed} {decoder}"]
        rows.append({"seed": seed, "decoder": decoder, **{column: round(values[m], 3) for m, column in METRICS.items()},
                     "shipped": "yes" if seed == best and decoder == "greedy" else ""})
    return rows
