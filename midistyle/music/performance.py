"""Melodies played in by hand: find the beat, put the notes on the 16th grid, find the meter.

A keyboard recording has no grid: onsets are off by tens of milliseconds, durations are a little
long or short, the tempo is whatever the player chose and the file may carry no time signature.
Three steps, each a maximum-likelihood choice under rhythm statistics learned from real tunes
(:data:`PRIORS`, built by :mod:`midistyle.data.rhythm` from chorale sopranos and folk tunes that
the benchmarks do not use):

1. **Tempo**: the 16th-note length ``s`` (seconds) that makes the inter-onset intervals most
   likely: each interval is ``k`` sixteenths plus a Gaussian timing error. A tune picks its basic
   note value once (its most common interval, scored by how often tunes have that one), and its
   other intervals are scored given it. Scoring every interval against the overall distribution
   instead would call a tune of quarter notes a tune of eighths at half the tempo, because eighths
   are the commonest value overall.

   A tune of quarters at 130 and the same tune in eighths at 65 are the same performance: no
   timing tells them apart. The tempo prior (:func:`tempo_log_prior`) settles it: the quarter
   beat is taken to lie in one octave, 70 to 140 a minute, all equally likely, and falls off
   steeply outside it. So every performance has one reading, and a melody played slower than
   70 comes back in halved note values (faster than 140: doubled).
2. **Grid**: positions start as the intervals added up (so a tempo a little off cannot drift), then
   onsets are fitted to ``time = offset + s * k`` by least squares, and each onset takes the grid
   position ``k`` that is most likely given its timing and how often tunes put a note at that
   place in the beat (on the beat and the eighth are far likelier than odd 16ths).
3. **Meter and pickup** (also for notated files without a time signature): the meter among 2/4,
   3/4, 4/4 and 6/8 and the bar phase under which the interval from each note to the next is most
   likely given where the note falls in the bar (long notes on strong beats, short ones after),
   and each note's played length most likely given the interval it is read as: an onset halfway
   between a dotted rhythm and an even one is settled by how long the note before it was held.
   The decoding runs twice: the second time the statistics are mixed with the tune's own (each
   note counted against the others only), because a tune repeats its rhythms: a note played
   between an eighth and a 16th from the grid goes where the rest of the tune puts such notes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from importlib import resources

import numpy as np

from midistyle.music.score import Note

METERS = {"2/4": ((2, 4), 8), "3/4": ((3, 4), 12), "4/4": ((4, 4), 16), "6/8": ((6, 8), 12)}  # bar in 16ths
TEMPO_RANGE_QPM = (40.0, 200.0)  # tempi searched
BEAT_OCTAVE_QPM = (70.0, 140.0)  # the quarter beat's prior: flat over this octave ...
BEAT_OCTAVE_EDGE = 0.002  # ... and a Gaussian fall-off of this width (log tempo) outside it
TUNE_ADAPTATION_WEIGHT = 20.0  # the corpus statistics count as this many of the tune's own notes
HELD_SHARE, HELD_SPREAD = 0.8, 0.12  # notes held for about their written value, and the log spread
SHORTEST_RATIO = 0.05  # a note let go early keeps at least this share of its value
OVERHELD_DENSITY = 1e-4  # beyond the held notes' spread, a note held over 1.1x its value is this unlikely
TEMPO_RATIOS = (1.0, 2.0, 0.5, 1.5, 2 / 3, 1.25, 0.8)  # 16th-length hypotheses around the estimate
UNSEEN_RATIO_SHARE = 1e-4
  # an interval ratio that no tune of the statistics had
TIMING_ERROR_SECONDS = 0.03  # onset jitter assumed before it is measured
FINE_PER_SIXTEENTH = 12  # midistyle.music.melody's fine grid (48 per quarter)


def tempo_log_prior(qpm: float) -> float:
    """log prior of a quarter-note tempo: 0 inside :data:`BEAT_OCTAVE_QPM`, falling fast outside it."""
    low, high = BEAT_OCTAVE_QPM
    outside = max(np.log(low / qpm), np.log(qpm / high), 0.0)
    return float(-(outside / BEAT_OCTAVE_EDGE) ** 2 / 2)


@lru_cache(maxsize=1)
def priors() -> dict:
    """The rhythm statistics (``rhythm_priors.json`` shipped beside this module)."""
    return json.loads((resources.files("midistyle.music") / "rhythm_priors.json").read_text())


@dataclass(frozen=True)
class MeterGuess:
    time_signature: tuple[int, int]
    anacrusis_steps: int  # in 16ths
    log_likelihood: float


@dataclass(frozen=True)
class Alignment:
    """A played melody on the fine grid (12 steps per 16th), the tempo, meter and pickup found."""

    notes: list[Note]
    tempo_qpm: float
    timing_error_seconds: float
    meter: MeterGuess


def align_to_grid(notes: list[Note], *, tempo_qpm: float, fine_steps_per_quarter: int = 48) -> Alignment:
    """Put played notes on the grid.

    Parameters
    ----------
    notes : list of Note
        One part, in the file's fine steps (``fine_steps_per_quarter`` per quarter at ``tempo_qpm``).
    tempo_qpm : float
        The file's tempo, used only to turn its steps into seconds.

    Returns
    -------
    Alignment
        Notes on a grid of 12 steps per 16th note, starting at step 0.
    """
    seconds_per_step = 60.0 / tempo_qpm / fine_steps_per_quarter
    order = sorted(notes, key=lambda n: (n.onset_step, -n.pitch))
    onsets = np.array([n.onset_step for n in order], dtype=float) * seconds_per_step  # (N,)
    ends = np.array([n.end_step for n in order], dtype=float) * seconds_per_step  # (N,)
    if len(order) < 2:
        return Alignment([Note(0, order[0].pitch, 4 * FINE_PER_SIXTEENTH, order[0].velocity)], tempo_qpm, 0.0,
                         MeterGuess((4, 4), 0, 0.0))
    estimate = _most_likely_sixteenth(np.diff(onsets))
    low, high = TEMPO_RANGE_QPM
    best = None
    for ratio in TEMPO_RATIOS:  # the estimate, and the tempi a tune's rhythm is most often mistaken for
        if not low <= 60.0 / (4 * estimate * ratio) <= high:
            continue
        fitted = _decode_at(onsets, ends, estimate * ratio)
        if best is None or fitted[-1] > best[-1]:
            best = fitted
    positions, offset, sixteenth, error, meter, _ = best
    first = positions[0]
    out = []
    for index, note in enumerate(order):
        start = int(positions[index] - first)
        end = max(int(round((ends[index] - offset) / sixteenth)) - first, start + 1)
        out.append(Note(start * FINE_PER_SIXTEENTH, note.pitch, (end - start) * FINE_PER_SIXTEENTH, note.velocity))
    bar = METERS["{}/{}".format(*meter.time_signature)][1]
    meter = MeterGuess(meter.time_signature, int((meter.anacrusis_steps - first) % bar), meter.log_likelihood)
    return Alignment(_close_small_gaps(out), 60.0 / (4 * sixteenth), error, meter)


def _decode_at(onsets: np.ndarray, ends: np.ndarray, sixteenth: float):
    """Fit the grid from a 16th length, decode the rhythm, refit, decode again; score with the tempo prior.

    Returns (positions, offset, sixteenth, error, meter, score).
    """
    positions, offset, sixteenth, error = _fit_grid(onsets, sixteenth)
    for _ in range(2):
        positions, meter = _decode_rhythm(onsets, offset, sixteenth, error, durations=ends - onsets)
        design = np.stack([np.ones(len(positions)), positions], axis=1)  # (N, 2)
        (offset, sixteenth), *_ = np.linalg.lstsq(design, onsets, rcond=None)
        error = float(np.clip(1.4826 * np.median(np.abs(onsets - design @ [offset, sixteenth])), 0.01, 0.08))
    qpm = 60.0 / (4 * sixteenth)
    # the timing density's normalisation (-log sigma per onset) makes fits with different errors comparable
    score = meter.log_likelihood - len(onsets) * np.log(error) + tempo_log_prior(qpm)
    return positions, offset, sixteenth, error, meter, score


def _decode_rhythm(onsets: np.ndarray, offset: float, sixteenth: float, error: float, *,
                   durations: np.ndarray) -> tuple[np.ndarray, MeterGuess]:
    """The likeliest grid positions of all onsets together, and the meter and pickup they imply.

    A Viterbi pass per meter and bar phase: each onset may sit on one of five grid lines around
    where its time points (emission: the timing error), and moving from one note to the next by d
    sixteenths has the probability tunes give that interval after a note at that place in the bar
    (``ioi_given_position``) times the probability of the note's played length given that interval
    (:func:`_duration_log_likelihood`); the last note's played length counts as its interval, and
    the first note's place in the bar is scored by where tunes begin (``tune_start``: the pickup). A second
    pass scores the moves with those statistics mixed with the tune's own from the first pass
    (:func:`_with_tune_statistics`). The meter and phase with the likeliest path win, so rhythm,
    meter and pickup are decided together.

    Returns
    -------
    positions : np.ndarray of int, shape (N,)
    meter : MeterGuess
        ``anacrusis_steps`` is the phase: bar lines fall at ``phase + k * bar`` in these positions.
    """
    table = priors()["meters"]
    exact = (onsets - offset) / sixteenth  # (N,)
    candidates = np.round(exact).astype(int)[:, None] + np.arange(-2, 3)[None, :]  # (N, 5)
    emission = -((exact[:, None] - candidates) * sixteenth) ** 2 / (2 * error ** 2)  # (N, 5)
    last = int(np.clip(round(durations[-1] / sixteenth), 1, 16))
    held = _duration_log_likelihood(durations, sixteenth)  # (N, 16)
    best_path, best_meter = None, MeterGuess((4, 4), 0, -np.inf)
    for name, (signature, bar) in METERS.items():
        corpus = np.asarray(table[name]["ioi_given_position"])  # (bar, 16)
        starts = np.log(np.asarray(table[name]["tune_start"]))  # (bar,) where tunes begin in the bar
        phases = np.arange(bar)
        places = (candidates[None] - phases[:, None, None]) % bar  # (bar, N, 5) each candidate's 16th in the bar
        scores = np.broadcast_to(emission, places.shape).copy()
        scores[:, 0] += starts[places[:, 0]]
        first = np.broadcast_to(np.log(corpus), (bar, *corpus.shape))
        paths, _ = _viterbi(candidates, places, scores, first, last, held)
        adapted = np.stack([np.log(_with_tune_statistics(corpus, (path - phase) % bar, np.diff(path), last))
                            for phase, path in zip(phases, paths)])
        paths, totals = _viterbi(candidates, places, scores, adapted, last, held)
        for phase in phases:  # in order, so that a tie keeps the earlier phase as before
            score = totals[phase] + np.log(table[name]["share"])
            if best_path is None or score > best_meter.log_likelihood:
                best_path, best_meter = paths[phase], MeterGuess(signature, int(phase), float(score))
    return best_path, best_meter


def _viterbi(candidates: np.ndarray, places: np.ndarray, emission: np.ndarray, transitions: np.ndarray,
             last: int, held: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The likeliest grid position per note and its log-likelihood, for B bar phases at once.

    Parameters
    ----------
    candidates : np.ndarray, shape (N, 5)
        Each note's candidate grid positions.
    places, emission : np.ndarray, shape (B, N, 5)
        Per phase, the candidates' 16th in the bar and their log-likelihoods.
    transitions : np.ndarray, shape (B, bar, 16)
        Per phase, log P(the next onset is k sixteenths later | a note at this 16th of the bar).
    last : int
        The last note's played length in sixteenths (its interval).
    held : np.ndarray, shape (N, 16)
        log p(each note's played length | the next onset k sixteenths later).

    Returns
    -------
    paths : np.ndarray of int, shape (B, N)
        Strictly increasing (a melody's notes keep their order even when no candidate path could).
    log_likelihoods : np.ndarray, shape (B,)
    """
    batch, notes = places.shape[:2]
    rows = np.arange(batch)
    score_so_far = emission[:, 0]  # (B, 5)
    back = np.zeros((batch, notes, 5), dtype=int)  # best previous candidate
    step = candidates[1:, None, :] - candidates[:-1, :, None]  # (N-1, 5 previous, 5 current)
    k = np.clip(step, 1, 16) - 1
    before = np.arange(notes - 1)[:, None, None]
    moves = np.where(step >= 1, transitions[rows[:, None, None, None], places[:, :-1, :, None], k]
                     + held[before, k], -np.inf)  # (B, N-1, 5, 5), all at once
    for i in range(1, notes):
        total = score_so_far[:, :, None] + moves[:, i - 1]  # (B, 5, 5)
        back[:, i] = np.argmax(total, axis=1)
        score_so_far = total.max(axis=1) + emission[:, i]
    score_so_far = score_so_far + transitions[rows[:, None], places[:, -1], last - 1]
    choice = np.zeros((batch, notes), dtype=int)
    choice[:, -1] = np.argmax(score_so_far, axis=1)
    for i in range(notes - 1, 0, -1):
        choice[:, i - 1] = back[rows, i, choice[:, i]]
    paths = candidates[np.arange(notes)[None, :], choice]  # (B, N)
    for i in range(1, notes):
        paths[:, i] = np.maximum(paths[:, i], paths[:, i - 1] + 1)
    return paths, score_so_far.max(axis=1)


