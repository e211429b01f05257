"""The harmony critic over everything that writes four voices, side by side in one run.

Columns: Bach's train and test chorales; the shipped harmonizer with each decoder and the triad
baseline, given the 34 test sopranos with Bach's fermatas (key detected); the same on the folk
tunes; and the chorale Transformer (16 bars, seeds 0..N-1, default settings). Rows: every rule's
marks per 100 quarter beats (at every onset), the cadence kinds at phrase ends, the share of
phrase ends with a cadential bass, the share of pieces ending V-I on a root-position tonic and of
pieces opening on one (in the key the critic reads; for Bach's sets also in the key the harmonizer
detects from the soprano, the key the harmonizers' pieces are read in), the melody kept, and a
5-fold logistic-regression two-sample test against Bach's test chorales
(against the same melodies' Bach settings for the harmonizers; 0.5 = indistinguishable).
"""

from __future__ import annotations

import numpy as np

CHORALES_FULL, CHORALES_QUICK = 40, 6


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.data.folk import load_folk_melodies
    from midistyle.evaluation.harmonizer_report import melodies_of
    from midistyle.evaluation.two_sample import two_sample_accuracy
    from midistyle.models.baseline_harmonizer import harmonize_with_triads
    from midistyle.models.compose import ChoraleGenerator
    from midistyle.models.harmonize import Harmonizer
    from midistyle.models.harmonizer_data import place_melody
    from midistyle.music.cadences import opens_on_tonic
    from midistyle.music.harmony import critique, pooled_cadence_shares, pooled_rates
    from midistyle.music.metrics import melody_preserved
    from midistyle.music.score import Key

    train, test = load_chorales("train"), load_chorales("test")
    if quick:
        train, test = train[:20], test[:6]
    test_melodies, folk = melodies_of(test), load_folk_melodies()[: 6 if quick else None]
    shipped = Harmonizer.load()
    decoders = {
        "joint (default)": lambda m: shipped.harmonize(m)[0].score,
        "greedy": lambda m: shipped.harmonize(m, decoder="greedy")[0].score,
        "sample": lambda m: shipped.harmonize(m, decoder="sample")[0].score,
        "triad baseline": harmonize_with_triads,
    }
    sets: dict[str, tuple[list, list | None, list | None]] = {  # name: (pieces, melodies, Bach to tell from)
        "Bach train": (train, None, test), "Bach test": (test, None, None)}
    for name, harmonize in decoders.items():
        sets[f"test sopranos, {name}"] = ([harmonize(m) for m in test_melodies], test_melodies, test)
    for name in ("joint (default)", "triad baseline"):
        sets[f"folk, {name}"] = ([decoders[name](m) for m in folk], folk, test)
    generator = ChoraleGenerator.load()
    count = CHORALES_QUICK if quick else CHORALES_FULL
    sets["chorale Transformer"] = ([generator.generate(bars=16, seed=s).score for s in range(count)], None, test)

    columns: dict[str, dict] = {}
    for name, (pieces, melodies, reference) in sets.items():
        found = [critique(p) for p in pieces]
        column = {**pooled_rates(found), **pooled_cadence_shares(found)}
        column["phrase ends per piece"] = float(np.mean([len(c.cadences) for c in found]))
        column["opens on a root-position tonic"] = float(np.mean([opens_on_tonic(p, Key.parse(c.key))
                                                                  for p, c in zip(pieces, found)]))
        # Bach's pieces are read in the keys his files declare, the harmonizers' in the key they detect
        # from the soprano, and the two differ for some melodies: Bach's, read in the harmonizer's key too
        column["opens so, in the key the harmonizer reads from the soprano"] = (
            float(np.mean([opens_on_tonic(p, place_melody(m).key) for p, m in zip(pieces, melodies_of(pieces))]))
            if name.startswith("Bach") else None)
        column["melody kept (min)"] = (min(melody_preserved(m, p) for m, p in zip(melodies, pieces))
                                       if melodies else None)
        column["two-sample accuracy vs Bach"] = (two_sample_accuracy(pieces, reference, seed=0)
                                                 if reference is not None else None)
        columns[name] = column
    order = list(next(iter(columns.values())))
    return [{"metric": metric, **{name: _round(column[metric]) for name, column in columns.items()}}
            for metric in order]


def _round(value):
    return None if value is None else round(float(value), 3)
