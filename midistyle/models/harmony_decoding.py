"""From the harmonizer's per-step pitch distributions to notes of alto, tenor and bass.

The network says, for every step, voice and pitch, how likely that pitch sounds (``sustain``, a
distribution over pitch) and how likely a note starts there (``onset``). Decoding applies the rules
the network is not trusted with — every decoder here guarantees them:

* each voice sounds exactly while the melody sounds, one pitch at a time (monophonic);
* each voice stays inside its SATB range and never above the voice written over it.

Three decoders:

* ``greedy`` — voice by voice, the most likely allowed pitch, held until the model puts an onset;
* ``sample`` — the same, but each pitch is drawn from the network's own distribution over the
  allowed pitches (at the given temperature, 1 by default) — the network's variety, no rules added;
* ``joint`` (default) — the same rhythm decisions, but the voices that start a note at a step are
  chosen *together* among each voice's 6 most likely pitches, scoring the sum of their log
  probabilities plus a bonus when the sounding pitch classes form a chord, and penalties for
  parallel fifths/octaves (against the previous step and the previous beat), for spacing wider
  than an octave, for dissonances against the bass (more when a dissonant voice leaves by leap)
  and for melodic leaps (a little per semitone, a lot past an octave).
  New notes start on the eighth-note grid (or with a melody note).

``greedy`` and ``sample`` add nothing the network did not say beyond the range and no-crossing
rules above; with a generator trained on given voices they are run one voice at a time (see
``fixed`` and ``free`` below and :meth:`midistyle.models.harmonize.Harmonizer.harmonize`).

All return notes in the melody's original key and register. The constants below (weights, the
onset threshold 0.9 and the hold support 0.25) were chosen on the Bach *valid* split's sopranos
(Fréchet distance and note length closest to Bach's there), never on the test split.
"""

from __future__ import annotations

import dataclasses
import itertools
from functools import lru_cache

import numpy as np

from midistyle.models.harmonizer_data import HARMONY_VOICES, LOWEST_PITCH, Placement
from midistyle.music.metrics import DISSONANT_INTERVAL_CLASSES, chord_name
from midistyle.music.score import SATB_RANGES, Note

CANDIDATES_PER_VOICE = 6
CHORD_BONUS = 1.0  # in nats: a chord is worth making a pitch e times less likely
PARALLEL_PENALTY = 4.0
SPACING_PENALTY = 1.0
DISSONANCE_PENALTY = 1.0  # per upper voice a 2nd, tritone or 7th from the bass
UNRESOLVED_PENALTY = 3.0  # a dissonant voice leaving by leap
LEAP_PENALTY_PER_SEMITONE = 0.1
OVER_OCTAVE_PENALTY = 4.0
HOLD_SUPPORT = 0.25  # a held pitch is given up when under this share of the best pitch's probability


def decode_harmony(
    sustain: np.ndarray,
    onset: np.ndarray,
    condition: np.ndarray,
    placement: Placement,
    *,
    method: str = "joint",
    temperature: float = 0.0,
    rng: np.random.Generator | None = None,
    onset_threshold: float = 0.9,
    fixed: dict[int, list[Note]] | None = None,
    free: tuple[int, ...] = (0, 1, 2),
    model_space: bool = False,
) -> list[list[Note]]:
    """Notes of alto, tenor and bass.

    Parameters
    ----------
    sustain : np.ndarray, shape=(T, P, 3)
        Per voice, a distribution over pitch rows at each step (need not be normalized).
    onset : np.ndarray, shape=(T, P, 3)
        Per voice and pitch, the probability that a note starts there (given that it sounds).
    condition : np.ndarray, shape=(T, P, CONDITION_CHANNELS)
        The melody planes the model was given.
    placement : Placement
    method : {"joint", "greedy", "sample"}, keyword-only
    temperature : float, keyword-only
        0 takes the best choice; > 0 samples with probabilities ``exp(score / temperature)``.
    fixed : dict of voice index -> notes, keyword-only
        Voices already written (in the model's pitch rows): they are kept as they are, and a voice
        decoded above one of them stays above it.
    free : tuple of int, keyword-only
        The voices to decode (0 alto, 1 tenor, 2 bass); voices neither free nor fixed are left empty
        and constrain nothing.
    model_space : bool, keyword-only
        Return notes in the model's pitch rows instead of the melody's key and register.
    """
    if method not in ("joint", "greedy", "sample"):
        raise ValueError(f"method={method!r} must be 'joint', 'greedy' or 'sample'")
    if method == "joint" and (fixed or tuple(free) != (0, 1, 2)):
        raise ValueError("the joint decoder writes all three voices at once")
    rng = rng or np.random.default_rng(0)
    melody = np.where(condition[:, :, 1].any(axis=1), condition[:, :, 1].argmax(axis=1), -1)
    melody_onsets = condition[:, :, 0].any(axis=1)
    beats = condition[:, 0, 2] > 0
    ranges = [
        (max(low + placement.total_shift - LOWEST_PITCH, 0), min(high + placement.total_shift - LOWEST_PITCH,
                                                                  sustain.shape[1] - 1))
        for low, high in SATB_RANGES[1 : 1 + HARMONY_VOICES]
    ]
    log_p = np.log(np.maximum(sustain, 1e-9))
    fixed_rows = np.full((len(sustain), HARMONY_VOICES), -1)
    fixed_onsets = np.zeros((len(sustain), HARMONY_VOICES), bool)
    for v, notes in (fixed or {}).items():
        for n in notes:
            fixed_rows[n.onset_step : n.end_step, v] = n.pitch
            fixed_onsets[n.onset_step, v] = True
    state = _Decoder(log_p, onset, melody, melody_onsets, beats, ranges, temperature, rng, onset_threshold, method,
                     fixed_rows, fixed_onsets, set(fixed or {}), tuple(free))
    rows = state.run()
    return rows if model_space else to_melody_space(rows, placement)


