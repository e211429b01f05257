"""How Bach spells each degree of the key: the counts behind the critic's and the writer's letters.

The dataset keeps MIDI pitches, so F♯ and G♭ are one number there; the letter Bach wrote is in
music21's corpus files. ``spelling_counts`` reads it back for every note of a split's chorales and
counts, per mode, how many letters above the tonic's letter each degree (semitones above the
tonic) is written. ``bach_letter_steps`` takes the most frequent letter per degree: the table
:data:`midistyle.music.keys.BACH_LETTER_STEPS` is that of the train split (a test keeps them
equal). ``spelling_agreement`` scores a speller against Bach's own letters on a held-out split.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from midistyle.data.chorales import load_chorales
from midistyle.music.keys import LETTERS
from midistyle.music.score import Key

MODES = ("major", "minor")


def written_letters(chorale_id: str) -> list[tuple[int, int]]:
    """Every note of a corpus chorale as ``(midi_pitch, letter)``, letter 0 = C … 6 = B, as written."""
    from music21 import corpus

    parsed = corpus.parse(f"bach/{chorale_id}")
    return [(int(p.midi), LETTERS.index(p.step)) for n in parsed.recurse().notes for p in n.pitches]


def spelling_counts(split: str = "train", dataset_dir: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """Notes per degree and letter in a split's chorales, each in the key the dataset gives it.

    Returns
    -------
    dict
        ``{"major": counts, "minor": counts}``, each of shape (12, 7): row = semitones above the
        tonic, column = letters above the tonic's letter.
    """
    counts = {mode: np.zeros((12, 7), dtype=np.int64) for mode in MODES}
    for score in load_chorales(split, dataset_dir):
        key = score.key if score.key is not None else Key(0, "major")
        tonic, tonic_letter = key.tonic_pitch_class, LETTERS.index(key.tonic_name[0])
        for pitch, letter in written_letters(score.title):
            counts[key.mode][(pitch - tonic) % 12, (letter - tonic_letter) % 7] += 1
    return counts


def bach_letter_steps(counts: dict[str, np.ndarray]) -> dict[str, tuple[int, ...]]:
    """The letter (above the tonic's) written most often for each degree, per mode: shape (12,) each."""
    return {mode: tuple(int(letter) for letter in table.argmax(axis=1)) for mode, table in counts.items()}


def spelling_agreement(split: str, letter_of: Callable[[int, Key], int], *, chromatic_only: bool = True,
                       dataset_dir: str | os.PathLike | None = None) -> tuple[int, int]:
    """How many of a split's notes ``letter_of(midi_pitch, key)`` spells with Bach's letter.

    ``chromatic_only`` counts only notes outside the key's major or natural minor scale and its
    raised sixth and seventh, where spellers differ. Returns ``(agreeing, counted)``.
    """
    agreeing = counted = 0
    for score in load_chorales(split, dataset_dir):
        key = score.key if score.key is not None else Key(0, "major")
        tonic = key.tonic_pitch_class
        scale = (0, 2, 4, 5, 7, 9, 11) if key.mode == "major" else (0, 2, 3, 5, 7, 8, 9, 10, 11)
        for pitch, letter in written_letters(score.title):
            if chromatic_only and (pitch - tonic) % 12 in scale:
                continue
            counted += 1
            agreeing += letter_of(pitch, key) == letter
    return agreeing, counted