def _duration_log_likelihood(durations: np.ndarray, sixteenth: float) -> np.ndarray:
    """log p(each note's played length | the next onset is k sixteenths later), shape (N, 16).

    A note is mostly held for about its written value (:data:`HELD_SHARE` of notes: the log of
    played / written length is Gaussian with :data:`HELD_SPREAD`); the others are let go early (a
    detached touch, or a rest before the next note: the ratio is anywhere from
    :data:`SHORTEST_RATIO` to 1.1, flat in log). The playing of a dotted eighth and a 16th and of
    two eighths may put the middle onset anywhere between, but the first note is held half as long
    again in the one as in the other.

    Parameters
    ----------
    durations : np.ndarray, shape (N,)
        Seconds from each onset to its note's end.
    sixteenth : float
        Seconds per 16th note.
    """
    k = np.arange(1, 17)  # (16,)
    log_ratio = np.log(np.maximum(durations, 1e-3)[:, None] / (k[None, :] * sixteenth))  # (N, 16)
    held = np.exp(-log_ratio ** 2 / (2 * HELD_SPREAD ** 2)) / (np.sqrt(2 * np.pi) * HELD_SPREAD)
    let_go = np.where(log_ratio < np.log(1.1), 1 / np.log(1.1 / SHORTEST_RATIO), OVERHELD_DENSITY)
    return np.log(HELD_SHARE * held + (1 - HELD_SHARE) * let_go)


