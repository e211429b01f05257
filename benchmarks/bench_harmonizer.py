"""The harmonizer's quality bar, side by side: the shipped network with each decoder, the plain U-Net
GAN shipped before, the DeepComposer-shaped model trained the same way, a block-triad baseline and
Bach, on the Bach test sopranos and on 20 folk tunes.

Every harmonizer gets the melody alone (key detected by music21). Columns whose weights are missing
are left out: the plain U-Net is seed 0 of the ablation (``runs/ablation/wgan_gp_s0``, see
``bench_harmonizer_ablation``), the DeepComposer shape needs ``runs/deepcomposer``
(``midistyle train harmonizer --config deepcomposer --steps 150 --out runs/deepcomposer``).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def harmonizers(quick: bool) -> dict:
    from midistyle.models.baseline_harmonizer import harmonize_with_triads
    from midistyle.models.harmonize import Harmonizer

    shipped = Harmonizer.load()
    chosen = {
        "network, joint": lambda m: shipped.harmonize(m)[0].score,
        "network, greedy": lambda m: shipped.harmonize(m, decoder="greedy")[0].score,
        "network, sample": lambda m: shipped.harmonize(m, decoder="sample")[0].score,
    }
    if (ROOT / "runs" / "ablation" / "wgan_gp_s0" / "config.json").exists():
        plain = Harmonizer.load(ROOT / "runs" / "ablation" / "wgan_gp_s0")
        chosen["plain U-Net, joint"] = lambda m: plain.harmonize(m)[0].score
        chosen["plain U-Net, greedy"] = lambda m: plain.harmonize(m, decoder="greedy")[0].score
    if (ROOT / "runs" / "deepcomposer" / "config.json").exists():
        deepcomposer = Harmonizer.load(ROOT / "runs" / "deepcomposer")
        chosen["DeepComposer shape"] = lambda m: deepcomposer.harmonize(m)[0].score
    chosen["triad baseline"] = harmonize_with_triads
    return chosen


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.data.folk import load_folk_melodies
    from midistyle.evaluation.harmonizer_report import compare_harmonizers, melodies_of

    test = load_chorales("test")[: 6 if quick else None]
    folk = load_folk_melodies()[: 4 if quick else None]
    chosen = harmonizers(quick)
    rows = []
    for label, melodies, bach in (("Bach test sopranos", melodies_of(test), test), ("folk tunes", folk, None)):
        table = compare_harmonizers(chosen, melodies, bach=bach)
        for metric in next(iter(table.values())):
            rows.append({"melodies": label, "metric": metric,
                         **{name: round(values[metric], 3) for name, values in table.items()}})
    return rows
