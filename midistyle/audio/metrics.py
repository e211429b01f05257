"""Audio metrics for timbre transfer, after Cífka et al. (ICASSP 2021), plus level and brightness.

All functions take mono or ``(N, channels)`` float audio (mixed down to mono) and a sample rate.
Distances compare two signals frame by frame after trimming to the shorter one.

* ``log_spectral_distance`` — RMS difference of mel spectrograms in dB (lower: closer sound);
* ``timbre_distance`` — cosine distance between MFCC statistics (mean and std of MFCC 1-19);
  lower means the same instrument colour regardless of the notes played;
* ``chroma_similarity`` — mean cosine similarity of chroma frames: are the *pitches* kept?
* ``spectral_centroid_hz``, ``loudness_lufs``, ``peak_dbfs`` — brightness and level.
"""

from __future__ import annotations

import numpy as np

from midistyle.audio.level import loudness_lufs, peak_dbfs
from midistyle.errors import InputError

N_FFT = 2048
HOP_LENGTH = 512
N_MELS = 128
N_MFCC = 20
SILENCE_DB = -80.0


def to_mono(audio: np.ndarray) -> np.ndarray:
    """Mix ``(N,)`` or ``(N, channels)`` audio to a mono float32 array, shape=(N,)."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    if audio.ndim != 1 or not len(audio):
        raise InputError(f"audio of shape {audio.shape} is not a non-empty (N,) or (N, channels) signal")
    return audio


def _check_not_silent(audio: np.ndarray, what: str) -> None:
    if not np.any(np.abs(audio) > 1e-5):
        raise InputError(f"the {what} audio is silent")


def mel_db(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mel spectrogram in dB (ref 1.0, floored at -80 dB), shape=(N_MELS, frames)."""
    import librosa

    mel = librosa.feature.melspectrogram(
        y=to_mono(audio), sr=sample_rate, n_fft=N_FFT, hop_length=HOP_LENGTH, n_mels=N_MELS
    )
    return np.maximum(librosa.power_to_db(mel, ref=1.0), SILENCE_DB)


def log_spectral_distance(a: np.ndarray, b: np.ndarray, sample_rate: int) -> float:
    """RMS over mel bins and frames of the difference of mel dB spectrograms, in dB."""
    mel_a, mel_b = mel_db(a, sample_rate), mel_db(b, sample_rate)
    frames = min(mel_a.shape[1], mel_b.shape[1])
    return float(np.sqrt(np.mean((mel_a[:, :frames] - mel_b[:, :frames]) ** 2)))


def mfcc_statistics(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mean and standard deviation of MFCC 1..19 over frames with sound, shape=(38,)."""
    import librosa

    mono = to_mono(audio)
    _check_not_silent(mono, "measured")
    mfcc = librosa.feature.mfcc(y=mono, sr=sample_rate, n_mfcc=N_MFCC, n_fft=N_FFT, hop_length=HOP_LENGTH)[1:]
    rms = librosa.feature.rms(y=mono, frame_length=N_FFT, hop_length=HOP_LENGTH)[0][: mfcc.shape[1]]
    voiced = rms > rms.max() * 0.01  # leave out the silent tail, which would dominate the statistics
    return np.concatenate([mfcc[:, voiced].mean(axis=1), mfcc[:, voiced].std(axis=1)])


def timbre_distance(a: np.ndarray, b: np.ndarray, sample_rate: int) -> float:
    """Cosine distance (0 = same direction, 2 = opposite) between MFCC statistics."""
    x, y = mfcc_statistics(a, sample_rate), mfcc_statistics(b, sample_rate)
    return float(1 - x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))


def chroma_similarity(a: np.ndarray, b: np.ndarray, sample_rate: int) -> float:
    """Mean cosine similarity of chroma frames (1 = the same pitch classes over time)."""
    import librosa

    chroma_a, chroma_b = (
        librosa.feature.chroma_stft(y=to_mono(x), sr=sample_rate, n_fft=N_FFT, hop_length=HOP_LENGTH) for x in (a, b)
    )
    frames = min(chroma_a.shape[1], chroma_b.shape[1])
    chroma_a, chroma_b = chroma_a[:, :frames], chroma_b[:, :frames]
    norms = np.linalg.norm(chroma_a, axis=0) * np.linalg.norm(chroma_b, axis=0)
    sounding = norms > 1e-8
    return float(np.mean(np.sum(chroma_a * chroma_b, axis=0)[sounding] / norms[sounding])) if sounding.any() else 0.0


def spectral_centroid_hz(audio: np.ndarray, sample_rate: int) -> float:
    """Mean spectral centroid over frames with sound, in Hz."""
    import librosa

    mono = to_mono(audio)
    _check_not_silent(mono, "measured")
    centroid = librosa.feature.spectral_centroid(y=mono, sr=sample_rate, n_fft=N_FFT, hop_length=HOP_LENGTH)[0]
    rms = librosa.feature.rms(y=mono, frame_length=N_FFT, hop_length=HOP_LENGTH)[0][: len(centroid)]
    return float(centroid[rms > rms.max() * 0.01].mean())


def audio_metrics(
    output: np.ndarray,
    sample_rate: int,
    *,
    content: np.ndarray | None = None,
    target: np.ndarray | None = None,
    style: np.ndarray | None = None,
) -> dict[str, float]:
    """Every metric for one output, against whichever references are given.

    Parameters
    ----------
    output : np.ndarray, shape=(N,) or (N, channels)
    content : the input whose notes must be kept (chroma similarity, distances "to content")
    target : the ground truth: the content's notes played with the style's timbre
    style : the example of the wanted timbre (timbre distance "to style")
    """
    _check_not_silent(to_mono(output), "output")
    row = {
        "spectral_centroid_hz": spectral_centroid_hz(output, sample_rate),
        "loudness_lufs": float(loudness_lufs(np.atleast_2d(to_mono(output)).T, sample_rate) or float("nan")),
        "peak_dbfs": float(peak_dbfs(output)),
    }
    for name, reference in (("content", content), ("target", target), ("style", style)):
        if reference is None:
            continue
        row[f"timbre_distance_to_{name}"] = timbre_distance(output, reference, sample_rate)
        if name != "style":
            row[f"log_spectral_distance_to_{name}"] = log_spectral_distance(output, reference, sample_rate)
            row[f"chroma_similarity_to_{name}"] = chroma_similarity(output, reference, sample_rate)
    return row
