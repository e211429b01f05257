"""Loudness normalisation with a peak ceiling, instead of hard peak normalisation.

Loudness is ITU-R BS.1770-4 integrated loudness, measured here in a few array
operations: the K-weighting filter (a high shelf and a high pass, two biquads run in
one pass by ``midistyle.audio.iir.sosfilt`` over all channels at once), mean squares over 100 ms
quarter blocks, 400 ms blocks with 75 % overlap as sums of four quarters, then
the absolute (−70 LUFS) and relative (−10 LU) gates. It agrees with pyloudnorm
(the pure-Python reference) to 1e-4 LU and is 4.6× faster (``benchmarks loudness``), which matters
when a corpus is rendered (``tests/test_level.py`` checks the agreement).

The gain that reaches the target is lowered when it would push the sample peak
above the ceiling, so the result never clips; the report says which limit decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from midistyle.audio.iir import sosfilt
from midistyle.errors import InputError

MIN_LOUDNESS_SECONDS = 0.4  # one BS.1770 gating block
QUARTER_BLOCK_SECONDS = 0.1  # 400 ms blocks with 75 % overlap are four consecutive 100 ms quarters
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
LOUDNESS_RANGE_LUFS = (-70.0, -5.0)  # targets a render may ask for


@dataclass(frozen=True)
class LevelReport:
    """What normalisation did: the gain in dB, loudness before/after (None when too short), peak after."""

    gain_db: float
    loudness_before_lufs: float | None
    loudness_after_lufs: float | None
    peak_after_dbfs: float
    limited_by_peak: bool


@lru_cache(maxsize=16)
def k_weighting_sos(sample_rate: int) -> np.ndarray:
    """BS.1770's K-weighting at ``sample_rate`` as second-order sections, shape (2, 6).

    Stage 1 is a high shelf (+4 dB above ~1.5 kHz, Q 1/√2: the head's acoustic effect), stage 2 a
    high pass (38 Hz, Q 0.5). Both are designed from these analog parameters with the bilinear
    transform (the audio-EQ-cookbook biquads), so every sample rate gets the standard's curve; at
    48 kHz they reproduce the coefficients printed in BS.1770 to about 1e-4.
    """
    def high_shelf(gain_db: float, q: float, corner_hz: float) -> np.ndarray:
        a = 10 ** (gain_db / 40)
        w0 = 2 * np.pi * corner_hz / sample_rate
        cos_w0, root = np.cos(w0), np.sqrt(a) * np.sin(w0) / q  # 2·√A·α with α = sin(w0) / 2Q
        b = [a * ((a + 1) + (a - 1) * cos_w0 + root), -2 * a * ((a - 1) + (a + 1) * cos_w0),
             a * ((a + 1) + (a - 1) * cos_w0 - root)]
        den = [(a + 1) - (a - 1) * cos_w0 + root, 2 * ((a - 1) - (a + 1) * cos_w0), (a + 1) - (a - 1) * cos_w0 - root]
        return np.array(b + den) / den[0]

    def high_pass(q: float, corner_hz: float) -> np.ndarray:
        w0 = 2 * np.pi * corner_hz / sample_rate
        alpha, cos_w0 = np.sin(w0) / (2 * q), np.cos(w0)
        b = [(1 + cos_w0) / 2, -(1 + cos_w0), (1 + cos_w0) / 2]
        den = [1 + alpha, -2 * cos_w0, 1 - alpha]
        return np.array(b + den) / den[0]

    return np.stack([high_shelf(4.0, 1 / np.sqrt(2), 1500.0), high_pass(0.5, 38.0)])


def loudness_lufs(audio: np.ndarray, sample_rate: int) -> float | None:
    """Integrated loudness (BS.1770-4) of ``audio``; None if under 0.4 s or silent below the gate.

    Parameters
    ----------
    audio : np.ndarray, shape=(N,) or (N, channels)
        Channels are weighted 1 (BS.1770's weights for left, right and centre).
    sample_rate : int
    """
    samples = np.asarray(audio)
    if samples.ndim == 1:
        samples = samples[:, None]
    if samples.shape[0] < MIN_LOUDNESS_SECONDS * sample_rate:
        return None
    # float32, one channel per row: the filter then runs along memory (within 1e-4 LU of float64)
    by_channel = np.ascontiguousarray(samples.T, dtype=np.float32)  # (channels, N)
    weighted = sosfilt(k_weighting_sos(int(sample_rate)), by_channel, axis=1)
    quarter = int(round(QUARTER_BLOCK_SECONDS * sample_rate))
    num_quarters = weighted.shape[1] // quarter
    by_quarter = weighted[:, : num_quarters * quarter].reshape(-1, num_quarters, quarter)
    quarter_energy = np.einsum("cqs,cqs->q", by_quarter, by_quarter, dtype=np.float64)  # summed over c, s
    block_power = (quarter_energy[:-3] + quarter_energy[1:-2] + quarter_energy[2:-1] + quarter_energy[3:]) \
        / (4 * quarter)  # (num_quarters - 3,) mean square of each 400 ms block
    block_lufs = -0.691 + 10 * np.log10(np.maximum(block_power, 1e-30))
    gated = block_lufs > ABSOLUTE_GATE_LUFS
    if not gated.any():
        return None
    relative_gate = -0.691 + 10 * np.log10(block_power[gated].mean()) + RELATIVE_GATE_LU
    gated &= block_lufs > relative_gate
    return float(-0.691 + 10 * np.log10(block_power[gated].mean()))


def check_loudness_target(target_lufs: float | None) -> None:
    """Refuse a loudness target outside −70..−5 LUFS (quieter is inaudible, louder cannot stay under −1 dBFS)."""
    low, high = LOUDNESS_RANGE_LUFS
    if target_lufs is not None and not (np.isfinite(target_lufs) and low <= target_lufs <= high):
        raise InputError(f"loudness={target_lufs} LUFS must be in {low:g}..{high:g}")


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
