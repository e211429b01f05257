"""Cadences: the chord move at each phrase end, named.

A phrase ends at each fermata of the score and at its last melody note. The cadence is read from
the chord at that onset (*X*) and the chord that leads to it in the same phrase (*Y*): a dominant of
X within the two beats before it, else the last chord on another root on a beat (chords on the
eighths between beats are passing), as
the critic labels them (:mod:`midistyle.music.chords`):

=============  =========================================================================
authentic      Y is a major triad or dominant seventh a fifth above X (V-I), or a
               diminished chord a semitone below X's root (vii°-I)
plagal         X is the key's tonic (or its relative's) and Y lies a fourth above (IV-I)
phrygian       X is a major triad whose root the bass reaches by a semitone from above (iv6-V)
deceptive      Y is a dominant and X the triad a step above its root (V-vi, V-♭VI)
half           X is another major triad, not the tonic: the phrase stops on a dominant
none           anything else, or no chord change within the phrase
=============  =========================================================================

The *cadential bass* share counts phrase ends whose chord is a root-position triad reached by a
bass move of a fourth, a fifth or a step: about 80 % of Bach's fermatas by one count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from midistyle.music.chords import ChordLabels, Slices, label_chords, onset_slices
from midistyle.music.keys import key_of_tonic
from midistyle.music.metrics import REST, beat_steps
from midistyle.music.score import Key, Score

CADENCE_KINDS = ("authentic", "half", "plagal", "deceptive", "phrygian", "none")
DOMINANT_QUALITIES = ("major", "dominant seventh")
LEADING_TONE_QUALITIES = ("diminished", "diminished seventh", "half-diminished seventh")
CADENTIAL_BASS_MOVES = (1, 2, 5, 7, 10, 11)  # semitones mod 12: a step, a fourth or a fifth either way
PERFECT_BASS_MOVES = (5, -7)  # semitones, root-position V to I: up a fourth or down a fifth, not by a
# compound leap of an eleventh or twelfth (the critic's leap beyond an octave); Bach's train chorales end
# V-I from a root-position V 239 times, every one by one of these two


@dataclass(frozen=True)
class Cadence:
    """The cadence at one phrase end.

    Attributes
    ----------
    step : int
        Onset step of the phrase's last chord.
    bar : int
    beat : float
    kind : str
        One of :data:`CADENCE_KINDS`.
    chords : tuple of str
        (Y, X): the chord before and the chord arrived at, e.g. ``("D dominant seventh", "G major")``.
    root_position : bool
        The bass sounds X's root.
    cadential_bass : bool
        X is a root-position triad reached by a bass move of a fourth, a fifth or a step.
    on_tonic : bool
        X's root is the key's tonic.
    at_fermata : bool
        The phrase end is marked by a fermata (else it is the end of the piece only).
    perfect : bool
        A perfect authentic cadence: Y is a major triad or dominant seventh on its root in the bass,
        the bass falls a fifth or rises a fourth to X's root (not by a compound leap), the soprano
        (the first voice) ends on X's root, and X sounds its third (every final chord of Bach's 272
        train chorales does): V-I as Bach ends 0.73 of them.
    """

    step: int
    bar: int
    beat: float
    kind: str
    chords: tuple[str, str]
    root_position: bool
    cadential_bass: bool
    on_tonic: bool
    at_fermata: bool
    perfect: bool

    def to_dict(self) -> dict:
        out = asdict(self)
        out["chords"] = list(self.chords)
        return out


def phrase_end_slices(score: Score, slices: Slices) -> list[tuple[int, bool]]:
    """(slice index, at a fermata) of every phrase end: each fermata, then the last melody note."""
    ends: dict[int, bool] = {}
    for step in score.fermata_steps:
        k = int(np.searchsorted(slices.steps, step, side="right")) - 1
        if k >= 0:
            ends[k] = True
    melody = score.voices[0].notes if score.voices else ()
    if melody:
        k = int(np.searchsorted(slices.steps, melody[-1].onset_step, side="right")) - 1
        ends.setdefault(k, False)
    return sorted(ends.items())


def find_cadences(score: Score, slices: Slices, chords: ChordLabels, score_key: Key) -> list[Cadence]:
    """The cadence at every phrase end of ``score`` (see the module docstring)."""
    cadences = []
    phrase_start = 0
    on_beat = (slices.steps - score.anacrusis_steps) % beat_steps(score) == 0
    for k, at_fermata in phrase_end_slices(score, slices):
        previous = _chord_before(chords, slices, on_beat, phrase_start, k, beat_steps(score))
        step = int(slices.steps[k])
        bar, position = bar_and_beat(score, step)
        bass_x, bass_y = _bass(slices, k), _bass(slices, previous) if previous is not None else REST
        kind = _kind(chords, previous, k, bass_y, bass_x, score_key)
        x_root = int(chords.roots[k])
        root_position = x_root >= 0 and bass_x != REST and bass_x % 12 == x_root
        triad = chords.quality(k) in ("major", "minor")
        cadential_bass = bool(root_position and triad and bass_y != REST
                              and (bass_x - bass_y) % 12 in CADENTIAL_BASS_MOVES)
        third = (x_root + (4 if chords.quality(k) == "major" else 3)) % 12
        perfect = bool(kind == "authentic" and root_position and chords.quality(previous) in DOMINANT_QUALITIES
                       and bass_y != REST and bass_y % 12 == chords.roots[previous]
                       and bass_x - bass_y in PERFECT_BASS_MOVES and _soprano(slices, k) in range(x_root, 128, 12)
                       and any(p != REST and p % 12 == third for p in slices.pitches[k]))
        cadences.append(Cadence(step, bar, round(position, 3), kind,
                                (chords.name(previous) if previous is not None else "no chord", chords.name(k)),
                                bool(root_position), cadential_bass, x_root == score_key.tonic_pitch_class,
                                at_fermata, perfect))
        phrase_start = k + 1
    return cadences


def cadence_at(score: Score, step: int, score_key: Key) -> Cadence:
    """The cadence a phrase ending at ``step`` would have: the score read up to ``step`` with a
    fermata there (notes from two bars before on, so a long piece is judged as fast as a short one).

    Raises
    ------
    ValueError
        When a voice with notes in the window rests at ``step``: a phrase cannot end on a rest (the
        chord before it is not the phrase's last chord once the music has stopped).
    """
    window = score.notes_starting_between(step - 2 * score.steps_per_bar, step).replace(fermata_steps=(step,))
    resting = [v.name for v in window.voices
               if v.notes and not any(n.onset_step <= step < n.end_step for n in v.notes)]
    if resting or not any(v.notes for v in window.voices):
        raise ValueError(f"{', '.join(resting) or 'every voice'} rests at step {step}")
    slices = onset_slices(window)
    return find_cadences(window, slices, label_chords(slices), score_key)[-1]


def opens_on_tonic(score: Score, key: Key) -> bool:
    """Whether the first chord in which every voice sounds is a triad on the key's tonic (major or
    minor, whatever the key's mode: a D minor chorale may open on D major) with its root in the
    bass, as Bach opens most chorales (24 of his 34 test chorales, in the keys their files declare;
    ``python -m benchmarks harmony_critic``). Unlike :func:`midistyle.models.compose.opens_on_its_tonic`,
    which asks it of a generated opening in the key its first bars suggest, in any inversion, the
    key is given and the bass must hold the root."""
    slices = onset_slices(score)
    chords = label_chords(slices)
    first = next((i for i in range(len(slices.steps)) if (slices.pitches[i] != REST).all()), None)
    return (first is not None and chords.quality(first) in ("major", "minor")
            and int(chords.roots[first]) == key.tonic_pitch_class == _bass(slices, first) % 12)


def home_key(score: Score) -> Key | None:
    """The key a chorale opens in, and where Bach ends it: its first chord's root as the tonic,
    major or minor as that chord is (None when the first chord is no major or minor triad). An
    opening without its third (an open fifth) takes the mode of the first chord on that root that
    sounds one.

    The final chord's root is the first chord's in 244 of Bach's 272 train chorales (0.90); the
    tonic of the key his files declare, 211; of the key the opening two bars correlate with best
    (:func:`midistyle.music.keys.estimate_key`), 171.
    """
    slices = onset_slices(score)
    chords = label_chords(slices)
    first = next((i for i in range(len(slices.steps)) if chords.roots[i] >= 0), None)
    if first is None or chords.quality(first) not in ("major", "minor"):
        return None
    root = int(chords.roots[first])
    for i in range(first, len(slices.steps)):
        quality = chords.quality(i)
        third = (root + (4 if quality == "major" else 3)) % 12
        if chords.roots[i] == root and quality in ("major", "minor") and \
                any(p != REST and p % 12 == third for p in slices.pitches[i]):
            return key_of_tonic(root, quality)
    return key_of_tonic(root, chords.quality(first))


def _chord_before(chords: ChordLabels, slices: Slices, on_beat: np.ndarray, phrase_start: int, k: int,
                  beat: int) -> int | None:
    """The slice of the chord that leads to slice ``k``'s, within the phrase.

    A dominant of that chord (a major triad or dominant seventh a fifth above, or a diminished chord
    a semitone below) within the two beats before it, wherever it falls; else the last chord on
    another root on a beat (chords on the eighths between are passing); else on any onset; else None.
    """
    x_root = chords.roots[k]
    for j in range(k - 1, phrase_start - 1, -1):
        if slices.steps[k] - slices.steps[j] > 2 * beat:
            break
        quality = chords.quality(j)
        if (quality in DOMINANT_QUALITIES and (chords.roots[j] + 5) % 12 == x_root) or \
                (quality in LEADING_TONE_QUALITIES and (chords.roots[j] + 1) % 12 == x_root):
            return j
    for beats_only in (True, False):
        for j in range(k - 1, phrase_start - 1, -1):
            if chords.roots[j] >= 0 and chords.roots[j] != x_root and (on_beat[j] or not beats_only):
                return j
    return None


def _kind(chords: ChordLabels, y: int | None, x: int, bass_y: int, bass_x: int, score_key: Key) -> str:
    x_root, x_quality = int(chords.roots[x]), chords.quality(x)
    if y is None or x_root < 0 or x_quality not in ("major", "minor"):
        return "none"
    y_root, y_quality = int(chords.roots[y]), chords.quality(y)
    tonic = score_key.tonic_pitch_class
    relative = (tonic + (9 if score_key.mode == "major" else 3)) % 12
    if (y_quality in DOMINANT_QUALITIES and x_root == (y_root + 5) % 12) or \
            (y_quality in LEADING_TONE_QUALITIES and x_root == (y_root + 1) % 12):
        return "authentic"
    if x_root in (tonic, relative) and x_root == (y_root + 7) % 12 and y_quality in ("major", "minor"):
        return "plagal"
    if x_quality == "major" and REST not in (bass_x, bass_y) and bass_y - bass_x == 1 and bass_x % 12 == x_root:
        return "phrygian"
    if y_quality in DOMINANT_QUALITIES and ((x_quality == "minor" and x_root == (y_root + 2) % 12)
                                            or (x_quality == "major" and x_root == (y_root + 1) % 12)):
        return "deceptive"
    if x_quality == "major" and x_root != tonic:
        return "half"
    return "none"


def _soprano(slices: Slices, i: int) -> int:
    """The first voice's pitch at slice ``i`` (REST when it is silent)."""
    return int(slices.pitches[i][0]) if len(slices.pitches[i]) else REST


def _bass(slices: Slices, i: int) -> int:
    sounding = [int(p) for p in slices.pitches[i] if p != REST]
    return min(sounding) if sounding else REST


def bar_and_beat(score: Score, step: int) -> tuple[int, float]:
    """The bar as printed (a pickup is bar 0) and the beat in it, from 1, of an onset step."""
    beat = beat_steps(score)
    if step < score.anacrusis_steps:
        return 0, 1.0 + (step + score.steps_per_bar - score.anacrusis_steps) / beat
    bar, position = divmod(step - score.anacrusis_steps, score.steps_per_bar)
    return bar + 1, 1.0 + position / beat
