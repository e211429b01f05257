"""A four-part score's harmony written as a lead sheet: one chord symbol per beat where it changes.

The chord of each beat is the harmony critic's label (:func:`midistyle.music.chords.label_chords`) of
the onset slice sounding at the beat, so suspensions stand for their resolution and passing tones do
not count. A symbol is spelled in the score's key (``F#m``, ``Bb7``) with a slash bass when the bass
voice's note is not the root (``D/F#``), as a lead sheet would print it; the root takes the letter whose chord
needs the fewest accidentals beyond the key signature (E♭ major in C major, not D♯ major, whose third
would be F𝄪). Used to turn Bach's own chorales into lead sheets the harmonizer must follow.
"""

from __future__ import annotations

import numpy as np

from midistyle.music.chord_symbols import ChordSymbol, parse_chord_symbol
from midistyle.music.chords import QUALITIES, label_chords, onset_slices
from midistyle.music.keys import LETTERS, alteration_of, estimate_key, letter_choices, spelled
from midistyle.music.metrics import CHORD_TEMPLATES, beat_starts
from midistyle.music.score import Score

SHARPS_ORDER = "FCGDAEB"  # the order sharps enter a key signature (flats: the reverse)
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
        root, quality = int(labels.roots[i]), QUALITIES[labels.qualities[i]]
        tones = CHORD_TEMPLATES[quality][0]
        root_letter = _root_letter(root, tones, score_key)
        figure = _named(root, root_letter) + SUFFIXES[quality]
        bass = _bass_pitch_class(slices.pitches[i], root)
        if bass != root:
            intervals = [(root + t) % 12 for t in tones]
            figure += "/" + (_named(bass, (root_letter + 2 * intervals.index(bass)) % 7) if bass in intervals
                             else _named(bass, spelled(60 + bass, score_key)[0]))
        if not symbols or symbols[-1].figure != figure:
            symbols.append(parse_chord_symbol(figure, int(beat)))
    return tuple(symbols)


def _bass_pitch_class(pitches: np.ndarray, root: int) -> int:
    """The pitch class a slash names: the bass voice's note, shape of ``pitches`` (4,), soprano first,
    -1 where a voice rests. A tenor crossing under the bass for an eighth (bwv364, bar 3: tenor E3
    under the bass's A3) does not make an ``A/E``: the bass part is what a lead sheet's slash
    follows, as :func:`midistyle.music.chord_symbols.chord_agreement` and the decoder read it. Where
    the bass rests, the lowest sounding note; where nothing sounds, the root."""
    if pitches[-1] >= 0:
        return int(pitches[-1]) % 12
    sounding = pitches[pitches >= 0]
    return int(sounding.min()) % 12 if len(sounding) else root


def _root_letter(root: int, tones: tuple[int, ...], score_key) -> int:
    """The letter (0 = C … 6 = B) of the root whose chord, written in stacked thirds from it, needs the
    fewest accidentals beyond the key signature; on a tie the key's own letter for the root."""
    signature = [0] * 7  # per letter, the key signature's sharps (+1) or flats (-1)
    for letter in (SHARPS_ORDER if score_key.sharps > 0 else SHARPS_ORDER[::-1])[:abs(score_key.sharps)]:
        signature[LETTERS.index(letter)] = 1 if score_key.sharps > 0 else -1

    def accidentals(letter: int) -> int:
        return sum(abs(alteration_of((root + t) % 12, (letter + 2 * k) % 7) - signature[(letter + 2 * k) % 7])
                   for k, t in enumerate(tones))

    return min(letter_choices(score_key.sharps, score_key.mode)[root], key=accidentals)


def _named(pitch_class: int, letter: int) -> str:
    """A pitch class written on ``letter``, e.g. ``F#``, ``Bb``, ``E#``."""
    alteration = alteration_of(pitch_class, letter)
    return LETTERS[letter] + ("#" * alteration if alteration > 0 else "b" * -alteration)