def to_melody_space(voices: list[list[Note]], placement: Placement) -> list[list[Note]]:
    """Notes in the model's pitch rows -> notes in the melody's key and register."""
    return [[dataclasses.replace(n, pitch=n.pitch + LOWEST_PITCH - placement.total_shift) for n in v] for v in voices]


class _Decoder:
    """Step-by-step decoding state: the pitch row each voice holds and where its note began."""

    def __init__(self, log_p, onset, melody, melody_onsets, beats, ranges, temperature, rng, threshold, method,
                 fixed_rows, fixed_onsets, fixed, free):
        self.log_p, self.onset, self.melody, self.melody_onsets = log_p, onset, melody, melody_onsets
        self.beats = beats
        self.last_beat = np.full(1 + HARMONY_VOICES, -1)  # soprano..bass sounding at the latest beat
        self.ranges, self.temperature, self.rng, self.threshold, self.method = (
            ranges, temperature, rng, threshold, method)
        self.current = [-1] * HARMONY_VOICES
        self.starts = [0] * HARMONY_VOICES
        self.notes: list[list[Note]] = [[] for _ in range(HARMONY_VOICES)]
        self.fixed: set[int] = fixed  # voices written already (rows in fixed_rows), kept as they are
        self.free: tuple[int, ...] = free  # voices decoded now
        self.fixed_rows, self.fixed_onsets = fixed_rows, fixed_onsets  # (T, 3): row (-1 silent), note starts

    def run(self) -> list[list[Note]]:
        for t in range(len(self.log_p)):
            if self.melody[t] < 0:
                for v in range(HARMONY_VOICES):
                    self._end(v, t)
                continue
            if t and self.beats[t - 1]:
                self.last_beat = np.array([self.melody[t - 1], *self.current])
            for v in self.fixed:  # written voices first: the free ones are placed against them
                row = int(self.fixed_rows[t, v])
                if row != self.current[v] or self.fixed_onsets[t, v]:
                    self._end(v, t)
                    self.current[v], self.starts[v] = row, t
            starters = [v for v in self.free if self._wants_new_note(v, t)]
            if starters:
                chosen = self._choose_joint(t, starters) if self.method == "joint" else self._choose_greedy(t, starters)
                for v, row in zip(starters, chosen):
                    if row != self.current[v] or self.onset[t, row, v] >= self.threshold:
                        self._end(v, t)
                        self.current[v], self.starts[v] = row, t
        for v in range(HARMONY_VOICES):
            self._end(v, len(self.log_p))
        return self.notes

    def _end(self, v: int, t: int) -> None:
        if self.current[v] >= 0 and t > self.starts[v]:
            self.notes[v].append(Note(self.starts[v], self.current[v], t - self.starts[v]))
        self.current[v] = -1

    def _bounds(self, v: int, t: int, pitches: list[int]) -> tuple[int, int]:
        """(lowest, highest) allowed row for voice v: its range, under the nearest sounding voice above
        it (among the melody, the free and the fixed voices), over the nearest fixed voice below it."""
        low, high = self.ranges[v]
        above = next((pitches[u] for u in range(v - 1, -1, -1) if pitches[u] >= 0 and
                      (u in self.free or u in self.fixed)), self.melody[t])
        below = next((pitches[u] for u in range(v + 1, HARMONY_VOICES) if pitches[u] >= 0 and u in self.fixed), -1)
        high = min(high, above) if above >= 0 else high
        low = max(low, below)
        return (low, high) if low <= high else (self.ranges[v][0], high)  # crossing a fixed voice: last resort

    def _wants_new_note(self, v: int, t: int) -> bool:
        held = self.current[v]
        low, high = self._bounds(v, t, self.current)
        if held < 0 or not low <= held <= high:
            return True
        on_grid = t % 2 == 0 or self.melody_onsets[t] or self.method != "joint"
        best = low + int(np.argmax(self.log_p[t, low : max(high, low) + 1, v]))
        lost_support = self.log_p[t, held, v] < self.log_p[t, best, v] + np.log(HOLD_SUPPORT)
        return on_grid and (self.onset[t, best, v] >= self.threshold or lost_support)

    def _candidates(self, v: int, t: int, ceiling: int, floor: int | None = None) -> np.ndarray:
        low = self.ranges[v][0] if floor is None else floor
        rows = np.arange(low, max(ceiling, low) + 1)
        if self.method == "sample":  # the network's whole distribution over the allowed pitches
            return rows
        order = np.argsort(-self.log_p[t, rows, v], kind="stable")
        return rows[order[:CANDIDATES_PER_VOICE]]

    def _choose_greedy(self, t: int, starters: list[int]) -> list[int]:
        pending = list(self.current)  # pitches as they will be, for the next voice's bounds
        for v in starters:
            low, high = self._bounds(v, t, pending)
            rows = self._candidates(v, t, high, low)
            pending[v] = int(self._pick(rows, self.log_p[t, rows, v]))
        return [pending[v] for v in starters]

    def _choose_joint(self, t: int, starters: list[int]) -> list[int]:
        # Candidate tuples over the starting voices; held voices keep their pitch.
        options = [
            self._candidates(v, t, self.ranges[v][1]) if v in starters else np.array([self.current[v]])
            for v in range(HARMONY_VOICES)
        ]
        combos = np.array(list(itertools.product(*options)))  # (N, 3) rows of alto, tenor, bass
        pitches = np.column_stack([np.full(len(combos), self.melody[t]), combos])  # (N, 4) with soprano
        ordered = np.all(np.diff(pitches, axis=1) <= 0, axis=1)  # no crossing: S >= A >= T >= B
        if not ordered.any():
            return self._choose_greedy(t, starters)
        combos, pitches = combos[ordered], pitches[ordered]
        score = sum(self.log_p[t, combos[:, v], v] for v in starters)
        score = score + CHORD_BONUS * _is_chord(pitches)
        score = score - SPACING_PENALTY * ((pitches[:, 0] - pitches[:, 1] > 12) + (pitches[:, 1] - pitches[:, 2] > 12))
        previous = np.array([self.melody[t - 1] if t else -1, *self.current])
        for before in (previous, self.last_beat):
            if np.all(before >= 0):
                score = score - PARALLEL_PENALTY * _parallels(before, pitches)
        dissonant = np.isin((pitches[:, :3] - pitches[:, 3:]) % 12, DISSONANT_INTERVAL_CLASSES)  # (N, 3)
        score = score - DISSONANCE_PENALTY * dissonant.sum(axis=1)
        for v in starters:
            if self.current[v] >= 0:
                leap = np.abs(combos[:, v] - self.current[v])
                score = score - LEAP_PENALTY_PER_SEMITONE * leap - OVER_OCTAVE_PENALTY * (leap > 12)
                was_dissonant = v < 2 and self.current[2] >= 0 and (
                    (self.current[v] - self.current[2]) % 12 in DISSONANT_INTERVAL_CLASSES)
                if was_dissonant:
                    score = score - UNRESOLVED_PENALTY * (leap > 2)
        best = self._pick(np.arange(len(combos)), score)
        return [int(combos[best, v]) for v in starters]

    def _pick(self, items: np.ndarray, score: np.ndarray):
        if self.temperature <= 0:
            return items[int(np.argmax(score))]
        p = np.exp((score - score.max()) / self.temperature)
        return items[self.rng.choice(len(items), p=p / p.sum())]


@lru_cache(maxsize=1)
def _chord_table() -> np.ndarray:
    """For each of the 4096 pitch-class sets (as 12-bit masks), 1.0 if it is a chord, shape=(4096,)."""
    return np.array(
        [chord_name(frozenset(pc for pc in range(12) if mask >> pc & 1)) is not None for mask in range(4096)],
        dtype=float,
    )


def _is_chord(pitches: np.ndarray) -> np.ndarray:
    """For rows of pitch rows (any transposition is fine: only classes matter), whether they form a chord."""
    return _chord_table()[np.bitwise_or.reduce(1 << (pitches % 12), axis=1)]


def _parallels(previous: np.ndarray, pitches: np.ndarray) -> np.ndarray:
    """Per candidate, the count of voice pairs moving in parallel (or contrary) fifths/octaves."""
    count = np.zeros(len(pitches))
    for i, j in itertools.combinations(range(pitches.shape[1]), 2):
        before = (previous[i] - previous[j]) % 12
        if before not in (0, 7):
            continue
        moved = (pitches[:, i] != previous[i]) & (pitches[:, j] != previous[j])
        count += moved & ((pitches[:, i] - pitches[:, j]) % 12 == before)
    return count
