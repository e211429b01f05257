"""A four-part score's harmony written as a lead sheet: one chord symbol per beat where it changes.

The chord of each beat is the harmony critic's label (:func:`midistyle.music.chords.label_chords`) of
the onset slice sounding at the beat, so suspensions stand for their resolution and passing tones do
not count. A symbol is spelled in the score's key (``F#m``, ``Bb7``) with a slash bass when the bass
is not the root (``D/F#``), as a lead sheet would print it. Used to turn Bach's own chorales into
lead sheets the harmonizer must follow.
"""

from __future__ import annotations

import numpy as np

from midistyle.music.chord_symbols import ChordSymbol, parse_chord_symbol
from midistyle.music.chords import QUALITIES, label_chords, onset_slices
from midistyle.music.keys import estimate_key, pitch_name
from midistyle.music.metrics import beat_starts
from midistyle.music.score import Score

SUFFIXES = {  # quality -> lead-sheet suffix
    "major": "", "minor": "m", "diminished": "dim", "dominant seventh": "7", "minor seventh": "m7",
    "major seventh": "maj7", "half-diminished seventh": "m7b5", "diminished seventh": "dim7",
}


def lead_sheet_symbols(score: Score) -> tuple[ChordSymbol, ...]:
    """Chord symbols for ``score`` (four voices, soprano first), one at each beat whose chord differs
    from the beat before; beats with no chord (fewer than two pitch classes) continue the last."""
    slices = onset_slices(score)
    labels = label_chords(slices)
    score_key = score.key if score.key is not None else estimate_key(score)
    symbols: list[ChordSymbol] = []
    for beat in beat_starts(score):
        i = int(np.searchsorted(slices.steps, beat, side="right")) - 1
        if i < 0 or labels.roots[i] < 0:
            continue
        root = int(labels.roots[i])
        figure = _spelled(root, score_key) + SUFFIXES[QUALITIES[labels.qualities[i]]]
        sounding = slices.pitches[i][slices.pitches[i] >= 0]
        bass = int(sounding.min()) % 12 if len(sounding) else root
        if bass != root:
            figure += "/" + _spelled(bass, score_key)
        if not symbols or symbols[-1].figure != figure:
            symbols.append(parse_chord_symbol(figure, int(beat)))
    return tuple(symbols)


def _spelled(pitch_class: int, score_key) -> str:
    return pitch_name(60 + pitch_class, score_key)[:-1]  # without the octave
