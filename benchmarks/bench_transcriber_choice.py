"""Which pitch tracker reads recordings: librosa's pyin (no weights) against basic-pitch's ONNX model.

30 s of a synthetic melody (a sine stepping through a chromatic octave twice a second) at 22.05 kHz;
each is timed once after a warm-up call on 1 s. pyin searches 65-1050 Hz with 1024-sample frames and
a 256 hop (basic-pitch's hop); basic-pitch runs through :func:`midistyle.audio.transcribe.key_likelihoods`.
"""

from __future__ import annotations

import time

import numpy as np

SAMPLE_RATE = 22050


def run(quick: bool = False) -> list[dict]:
    import librosa

    from midistyle.audio.transcribe import key_likelihoods

    seconds = 10 if quick else 30
    t = np.arange(SAMPLE_RATE * seconds) / SAMPLE_RATE
    frequency = 220 * 2 ** (np.floor(t * 2) % 12 / 12)
    audio = (0.3 * np.sin(2 * np.pi * np.cumsum(frequency) / SAMPLE_RATE)).astype(np.float32)

    def pyin(x):
        return librosa.pyin(x, fmin=65, fmax=1050, sr=SAMPLE_RATE, frame_length=1024, hop_length=256)

    rows = []
    for name, track in (("librosa.pyin", pyin), ("basic-pitch ONNX", key_likelihoods)):
        track(audio[:SAMPLE_RATE])  # warm-up: model load, caches
        start = time.perf_counter()
        track(audio)
        elapsed = time.perf_counter() - start
        rows.append({"tracker": name, "audio_s": seconds, "seconds": round(elapsed, 2),
                     "s per min of audio": round(elapsed / seconds * 60, 2)})
    return rows