def _with_tune_statistics(corpus: np.ndarray, places: np.ndarray, intervals: np.ndarray, last: int) -> np.ndarray:
    """The corpus's P(interval | 16th in the bar) mixed with the tune's own, shape (bar, 16).

    Each (place, interval) the tune has counts once less than it occurs (the note being decoded
    does not vote for itself), and the corpus counts as :data:`TUNE_ADAPTATION_WEIGHT` notes.

    Parameters
    ----------
    corpus : np.ndarray, shape (bar, 16)
    places : np.ndarray of int, shape (N,)
        Each note's 16th in the bar, from a first decoding.
    intervals : np.ndarray of int, shape (N-1,)
        Sixteenths from each note to the next.
    last : int
        The last note's length in sixteenths.
    """
    counts = np.zeros_like(corpus)
    following = np.clip(np.append(intervals, last), 1, 16)  # (N,)
    np.add.at(counts, (places, following - 1), 1)
    others = np.maximum(counts - 1, 0)
    return (others + TUNE_ADAPTATION_WEIGHT * corpus) / (others.sum(axis=1, keepdims=True) + TUNE_ADAPTATION_WEIGHT)


def _most_likely_sixteenth(intervals: np.ndarray) -> float:
    """The 16th-note length in seconds that best explains the inter-onset intervals, shape (N-1,).

    Each interval is scored by summing over the number of sixteenths k it may stand for, so a
    jittered eighth is not mistaken for a dotted one.
    """
    table = priors()
    mode_prior = np.log(np.asarray(table["ioi_mode"]))  # (16,)
    ratio_prior = _ratio_table()  # (16 modes, 32 k)
    k = np.arange(1, 33)  # (32,)
    low, high = TEMPO_RANGE_QPM
    candidates = 60.0 / (4 * np.geomspace(low, high, 400))  # seconds per 16th
    intervals = intervals[intervals > 0.02]  # chords and grace notes say nothing about the tempo
    spread = np.sqrt(2 * TIMING_ERROR_SECONDS ** 2 + (0.05 * intervals) ** 2)[:, None]  # (N, 1)
    best, best_score = candidates[0], -np.inf
    for sixteenth in candidates:
        nearest = np.clip(np.round(intervals / sixteenth), 1, 32).astype(int)
        mode = min(int(np.argmax(np.bincount(nearest))), 16)
        joint = ratio_prior[mode - 1][None, :] - (intervals[:, None] - k[None, :] * sixteenth) ** 2 / (2 * spread ** 2)
        peak = joint.max(axis=1, keepdims=True)  # (N, 1), for a stable log-sum-exp over k
        score = mode_prior[mode - 1] + float(np.sum(peak[:, 0] + np.log(np.exp(joint - peak).sum(axis=1))))
        score += tempo_log_prior(60.0 / (4 * sixteenth))
        if score > best_score:
            best, best_score = sixteenth, score
    return float(best)


