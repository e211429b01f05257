"""The played-in quantizer's development set: where its settings were chosen (README, "Played in").

200 held-out Essen tunes other than the 50 of ``bench_melody_played`` (drawn from the same
three quarters of the split with seed 7), each played by ``midistyle.music.humanize`` with seed
1000 + its index, and read back the same way. The quantizer was tuned here, never on the 50 tunes
of the benchmark. Prints the misses, then the same summary rows as ``bench_melody_played``.
"""

from __future__ import annotations

from benchmarks.bench_melody_played import TUNES, held_out_tunes, measure

DEV_TUNES = 200
DEV_DRAW_SEED = 7
DEV_PLAYER_SEED = 1000


def run(quick: bool = False) -> list[dict]:
    benchmark_ids = {tune_id for tune_id, _ in held_out_tunes(TUNES)}
    count = 20 if quick else DEV_TUNES
    tunes = [(tune_id, score) for tune_id, score in held_out_tunes(count + TUNES, seed=DEV_DRAW_SEED)
             if tune_id not in benchmark_ids][:count]
    return measure(tunes, first_seed=DEV_PLAYER_SEED, misses_only=True)
