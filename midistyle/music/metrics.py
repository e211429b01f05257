"""Symbolic music metrics: pure functions ``metric(score) -> float`` (and one over a set of scores,
:func:`repeated_pitch_share`).

Three families, all computed on the step grid of a :class:`~midistyle.music.score.Score`:

* **texture** — ranges, empty bars, polyphony, pitch-class statistics, tonal distance;
* **voice leading** — parallel perfect intervals, crossings, spacing and leaps, counted per 100
  beat-to-beat transitions so that long and short pieces compare;
* **harmony** — the share of beats whose sounding pitch classes form a recognised chord, and the
  share with a dissonance against the bass that does not resolve by the next beat.

Pitch classes are ``pitch % 12`` everywhere (MuseGAN's, DeepComposer's and pypianoroll's chroma
helpers reshape to ``(..., 12, n_octaves)`` and get this wrong), and the empty-measure rate counts
*empty* bars (those helpers return the non-empty share).

"Beats" follow the meter: a quarter in x/4, a half in x/2, an eighth in 3/8, and a dotted quarter
in compound meters (6/8, 9/8, 12/8). The pitch a voice sounds *at* a beat is the highest note
sounding at that beat's first step (a rest gives none).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

from midistyle.errors import InputError
from midistyle.music.keys import estimate_key, is_augmented
from midistyle.music.score import SATB_RANGES, Score

REST = -1
PERFECT_INTERVAL_CLASSES = (0, 7)  # unison/octave and fifth, modulo the octave
DISSONANT_INTERVAL_CLASSES = (1, 2, 6, 10, 11)  # seconds, tritone, sevenths (and their compounds)
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
HARMONIC_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 11)

# Chord templates as intervals above the root, with the tones a chord must contain to count
# as an (incomplete) instance of it: root and third for triads, plus the seventh for sevenths.
CHORD_TEMPLATES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "major": ((0, 4, 7), (0, 4)),
    "minor": ((0, 3, 7), (0, 3)),
    "diminished": ((0, 3, 6), (0, 3, 6)),
    "dominant seventh": ((0, 4, 7, 10), (0, 4, 10)),
    "minor seventh": ((0, 3, 7, 10), (0, 3, 10)),
    "major seventh": ((0, 4, 7, 11), (0, 4, 11)),
    "half-diminished seventh": ((0, 3, 6, 10), (0, 3, 6, 10)),
    "diminished seventh": ((0, 3, 6, 9), (0, 3, 6, 9)),
}


# -- grids the metrics share ---------------------------------------------------------------------
def beat_steps(score: Score) -> int:
    """Length of one beat in steps (dotted quarter in compound meters such as 6/8)."""
    numerator, denominator = score.time_signature
    unit = 4 * score.steps_per_quarter // denominator
    compound = denominator == 8 and numerator % 3 == 0 and numerator > 3
    return unit * 3 if compound else unit


def beat_starts(score: Score) -> np.ndarray:
    """Steps where beats start, aligned to the bar lines (after the pickup).

    Returns
    -------
    np.ndarray, shape=(B,), int
    """
    beat = beat_steps(score)
    first = score.anacrusis_steps % beat
    return np.arange(first, max(score.num_steps, 1), beat)


def sounding_pitches(score: Score, num_steps: int | None = None) -> np.ndarray:
    """The highest pitch each voice sounds at each step.

    Returns
    -------
    np.ndarray, shape=(T, V), int
        MIDI pitch, or ``REST`` (-1) where the voice is silent.
    """
    num_steps = score.num_steps if num_steps is None else num_steps
    grid = np.full((num_steps, score.num_voices), REST, dtype=np.int16)
    for v, voice in enumerate(score.voices):
        for note in voice.notes:
            span = grid[note.onset_step : note.end_step, v]
            np.maximum(span, note.pitch, out=span)
    return grid


def beat_pitches(score: Score) -> np.ndarray:
    """Pitch of each voice at each beat.

    Returns
    -------
    np.ndarray, shape=(B, V), int
        ``REST`` (-1) where the voice is silent on that beat.
    """
    if not score.num_steps:
        return np.full((0, score.num_voices), REST, dtype=np.int16)
    return sounding_pitches(score)[beat_starts(score)]


def _per_100_transitions(count: int, beats: np.ndarray) -> float:
    transitions = len(beats) - 1
    return 100.0 * count / transitions if transitions > 0 else 0.0


def _all_notes(score: Score) -> list:
    return [note for voice in score.voices for note in voice.notes]


# -- texture -------------------------------------------------------------------------------------
def pitch_ranges(score: Score) -> list[tuple[int, int] | None]:
    """(lowest, highest) MIDI pitch of each voice, None for an empty voice."""
    return [(min(n.pitch for n in v.notes), max(n.pitch for n in v.notes)) if v.notes else None for v in score.voices]


def in_range_rate(score: Score, ranges: Sequence[tuple[int, int]] = SATB_RANGES) -> float:
    """Share of notes inside their voice's range (voice ``i`` against ``ranges[i]``).

    Voices beyond ``len(ranges)`` are not counted. 1.0 for a score without notes.
    """
    inside = total = 0
    for voice, (low, high) in zip(score.voices, ranges):
        total += len(voice.notes)
        inside += sum(low <= n.pitch <= high for n in voice.notes)
    return inside / total if total else 1.0


def empty_measure_rate(score: Score) -> float:
    """Share of (voice, bar) pairs in which the voice sounds nothing at all.

    A bar is measured from one bar line to the next; the last bar ends with the last note.
    """
    starts = score.bar_lines()
    if not starts or not score.num_steps:
        return 0.0
    ends = starts[1:] + [score.num_steps]
    grid = sounding_pitches(score)
    empty = sum(bool(np.all(grid[a:b, v] == REST)) for v in range(score.num_voices) for a, b in zip(starts, ends))
    return empty / (len(starts) * score.num_voices)


def polyphony(score: Score) -> float:
    """Mean number of sounding pitches over the steps where at least one sounds."""
    grid = sounding_pitches(score)
    counts = (grid != REST).sum(axis=1)
    return float(counts[counts > 0].mean()) if np.any(counts > 0) else 0.0


def qualified_note_rate(score: Score, *, min_quarters: float = 0.25) -> float:
    """Share of notes lasting at least ``min_quarters`` (a 16th by default); 1.0 without notes."""
    min_steps = min_quarters * score.steps_per_quarter
    notes = _all_notes(score)
    return sum(n.duration_steps >= min_steps for n in notes) / len(notes) if notes else 1.0


def pitch_class_histogram(score: Score) -> np.ndarray:
    """Note counts per pitch class (``pitch % 12``), shape=(12,)."""
    return np.bincount([n.pitch % 12 for n in _all_notes(score)], minlength=12).astype(float)


def pitch_class_entropy(score: Score) -> float:
    """Shannon entropy in bits of the pitch-class histogram of notes (0 to log2 12 = 3.585)."""
    histogram = pitch_class_histogram(score)
    if not histogram.sum():
        return 0.0
    p = histogram[histogram > 0] / histogram.sum()
    return float(-(p * np.log2(p)).sum())


def pitch_classes_per_bar(score: Score) -> float:
    """Mean number of distinct pitch classes sounding in a bar, over bars with any note."""
    starts = score.bar_lines()
    if not score.num_steps:
        return 0.0
    ends = starts[1:] + [score.num_steps]
    grid = sounding_pitches(score)
    counts = []
    for a, b in zip(starts, ends):
        pitches = grid[a:b][grid[a:b] != REST]
        if pitches.size:
            counts.append(len(np.unique(pitches % 12)))
    return float(np.mean(counts)) if counts else 0.0


def scale_consistency(score: Score) -> float:
    """Largest share of notes inside one scale, over 12 major and 12 harmonic-minor scales."""
    histogram = pitch_class_histogram(score)
    if not histogram.sum():
        return 0.0
    best = 0.0
    for scale in (MAJOR_SCALE, HARMONIC_MINOR_SCALE):
        for tonic in range(12):
            best = max(best, histogram[[(tonic + d) % 12 for d in scale]].sum() / histogram.sum())
    return float(best)


def tonal_centroid(chroma: np.ndarray) -> np.ndarray:
    """Harte et al. (2006) 6-D tonal centroid of a chroma vector (circles of fifths and thirds).

    Parameters
    ----------
    chroma : np.ndarray, shape=(12,) or (N, 12)

    Returns
    -------
    np.ndarray, shape=(6,) or (N, 6); zeros for an all-zero chroma.
    """
    pitch_class = np.arange(12)
    angles_radii = ((7 * np.pi / 6, 1.0), (3 * np.pi / 2, 1.0), (2 * np.pi / 3, 0.5))
    phi = np.stack([f(a * pitch_class) * r for a, r in angles_radii for f in (np.sin, np.cos)])  # (6, 12)
    chroma = np.asarray(chroma, dtype=float)
    total = chroma.sum(axis=-1, keepdims=True)
    normalized = np.divide(chroma, total, out=np.zeros_like(chroma), where=total > 0)
    return normalized @ phi.T


def tonal_distance(score: Score) -> float:
    """Mean distance between the tonal centroids of two voices in the same bar.

    Averaged over every voice pair and every bar in which both voices sound.
    """
    starts = score.bar_lines()
    if score.num_voices < 2 or not score.num_steps:
        return 0.0
    ends = starts[1:] + [score.num_steps]
    chroma = np.zeros((len(starts), score.num_voices, 12))
    for v, voice in enumerate(score.voices):
        for note in voice.notes:
            for b, (a, e) in enumerate(zip(starts, ends)):
                overlap = min(note.end_step, e) - max(note.onset_step, a)
                if overlap > 0:
                    chroma[b, v, note.pitch % 12] += overlap
    centroids = tonal_centroid(chroma)  # (bars, V, 6)
    distances = [
        np.linalg.norm(centroids[b, i] - centroids[b, j])
        for i, j in itertools.combinations(range(score.num_voices), 2)
        for b in range(len(starts))
        if chroma[b, i].any() and chroma[b, j].any()
    ]
    return float(np.mean(distances)) if distances else 0.0


# -- voice leading -------------------------------------------------------------------------------
def count_parallel_perfect_intervals(score: Score) -> int:
    """How many consecutive fifths and octaves (unisons included) the score has between beats.

    Counted for every pair of voices when both voices move (a new pitch in each) and the interval
    between them is a perfect fifth or an octave/unison, compound or not, on both beats. Contrary
    motion by perfect intervals (antiparallels) counts too: the chorale style avoids both. This is
    the beat-level count the README's older tables were measured with, kept as it was: it takes the
    signed interval class, so crossed voices a fourth apart count as a fifth here, unlike the
    harmony critic (:func:`midistyle.music.motion.perfect_motion`), which reads every onset.
    """
    beats = beat_pitches(score)
    count = 0
    for i, j in itertools.combinations(range(score.num_voices), 2):
        a, b = beats[:, i], beats[:, j]
        sounding = (a != REST) & (b != REST)
        both = sounding[:-1] & sounding[1:]
        moving = (a[:-1] != a[1:]) & (b[:-1] != b[1:])
        interval = (a - b) % 12
        perfect = np.isin(interval, PERFECT_INTERVAL_CLASSES)
        same_kind = interval[:-1] == interval[1:]
        count += int(np.sum(both & moving & perfect[:-1] & same_kind))
    return count


def parallel_perfect_intervals(score: Score) -> float:
    """Consecutive fifths and octaves per 100 beat-to-beat transitions (see the count above)."""
    return _per_100_transitions(count_parallel_perfect_intervals(score), beat_pitches(score))


def voice_crossings(score: Score) -> float:
    """Beats on which a voice sounds above the voice written above it, per 100 transitions."""
    beats = beat_pitches(score)
    count = 0
    for upper in range(score.num_voices - 1):
        a, b = beats[:, upper], beats[:, upper + 1]
        count += int(np.sum((a != REST) & (b != REST) & (b > a)))
    return _per_100_transitions(count, beats)


def wide_spacings(score: Score) -> float:
    """Beats with more than an octave between soprano–alto or alto–tenor, per 100 transitions."""
    beats = beat_pitches(score)
    count = 0
    for upper in range(min(2, score.num_voices - 1)):
        a, b = beats[:, upper], beats[:, upper + 1]
        count += int(np.sum((a != REST) & (b != REST) & (a - b > 12)))
    return _per_100_transitions(count, beats)


def large_leaps(score: Score) -> float:
    """Melodic leaps larger than an octave between consecutive notes of a voice, per 100 transitions."""
    count = 0
    for voice in score.voices:
        pitches = np.array([n.pitch for n in voice.notes])
        count += int(np.sum(np.abs(np.diff(pitches)) > 12)) if len(pitches) > 1 else 0
    return _per_100_transitions(count, beat_starts(score))


def move_share(scores: Sequence[Score], semitones: Sequence[int], voices: Sequence[int] = (1, 2, 3)) -> float:
    """Of the given voices' moves from one note straight into the next (no rest between), the share
    by one of ``semitones`` (up or down), pooled over ``scores``.

    Parameters
    ----------
    scores : sequence of Score
        The pieces; their moves are pooled (a long piece weighs more than a short one).
    semitones : sequence of int
        The sizes of move counted, e.g. ``(0,)`` a repeated pitch, ``(1, 2)`` a step.
    voices : sequence of int
        Voice indices; default the alto, tenor and bass of a four-part score. An index beyond a
        score's voices counts no moves there.

    Returns
    -------
    float
        In [0, 1]; 0 when there is no such move.

    Notes
    -----
    A held pitch is one note, not a repeat: the readers merge tied notes (music21's ``stripTies``),
    and the decoder and the figuration write a held pitch as one note.
    """
    return _share_of_moves(scores, voices, lambda a, b, _: abs(b.pitch - a.pitch) in semitones)


def _share_of_moves(scores: Sequence[Score], voices: Sequence[int], counts: Callable) -> float:
    """Of the given voices' moves from one note straight into the next (no rest between), pooled over
    ``scores``, the share for which ``counts(note, next_note, score)`` is true; 0 with no moves."""
    counted = moves = 0
    for score in scores:
        for v in voices:
            notes = score.voices[v].notes if v < score.num_voices else ()
            for a, b in zip(notes, notes[1:]):
                if a.end_step == b.onset_step:
                    moves += 1
                    counted += bool(counts(a, b, score))
    return counted / max(moves, 1)


def repeated_pitch_share(scores: Sequence[Score], voices: Sequence[int] = (1, 2, 3)) -> float:
    """Of the given voices' moves from one note straight into the next, the share that strike the
    same pitch again, pooled over ``scores`` (:func:`move_share` of ``(0,)``)."""
    return move_share(scores, (0,), voices)


def augmented_leap_share(scores: Sequence[Score], voices: Sequence[int] = (3,)) -> float:
    """Of the given voices' moves from one note straight into the next, the share that leap an
    augmented interval as the harmony critic spells it in each score's key
    (:func:`midistyle.music.keys.is_augmented`: F-B either way, C-F# rising; not F falling to B, a
    diminished fifth), pooled over ``scores``. A score without a key is read in the key
    :func:`midistyle.music.keys.estimate_key` finds.

    Parameters
    ----------
    scores : sequence of Score
        The pieces; their moves are pooled.
    voices : sequence of int
        Voice indices; default the bass of a four-part score.

    Returns
    -------
    float
        In [0, 1]; 0 when there is no such move.
    """
    keys = {id(score): score.key if score.key is not None else estimate_key(score) for score in scores}
    return _share_of_moves(scores, voices, lambda a, b, score: is_augmented(a.pitch, b.pitch, keys[id(score)]))


# -- harmony -------------------------------------------------------------------------------------
def chord_name(pitch_classes: set[int] | frozenset[int]) -> str | None:
    """The template a pitch-class set completes or incompletely fills, e.g. ``"C major"``; else None.

    A set counts when it lies inside a template and holds that template's required tones (root
    and third; the seventh too for seventh chords; every tone of diminished chords). A single
    pitch class or an open fifth is no chord.
    """
    for root in range(12):
        for name, (tones, required) in CHORD_TEMPLATES.items():
            chord = {(root + t) % 12 for t in tones}
            if pitch_classes <= chord and {(root + t) % 12 for t in required} <= pitch_classes:
                return f"{'C C# D Eb E F F# G Ab A Bb B'.split()[root]} {name}"
    return None


def chord_beat_rate(score: Score) -> float:
    """Share of beats with sound whose pitch classes form a recognised chord (see ``chord_name``)."""
    beats = beat_pitches(score)
    sets = [frozenset(int(p) % 12 for p in row if p != REST) for row in beats]
    sets = [s for s in sets if s]
    return sum(chord_name(s) is not None for s in sets) / len(sets) if sets else 0.0


def unresolved_dissonance_rate(score: Score) -> float:
    """Share of beats with a dissonance against the bass that the next beat does not resolve.

    The bass is the lowest voice. A voice is dissonant with it when their interval class is a
    second, a tritone or a seventh. The dissonance resolves when, on the next beat, that voice
    has moved by step (one or two semitones), or has held its pitch while the bass moved to make
    the interval consonant. A leap away from a dissonance leaves it unresolved.
    """
    beats = beat_pitches(score)
    if score.num_voices < 2 or not len(beats):
        return 0.0
    bass = beats[:, -1]
    unresolved = np.zeros(len(beats), dtype=bool)
    for v in range(score.num_voices - 1):
        upper = beats[:, v]
        sounding = (upper != REST) & (bass != REST)
        dissonant = sounding & np.isin((upper - bass) % 12, DISSONANT_INTERVAL_CLASSES)
        stepped = np.zeros(len(beats), dtype=bool)
        stepped[:-1] = np.isin(np.abs(upper[1:] - upper[:-1]), (1, 2)) & (upper[1:] != REST)
        held_into_consonance = np.zeros(len(beats), dtype=bool)
        held_into_consonance[:-1] = (upper[1:] == upper[:-1]) & ~dissonant[1:] & sounding[1:]
        unresolved |= dissonant & ~stepped & ~held_into_consonance
    with_sound = np.any(beats != REST, axis=1)
    return float(unresolved.sum() / with_sound.sum()) if with_sound.any() else 0.0


# -- conditioning --------------------------------------------------------------------------------
def melody_preserved(original: Score, output: Score) -> float:
    """Share of the melody's notes present unchanged (onset, pitch, duration) in the output's soprano.

    The melody is the first voice of ``original``; the soprano is the first voice of ``output``.
    """
    if not original.voices or not original.voices[0].notes:
        raise InputError("the original has no melody notes to compare with")
    melody = {(n.onset_step, n.pitch, n.duration_steps) for n in original.voices[0].notes}
    soprano = {(n.onset_step, n.pitch, n.duration_steps) for n in output.voices[0].notes} if output.voices else set()
    return len(melody & soprano) / len(melody)


def monophonic_voice_rate(score: Score) -> float:
    """Share of voices in which no two notes overlap."""
    return sum(v.is_monophonic for v in score.voices) / score.num_voices if score.num_voices else 1.0


# -- all at once ---------------------------------------------------------------------------------
METRICS: dict[str, Callable[[Score], float]] = {
    "in_range_rate": in_range_rate,
    "monophonic_voice_rate": monophonic_voice_rate,
    "empty_measure_rate": empty_measure_rate,
    "polyphony": polyphony,
    "qualified_note_rate": qualified_note_rate,
    "pitch_class_entropy": pitch_class_entropy,
    "pitch_classes_per_bar": pitch_classes_per_bar,
    "scale_consistency": scale_consistency,
    "tonal_distance": tonal_distance,
    "parallel_fifths_octaves": parallel_perfect_intervals,
    "voice_crossings": voice_crossings,
    "wide_spacings": wide_spacings,
    "large_leaps": large_leaps,
    "chord_beat_rate": chord_beat_rate,
    "unresolved_dissonance_rate": unresolved_dissonance_rate,
}


def compute_metrics(score: Score) -> dict[str, float]:
    """Every metric in ``METRICS`` for one score."""
    return {name: float(metric(score)) for name, metric in METRICS.items()}


def mean_metrics(scores: Sequence[Score]) -> dict[str, float]:
    """Each metric averaged over ``scores`` (each piece weighs the same)."""
    if not scores:
        raise InputError("no scores to measure")
    rows = [compute_metrics(score) for score in scores]
    return {name: float(np.mean([row[name] for row in rows])) for name in METRICS}