@lru_cache(maxsize=1)
def _ratio_table() -> np.ndarray:
    """log P(an interval of k sixteenths | the tune's most common interval is m), shape (16, 32)."""
    shares = {Fraction(r): share for r, share in priors()["ioi_ratio_to_mode"].items()}
    return np.log(np.array([[shares.get(Fraction(k, m), UNSEEN_RATIO_SHARE) for k in range(1, 33)]
                            for m in range(1, 17)]))


def _fit_grid(onsets: np.ndarray, sixteenth: float) -> tuple[np.ndarray, float, float, float]:
    """Grid positions (16ths, increasing), offset and 16th length (s) by least squares, and the error."""
    in_beat = np.log(np.asarray(priors()["position_in_beat"]))  # (4,) on the beat, 16th, 8th, 16th
    positions = _lock_grid(onsets, sixteenth)
    error = TIMING_ERROR_SECONDS
    for _ in range(5):
        design = np.stack([np.ones(len(positions)), positions], axis=1)  # (N, 2)
        (offset, sixteenth), *_ = np.linalg.lstsq(design, onsets, rcond=None)
        residuals = onsets - offset - sixteenth * positions
        error = float(np.clip(1.4826 * np.median(np.abs(residuals)), 0.01, 0.08))
        exact = (onsets - offset) / sixteenth  # (N,) real-valued grid positions
        candidates = np.floor(exact)[:, None] + np.arange(-1, 3)[None, :]  # (N, 4)
        timing = -((exact[:, None] - candidates) * sixteenth) ** 2 / (2 * error ** 2)  # (N, 4)
        phases = [np.max(timing + in_beat[((candidates - b) % 4).astype(int)], axis=1).sum() for b in range(4)]
        beat_phase = int(np.argmax(phases))
        choice = np.argmax(timing + in_beat[((candidates - beat_phase) % 4).astype(int)], axis=1)
        positions = candidates[np.arange(len(exact)), choice].astype(int)
        for i in range(1, len(positions)):  # the order of notes is kept: never two on one step
            positions[i] = max(positions[i], positions[i - 1] + 1)
    return positions, float(offset), float(sixteenth), error


