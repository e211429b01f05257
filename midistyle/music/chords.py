"""Onset slices of a score and the chord each one sounds.

A *slice* is taken at every step where any voice starts a note (eighths, sixteenths and all), and
holds what each voice sounds there, whether it has just attacked, and its neighbouring notes. The
harmony critic reads the score only through these slices.

The chord of a slice is the triad or seventh chord (:data:`midistyle.music.metrics.CHORD_TEMPLATES`)
that best explains its pitch classes, where a note that looks like an embellishment by its melodic
shape alone (stepped into and out of, held over and falling by step, or repeated in the next
note) counts for less than a plain chord tone, and a note held over and falling by step also stands
for the tone it falls to (a 4-3 over C with no E sounding is a C chord). Small bonuses favour the
chord whose root is in the bass, a triad over a seventh chord, and the chord of the slice before.
What is left outside the chord is a non-chord tone, for the critic to classify.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from midistyle.music.metrics import CHORD_TEMPLATES, REST
from midistyle.music.score import Score

QUALITIES = tuple(CHORD_TEMPLATES)  # "major", "minor", "diminished", "dominant seventh", …
SEVENTH_QUALITIES = frozenset(q for q, (tones, _) in CHORD_TEMPLATES.items() if len(tones) == 4)
PITCH_NAMES = "C C# D Eb E F F# G Ab A Bb B".split()

EMBELLISHMENT_WEIGHT = 0.4  # how much a note shaped like a passing tone or suspension counts
BASS_ROOT_BONUS = 0.35
SEVENTH_PENALTY = 0.25
MISSING_REQUIRED_PENALTY = 0.6
SAME_AS_BEFORE_BONUS = 0.1


@dataclass(frozen=True)
class Slices:
    """What every voice does at every onset.

    Attributes
    ----------
    steps : np.ndarray, shape=(N,), int
        Onset steps, ascending.
    pitches : np.ndarray, shape=(N, V), int
        The pitch each voice sounds at the slice (its highest if it sounds two), ``REST`` (-1) if silent.
    attacks : np.ndarray, shape=(N, V), bool
        True where the voice's note starts at this slice (False where it is held from before).
    previous : np.ndarray, shape=(N, V), int
        Pitch of the voice's note before the one sounding, ``REST`` when a rest separates them or there is none.
    following : np.ndarray, shape=(N, V), int
        Pitch of the voice's note after the one sounding, ``REST`` likewise.
    note_onsets, note_ends : np.ndarray, shape=(N, V), int
        Onset and end step of the note sounding (-1 where silent).
    """

    steps: np.ndarray
    pitches: np.ndarray
    attacks: np.ndarray
    previous: np.ndarray
    following: np.ndarray
    note_onsets: np.ndarray
    note_ends: np.ndarray

    def __len__(self) -> int:
        return len(self.steps)


def onset_slices(score: Score) -> Slices:
    """Slices at every step where any voice starts a note (see :class:`Slices`)."""
    steps = np.array(sorted({n.onset_step for v in score.voices for n in v.notes}), dtype=np.int64)
    shape = (len(steps), score.num_voices)
    pitches, previous, following = (np.full(shape, REST, np.int64) for _ in range(3))
    note_onsets, note_ends = np.full(shape, -1, np.int64), np.full(shape, -1, np.int64)
    attacks = np.zeros(shape, bool)
    for v, voice in enumerate(score.voices):
        # the highest note at each onset stands for the voice (a voice is one line in a chorale)
        line = _one_line(voice.notes)
        if not line:
            continue
        line_onsets = np.array([n.onset_step for n in line])
        index = np.searchsorted(line_onsets, steps, side="right") - 1  # the last note begun by each slice
        for i, k in enumerate(index):
            if k < 0 or line[k].end_step <= steps[i]:
                continue
            note = line[k]
            pitches[i, v], note_onsets[i, v], note_ends[i, v] = note.pitch, note.onset_step, note.end_step
            attacks[i, v] = note.onset_step == steps[i]
            if k > 0 and line[k - 1].end_step == note.onset_step:
                previous[i, v] = line[k - 1].pitch
            if k + 1 < len(line) and line[k + 1].onset_step == note.end_step:
                following[i, v] = line[k + 1].pitch
    return Slices(steps, pitches, attacks, previous, following, note_onsets, note_ends)


def _one_line(notes):
    """A voice's notes with one note per onset (the highest), each cut where the next begins."""
    by_onset = {}
    for note in notes:
        if note.onset_step not in by_onset or note.pitch > by_onset[note.onset_step].pitch:
            by_onset[note.onset_step] = note
    line = [by_onset[s] for s in sorted(by_onset)]
    cut = []
    for note, nxt in zip(line, line[1:] + [None]):
        end = min(note.end_step, nxt.onset_step) if nxt is not None else note.end_step
        cut.append(type(note)(note.onset_step, note.pitch, end - note.onset_step, note.velocity))
    return cut


