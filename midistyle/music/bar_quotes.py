"""Bars as transposition-free signatures, and runs of consecutive bars that quote Bach's training chorales.

A bar's signature is every note that starts in it, in all voices (voice, onset in the bar, pitch
above the bar's lowest note, length cut at the bar line), so the same bar in another key has the same
signature. :func:`longest_known_run` finds the longest run of consecutive bars whose signatures all
occur in a set of known bars: an upper bound on the longest quotation, since the bars of a run need
not come from one place. The chorale benchmark counts it against the train split
(:mod:`midistyle.evaluation.chorale_report`); the chorale generator draws a stretch again when it
would make a run longer than :data:`MAX_QUOTED_BARS` (:mod:`midistyle.models.compose`), against the
committed hashes of the train split's bars (:data:`TRAIN_BARS_PATH`, rebuilt by
``midistyle data build --train-bars``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path

import numpy as np

from midistyle.music.score import Score

TRAIN_BARS_PATH = Path(__file__).resolve().parent / "bach_train_bars.npy"
MAX_QUOTED_BARS = 2  # the chorale issue's bound: no sample copies more than 2 bars of training


def bar_signatures(score: Score) -> list[tuple | None]:
    """One transposition-free signature per bar, in order (None for a bar where no note starts)."""
    lines = score.bar_lines()
    ends = lines[1:] + [score.num_steps]
    signatures: list[tuple | None] = []
    for start, end in zip(lines, ends):
        notes = [(v, n.onset_step - start, n.pitch, min(n.end_step, end) - n.onset_step)
                 for v, voice in enumerate(score.voices) for n in voice.notes if start <= n.onset_step < end]
        if not notes:
            signatures.append(None)
            continue
        lowest = min(pitch for _, _, pitch, _ in notes)
        signatures.append(tuple(sorted((v, onset, pitch - lowest, length) for v, onset, pitch, length in notes)))
    return signatures


def signature_hash(signature: tuple) -> int:
    """A 64-bit digest of one bar's signature (the same in every process and on every machine)."""
    plain = tuple(tuple(int(x) for x in note) for note in signature)  # numpy ints repr as np.int64(3)
    return int.from_bytes(hashlib.blake2b(repr(plain).encode(), digest_size=8).digest(), "little")


def longest_known_run(signatures: list[tuple | None], known: Collection) -> int:
    """The longest run of consecutive bars whose signatures are all in ``known``."""
    best = run = 0
    for signature in signatures:
        found = signature is not None and signature in known
        run = run + 1 if found else 0
        best = max(best, run)
    return best


@lru_cache(maxsize=1)
def train_bar_hashes() -> frozenset[int]:
    """The committed :func:`signature_hash` of every bar of the train split's chorales."""
    return frozenset(int(h) for h in np.load(TRAIN_BARS_PATH))
