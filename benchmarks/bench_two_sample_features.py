"""Which counts tell the harmonizer's and the chorale Transformer's pieces from Bach's.

The two-sample test of ``benchmarks harmony_critic`` gives one accuracy per set; this takes the same
test apart (:func:`midistyle.evaluation.two_sample.feature_separation`): each feature of
:func:`midistyle.evaluation.two_sample.piece_features` alone, with the same balanced draw and folds.
Three comparisons: the shipped harmonizer (joint decoder) on the 34 valid sopranos with Bach's
fermatas (key detected) against Bach's settings of them, the development set where decoder and
figuration settings are chosen; the same on the 34 test sopranos, as in ``harmony_critic``; and
the chorale Transformer (16 bars, seeds 0..39, default settings) against Bach's test chorales.
Rows: the whole test, then the ``TOP`` features that tell most alone, with each set's mean over
the pieces drawn and the difference in pooled standard deviations; then the share of each lower
voice's moves that strike its pitch again, pooled over all the set's moves
(:func:`midistyle.music.metrics.repeated_pitch_share`), which the interval features pool over
voices.
"""

from __future__ import annotations

import numpy as np

TOP = 12
CHORALES_FULL, CHORALES_QUICK = 40, 6
VOICE_NAMES = ("alto", "tenor", "bass")


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.evaluation.harmonizer_report import melodies_of
    from midistyle.evaluation.two_sample import feature_separation, two_sample_accuracy
    from midistyle.models.compose import ChoraleGenerator
    from midistyle.models.harmonize import Harmonizer
    from midistyle.music.metrics import repeated_pitch_share

    valid, test = (load_chorales(split)[: 6 if quick else None] for split in ("valid", "test"))
    harmonizer = Harmonizer.load()
    generator = ChoraleGenerator.load()
    comparisons = {  # name: (ours, Bach's)
        "harmonizer, valid sopranos": ([harmonizer.harmonize(m)[0].score for m in melodies_of(valid)], valid),
        "harmonizer, test sopranos": ([harmonizer.harmonize(m)[0].score for m in melodies_of(test)], test),
        "chorale Transformer": ([generator.generate(bars=16, seed=seed).score
                                 for seed in range(CHORALES_QUICK if quick else CHORALES_FULL)], test),
    }
    rows = []
    for name, (ours, bach) in comparisons.items():
        rows.append({"ours": name, "feature": "all (the two-sample test)",
                     "accuracy alone": round(two_sample_accuracy(ours, bach), 3)})
        for found in feature_separation(ours, bach)[:TOP]:
            rows.append({"ours": name, "feature": found["feature"], "accuracy alone": round(found["accuracy"], 3),
                         "ours mean": round(found["ours"], 3), "Bach mean": round(found["bach"], 3),
                         "difference (sd)": (round(found["difference_sd"], 2) if np.isfinite(found["difference_sd"])
                                             else "apart, no spread")})
        for v, voice in enumerate(VOICE_NAMES, start=1):
            rows.append({"ours": name, "feature": f"repeated pitch share, {voice}",
                         "ours mean": round(repeated_pitch_share(ours, voices=(v,)), 3),
                         "Bach mean": round(repeated_pitch_share(bach, voices=(v,)), 3)})
    return rows