# -- chords -----------------------------------------------------------------------------------------
def _templates() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(tones (C, 12), required (C, 12), roots (C,), quality index (C,)) over every root and quality."""
    tones, required, roots, qualities = [], [], [], []
    for q, (chord_tones, chord_required) in enumerate(CHORD_TEMPLATES.values()):
        for root in range(12):
            tones.append([((pc - root) % 12) in chord_tones for pc in range(12)])
            required.append([((pc - root) % 12) in chord_required for pc in range(12)])
            roots.append(root)
            qualities.append(q)
    return (np.array(tones, float), np.array(required, float), np.array(roots), np.array(qualities))


_TONES, _REQUIRED, _ROOTS, _QUALITY_INDEX = _templates()
_IS_SEVENTH = np.array([QUALITIES[q] in SEVENTH_QUALITIES for q in _QUALITY_INDEX])


@dataclass(frozen=True)
class ChordLabels:
    """The chord of each slice.

    Attributes
    ----------
    roots : np.ndarray, shape=(N,), int
        Root pitch class, -1 where fewer than two pitch classes sound.
    qualities : np.ndarray, shape=(N,), int
        Index into :data:`QUALITIES`, -1 likewise.
    chord_tones : np.ndarray, shape=(N, V), bool
        True where the voice sounds a tone of the slice's chord (False where silent).
    """

    roots: np.ndarray
    qualities: np.ndarray
    chord_tones: np.ndarray

    def name(self, i: int) -> str:
        """``"G major"``, ``"D dominant seventh"``, or ``"no chord"``."""
        return "no chord" if self.roots[i] < 0 else f"{PITCH_NAMES[self.roots[i]]} {QUALITIES[self.qualities[i]]}"

    def quality(self, i: int) -> str | None:
        return None if self.qualities[i] < 0 else QUALITIES[self.qualities[i]]


def embellishment_shaped(slices: Slices) -> np.ndarray:
    """Where a note looks like an embellishment by its melodic shape alone, shape=(N, V), bool.

    Stepped into and out of (passing, neighbour); held over or repeated, then falling by step
    (suspension); or repeated by the next note after a short value (anticipation).
    """
    p, before, after = slices.pitches, slices.previous, slices.following
    sounding = p != REST
    step_in = (before != REST) & np.isin(np.abs(p - before), (1, 2))
    step_out = (after != REST) & np.isin(np.abs(after - p), (1, 2))
    held = sounding & (~slices.attacks | (before == p))
    falls = (after != REST) & np.isin(p - after, (1, 2))
    anticipation = slices.attacks & (after == p)
    return sounding & ((slices.attacks & step_in & step_out) | (held & falls) | anticipation)


def _suspension_shaped(slices: Slices) -> np.ndarray:
    """Held over (or repeated into) the slice and falling by step next, shape=(N, V), bool."""
    p, before, after = slices.pitches, slices.previous, slices.following
    held = (p != REST) & (~slices.attacks | (before == p))
    return held & (after != REST) & np.isin(p - after, (1, 2))


def label_chords(slices: Slices) -> ChordLabels:
    """The chord of each slice (see the module docstring for how ties are broken)."""
    n, num_voices = slices.pitches.shape
    weights = np.where(embellishment_shaped(slices), EMBELLISHMENT_WEIGHT, 1.0)
    weighted = np.zeros((n, 12))
    present = np.zeros((n, 12))
    bass = np.full(n, -1)
    suspended = _suspension_shaped(slices)
    for v in range(num_voices):
        sounding = slices.pitches[:, v] != REST
        pcs = slices.pitches[:, v] % 12
        rows = np.nonzero(sounding)[0]
        np.add.at(weighted, (rows, pcs[rows]), weights[rows, v])
        present[rows, pcs[rows]] = 1
        resolving = np.nonzero(suspended[:, v])[0]  # a suspension stands for the tone it falls to
        present[resolving, slices.following[resolving, v] % 12] = 1
    for v in reversed(range(num_voices)):  # the lowest sounding voice is the bass
        sounding = (slices.pitches[:, v] != REST) & (bass < 0)
        bass[sounding] = slices.pitches[sounding, v] % 12
    scores = weighted @ _TONES.T  # (N, C)
    scores -= MISSING_REQUIRED_PENALTY * ((1 - present) @ _REQUIRED.T)
    scores += BASS_ROOT_BONUS * (_ROOTS[None, :] == bass[:, None])
    scores -= SEVENTH_PENALTY * _IS_SEVENTH[None, :]
    roots, qualities = np.full(n, -1), np.full(n, -1)
    chosen = -1
    for i in range(n):
        if present[i].sum() < 2:
            chosen = -1
            continue
        row = scores[i] + SAME_AS_BEFORE_BONUS * (np.arange(len(_ROOTS)) == chosen) if chosen >= 0 else scores[i]
        chosen = int(np.argmax(row))
        roots[i], qualities[i] = _ROOTS[chosen], _QUALITY_INDEX[chosen]
    chord_tones = np.zeros((n, num_voices), bool)
    for i in range(n):
        if roots[i] >= 0:
            tones = _TONES[qualities[i] * 12 + roots[i]]
            sounding = slices.pitches[i] != REST
            chord_tones[i, sounding] = tones[slices.pitches[i, sounding] % 12] > 0
    return ChordLabels(roots, qualities, chord_tones)
