"""Fixed-size piano-roll windows that the style classifier sees.

A window is 32 sixteenth-note steps (two 4/4 bars) of every voice merged into one roll with an
onset and a sustain channel, over a 72-pitch span (E1..D#7 — wide enough for Bach, string quartets
and Palestrina alike). Voices are merged so that pieces with 1 to 6 parts compare; notes outside the
span are dropped.
"""

from __future__ import annotations

import numpy as np

from midistyle.music.score import Score

WINDOW_STEPS = 32
LOWEST_PITCH = 28
NUM_PITCHES = 72


def score_notes(score: Score) -> np.ndarray:
    """Every note of a score as rows ``(onset_step, pitch, duration_steps)``, shape=(N, 3).

    Scores on another grid than 16ths are rescaled to 4 steps per quarter.
    """
    scale = 4 / score.steps_per_quarter
    rows = [
        (round(n.onset_step * scale), n.pitch, max(1, round(n.duration_steps * scale)))
        for v in score.voices
        for n in v.notes
    ]
    return np.array(sorted(rows), dtype=np.int32).reshape(-1, 3)


def notes_to_roll(notes: np.ndarray, num_steps: int | None = None, *, transpose: int = 0) -> np.ndarray:
    """Merge notes into one roll.

    Parameters
    ----------
    notes : np.ndarray, shape=(N, 3)
        ``(onset_step, pitch, duration_steps)`` rows.
    num_steps : int or None
        Length; default the end of the last note.
    transpose : int, keyword-only
        Semitones added to every pitch first.

    Returns
    -------
    np.ndarray, shape=(T, NUM_PITCHES, 2), float32
        Channel 0 onsets, channel 1 sustain.
    """
    if num_steps is None:
        num_steps = int((notes[:, 0] + notes[:, 2]).max()) if len(notes) else 0
    roll = np.zeros((num_steps, NUM_PITCHES, 2), dtype=np.float32)
    for onset, pitch, duration in notes:
        row = pitch + transpose - LOWEST_PITCH
        if 0 <= row < NUM_PITCHES and onset < num_steps:
            roll[onset, row, 0] = 1
            roll[onset : onset + duration, row, 1] = 1
    return roll


def roll_windows(
    roll: np.ndarray, *, hop_steps: int = 16, max_windows: int | None = None, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Cut a roll into windows of ``WINDOW_STEPS``, skipping silent ones.

    Parameters
    ----------
    roll : np.ndarray, shape=(T, NUM_PITCHES, 2)
    hop_steps : int, keyword-only
        Step between window starts.
    max_windows : int or None, keyword-only
        Keep at most this many, chosen by ``rng`` (required then).

    Returns
    -------
    np.ndarray, shape=(N, WINDOW_STEPS, NUM_PITCHES, 2), float32
        The roll is padded with silence so that its last steps fall in a window too.
    """
    padded_steps = WINDOW_STEPS + -(-max(len(roll) - WINDOW_STEPS, 0) // hop_steps) * hop_steps
    if len(roll) < padded_steps:
        roll = np.concatenate([roll, np.zeros((padded_steps - len(roll), *roll.shape[1:]), roll.dtype)])
    starts = np.arange(0, len(roll) - WINDOW_STEPS + 1, hop_steps)
    starts = np.array([s for s in starts if roll[s : s + WINDOW_STEPS, :, 1].any()], dtype=int)
    if max_windows is not None and len(starts) > max_windows:
        starts = np.sort(rng.choice(starts, max_windows, replace=False))
    return (
        np.stack([roll[s : s + WINDOW_STEPS] for s in starts])
        if len(starts)
        else np.zeros((0, WINDOW_STEPS, NUM_PITCHES, 2), np.float32)
    )


def score_windows(score: Score, *, hop_steps: int = 16) -> np.ndarray:
    """All non-silent windows of a score, shape=(N, WINDOW_STEPS, NUM_PITCHES, 2)."""
    return roll_windows(notes_to_roll(score_notes(score)), hop_steps=hop_steps)
