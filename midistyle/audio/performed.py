"""A played melody made to sound like a recording of a voice or an instrument, for the audio way in.

The ``melody_audio`` benchmark and the onset network's training data both start from a melody played
by :func:`midistyle.music.humanize.humanize`; these two steps make its render less like a keyboard:
vibrato (and a singer's constant detuning) by pitch bend, and background noise at a given SNR.
"""

from __future__ import annotations

import numpy as np

VIBRATO_HZ, VIBRATO_CENTS, VIBRATO_DELAY_S = 5.5, 30.0, 0.15
BENDS_PER_SECOND = 50


def with_vibrato(played, program: int, *, flat_cents: float = 0.0, vibrato_hz: float = VIBRATO_HZ,
                 vibrato_cents: float = VIBRATO_CENTS, delay_seconds: float = VIBRATO_DELAY_S):
    """The played MIDI on ``program`` with vibrato by pitch bend (and a constant detuning).

    Parameters
    ----------
    played : symusic.Score
        One track at 120 qpm, as :func:`midistyle.music.humanize.humanize` writes it.
    program : int
        General MIDI program (0-127).
    flat_cents : float
        Constant detuning, cents below pitch.
    vibrato_hz, vibrato_cents, delay_seconds : float
        Vibrato rate, depth (peak), and how long into each note it begins.
    """
    import symusic

    sung = played.copy()
    track = sung.tracks[0]
    track.program = program
    ticks_per_second = sung.ticks_per_quarter * 2  # the player's file is at 120 qpm
    units_per_cent = 8192 / 200  # the default bend range is +-2 semitones
    bends = []
    for note in track.notes:
        start, end = note.time / ticks_per_second, note.end / ticks_per_second
        for t in np.arange(start, end, 1 / BENDS_PER_SECOND):
            into = t - start
            depth = vibrato_cents * np.sin(2 * np.pi * vibrato_hz * into) if into >= delay_seconds else 0.0
            value = int(round((depth - flat_cents) * units_per_cent))
            bends.append(symusic.PitchBend(int(round(t * ticks_per_second)), max(-8192, min(8191, value))))
    track.pitch_bends = bends
    return sung


def with_noise(audio: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """``audio`` (N, channels) with white noise ``snr_db`` below its RMS."""
    rng = np.random.default_rng(seed)
    signal_rms = float(np.sqrt(np.mean(audio ** 2)))
    noise = rng.standard_normal(audio.shape).astype(np.float32) * signal_rms * 10 ** (-snr_db / 20)
    return np.clip(audio + noise, -1.0, 1.0)
