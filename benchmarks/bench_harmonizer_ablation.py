"""What each harmonizer training choice buys, over 3 seeds: mean ± spread per configuration and decoder.

Every configuration is trained 1000 steps (batch 32, the shipped settings unless its config file
says otherwise) with seeds 0, 1 and 2 into ``runs/ablation/<name>_s<seed>``;
``python -m benchmarks.train_ablation`` trains the runs that are missing, one after another
(``--only NAME`` for one configuration). Configurations (files in ``benchmarks/configs/``):

* ``wgan_gp`` — WGAN-GP + reconstruction, the previously shipped setup (``--config unet``);
* ``reconstruction_only`` — the reconstruction cross-entropy alone, no critic;
* ``spectral_critic`` — WGAN-GP with spectral normalization in the critic's convolutions;
* ``valid_frechet`` — WGAN-GP, keeping the checkpoint (of 4) closest to Bach on the valid split;
* ``tanh_linear`` and ``sign_normalized`` — the two proposals of the progressive-GAN audio work;
* ``given_voices`` — the generator also trained on given voices (see ``harmonizer.py``), so the
  greedy and sampling decoders write one voice at a time, each pass given the voices before it;
* ``input_skip`` — the U-Net's top skip: a last convolution over the input planes at full resolution;
* ``network`` — both of the last two plus the expected-parallels penalty (weight 15): the shipped
  setup;
* ``network_progressive`` — the same with progressive growing (200 steps at half resolution, then
  the full-resolution output faded in over 300).

Each run harmonizes the 34 Bach test sopranos and the 20 folk tunes with the joint decoder (the
rules) and the greedy decoder (the network alone). A row gives the mean over the seeds found and,
after ±, half the range (max − min) / 2. Runs that are missing are skipped; ``seeds`` says how many
were found.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RUNS_DIR = ROOT / "runs" / "ablation"
SEEDS = (0, 1, 2)
CONFIGS = {  # name -> the --config of `midistyle train harmonizer`, in the order they are trained
    "wgan_gp": "unet",
    "reconstruction_only": "benchmarks/configs/harmonizer_reconstruction_only.json",
    "network": "benchmarks/configs/harmonizer_network.json",
    "spectral_critic": "benchmarks/configs/harmonizer_spectral_critic.json",
    "network_progressive": "benchmarks/configs/harmonizer_network_progressive.json",
    "valid_frechet": "benchmarks/configs/harmonizer_valid_frechet.json",
    "sign_normalized": "benchmarks/configs/harmonizer_sign_normalized.json",
    "tanh_linear": "benchmarks/configs/harmonizer_tanh_linear.json",
    "input_skip": "benchmarks/configs/harmonizer_input_skip.json",
    "given_voices": "benchmarks/configs/harmonizer_given_voices.json",
}
DECODERS = ("joint", "greedy")
METRICS = {  # metric -> short column name
    "parallel_fifths_octaves": "parallel 5/8",
    "voice_crossings": "crossings",
    "chord_beat_rate": "chord rate",
    "unresolved_dissonance_rate": "unresolved diss.",
    "bach_accept_rate": "Bach accept",
    "frechet_distance": "Fréchet",
}


def run_folder(name: str, seed: int) -> Path:
    return RUNS_DIR / f"{name}_s{seed}"


def evaluate_run(folder: Path, melody_sets: dict, classifier) -> dict:
    """{melody set: {decoder: {metric: value}}} for one run, cached in ``folder/evaluation.json``."""
    from midistyle.evaluation.harmonizer_report import compare_harmonizers
    from midistyle.models.harmonize import Harmonizer

    cache = folder / "evaluation.json"
    if cache.exists():
        return json.loads(cache.read_text())
    model = Harmonizer.load(folder)
    result = {}
    for label, (melodies, _) in melody_sets.items():
        chosen = {decoder: lambda m, d=decoder: model.harmonize(m, decoder=d)[0].score for decoder in DECODERS}
        result[label] = compare_harmonizers(chosen, melodies, classifier=classifier)
    cache.write_text(json.dumps(result, indent=1) + "\n")
    return result


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.data.folk import load_folk_melodies
    from midistyle.evaluation.classifier import StyleClassifier
    from midistyle.evaluation.harmonizer_report import compare_harmonizers, melodies_of
    from midistyle.models.baseline_harmonizer import harmonize_with_triads

    if quick:
        return [{"run": "no quick mode: each run's evaluation is cached in runs/ablation/*/evaluation.json"}]
    test = load_chorales("test")
    melody_sets = {"Bach test sopranos": (melodies_of(test), test), "folk tunes": (load_folk_melodies(), None)}
    classifier = StyleClassifier.load()
    found = {name: [s for s in SEEDS if (run_folder(name, s) / "training_report.json").exists()] for name in CONFIGS}
    if not any(found.values()):
        return [{"run": "no runs in runs/ablation; see this module's docstring"}]
    evaluations = {(name, s): evaluate_run(run_folder(name, s), melody_sets, classifier)
                   for name, seeds in found.items() for s in seeds}
    rows = []
    for label, (melodies, bach) in melody_sets.items():
        for name, seeds in found.items():
            if not seeds:
                continue
            seconds = [json.loads((run_folder(name, s) / "training_report.json").read_text())["train_seconds"]
                       for s in seeds]
            for decoder in DECODERS:
                per_seed = [evaluations[name, s][label][decoder] for s in seeds]
                row = {"melodies": label, "configuration": name, "decoder": decoder, "seeds": len(seeds)}
                for metric, column in METRICS.items():
                    row[column] = _mean_spread([r[metric] for r in per_seed])
                row["train s"] = round(float(np.mean(seconds)))
                rows.append(row)
        reference = compare_harmonizers({"triad baseline": harmonize_with_triads}, melodies, bach=bach,
                                        classifier=classifier)
        for name, values in reference.items():
            rows.append({"melodies": label, "configuration": name, "decoder": "",
                         **{column: f"{values[metric]:.3g}" for metric, column in METRICS.items()}})
    return rows


def _mean_spread(values: list[float]) -> str:
    """'mean ± half-range' with 3 significant digits."""
    values = np.asarray(values, float)
    spread = (values.max() - values.min()) / 2
    return f"{values.mean():.3g} ± {spread:.2g}" if len(values) > 1 else f"{values.mean():.3g}"
