"""Where a melody's phrases end: its fermatas, or, without any, the notes that sound like an end.

A chorale melody marks its phrase ends with fermatas, and the readers keep them
(``Score.fermata_steps``). A folk tune or a MIDI file has none; :func:`find_phrase_ends` then scores
every note by what makes a listener hear an end (Bach's fermata notes show it):

* a rest or a breath after it;
* a long value, against the tune's typical note and the notes around it;
* a strong place: it starts on a beat, more on the downbeat or (in duple metres) the half bar;
* closure: it is a note of the tonic triad.

and chooses the ends together, trading each note's score against how far its phrase's length lies
from a typical two bars (half of Bach's fermata notes are plain quarters: only the metre and the
regular phrase length tell them); the melody's last note always ends a phrase. The weights were set
on the Bach train sopranos against Bach's fermatas; ``python -m benchmarks phrases`` reports the
precision and recall on train and test, and Bach's phrase lengths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from midistyle.music.keys import estimate_key
from midistyle.music.metrics import beat_steps
from midistyle.music.score import Score

REST_WEIGHT = 3.0
LONG_WEIGHT = 2.0  # at least twice the tune's median value
LONGER_THAN_NEIGHBOURS_WEIGHT = 1.0
ON_BEAT_WEIGHT = 1.0
STRONG_START_WEIGHT = 1.0  # on the downbeat or the half bar
TONIC_TRIAD_WEIGHT = 0.5
PHRASE_COST = 4.0
LENGTH_WEIGHT = 1.0
TYPICAL_PHRASE_BARS = 2.0  # Bach's median phrase on train (quartiles 1.75 and 2.5 bars; benchmarks phrases)


@dataclass(frozen=True)
class PhraseEnds:
    """The onset steps of the melody notes that end phrases, and where they came from.

    Attributes
    ----------
    steps : tuple of int
        Ascending; the last melody note is always one.
    source : str
        ``"fermatas"`` (read from the score) or ``"found"`` (by :func:`find_phrase_ends`).
    """

    steps: tuple[int, ...]
    source: str

    def describe(self) -> str:
        """One line for the report, e.g. ``"8 phrases, from the fermatas"``."""
        count = len(self.steps)
        how = "from the fermatas" if self.source == "fermatas" else "found from long notes, rests and closure"
        return f"{count} phrase{'s' * (count != 1)}, {how}"


def phrase_ends(melody: Score) -> PhraseEnds:
    """The phrase ends of the first voice of ``melody``: its fermatas if it has any, else found."""
    notes = melody.voices[0].notes if melody.voices else ()
    last = (notes[-1].onset_step,) if notes else ()
    if melody.fermata_steps:
        return PhraseEnds(tuple(sorted(set(melody.fermata_steps) | set(last))), "fermatas")
    return PhraseEnds(find_phrase_ends(melody), "found")


def find_phrase_ends(melody: Score) -> tuple[int, ...]:
    """Onset steps of the notes of the first voice that most sound like phrase ends (see the module).

    The ends are chosen together (dynamic programming over the notes): each chosen note adds its
    :func:`phrase_end_scores` less ``PHRASE_COST``, and each phrase loses ``LENGTH_WEIGHT`` times the
    distance, in octaves of length, between its length and ``TYPICAL_PHRASE_BARS``.
    """
    notes = melody.voices[0].notes if melody.voices else ()
    if not notes:
        return ()
    scores = phrase_end_scores(melody) - PHRASE_COST
    onsets = np.array([n.onset_step for n in notes], float)
    typical = TYPICAL_PHRASE_BARS * melody.steps_per_bar
    start = float(melody.anacrusis_steps) - melody.steps_per_bar if melody.anacrusis_steps else 0.0
    best = np.full(len(notes), -np.inf)
    came_from = np.full(len(notes), -1)
    for j in range(len(notes)):
        lengths = onsets[j] - np.concatenate([[start], onsets[:j]])  # from the start, or from each earlier end
        fit = -LENGTH_WEIGHT * np.abs(np.log2(np.maximum(lengths, 1.0) / typical))
        totals = np.concatenate([[0.0], best[:j]]) + fit
        k = int(np.argmax(totals))
        best[j], came_from[j] = totals[k] + scores[j], k - 1
    ends, j = [], len(notes) - 1  # the last note ends the last phrase
    while j >= 0:
        ends.append(int(notes[j].onset_step))
        j = int(came_from[j])
    return tuple(sorted(ends))


def phrase_end_scores(melody: Score) -> np.ndarray:
    """How much each note of the first voice sounds like a phrase end, shape=(N,)."""
    notes = melody.voices[0].notes
    durations = np.array([n.duration_steps for n in notes], float)
    median = float(np.median(durations))
    beat = beat_steps(melody)
    duple = melody.time_signature[0] % 2 == 0  # 2/4, 4/4, 6/8, 12/8 have a strong half bar; 3/4, 9/8 do not
    half_bar = melody.steps_per_bar // 2 if duple else melody.steps_per_bar
    tonic = estimate_key(melody)
    triad = {(tonic.tonic_pitch_class + i) % 12 for i in ((0, 4, 7) if tonic.mode == "major" else (0, 3, 7))}
    scores = np.zeros(len(notes))
    for i, note in enumerate(notes):
        following = notes[i + 1] if i + 1 < len(notes) else None
        previous = notes[i - 1] if i else None
        if following is not None and following.onset_step > note.end_step:
            scores[i] += REST_WEIGHT
        if note.duration_steps >= 2 * median:
            scores[i] += LONG_WEIGHT
        if (previous is None or note.duration_steps > previous.duration_steps) and \
                (following is None or note.duration_steps > following.duration_steps):
            scores[i] += LONGER_THAN_NEIGHBOURS_WEIGHT
        if (note.onset_step - melody.anacrusis_steps) % beat == 0:
            scores[i] += ON_BEAT_WEIGHT
        if (note.onset_step - melody.anacrusis_steps) % half_bar == 0:
            scores[i] += STRONG_START_WEIGHT
        if note.pitch % 12 in triad:
            scores[i] += TONIC_TRIAD_WEIGHT
    return scores