def _lock_grid(onsets: np.ndarray, sixteenth: float) -> np.ndarray:
    """First grid positions from the grid that best explains every onset on its own.

    The 16th length is searched within ±10 % of the estimate and the grid's offset over a whole
    beat; each onset takes its likelier neighbouring grid line, scored by its timing error and by
    how often tunes put a note at that place in the beat (so a grid whose beats and eighths catch
    the notes wins over one that only catches them on odd sixteenths). Each onset counts with its
    own timing error, so nothing accumulates along the tune (a constant tempo is assumed).
    Returns int positions from 0, shape (N,).
    """
    in_beat = np.log(np.asarray(priors()["position_in_beat"]))  # (4,)
    relative = onsets - onsets[0]  # (N,)
    lengths = sixteenth * np.linspace(0.9, 1.1, 201)  # (L,)
    offsets = np.linspace(-2.0, 2.0, 65)[:-1, None] * lengths[None, :]  # (O, L): a beat of offsets
    exact = (relative[None, None, :] - offsets[:, :, None]) / lengths[None, :, None]  # (O, L, N)
    below = np.floor(exact)
    best_cost, best_positions = np.inf, None
    cost = np.zeros(exact.shape[:2])
    choices = []
    for candidate in (below, below + 1):
        timing = ((exact - candidate) * lengths[None, :, None]) ** 2 / (2 * TIMING_ERROR_SECONDS ** 2)
        choices.append(timing - in_beat[(candidate % 4).astype(int)])
    per_note = np.minimum(choices[0], choices[1])  # (O, L, N)
    cost = per_note.sum(axis=2)
    o, l_index = np.unravel_index(np.argmin(cost), cost.shape)
    take_upper = choices[1][o, l_index] < choices[0][o, l_index]
    best_positions = (below[o, l_index] + take_upper).astype(int)
    del best_cost
    for i in range(1, len(best_positions)):
        best_positions[i] = max(best_positions[i], best_positions[i - 1] + 1)
    return best_positions - best_positions[0] + (best_positions[0] % 4)


