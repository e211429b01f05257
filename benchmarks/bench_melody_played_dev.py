"""The played-in quantizer's development set: where its settings were chosen (README, "Played in").

200 held-out Essen tunes other than the 50 of ``bench_melody_played`` (drawn from the same
three quarters of the split with seed 7), each played by ``midistyle.music.humanize`` with seed
1000 + its index, and read back the same way. The quantizer was tuned here, never on the 50 tunes
of the benchmark. Prints the misses of the quantizer as shipped, then the summary rows of
``bench_melody_played`` for it and for three ablations, each taking one of its parts away:

* **no played lengths**: each note's played length does not count (``_duration_log_likelihood`` flat);
* **no tune statistics**: the second decoding uses the corpus statistics alone;
* **log-normal tempo prior**: the prior before the one-octave beat, log-normal around 100
  quarters a minute with a spread of 0.2 (a tune of quarters could read as eighths at half the tempo).
"""

from __future__ import annotations

from unittest import mock

import numpy as np

from benchmarks.bench_melody_played import TUNES, held_out_tunes, measure

DEV_TUNES = 200
DEV_DRAW_SEED = 7
DEV_PLAYER_SEED = 1000


def _ablations() -> dict:
    from midistyle.music import performance

    return {
        "no played lengths": mock.patch.object(
            performance, "_duration_log_likelihood", lambda durations, sixteenth: np.zeros((len(durations), 16))),
        "no tune statistics": mock.patch.object(
            performance, "_with_tune_statistics", lambda corpus, places, intervals, last: corpus),
        "log-normal tempo prior": mock.patch.object(
            performance, "tempo_log_prior", lambda qpm: -np.log(qpm / 100.0) ** 2 / (2 * 0.2 ** 2)),
    }


def run(quick: bool = False) -> list[dict]:
    benchmark_ids = {tune_id for tune_id, _ in held_out_tunes(TUNES)}
    count = 20 if quick else DEV_TUNES
    tunes = [(tune_id, score) for tune_id, score in held_out_tunes(count + TUNES, seed=DEV_DRAW_SEED)
             if tune_id not in benchmark_ids][:count]
    rows = [{"quantizer": "as shipped", **row}
            for row in measure(tunes, first_seed=DEV_PLAYER_SEED, misses_only=True)]
    for name, patch in _ablations().items():
        with patch:
            rows += [{"quantizer": name, **row} for row in measure(tunes, first_seed=DEV_PLAYER_SEED)
                     if row["tune"].startswith("ALL")]
    return rows
