"""Spectral helpers for the style-transfer stage: checked input, log-magnitude STFT, phase reconstruction.

Every function works on mono float32 audio at one sample rate. :func:`prepare_audio` is the
boundary: it refuses what cannot be processed (empty, NaN/inf, silent) and says what it changed
(downmix, resampling). Spectrograms are stored frames-first, shape=(frames, bins), because the
style transfer treats frequency bins as the channels of a 1-D image over time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from midistyle.errors import InputError

SILENCE_PEAK = 1e-4  # -80 dBFS: quieter audio is called silent


@dataclass(frozen=True)
class PreparedAudio:
    """Mono float32 audio at ``sample_rate``, shape=(N,), with notes on what was changed to get it."""

    samples: np.ndarray
    sample_rate: int
    notes: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


def prepare_audio(audio: np.ndarray, sample_rate: int, *, target_rate: int, what: str) -> PreparedAudio:
    """Check ``audio`` (shape=(N,) or (N, channels)), mix it to mono and resample it to ``target_rate``.

    Raises
    ------
    InputError
        Empty, non-finite or silent audio, or a sample rate that is not positive.
    """
    audio = np.asarray(audio, dtype=np.float32)
    notes = []
    if sample_rate <= 0:
        raise InputError(f"the {what} audio has sample_rate={sample_rate}; it must be > 0")
    if audio.size == 0:
        raise InputError(f"the {what} audio is empty")
    if not np.all(np.isfinite(audio)):
        raise InputError(f"the {what} audio contains NaN or infinite samples")
    if audio.ndim == 2 and audio.shape[1] > 1:
        notes.append(f"{what}: {audio.shape[1]} channels mixed down to mono")
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    if np.max(np.abs(mono)) < SILENCE_PEAK:
        raise InputError(f"the {what} audio is silent (peak below -80 dBFS)")
    if sample_rate != target_rate:
        import librosa

        notes.append(f"{what}: resampled from {sample_rate} Hz to {target_rate} Hz")
        mono = librosa.resample(mono, orig_sr=sample_rate, target_sr=target_rate, res_type="soxr_hq")
    return PreparedAudio(np.ascontiguousarray(mono, dtype=np.float32), target_rate, notes)


def stft(audio: np.ndarray, *, n_fft: int, hop_length: int) -> np.ndarray:
    """Complex STFT (Hann window, centred), frames first: shape=(frames, n_fft // 2 + 1)."""
    import librosa

    return librosa.stft(audio, n_fft=n_fft, hop_length=hop_length).T


def istft(spectrum: np.ndarray, *, hop_length: int, length: int) -> np.ndarray:
    """Inverse of :func:`stft` for ``spectrum`` of shape=(frames, bins); returns shape=(length,)."""
    import librosa

    return librosa.istft(spectrum.T, hop_length=hop_length, length=length).astype(np.float32)


def log_magnitude(spectrum: np.ndarray) -> np.ndarray:
    """``log(1 + |S|)``, the representation the style transfer optimises, same shape as ``spectrum``."""
    return np.log1p(np.abs(spectrum)).astype(np.float32)


def magnitude_from_log(log_magnitude_frames: np.ndarray) -> np.ndarray:
    """Inverse of :func:`log_magnitude` (negative values clipped to zero magnitude)."""
    return np.expm1(np.maximum(log_magnitude_frames, 0.0))


def griffin_lim(
    magnitude: np.ndarray,
    *,
    n_fft: int,
    hop_length: int,
    length: int,
    iterations: int,
    momentum: float = 0.99,
    initial_phase: np.ndarray | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Audio whose STFT magnitude approaches ``magnitude`` (shape=(frames, bins)), shape=(length,).

    Fast Griffin-Lim (Perraudin et al. 2013): ``momentum=0`` is the original algorithm. librosa's
    ``griffinlim`` only starts from zero or random phase; here the start can be any phase, e.g.
    the content's, which keeps the notes' onsets and needs far fewer iterations.

    Parameters
    ----------
    initial_phase : np.ndarray, shape=(frames, bins), optional
        Phase in radians to start from; default uniformly random (seeded).
    """
    if initial_phase is None:
        initial_phase = np.random.default_rng(seed).uniform(-np.pi, np.pi, magnitude.shape)
    rebuilt = magnitude * np.exp(1j * initial_phase)
    previous = rebuilt
    for _ in range(iterations):
        projected = stft(istft(rebuilt, hop_length=hop_length, length=length), n_fft=n_fft, hop_length=hop_length)
        accelerated = projected + momentum * (projected - previous) if momentum else projected
        previous = projected
        rebuilt = magnitude * np.exp(1j * np.angle(accelerated))
    return istft(rebuilt, hop_length=hop_length, length=length)


def frame_chunks(frames: int, *, chunk_frames: int, overlap_frames: int) -> list[tuple[int, int]]:
    """``(start, stop)`` frame ranges covering ``frames``, each at most ``chunk_frames``, overlapping.

    Consecutive chunks share exactly ``overlap_frames`` frames (the last one may share more so that
    it is full length); one chunk when everything fits.
    """
    if overlap_frames >= chunk_frames:
        raise InputError(f"overlap of {overlap_frames} frames must be shorter than a chunk of {chunk_frames}")
    if frames <= chunk_frames:
        return [(0, frames)]
    step = chunk_frames - overlap_frames
    starts = list(range(0, frames - chunk_frames, step)) + [frames - chunk_frames]
    return [(start, start + chunk_frames) for start in starts]


def crossfade_chunks(chunks: list[np.ndarray], ranges: list[tuple[int, int]], frames: int) -> np.ndarray:
    """Join per-chunk arrays (each shape=(stop - start, bins)) with linear cross-fades where they overlap."""
    bins = chunks[0].shape[1]
    total = np.zeros((frames, bins), np.float64)
    weight = np.zeros((frames, 1), np.float64)
    for chunk, (start, stop) in zip(chunks, ranges):
        ramp = np.ones(stop - start)
        overlap_before = max(0, min(stop, max((e for s, e in ranges if s < start), default=0)) - start)
        overlap_after = max(0, stop - min((s for s, e in ranges if s > start), default=stop))
        if overlap_before:
            ramp[:overlap_before] = np.linspace(0, 1, overlap_before + 2)[1:-1]
        if overlap_after:
            ramp[-overlap_after:] = np.minimum(ramp[-overlap_after:], np.linspace(1, 0, overlap_after + 2)[1:-1])
        total[start:stop] += chunk * ramp[:, None]
        weight[start:stop] += ramp[:, None]
    return (total / np.maximum(weight, 1e-12)).astype(np.float32)
