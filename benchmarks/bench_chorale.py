"""The chorale generator as a harmony teacher reads it: 100 generated chorales beside Bach, every onset.

Sets, each 16 bars, seeds 0..99 (6 with ``--quick``), default sampling (temperature 0.8, top-p 0.95):

* ``phrases`` — the shipped model as ``midistyle chorale`` runs it: a phrase plan drawn from Bach's,
  cadences sought at every phrase end, the final chord a perfect V-I on a held tonic (both chords in
  root position, the soprano on the tonic), the parallel guard
  (a token that would write parallel fifths or octaves is drawn again) and the voice-leading
  retries (3);
* ``phrases, no retries`` — the same with ``--retries 0`` (the guard still on);
* ``network alone`` — ``--retries 0 --no-parallel-guard --allow-quotes``: the network alone between phrase ends;
* ``before phrases`` — the generator before phrase plans (retries 3, cut after 16 bars, no fermatas,
  no guard);
* rows for training runs found in ``runs/`` (gitignored): ``runs/chorale_transformer``, the
  maximum-likelihood Transformer (``midistyle train chorale --out runs/chorale_transformer --epochs
  14``), generated with the phrase plan and retries;
* ``Bach test`` (34 chorales, his fermatas) and ``voices shuffled`` (a bad ceiling).

Every set goes through the same code: the harmony critic's rate of every rule (marks per 100
quarter beats at every onset), cadences at phrase ends, fermatas per piece and phrase lengths, the
Fréchet distance of the style classifier's embeddings to Bach's test split, pitch-class entropy,
voice crossings, copying from the training split, and the classifier two-sample test (teacher's
counts per piece, logistic regression, 5-fold accuracy against Bach's test chorales).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHOWN = ("frechet_distance", "pitch_class_entropy", "voice_crossings", "bach_accept_rate",
         "critic: ends_authentic_on_tonic", "critic: cadential_bass_share")


def _generated(generator, count: int, **options) -> tuple[list, int]:
    from midistyle.errors import InputError

    results, failures = [], 0
    for seed in range(count):
        try:
            results.append(generator.generate(bars=16, seed=seed, **options))
        except InputError:  # no valid piece in 5 attempts: counted, not hidden
            failures += 1
    return results, failures


def _phrase_rows(sets: dict) -> list[dict]:
    """Fermatas per piece, phrase lengths in beats (quartiles) and cadence kinds at phrase ends."""
    from midistyle.music.harmony import critique, pooled_cadence_shares
    from midistyle.music.metrics import beat_steps

    rows = {"fermatas per piece": {}, "phrase beats (25/50/75 %)": {}, "phrase ends closed by a cadence": {},
            "ends with a perfect authentic cadence on the tonic": {}}
    kinds = {}
    for name, scores in sets.items():
        found = [critique(s) for s in scores]
        finals = [c.cadences[-1] for c in found]  # V-I, both in root position, the soprano on the tonic
        rows["ends with a perfect authentic cadence on the tonic"][name] = round(
            float(np.mean([c.perfect and c.on_tonic for c in finals])), 3)
        lengths = []
        for score in scores:
            ends = sorted(set(score.fermata_steps) | {score.voices[0].notes[-1].onset_step})
            lengths += list(np.diff([score.anacrusis_steps - beat_steps(score), *ends]) / beat_steps(score))
        rows["fermatas per piece"][name] = round(float(np.mean([len(s.fermata_steps) for s in scores])), 2)
        rows["phrase beats (25/50/75 %)"][name] = " / ".join(f"{q:g}" for q in np.percentile(lengths, [25, 50, 75]))
        shares = pooled_cadence_shares(found)
        rows["phrase ends closed by a cadence"][name] = round(1 - shares["cadence_none"], 3)
        kinds[name] = shares
    out = [{"what": what, **values} for what, values in rows.items()]
    for kind in ("authentic", "half", "plagal", "deceptive", "phrygian", "none"):
        out.append({"what": f"cadence share: {kind}",
                    **{name: round(shares[f"cadence_{kind}"], 3) for name, shares in kinds.items()}})
    return out


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.evaluation.chorale_report import copying_summary
    from midistyle.evaluation.report import bad_ceilings, evaluate_sets
    from midistyle.evaluation.two_sample import two_sample_accuracy
    from midistyle.models.compose import WEIGHTS_DIR, ChoraleGenerator
    from midistyle.music.harmony import RULES

    count = 6 if quick else 100
    test, train = load_chorales("test"), load_chorales("train")
    shipped = ChoraleGenerator.load()
    runs = {"phrases": (shipped, {}), "phrases, no retries": (shipped, {"voice_leading_retries": 0}),
            "network alone": (shipped, {"voice_leading_retries": 0, "parallel_guard": False, "avoid_quotes": False}),
            "before phrases": (shipped, {"phrase_plan": False, "parallel_guard": False})}
    if (ROOT / "runs" / "chorale_transformer" / "config.json").exists():
        runs["maximum likelihood, phrases"] = (ChoraleGenerator.load(ROOT / "runs" / "chorale_transformer"), {})
    sets, stories = {}, {}
    for label, (generator, options) in runs.items():
        results, failures = _generated(generator, count, **options)
        sets[label] = [r.score for r in results]
        stories[label] = (results, failures)
    sets["Bach test"] = test
    sets["voices shuffled"] = bad_ceilings(test, seed=0)["voices shuffled"]

    rows = []
    report = json.loads((WEIGHTS_DIR / "training_report.json").read_text())
    rows.append({"what": "NLL per note (shipped model)", "valid": round(report["valid"]["nll_per_note"], 3),
                 "test": round(report["test"]["nll_per_note"], 3)})
    table = evaluate_sets(sets)
    bach = table["Bach test"]
    for metric in SHOWN:
        rows.append({"what": metric, **{name: round(values[metric], 3) for name, values in table.items()}})
    above = {name: [] for name in sets}
    for rule in RULES:
        key = f"critic: {rule}"
        rows.append({"what": key, **{name: round(values[key], 3) for name, values in table.items()}})
        for name, values in table.items():
            if values[key] > 1.5 * bach[key] + 1e-9:
                above[name].append(rule)
    rows.append({"what": "rules above 1.5 x Bach", **{name: len(rules) for name, rules in above.items()}})
    rows += _phrase_rows(sets)
    rows.append({"what": "two-sample accuracy vs Bach test",
                 **{name: round(two_sample_accuracy(scores, test), 3) for name, scores in sets.items()
                    if name != "Bach test"}})
    for name, scores in sets.items():
        copying = copying_summary(scores, train)
        rows.append({"what": f"copying, {name}", **{k: round(v, 3) for k, v in copying.items()}})
    for name, (results, failures) in stories.items():
        planned = [r for r in results if r.plan is not None]
        rows.append({"what": f"generation, {name}", "pieces": len(results), "failed": failures,
                     "mean attempts": round(sum(r.attempts for r in results) / len(results), 2),
                     "ends with a perfect V-I on the tonic (sampler)":
                         round(sum(r.ending_closed for r in planned) / len(results), 3) if planned else "",
                     "notes changed to hold fermatas or fill rests per piece": round(
                         sum(r.held_changes for r in planned) / len(planned), 1) if planned else "",
                     "rules above 1.5 x Bach": ", ".join(above[name])})
    return rows
