"""Audio files: WAV (16-bit, 24-bit, float) and FLAC (16, 24-bit) through soundfile, written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from midistyle.errors import InputError
from midistyle.music.io import write_atomically

AUDIO_EXTENSIONS = (".wav", ".flac")
SUBTYPES = {"16": "PCM_16", "24": "PCM_24", "float": "FLOAT"}


def audio_subtype(path: str | os.PathLike, bits: str = "16") -> str:
    """Check an output path and bit depth before any work; return soundfile's subtype name."""
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir() or str(path).endswith(os.sep):
        raise InputError(f"{path}: is a directory; give a file name ending in .wav or .flac")
    if suffix not in AUDIO_EXTENSIONS:
        raise InputError(f"{path}: unknown audio extension {suffix or '(none)'!r}; use .wav or .flac")
    if bits not in SUBTYPES:
        raise InputError(f"bits={bits!r} must be one of {', '.join(SUBTYPES)}")
    if suffix == ".flac" and bits == "float":
        raise InputError(f"{path}: FLAC stores integers only; use --bits 16 or 24, or a .wav file")
    return SUBTYPES[bits]


def write_audio(path: str | os.PathLike, audio: np.ndarray, sample_rate: int, *, bits: str = "16") -> Path:
    """Write ``audio`` (shape (N,) or (N, channels), floats in [-1, 1]) atomically; return the path."""
    import soundfile

    subtype = audio_subtype(path, bits)
    file_format = "WAV" if Path(path).suffix.lower() == ".wav" else "FLAC"

    def write(temporary: Path) -> None:
        soundfile.write(str(temporary), audio, sample_rate, subtype=subtype, format=file_format)

    return write_atomically(path, write)


def read_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Read an audio file as float32 of shape (N, channels) and its sample rate."""
    import soundfile

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        audio, sample_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except Exception as error:  # soundfile raises LibsndfileError / RuntimeError
        raise InputError(f"{path}: not a readable audio file ({error})") from None
    return audio, sample_rate
