"""A rule baseline: a block diatonic triad under every melody note.

For each note the first triad of the key (in the order I, V, IV, vi, ii, iii; minor: i, V, iv, VI,
ii°, III with a raised leading tone) that contains the note's pitch class is chosen; a chromatic
note gets the major triad built on it. The bass takes the root, alto and tenor the other tones, each
voice the closest such pitch to its previous one within its SATB range and under the voice above.
It is what the learned harmonizer must beat, not a model of Bach.
"""

from __future__ import annotations

import numpy as np

from midistyle.models.harmonizer_data import assemble, choose_key
from midistyle.music.score import SATB_RANGES, Key, Note, Score

MAJOR_TRIADS = ((0, 4, 7), (7, 11, 2), (5, 9, 0), (9, 0, 4), (2, 5, 9), (4, 7, 11))
MINOR_TRIADS = ((0, 3, 7), (7, 11, 2), (5, 8, 0), (8, 0, 3), (2, 5, 8), (3, 7, 10))


def triad_for(pitch_class: int, key: Key) -> tuple[int, int, int]:
    """Pitch classes (root, third, fifth) of the chord chosen for a melody pitch class."""
    tonic = key.tonic_pitch_class
    for triad in MAJOR_TRIADS if key.mode == "major" else MINOR_TRIADS:
        chord = tuple((tonic + t) % 12 for t in triad)
        if pitch_class in chord:
            return chord
    return (pitch_class, (pitch_class + 4) % 12, (pitch_class + 7) % 12)


def _closest(pitch_class: int, previous: int, low: int, high: int) -> int:
    candidates = [p for p in range(low, high + 1) if p % 12 == pitch_class]
    if not candidates:  # the range is too narrow under the voice above: take the nearest octave anyway
        return max(p for p in range(high - 11, high + 1) if p % 12 == pitch_class)
    return min(candidates, key=lambda p: (abs(p - previous), p))


def harmonize_with_triads(melody: Score, key: Key | None = None) -> Score:
    """Four voices: the melody, then block triads in alto, tenor and bass, in ``key`` (default the
    one :func:`midistyle.models.harmonizer_data.choose_key` gives the harmonizer)."""
    key = key or choose_key(melody)[0]  # the key the harmonizer takes
    previous = [int(np.mean(r)) for r in SATB_RANGES[1:]]
    lower: list[list[Note]] = [[], [], []]
    for note in melody.voices[0].notes:
        root, third, fifth = triad_for(note.pitch % 12, key)
        remaining = [pc for pc in (root, third, fifth) if pc != note.pitch % 12]
        inner = remaining if len(remaining) == 2 else [third, fifth]  # a chromatic note: full triad below
        above = note.pitch
        chosen = []
        for v, pitch_class in enumerate([*inner, root]):
            low, high = SATB_RANGES[v + 1]
            pitch = _closest(pitch_class, previous[v], low, min(high, above))
            chosen.append(pitch)
            above = pitch
        for v, pitch in enumerate(chosen):
            lower[v].append(Note(note.onset_step, pitch, note.duration_steps))
        previous = chosen
    return assemble(melody, lower)
