"""Figuration: the passing tones, suspensions, neighbour notes and ties that make a chorale's lower voices
move like Bach's.

A harmonization decoded chord by chord moves its alto, tenor and bass in block steps: repeated
notes and thirds where Bach's inner voices walk by step, with about a third of his passing tones and
a seventh of his suspensions (the harmony critic's counts on the valid split;
``python -m benchmarks figuration_ablation``, row "no figuration"). This pass embellishes
the lower voices (never the melody) with the figures Bach uses most:

* **passing tone**: a note of a quarter or longer that leaps a third to the next gives its last
  eighth to the scale step between (a chromatic step only where the key has none);
* **suspension**: a voice that falls by step onto a beat holds its note over the beat and
  resolves after half the new note's value (never onto a phrase end: the cadence chord is struck);
* **neighbour note**: a note of a quarter or longer struck again at once gives its last eighth to the
  note one letter below it (or above, where the critic refuses the one below), in the key's scale
  where it can be: G-F-G in the alto, G#-F#-G# (never G#-G-G#; the semitone where both a semitone
  and a whole tone are in the scale: A-G#-A in A minor, not A-G-A). Bach writes 3.3 per 100 quarter beats on the
  valid split; tried at one place in twenty, before a tie, with a seeded stream of draws of its own;
* **tie**: a note repeated at once is held instead (the common tone kept), up to a half note,
  within the bar and not into a phrase end. Tried at every such place in the bass, at some in the
  alto and tenor: on the valid split Bach's bass strikes its pitch again in 2.4 % of its moves, his
  alto and tenor in 18 % and 16 %, and the decoder's bass in 30 %, eighth notes included.

A note just made by a passing tone, a neighbour or a tie is not tried again with the note after it
(of three repeated eighths the first two are tied and the third is struck again; a passing or
neighbour eighth is not then held over the beat as a suspension); a suspension's delayed
resolution is. Under a melody note that ends a phrase (a fermata or the last note; not the phrase
ends the decoder finds in a melody without fermatas) the figuration adds no passing tone or
neighbour.

Each candidate is tried in score order, with a seeded draw deciding whether it is tried at all
(``passing_share``, ``suspension_share``, ``neighbour_share``, ``tie_share`` and ``bass_tie_share``: how
much figuration to write), and kept only when the
harmony critic (:func:`midistyle.music.harmony.critique`) counts no new mark of any rule, so a figure
never adds parallels on the eighths, a clash or an unexplained dissonance. The critic judges a window
of a bar either side of the change (marks are local; judging the whole piece gives the same
decisions at several times the cost).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from midistyle.music.harmony import ENDING_RULES, critique
from midistyle.music.keys import estimate_key, spelled
from midistyle.music.metrics import beat_steps
from midistyle.music.score import Key, Note, Score, Voice


@dataclass(frozen=True, kw_only=True)
class FigurationConfig:
    """How much figuration to write (shares of the candidate places that are tried).

    The defaults were chosen on the Bach valid split's sopranos harmonized by the shipped joint
    decoder (``python -m benchmarks figuration_ablation`` reproduces the choice; its latest figures
    here). Passing tones alone bring the style classifier's Fréchet distance to Bach down (3.93 to
    3.18); ties bring the lower voices' repeated notes (34 % of their moves; Bach 12 %) down but,
    tried at every place in the alto and tenor too, the distance up (8.65). At these shares:
    passing tones 15.6 per 100 quarter beats (Bach 14.5), suspensions 7.0 (Bach 8.4), neighbour
    notes 3.8 (Bach 3.3), repeated notes 20 % (the bass's 10 %; Bach 12 % and 2.4 %), Fréchet
    distance 2.50, and the critic's two-sample test 0.87 (0.99 without figuration).

    Ties are tried at every place in the bass (``bass_tie_share``): on the valid split Bach's bass
    strikes its pitch again in 2.4 % of its moves and his alto and tenor in 18 % and 16 %, the
    decoder's bass in 30 %. Bass ties alone take the distance down (3.93 to 2.99).
    Neighbour notes at a twentieth of the repeats write Bach's rate; more bring the distance
    further down (1.64 at 0.2) while the two-sample test, which counts them, stays within a piece
    or two (0.85 at 0.1, 0.88 at 0.2) and rises at 0.3 (0.91).

    Attributes
    ----------
    passing_share : float
        Share of the places where a note leaps a third that get a passing tone, 0..1.
    suspension_share : float
        Share of the steps down onto a beat that become suspensions, 0..1.
    tie_share : float
        Share of the alto's and tenor's repeated notes that are tied, 0..1.
    bass_tie_share : float
        Share of the bass's repeated notes that are tied, 0..1.
    neighbour_share : float
        Share of the lower voices' repeated notes (a quarter or longer) that get a neighbour note
        on their last eighth, tried before a tie, 0..1.
    """

    passing_share: float = 1.0
    suspension_share: float = 0.3
    tie_share: float = 0.6  # alto and tenor
    bass_tie_share: float = 1.0
    neighbour_share: float = 0.05

    @classmethod
    def none(cls) -> FigurationConfig:
        """No figuration at all: every share 0."""
        return cls(passing_share=0.0, suspension_share=0.0, tie_share=0.0, bass_tie_share=0.0, neighbour_share=0.0)

    def __post_init__(self) -> None:
        for name in ("passing_share", "suspension_share", "tie_share", "bass_tie_share", "neighbour_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name}={getattr(self, name)} must be in 0..1")


def add_figuration(score: Score, *, config: FigurationConfig | None = None, seed: int = 0,
                   locked: tuple[int, ...] = (), window: tuple[int, int] | None = None) -> Score:
    """``score`` with passing tones, suspensions, neighbour notes and ties in its lower voices where
    the critic allows them.

    Parameters
    ----------
    score : Score
        Four voices, soprano first, on a grid with an even number of steps per quarter (else it
        is returned as it is).
    config : FigurationConfig, keyword-only
        How much of each figure to write (None: the defaults).
    seed : int, keyword-only
        Seeds the draws that decide which candidate places are tried.
    locked : tuple of int, keyword-only
        Voices (1 alto, 2 tenor, 3 bass) left exactly as they are: the user's own.
    window : (int, int), keyword-only
        Steps (start, end): only two notes that both start in it are figured (bars just
        regenerated); every note that starts outside it stays as it is.

    Returns
    -------
    Score
        A new score in ``score``'s key; the soprano and the locked voices are the same objects.
    """
    config = config or FigurationConfig()
    if score.num_voices != 4 or score.steps_per_quarter % 2:
        return score
    rng = np.random.default_rng(seed)
    neighbour_rng = np.random.default_rng([seed, 1])  # its own stream of draws
    original_key = score.key
    score_key = score.key if score.key is not None else estimate_key(score)
    score = score.replace(key=score_key)  # every window is spelled in the piece's key
    melody = score.voices[0].notes
    phrase_ends = set(score.fermata_steps) | ({melody[-1].onset_step} if melody else set())
    held_steps = {t for n in melody if n.onset_step in phrase_ends for t in range(n.onset_step, n.end_step)}
    for v in (v for v in (1, 2, 3) if v not in locked):
        tie_share = config.bass_tie_share if v == 3 else config.tie_share
        figures = ((_passing, config.passing_share, rng), (_suspension, config.suspension_share, rng),
                   (_neighbour, config.neighbour_share, neighbour_rng), (_tie, tie_share, rng))
        index = 0
        while index < len(score.voices[v].notes) - 1:
            a, b = score.voices[v].notes[index : index + 2]
            outside = window is not None and not (window[0] <= a.onset_step and b.onset_step < window[1])
            added = 0
            for figure, share, draws in () if outside else figures:
                if draws.random() >= share:
                    continue
                kept = next((c for c in figure(score, v, index, score_key, phrase_ends, held_steps)
                             if _no_new_marks(score, c, a.onset_step, b.end_step)), None)
                if kept is not None:
                    added = len(kept.voices[v].notes) - len(score.voices[v].notes)
                    score = kept
                    break
            index += 1 + max(added, 0)  # a note a figure just made is not figured again
    return score.replace(key=original_key)


def _no_new_marks(before: Score, after: Score, start_step: int, end_step: int) -> bool:
    """True when the critic counts no more marks of any rule in ``after`` than in ``before``, both
    judged on the notes that start within a bar of ``start_step``..``end_step`` (but the ending's
    rules, which would judge the window's last note as the piece's)."""
    window = (start_step - before.steps_per_bar, end_step + before.steps_per_bar)
    counts = [Counter(m.rule for m in critique(s.notes_starting_between(*window)).marks if m.rule not in ENDING_RULES)
              for s in (before, after)]
    return all(counts[1][rule] <= counts[0][rule] for rule in counts[1])


def _passing(score: Score, v: int, index: int, score_key: Key, phrase_ends: set[int],
             held_steps: set[int]) -> list[Score]:
    """The note at ``index`` with its last eighth given to a passing tone (none where none fits)."""
    notes = list(score.voices[v].notes)
    a, b = notes[index], notes[index + 1]
    eighth = score.steps_per_quarter // 2
    if a.end_step != b.onset_step or abs(b.pitch - a.pitch) not in (3, 4) or a.duration_steps < 2 * eighth \
            or a.end_step - eighth in held_steps:
        return []  # a third to the next, a quarter or more, not moving under a phrase end's held note
    middle = _step_between(a.pitch, b.pitch, score_key)
    notes[index:index + 1] = [Note(a.onset_step, a.pitch, a.duration_steps - eighth, a.velocity),
                              Note(a.end_step - eighth, middle, eighth, a.velocity)]
    return [_with_voice(score, v, notes)]


def _suspension(score: Score, v: int, index: int, score_key: Key, phrase_ends: set[int],
                held_steps: set[int]) -> list[Score]:
    """The step down from the note at ``index`` delayed over the beat (none where it does not fit)."""
    notes = list(score.voices[v].notes)
    a, b = notes[index], notes[index + 1]
    if a.end_step != b.onset_step or a.pitch - b.pitch not in (1, 2) or b.duration_steps < score.steps_per_quarter \
            or b.onset_step in phrase_ends:
        return []
    if (b.onset_step - score.anacrusis_steps) % beat_steps(score):
        return []  # a suspension falls on a beat
    held = b.duration_steps // 2
    notes[index:index + 2] = [Note(a.onset_step, a.pitch, a.duration_steps + held, a.velocity),
                              Note(b.onset_step + held, b.pitch, b.duration_steps - held, b.velocity)]
    return [_with_voice(score, v, notes)]


def _neighbour(score: Score, v: int, index: int, score_key: Key, phrase_ends: set[int],
               held_steps: set[int]) -> list[Score]:
    """The note at ``index``, repeated by the note after it, with its last eighth given to the
    scale step below, then the same with the step above (the first the critic allows is kept);
    none where it does not fit."""
    notes = list(score.voices[v].notes)
    a, b = notes[index], notes[index + 1]
    eighth = score.steps_per_quarter // 2
    if a.end_step != b.onset_step or a.pitch != b.pitch or a.duration_steps < 2 * eighth \
            or a.end_step - eighth in held_steps:
        return []  # a repeated note of a quarter or more, not moving under a phrase end's held note
    candidates = []
    for neighbour in _scale_neighbours(a.pitch, score_key):
        figured = list(notes)
        figured[index:index + 1] = [Note(a.onset_step, a.pitch, a.duration_steps - eighth, a.velocity),
                                    Note(a.end_step - eighth, neighbour, eighth, a.velocity)]
        candidates.append(_with_voice(score, v, figured))
    return candidates


def _tie(score: Score, v: int, index: int, score_key: Key, phrase_ends: set[int],
         held_steps: set[int]) -> list[Score]:
    """The note at ``index`` held through the repeated note after it (none where it does not fit)."""
    notes = list(score.voices[v].notes)
    a, b = notes[index], notes[index + 1]
    if a.end_step != b.onset_step or a.pitch != b.pitch or b.onset_step in phrase_ends:
        return []
    if a.duration_steps + b.duration_steps > 2 * score.steps_per_quarter or \
            (b.onset_step - score.anacrusis_steps) % score.steps_per_bar == 0:
        return []  # no longer than a half note, and not over a bar line
    notes[index:index + 2] = [Note(a.onset_step, a.pitch, a.duration_steps + b.duration_steps, a.velocity)]
    return [_with_voice(score, v, notes)]


def _step_between(first: int, second: int, score_key: Key) -> int:
    """The pitch between two a third apart: the one in the key's scale (either when both are)."""
    scale = _scale(score_key)
    low, high = sorted((first, second))
    inside = [p for p in range(low + 1, high) if p % 12 in scale and high - p in (1, 2) and p - low in (1, 2)]
    return inside[0] if inside else low + 2


def _scale_neighbours(pitch: int, score_key: Key) -> list[int]:
    """The neighbours of ``pitch`` in ``score_key``: the note one letter below, then the one letter
    above, each a semitone or a whole tone away, in the key's scale where one is (minor: natural
    and harmonic; the semitone where both are), never the same letter altered (G#-G-G# is no
    neighbour figure). Up to two pitches."""
    neighbours = []
    for direction in (-1, 1):
        steps = [pitch + direction * semitones for semitones in (1, 2)]
        adjacent = [p for p in steps if _staff_position(p, score_key) - _staff_position(pitch, score_key) == direction]
        in_scale = [p for p in adjacent if p % 12 in _scale(score_key)]
        if in_scale or adjacent:
            neighbours.append((in_scale or adjacent)[0])
    return neighbours


def _staff_position(pitch: int, score_key: Key) -> int:
    """The line or space ``pitch`` is written on in ``score_key``: 7 per octave."""
    letter, _, octave = spelled(pitch, score_key)
    return 7 * octave + letter


def _scale(score_key: Key) -> set[int]:
    """Pitch classes of ``score_key``'s scale (minor: natural and harmonic)."""
    tonic = score_key.tonic_pitch_class
    steps = (0, 2, 4, 5, 7, 9, 11) if score_key.mode == "major" else (0, 2, 3, 5, 7, 8, 10, 11)
    return {(tonic + s) % 12 for s in steps}


def _with_voice(score: Score, v: int, notes: list[Note]) -> Score:
    voices = list(score.voices)
    voices[v] = Voice(voices[v].name, tuple(notes), voices[v].program)
    return score.replace(voices=tuple(voices))
