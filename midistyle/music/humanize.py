"""Play a score the way a person records it on a keyboard: for testing the way in.

``humanize`` turns a 16th-grid melody into the MIDI a keyboard recording would give: one tempo
chosen in a range, each onset off by Gaussian jitter, each duration stretched or shortened, no time
signature, and the file's tempo left at MIDI's default 120 (a recorder does not know the player's
tempo). It is deterministic for a seed. Notes keep their order: a player does not swap two notes
of a melody, so an onset never moves before the previous one (it stays at least 10 ms after it).
A key cannot be struck again while it is held, so a note held into the next note of the same pitch
lets go ``RESTRIKE_GAP_SECONDS`` before it (notes of other pitches may overlap: legato).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import symusic

from midistyle.music.score import Score

FILE_TEMPO_QPM = 120.0  # what a recording without tempo information says
TICKS_PER_QUARTER = 480
MIN_ONSET_GAP_SECONDS = 0.01
RESTRIKE_GAP_SECONDS = 0.02  # a repeated key is released this long before it is struck again


@dataclass(frozen=True)
class HumanizeConfig:
    """How the player plays. Defaults are the issue's: σ = 30 ms, durations ×0.85–1.2, 70–140 qpm."""

    jitter_seconds: float = 0.03
    duration_range: tuple[float, float] = (0.85, 1.2)
    tempo_range_qpm: tuple[float, float] = (70.0, 140.0)
    velocity_range: tuple[int, int] = (60, 100)


def humanize(score: Score, *, seed: int, config: HumanizeConfig | None = None) -> tuple[symusic.Score, float]:
    """The first voice of ``score`` as played; returns the MIDI and the tempo played (qpm).

    Parameters
    ----------
    score : Score
        Its first voice is played.
    seed : int, keyword-only
    config : HumanizeConfig, keyword-only
    """
    config = config or HumanizeConfig()
    rng = np.random.default_rng(seed)
    played_qpm = float(rng.uniform(*config.tempo_range_qpm))
    seconds_per_step = 60.0 / played_qpm / score.steps_per_quarter
    ticks_per_second = TICKS_PER_QUARTER * FILE_TEMPO_QPM / 60.0
    midi = symusic.Score(TICKS_PER_QUARTER)
    midi.tempos.append(symusic.Tempo(0, qpm=FILE_TEMPO_QPM))
    track = symusic.Track("played", 0, False)
    previous = -np.inf
    played = []  # (onset seconds, duration seconds, pitch, velocity)
    for note in score.voices[0].notes:
        onset = note.onset_step * seconds_per_step + rng.normal(0.0, config.jitter_seconds)
        onset = max(onset, previous + MIN_ONSET_GAP_SECONDS, 0.0)
        duration = note.duration_steps * seconds_per_step * rng.uniform(*config.duration_range)
        velocity = int(rng.integers(config.velocity_range[0], config.velocity_range[1] + 1))
        played.append((onset, duration, note.pitch, velocity))
        previous = onset
    for onset, duration, pitch, velocity in _released_before_restrike(played):
        track.notes.append(symusic.Note(int(round(onset * ticks_per_second)),
                                        max(int(round(duration * ticks_per_second)), 1), pitch, velocity))
    midi.tracks.append(track)
    return midi, played_qpm


def _released_before_restrike(played: list[tuple[float, float, int, int]]) -> list[tuple[float, float, int, int]]:
    """Each (onset s, duration s, pitch, velocity) shortened to end ``RESTRIKE_GAP_SECONDS`` before the
    next onset of its pitch when it would still sound there (never below half the onset gap)."""
    released = []
    for i, (onset, duration, pitch, velocity) in enumerate(played):
        again = next((later[0] for later in played[i + 1:] if later[2] == pitch), None)
        if again is not None and onset + duration > again - RESTRIKE_GAP_SECONDS:
            duration = max(again - RESTRIKE_GAP_SECONDS - onset, (again - onset) / 2)
        released.append((onset, duration, pitch, velocity))
    return released
