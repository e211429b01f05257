"""Rhythm statistics of real tunes, for the played-in quantizer and the meter detector.

Learned from the soprano lines of the Bach chorale *train* split and from the Essen folk tunes
(ABC, shipped with music21) whose id falls in the *prior* quarter of a fixed hash split: a tune
``collection:X`` belongs to it when the SHA-256 of that id is 0 modulo 4. The benchmarks of
melody reading (``benchmarks/bench_melody_*.py``) take their tunes from the other three quarters,
so the statistics never saw a tune they are measured on.

``build_rhythm_priors`` writes ``midistyle/music/rhythm_priors.json`` (committed; ~2 min to rebuild
with ``midistyle data build --rhythm-priors``):

* ``ioi_sixteenths[k-1]``: share of inter-onset intervals of k sixteenths (k = 1..32);
* ``ioi_mode[k-1]``: share of tunes whose most common interval is k sixteenths (k = 1..16), and
  ``ioi_ratio_to_mode["a/b"]``: share of intervals that are a/b times their tune's most common one
  (a tune picks its basic note value once; its other intervals are scored relative to it, which
  does not depend on the tempo);
* ``position_in_beat[p]``: share of onsets p sixteenths after a quarter beat (p = 0..3);
* ``meters[m]``: per meter (2/4, 3/4, 4/4, 6/8) its ``share`` of tunes and
  ``ioi_given_position[p][k-1]``: given a note at 16th p of the bar, the share of intervals of k
  sixteenths to the next onset (k = 1..16; the last note counts its duration). Every meter then
  scores the same events, so a short bar is not favoured for having fewer positions; and
  ``tune_start[p]``: the share of tunes whose first note is at 16th p of the bar (the pickup).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from midistyle.errors import InputError
from midistyle.music.io import atomic_path, read_score
from midistyle.music.score import Score

SPLIT_MODULUS = 4  # a quarter of the folk tunes teach the statistics, the rest are for measuring
METERS = {"2/4": 8, "3/4": 12, "4/4": 16, "6/8": 12}  # bar length in 16ths
MAX_IOI_SIXTEENTHS = 32


def in_prior_split(tune_id: str) -> bool:
    """True for the tunes the statistics are learned from (``tune_id`` like ``"han1:7"``)."""
    return int(hashlib.sha256(tune_id.encode()).hexdigest(), 16) % SPLIT_MODULUS == 0


def essen_tunes(*, prior: bool) -> Iterator[tuple[Path, int, str]]:
    """(file, ABC X number, id) of every Essen tune in the prior split (or in the others)."""
    from music21 import corpus

    for path in sorted(corpus.getComposer("essenFolksong"), key=str):
        path = Path(str(path))
        for number in (int(x) for x in re.findall(r"^X:\s*(\d+)", path.read_text(errors="replace"), re.M)):
            tune_id = f"{path.stem}:{number}"
            if in_prior_split(tune_id) == prior:
                yield path, number, tune_id


def default_priors_path() -> Path:
    return Path(__file__).resolve().parents[1] / "music" / "rhythm_priors.json"


def build_rhythm_priors(out_path: str | os.PathLike | None = None, *, progress: bool = True) -> dict:
    """Count the statistics and write them as JSON; return them."""
    from tqdm import tqdm

    from midistyle.data.chorales import load_chorales

    melodies: list[tuple[Score, str]] = [(c.select_voices([0]), "bach") for c in load_chorales("train")]
    for path, number, _ in tqdm(list(essen_tunes(prior=True)), desc="essen (prior split)",
                                      disable=not progress):
        try:
            melodies.append((read_score(path, tune=number), "essen"))
        except InputError:
            continue
    table = _count(melodies)
    out_path = Path(out_path) if out_path is not None else default_priors_path()
    with atomic_path(out_path) as temporary:
        temporary.write_text(json.dumps(table, indent=1) + "\n")
    return table


def _count(melodies: list[tuple[Score, str]]) -> dict:
    ioi = np.zeros(MAX_IOI_SIXTEENTHS)
    modes = np.zeros(16)
    ratios: Counter = Counter()
    in_beat = np.zeros(4)
    per_meter = {name: {"tunes": 0, "transitions": np.zeros((bar, 16)), "starts": np.zeros(bar)}
                 for name, bar in METERS.items()}
    sources = {"bach": 0, "essen": 0}
    for score, source in melodies:
        name = "{}/{}".format(*score.time_signature)
        notes = score.voices[0].notes
        if name not in METERS or score.steps_per_quarter != 4 or len(notes) < 4:
            continue
        sources[source] += 1
        onsets = np.array([n.onset_step for n in notes])
        intervals = np.clip(np.diff(onsets), 1, MAX_IOI_SIXTEENTHS)
        histogram = np.bincount(intervals - 1, minlength=MAX_IOI_SIXTEENTHS)
        ioi += histogram
        mode = min(int(np.argmax(histogram)) + 1, 16)
        modes[mode - 1] += 1
        ratios.update(str(Fraction(int(k), mode)) for k in intervals)
        in_beat += np.bincount((onsets - score.anacrusis_steps) % 4, minlength=4)
        bar = METERS[name]
        following = np.clip(np.append(np.diff(onsets), notes[-1].duration_steps), 1, 16)
        where = ((onsets - score.anacrusis_steps) % bar, following - 1)
        np.add.at(per_meter[name]["transitions"], where, 1)
        per_meter[name]["starts"][(onsets[0] - score.anacrusis_steps) % bar] += 1
        per_meter[name]["tunes"] += 1
    total_tunes = sum(c["tunes"] for c in per_meter.values())
    return {
        "sources": {"bach_chorale_train_sopranos": sources["bach"], "essen_prior_split_tunes": sources["essen"],
                    "split": f"sha256('collection:X') % {SPLIT_MODULUS} == 0"},
        "ioi_sixteenths": _shares(ioi),
        "ioi_mode": _shares(modes),
        "ioi_ratio_to_mode": {ratio: round(count / sum(ratios.values()), 6)
                              for ratio, count in ratios.most_common() if count >= 3},
        "position_in_beat": _shares(in_beat),
        "meters": {name: {"share": c["tunes"] / total_tunes, "tunes": c["tunes"],
                          "ioi_given_position": [_shares(row) for row in c["transitions"]],
                          "tune_start": _shares(c["starts"])}
                   for name, c in per_meter.items()},
    }


def _shares(counts: np.ndarray) -> list[float]:
    counts = np.asarray(counts, dtype=float) + 0.5  # add-half smoothing: no position is impossible
    return [round(float(x), 6) for x in counts / counts.sum()]
