"""Played-in melodies: tunes played by a deterministic "human", read back by midistyle.

50 Essen tunes from the held-out three quarters of the hash split (the rhythm statistics never saw
them; ``midistyle.data.rhythm``), in 2/4, 3/4, 4/4 and 6/8, each played by
``midistyle.music.humanize`` with its own seed: one tempo drawn in 70-140 quarters per minute, onset
jitter of sigma = 30 ms, durations x0.85-1.2, no time signature, the file's tempo left at 120.
``read_melody`` must give back:

- **rhythm**: the same pitch sequence with every onset on the same 16th relative to the first note
  (and, per note, the share of notes whose onset is on its 16th);
- **meter**: the same time signature (2/4 and 4/4 are told apart only by the statistics);
- **downbeats**: rhythm and meter right and the same pickup, so every bar line is where it was.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

TUNES = 50


def held_out_candidates(count: int, *, seed: int = 0) -> list:
    """``count`` (file, X number, id) of Essen tunes from the held-out split, drawn with ``seed``."""
    import numpy as np

    from midistyle.data.rhythm import essen_tunes

    candidates = list(essen_tunes(prior=False))
    order = np.random.default_rng(seed).permutation(len(candidates))
    return [candidates[i] for i in order[:count]]


def held_out_tunes(count: int, *, seed: int = 0):
    """``count`` Essen tunes from the held-out split with one of the four meters, spread over files.

    Tunes whose 16th-grid reading puts two notes on one 16th (32nds, grace notes) are skipped: no
    16th-grid answer can be right for them.
    """
    from midistyle.errors import InputError
    from midistyle.music.io import read_score

    chosen = []
    for path, number, tune_id in held_out_candidates(10 * count, seed=seed):
        try:
            score = read_score(path, tune=number)
        except InputError:
            continue
        onsets = [n.onset_step for n in score.voices[0].notes]
        one_per_sixteenth = len(set(onsets)) == len(onsets)  # a 32nd or grace note shares a 16th: no right answer
        if score.time_signature in ((2, 4), (3, 4), (4, 4), (6, 8)) and len(onsets) >= 8 and one_per_sixteenth:
            chosen.append((tune_id, score))
        if len(chosen) == count:
            break
    return chosen


def run(quick: bool = False) -> list[dict]:
    return measure(held_out_tunes(10 if quick else TUNES))


def measure(tunes: list, *, first_seed: int = 0, misses_only: bool = False) -> list[dict]:
    """Play each tune (the player's seed: ``first_seed`` + its index), read it back, compare.

    One row per tune (only the misses with ``misses_only``), then one per meter and one for all.
    """
    from midistyle.music.humanize import humanize
    from midistyle.music.melody import read_melody

    rows, totals = [], {"rhythm": 0, "meter": 0, "downbeats": 0, "notes": 0, "notes_right": 0}
    with tempfile.TemporaryDirectory(prefix="midistyle-played-") as folder:
        for seed, (tune_id, tune) in enumerate(tunes, start=first_seed):
            played, qpm = humanize(tune, seed=seed)
            path = Path(folder) / f"{seed}.mid"
            played.dump_midi(str(path))
            melody = read_melody(path, report=lambda line: None)
            first = tune.voices[0].notes[0].onset_step
            want = [(n.onset_step - first, n.pitch) for n in tune.voices[0].notes]
            got = [(n.onset_step, n.pitch) for n in melody.voices[0].notes]
            rhythm = got == want
            right = sum(g == w for g, w in zip(got, want)) if len(got) == len(want) else 0
            totals["notes"] += len(want)
            totals["notes_right"] += right
            meter = melody.time_signature == tune.time_signature
            downbeats = rhythm and meter and (melody.anacrusis_steps - tune.anacrusis_steps) % \
                tune.steps_per_bar == 0
            totals["rhythm"] += rhythm
            totals["meter"] += meter
            totals["downbeats"] += downbeats
            rows.append({"tune": tune_id, "meter": "{}/{}".format(*tune.time_signature),
                         "pickup": tune.anacrusis_steps, "notes": len(want), "played_qpm": round(qpm),
                         "found_qpm": round(melody.tempo_qpm), "notes_right": right, "rhythm_right": rhythm,
                         "meter_found": "{}/{}".format(*melody.time_signature), "downbeats_right": downbeats})
    summary = []
    for meter in ("2/4", "3/4", "4/4", "6/8"):
        group = [row for row in rows if row.get("meter") == meter]
        notes, right = sum(row["notes"] for row in group), sum(row["notes_right"] for row in group)
        summary.append({"tune": f"{meter} ({len(group)})", "notes": notes,
                     "notes_right": f"{right} ({right / max(notes, 1):.1%})",
                     "rhythm_right": f"{sum(row['rhythm_right'] for row in group)}/{len(group)}",
                     "meter_found": f"{sum(row['meter_found'] == meter for row in group)}/{len(group)} right",
                     "downbeats_right": f"{sum(row['downbeats_right'] for row in group)}/{len(group)}"})
    if misses_only:
        rows = [row for row in rows if not row["rhythm_right"]]
    count = len(tunes)
    rows += summary
    rows.append({"tune": f"ALL ({count})", "notes": totals["notes"],
                 "notes_right": f"{totals['notes_right']} ({totals['notes_right'] / totals['notes']:.1%})",
                 "rhythm_right": f"{totals['rhythm']}/{count}",
                 "meter_found": f"{totals['meter']}/{count} right",
                 "downbeats_right": f"{totals['downbeats']}/{count}"})
    return rows
