"""Equalisers that give the content the style's spectral envelope, frame by frame or on average.

They work on magnitude spectrograms, shape=(frames, bins), and return amplitude gains per bin
(``(bins,)`` for a fixed equaliser, ``(frames, bins)`` for one that changes with every frame).
Gains are computed per mel band in dB and spread over the bins by the bands' triangular filters,
so the notes, which live within a band, are left alone: only the envelope around them changes.
"""

from __future__ import annotations

import numpy as np


def bin_gains(band_gain_db: np.ndarray, bank: np.ndarray) -> np.ndarray:
    """Amplitude gains per bin, shape=(..., bins), from gains in dB per band, shape=(..., bands).

    Each bin takes the filter-weighted average of the gains of the bands that cover it; DC and the
    very top, which no band covers, take the nearest band's gain. ``bank`` is shape=(bands, bins).
    """
    coverage = bank.sum(axis=0)
    bin_gain_db = (band_gain_db @ bank) / np.maximum(coverage, 1e-12)
    uncovered = np.nonzero(coverage < 1e-12)[0]
    nearest = np.where(uncovered < len(coverage) // 2, 0, bank.shape[0] - 1)
    bin_gain_db[..., uncovered] = band_gain_db[..., nearest]
    return (10 ** (bin_gain_db / 20)).astype(np.float32)


def frames_with_sound(magnitude: np.ndarray, *, range_db: float = 40.0) -> np.ndarray:
    """Which frames of a magnitude spectrogram, shape=(frames, bins), are within ``range_db`` of the loudest."""
    energy_db = 10 * np.log10(np.sum(magnitude**2, axis=1) + 1e-10)
    return energy_db > energy_db.max() - range_db


def envelope_match(content_magnitude: np.ndarray, style_magnitude: np.ndarray, *, sample_rate: int,
                   n_fft: int, bands: int, max_gain_db: float = 30.0) -> np.ndarray:
    """Equalise the content so its long-term average power per mel band equals the style's.

    Returns the gain per frequency bin, shape=(bins,), normalised to unit mean power gain (the
    level is set at the end). Both magnitudes are shape=(frames, bins). Mel bands are wide enough
    that the notes played barely matter: what is left is the instrument's spectral envelope.
    """
    import librosa

    bank = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=bands, norm=None)  # (bands, bins)
    content_power = np.mean(content_magnitude**2, axis=0) @ bank.T + 1e-10
    style_power = np.mean(style_magnitude**2, axis=0) @ bank.T + 1e-10
    band_gain_db = 10 * np.log10(style_power / content_power)
    band_gain_db = np.clip(band_gain_db - np.average(band_gain_db, weights=content_power), -max_gain_db, max_gain_db)
    return bin_gains(band_gain_db, bank)


def band_statistics_match(content_magnitude: np.ndarray, style_magnitude: np.ndarray, *, sample_rate: int,
                          n_fft: int, bands: int, max_gain_db: float = 30.0) -> np.ndarray:
    """Per-frame gains that give the content's mel-band levels the style's mean *and* covariance.

    The frames' mel-band levels in dB, shape=(frames, bands), are whitened with the content's
    statistics and coloured with the style's (the whitening-colouring transform of Li et al. 2017,
    here on spectral envelopes): how bright an attack is, how the envelope changes as notes decay.
    Only frames with sound (within 40 dB of the loudest) are measured and transformed; the quieter
    ones get the mean difference alone. Returns amplitude gains, shape=(frames, bins).
    """
    import librosa

    bank = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=bands, norm=None)  # (bands, bins)

    def band_db(magnitude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return 10 * np.log10((magnitude**2) @ bank.T + 1e-10), frames_with_sound(magnitude)  # (frames, bands)

    content_db, content_voiced = band_db(content_magnitude)
    style_db, style_voiced = band_db(style_magnitude)
    if content_voiced.sum() < 2 or style_voiced.sum() < 2:  # too short for a covariance: means only
        return envelope_match(content_magnitude, style_magnitude, sample_rate=sample_rate, n_fft=n_fft,
                              bands=bands, max_gain_db=max_gain_db)[None, :].repeat(len(content_magnitude), 0)

    def mean_and_root(levels: np.ndarray, inverse: bool) -> tuple[np.ndarray, np.ndarray]:
        covariance = np.cov(levels, rowvar=False) + np.eye(bands)  # +1 dB² keeps the whitening tame
        values, vectors = np.linalg.eigh(covariance)
        return levels.mean(axis=0), (vectors * values ** (-0.5 if inverse else 0.5)) @ vectors.T

    content_mean, whiten = mean_and_root(content_db[content_voiced], inverse=True)
    style_mean, colour = mean_and_root(style_db[style_voiced], inverse=False)
    gain_db = np.broadcast_to(style_mean - content_mean, content_db.shape).copy()
    voiced = content_db[content_voiced]
    gain_db[content_voiced] = (voiced - content_mean) @ whiten @ colour + style_mean - voiced
    gain_db -= np.average(gain_db[content_voiced].mean(axis=0), weights=np.mean(10 ** (content_db / 10), axis=0))
    gain_db = np.clip(gain_db, -max_gain_db, max_gain_db)
    return bin_gains(gain_db, bank)


def cepstral_statistics_match(content_magnitude: np.ndarray, style_magnitude: np.ndarray, *, sample_rate: int,
                              n_fft: int, mels: int = 128, coefficients: int = 20, floor_db: float = 80.0,
                              max_gain_db: float = 30.0) -> np.ndarray:
    """Per-frame gains that give the content's cepstrum the style's mean and spread, coefficient by coefficient.

    The fine counterpart of :func:`band_statistics_match`: each frame's ``mels`` mel-band levels in
    dB (floored ``floor_db`` below the clip's loudest) are turned into ``coefficients`` cepstral
    coefficients by an orthonormal DCT (MFCCs), shape=(frames, coefficients). Over the frames with
    sound, each coefficient is standardised with the content's mean and standard deviation and
    given the style's; the change is taken back to mel bands by the transposed DCT, which keeps it
    smooth across neighbouring bands. Returns amplitude gains, shape=(frames, bins).
    """
    import librosa
    import scipy.fft

    bank = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=mels, norm=None)  # (mels, bins)
    dct = scipy.fft.dct(np.eye(mels), type=2, norm="ortho", axis=0)[:coefficients]  # (coefficients, mels)

    def cepstrum(magnitude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        level = 10 * np.log10((magnitude**2) @ bank.T + 1e-10)  # (frames, mels)
        level = np.maximum(level, level.max() - floor_db)
        return level @ dct.T, frames_with_sound(magnitude)

    def mean_and_spread(cepstra: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return cepstra.mean(axis=0), np.sqrt(cepstra.var(axis=0) + 1.0)  # +1 dB² keeps the scaling tame

    content_cepstra, content_voiced = cepstrum(content_magnitude)
    style_cepstra, style_voiced = cepstrum(style_magnitude)
    content_mean, content_spread = mean_and_spread(content_cepstra[content_voiced])
    style_mean, style_spread = mean_and_spread(style_cepstra[style_voiced])
    change = np.broadcast_to(style_mean - content_mean, content_cepstra.shape).copy()
    voiced = content_cepstra[content_voiced]
    change[content_voiced] = (voiced - content_mean) * (style_spread / content_spread) + style_mean - voiced
    gain_db = change @ dct  # (frames, mels)
    gain_db = np.clip(gain_db - gain_db[content_voiced].mean(), -max_gain_db, max_gain_db)
    return bin_gains(gain_db, bank)
