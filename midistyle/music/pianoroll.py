"""Score <-> piano roll with separate onset and sustain channels per voice.

A roll has shape ``(T, P, C)``: ``T`` steps, ``P`` pitches starting at
``lowest_pitch``, and ``C = 2 * num_voices`` channels. Channel ``2 * v`` is the
*onset* of voice ``v`` (1 on the first step of each note) and ``2 * v + 1`` its
*sustain* (1 on every step the note sounds). A held note and a repeated note
therefore differ: ``sustain 1 1 1 1, onset 1 0 0 0`` is one note,
``onset 1 0 1 0`` two.

Decoding accepts model outputs too: values are compared with ``threshold``,
and an onset without sustain still starts a one-step note.
"""

from __future__ import annotations

import numpy as np

from midistyle.errors import InputError
from midistyle.music.score import Note, Score, make_voices

ONSET, SUSTAIN = 0, 1
CHANNELS_PER_VOICE = 2


def channel(voice: int, kind: int) -> int:
    """Channel index of ``kind`` (ONSET or SUSTAIN) for voice number ``voice``."""
    return CHANNELS_PER_VOICE * voice + kind


def score_to_pianoroll(
    score: Score,
    *,
    lowest_pitch: int = 0,
    num_pitches: int = 128,
    num_steps: int | None = None,
    dtype: np.dtype | type = np.bool_,
) -> np.ndarray:
    """Encode a score as a roll.

    Parameters
    ----------
    score : Score
    lowest_pitch, num_pitches : int, keyword-only
        The pitch window; notes outside it raise (crop knowingly, never silently).
    num_steps : int or None, keyword-only
        Length ``T``; default ``score.num_steps``. Notes past it raise.
    dtype : numpy dtype, keyword-only
        ``bool`` (default, compact) or a float type for models.

    Returns
    -------
    np.ndarray, shape=(T, P, 2 * num_voices)
    """
    num_steps = score.num_steps if num_steps is None else num_steps
    roll = np.zeros((num_steps, num_pitches, CHANNELS_PER_VOICE * score.num_voices), dtype=dtype)
    for v, voice in enumerate(score.voices):
        for note in voice.notes:
            row = note.pitch - lowest_pitch
            if not 0 <= row < num_pitches:
                raise InputError(
                    f"pitch {note.pitch} of voice {voice.name!r} is outside the roll's "
                    f"range {lowest_pitch}..{lowest_pitch + num_pitches - 1}"
                )
            if note.end_step > num_steps:
                raise InputError(f"note ending at step {note.end_step} does not fit num_steps={num_steps}")
            roll[note.onset_step, row, channel(v, ONSET)] = 1
            roll[note.onset_step : note.end_step, row, channel(v, SUSTAIN)] = 1
    return roll


def pianoroll_to_score(
    roll: np.ndarray,
    *,
    lowest_pitch: int = 0,
    threshold: float = 0.5,
    steps_per_quarter: int = 4,
    voice_names: list[str] | None = None,
) -> Score:
    """Decode a roll back into a score (metadata at defaults; use ``template.replace(voices=…)``).

    Parameters
    ----------
    roll : np.ndarray, shape=(T, P, 2 * V)
    lowest_pitch : int, keyword-only
    threshold : float, keyword-only
        Values ``>= threshold`` count as on.
    steps_per_quarter : int, keyword-only
    voice_names : list of str or None, keyword-only

    Returns
    -------
    Score
        With ``V`` voices.
    """
    if roll.ndim != 3 or roll.shape[2] % CHANNELS_PER_VOICE:
        raise InputError(f"roll shape {roll.shape} is not (T, P, 2 * num_voices)")
    num_voices = roll.shape[2] // CHANNELS_PER_VOICE
    on = np.asarray(roll) >= threshold
    notes_per_voice = []
    for v in range(num_voices):
        onset = on[:, :, channel(v, ONSET)]
        active = on[:, :, channel(v, SUSTAIN)] | onset
        notes_per_voice.append(_decode_voice(onset, active, lowest_pitch))
    return Score(
        voices=make_voices(notes_per_voice, voice_names),
        steps_per_quarter=steps_per_quarter,
    )


def _decode_voice(onset: np.ndarray, active: np.ndarray, lowest_pitch: int) -> list[Note]:
    """Notes of one voice from boolean ``(T, P)`` onset and active planes."""
    num_steps = active.shape[0]
    previous = np.zeros_like(active)
    previous[1:] = active[:-1]
    starts = onset | (active & ~previous)  # an explicit onset, or sound after silence
    notes = []
    for step, row in zip(*np.nonzero(starts)):
        end = step + 1
        while end < num_steps and active[end, row] and not starts[end, row]:
            end += 1
        notes.append(Note(int(step), int(row) + lowest_pitch, int(end - step)))
    return notes
