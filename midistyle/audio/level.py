"""Loudness normalisation with a peak ceiling, instead of hard peak normalisation.

Loudness is ITU-R BS.1770 integrated loudness (pyloudnorm). The gain that
reaches the target is lowered when it would push the sample peak above the
ceiling, so the result never clips; the report says which limit decided.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from midistyle.errors import InputError

MIN_LOUDNESS_SECONDS = 0.4  # one BS.1770 gating block


@dataclass(frozen=True)
class LevelReport:
    """What normalisation did: the gain in dB, loudness before/after (None when too short), peak after."""

    gain_db: float
    loudness_before_lufs: float | None
    loudness_after_lufs: float | None
    peak_after_dbfs: float
    limited_by_peak: bool


def loudness_lufs(audio: np.ndarray, sample_rate: int) -> float | None:
    """Integrated loudness of ``audio`` (shape (N,) or (N, channels)); None if under 0.4 s or silent."""
    import pyloudnorm

    if audio.shape[0] < MIN_LOUDNESS_SECONDS * sample_rate:
        return None
    value = pyloudnorm.Meter(sample_rate).integrated_loudness(audio.astype(np.float64))
    return float(value) if np.isfinite(value) else None


def peak_dbfs(audio: np.ndarray) -> float:
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return 20 * np.log10(peak) if peak > 0 else float("-inf")


def normalisation_gain(
    audio: np.ndarray, sample_rate: int, *, target_lufs: float | None = -16.0, ceiling_dbfs: float = -1.0
) -> LevelReport:
    """The gain that brings ``audio`` to ``target_lufs`` without its peak passing ``ceiling_dbfs``.

    Parameters
    ----------
    audio : np.ndarray, shape=(N,) or (N, channels)
    sample_rate : int
    target_lufs : float or None, keyword-only
        None keeps the level (gain 0 dB) unless the peak is over the ceiling.
    ceiling_dbfs : float, keyword-only

    Raises
    ------
    InputError
        When the audio is silent.
    """
    peak = peak_dbfs(audio)
    if not np.isfinite(peak):
        raise InputError("rendered audio is silent (does the soundfont have these instruments?)")
    before = loudness_lufs(audio, sample_rate)
    gain_db = 0.0 if target_lufs is None or before is None else target_lufs - before
    if target_lufs is not None and before is None:  # too short to measure loudness: go by the peak
        gain_db = ceiling_dbfs - peak
    limited = peak + gain_db > ceiling_dbfs
    if limited:
        gain_db = ceiling_dbfs - peak
    after = None if before is None else before + gain_db
    return LevelReport(round(gain_db, 3), before, after, peak + gain_db, limited)
