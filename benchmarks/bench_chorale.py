"""The chorale generator's quality bar: NLL per note, and 100 generated chorales beside Bach.

Needs the training runs (gitignored) for the comparison columns:

* ``runs/chorale_transformer`` — ``midistyle train chorale --out runs/chorale_transformer --epochs 14``
  (maximum likelihood only; BPE 1000; shipped before the distilled model);
* ``runs/chorale_distilled_r5`` — ``midistyle train chorale-distil --init runs/chorale_transformer
  --out runs/chorale_distilled_r5 --config benchmarks/configs/chorale_distillation.json`` (the shipped
  model: the retries distilled into the network in 5 rounds);
* ``runs/chorale_unlikelihood`` — ``midistyle train chorale-unlikelihood --init runs/chorale_transformer
  --out runs/chorale_unlikelihood --config benchmarks/configs/chorale_unlikelihood.json`` (tried,
  not shipped);
* ``runs/chorale_remi`` — the same Transformer on plain REMI tokens (``--config`` with
  ``bpe_vocab_size: 0``, ``benchmarks/configs/chorale_remi.json``), 6 epochs;
* ``runs/chorale_lstm`` — ``midistyle train chorale --model lstm --out runs/chorale_lstm`` (6 epochs).

Each generated chorale is 16 bars, seed ``i``, the default sampling (temperature 0.8, top-p 0.95):
100 from the Transformers and the LSTM, 33 from the plain-REMI Transformer (3.4x more tokens each),
with the voice-leading retries (3), and 100 from each BPE Transformer without them (the network alone).
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = {"Transformer, retries distilled (shipped)": "chorale_distilled_r5",
        "Transformer, unlikelihood fine-tuned": "chorale_unlikelihood",
        "Transformer, BPE 1000 (maximum likelihood)": "chorale_transformer", "Transformer, plain REMI": "chorale_remi",
        "LSTM, BPE 1000": "chorale_lstm"}
SHOWN = ("in_range_rate", "monophonic_voice_rate", "scale_consistency", "parallel_fifths_octaves", "voice_crossings",
         "chord_beat_rate", "unresolved_dissonance_rate", "pitch_class_entropy", "bach_accept_rate",
         "inception_score", "frechet_distance")


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.errors import InputError
    from midistyle.evaluation.chorale_report import copying_summary
    from midistyle.evaluation.report import bad_ceilings, evaluate_sets
    from midistyle.models.compose import ChoraleGenerator

    rows = []
    for label, folder in RUNS.items():
        path = ROOT / "runs" / folder / "training_report.json"
        if path.exists():
            report = json.loads(path.read_text())
            rows.append({"what": f"NLL per note, {label}", "valid": round(report["valid"]["nll_per_note"], 3),
                         "test": round(report["test"]["nll_per_note"], 3),
                         "tokens per note": round(report["test"]["tokens_per_note"], 2),
                         "epochs": report.get("epochs", ""), "fine-tuning steps": report.get("steps", ""),
                         "train s": report["train_seconds"]})
    count = 6 if quick else 100
    test, train = load_chorales("test"), load_chorales("train")
    sets, stories = {}, {}
    generated = (("Distilled", "chorale_distilled_r5", count, 3),
                 ("Distilled, no retries", "chorale_distilled_r5", count, 0),
                 ("Unlikelihood, no retries", "chorale_unlikelihood", count, 0),
                 ("Transformer", "chorale_transformer", count, 3),
                 ("Transformer, no retries", "chorale_transformer", count, 0),
                 ("Transformer REMI", "chorale_remi", max(2, count // 3), 3),
                 ("LSTM", "chorale_lstm", count, 3))
    for label, folder, pieces, retries in generated:
        if not (ROOT / "runs" / folder / "config.json").exists():
            continue
        generator = ChoraleGenerator.load(ROOT / "runs" / folder)
        results, failures = [], 0
        for seed in range(pieces):
            try:
                results.append(generator.generate(bars=16, seed=seed, voice_leading_retries=retries))
            except InputError:  # no valid piece in 5 attempts: counted, not hidden
                failures += 1
        sets[label] = [r.score for r in results]
        stories[label] = (results, failures)
    sets["Bach test"] = test
    sets["voices shuffled"] = bad_ceilings(test, seed=0)["voices shuffled"]
    table = evaluate_sets(sets)
    for metric in SHOWN:
        rows.append({"what": metric, **{name: round(values[metric], 3) for name, values in table.items()}})
    for name in sets:
        copying = copying_summary(sets[name], train)
        rows.append({"what": f"copying, {name}", **{k: round(v, 3) for k, v in copying.items()}})
    for name, (results, failures) in stories.items():
        rows.append({"what": f"generation, {name}", "pieces": len(results), "failed": failures,
                     "mean attempts": round(sum(r.attempts for r in results) / len(results), 2),
                     "four voices": sum(all(v.notes for v in r.score.voices) for r in results),
                     "overlaps trimmed per piece": round(sum(r.trimmed_overlaps for r in results) / len(results), 1)})
    return rows
