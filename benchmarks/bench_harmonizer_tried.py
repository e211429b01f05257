"""The steps that led to the shipped harmonizer, on the *valid* split (README, "What was tried").

Seed 0, 1000 steps each; every run scored with the greedy decoder (the network alone) and the
joint decoder. Runs (missing ones are skipped):

* the plain U-Net: ``runs/ablation/wgan_gp_s0`` (``python -m benchmarks.train_ablation --only wgan_gp``);
* given voices only: ``runs/ablation/given_voices_s0``, decoded three ways — bass first with no
  rewrite, alto first with no rewrite, alto first with 2 rewrites;
* given voices + input skip with parallels penalty 0, 10, 20, 30: ``runs/tried/parallels_W``
  (``midistyle train harmonizer --config benchmarks/configs/harmonizer_network_parallels_W.json
  --seed 0 --out runs/tried/parallels_W``); weight 15 is the shipped ``network`` config.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.bench_harmonizer_ablation import METRICS

ROOT = Path(__file__).resolve().parents[1]


def _variants() -> list[tuple[str, str, str, tuple[int, ...], int]]:
    """(label, run folder, decoder, voice order, rewrite sweeps); order () = the model's default."""
    given = "runs/ablation/given_voices_s0"
    rows = [("plain U-Net", "runs/ablation/wgan_gp_s0", "greedy", (), 0),
            ("plain U-Net", "runs/ablation/wgan_gp_s0", "joint", (), 0),
            ("given voices, bass first", given, "greedy", (2, 1, 0), 0),
            ("given voices, alto first", given, "greedy", (0, 1, 2), 0),
            ("given voices, alto first, 2 rewrites", given, "greedy", (0, 1, 2), 2)]
    for weight in (0, 10, 20, 30):
        folder = f"runs/tried/parallels_{weight}"
        rows += [(f"+ input skip, penalty {weight}", folder, decoder, (0, 1, 2), 2) for decoder in ("greedy", "joint")]
    return rows


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.evaluation.harmonizer_report import compare_harmonizers, melodies_of
    from midistyle.models import harmonize
    from midistyle.models.harmonize import Harmonizer

    valid = melodies_of(load_chorales("valid")[: 6 if quick else None])
    models, chosen = {}, {}
    for label, folder, decoder, order, sweeps in _variants():
        if not (ROOT / folder / "training_report.json").exists():
            continue
        model = models.setdefault(folder, Harmonizer.load(ROOT / folder))

        def harmonize_one(melody, model=model, decoder=decoder, order=order, sweeps=sweeps):
            saved = harmonize.VOICE_ORDER, harmonize.REWRITE_SWEEPS
            harmonize.VOICE_ORDER, harmonize.REWRITE_SWEEPS = order or saved[0], sweeps
            try:
                return model.harmonize(melody, decoder=decoder)[0].score
            finally:
                harmonize.VOICE_ORDER, harmonize.REWRITE_SWEEPS = saved

        chosen[f"{label} | {decoder}"] = harmonize_one
    if not chosen:
        return [{"step": "no runs found; see this module's docstring"}]
    table = compare_harmonizers(chosen, valid)
    return [{"step": name.split(" | ")[0], "decoder": name.split(" | ")[1],
             **{column: round(values[m], 3) for m, column in METRICS.items()}} for name, values in table.items()]