def _close_small_gaps(notes: list[Note]) -> list[Note]:
    """A gap under a quarter of the interval to the next note is a short-played note, not a rest."""
    out = []
    for note, following in zip(notes, notes[1:] + [None]):
        if following is not None:
            gap = following.onset_step - note.end_step
            if 0 < gap * 4 <= following.onset_step - note.onset_step or gap < 0:
                note = Note(note.onset_step, note.pitch, following.onset_step - note.onset_step, note.velocity)
        out.append(note)
    return out


def detect_meter(notes: tuple[Note, ...] | list[Note]) -> MeterGuess:
    """The meter (2/4, 3/4, 4/4, 6/8) and pickup that make the 16th-grid notes most likely.

    Parameters
    ----------
    notes : sequence of Note
        One voice on the 16th grid (``steps_per_quarter=4``).
    """
    table = priors()["meters"]
    onsets = np.array([n.onset_step for n in notes])  # (N,)
    following = np.clip(np.append(np.diff(onsets), notes[-1].duration_steps), 1, 16)  # (N,) to the next onset
    best = MeterGuess((4, 4), 0, -np.inf)
    for name, (signature, bar) in METERS.items():
        transitions = np.log(np.asarray(table[name]["ioi_given_position"]))  # (bar, 16)
        starts = np.log(np.asarray(table[name]["tune_start"]))  # (bar,)
        for phase in range(bar):
            score = transitions[(onsets - phase) % bar, following - 1].sum() + np.log(table[name]["share"]) \
                + starts[(onsets[0] - phase) % bar]
            if score > best.log_likelihood:  # bar lines at phase + k * bar: the pickup is phase long
                best = MeterGuess(signature, int(phase), float(score))
    return best
