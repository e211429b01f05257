"""Audio files through soundfile (libsndfile), written atomically.

WAV (16-bit, 24-bit, float) and FLAC (16, 24-bit) are lossless; OGG/Vorbis and MP3 are lossy
formats for sharing and for browsers, written when the installed libsndfile has the codec
(libsndfile ≥ 1.1 writes MP3). The format comes from the extension.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from midistyle.errors import InputError
from midistyle.music.io import write_atomically

SUBTYPES = {"16": "PCM_16", "24": "PCM_24", "float": "FLOAT"}
MP3_SAMPLE_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)  # MPEG-1/2 layer III


@dataclass(frozen=True)
class AudioFormat:
    """How one extension is written: libsndfile's container and, for lossy formats, its codec."""

    container: str
    codec: str | None = None  # None: PCM at the chosen bit depth

    @property
    def lossy(self) -> bool:
        return self.codec is not None


FORMATS = {".wav": AudioFormat("WAV"), ".flac": AudioFormat("FLAC"),
           ".ogg": AudioFormat("OGG", "VORBIS"), ".mp3": AudioFormat("MP3", "MPEG_LAYER_III")}
AUDIO_EXTENSIONS = tuple(FORMATS)


def audio_subtype(path: str | os.PathLike, bits: str = "16", *, sample_rate: int | None = None) -> str:
    """Check an output path, bit depth and rate before any work; return soundfile's subtype name.

    Raises
    ------
    InputError
        A folder or an unknown extension; a bit depth the format cannot store; a codec this
        machine's libsndfile lacks; a sample rate MP3 cannot carry.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir() or str(path).endswith(os.sep):
        raise InputError(f"{path}: is a directory; give a file name ending in {', '.join(AUDIO_EXTENSIONS)}")
    if suffix not in FORMATS:
        raise InputError(f"{path}: unknown audio extension {suffix or '(none)'!r}; "
                         f"use {', '.join(AUDIO_EXTENSIONS)}")
    if bits not in SUBTYPES:
        raise InputError(f"bits={bits!r} must be one of {', '.join(SUBTYPES)}")
    audio_format = FORMATS[suffix]
    if audio_format.lossy:
        if bits != "16":
            raise InputError(f"{path}: {suffix[1:].upper()} is lossy and has no bit depth; "
                             "--bits applies to .wav and .flac")
        _check_codec(path, audio_format)
        if suffix == ".mp3" and sample_rate is not None and sample_rate not in MP3_SAMPLE_RATES:
            raise InputError(f"{path}: MP3 cannot carry {sample_rate} Hz; use one of "
                             f"{', '.join(map(str, MP3_SAMPLE_RATES))} or another format")
        return audio_format.codec
    if suffix == ".flac" and bits == "float":
        raise InputError(f"{path}: FLAC stores integers only; use --bits 16 or 24, or a .wav file")
    return SUBTYPES[bits]


def _check_codec(path: Path, audio_format: AudioFormat) -> None:
    import soundfile

    if audio_format.codec not in soundfile.available_subtypes(audio_format.container):
        raise InputError(f"{path}: this system's libsndfile {soundfile.__libsndfile_version__} cannot write "
                         f"{audio_format.container}/{audio_format.codec}; use .wav or .flac")


def write_audio(path: str | os.PathLike, audio: np.ndarray, sample_rate: int, *, bits: str = "16") -> Path:
    """Write ``audio`` (shape (N,) or (N, channels), floats in [-1, 1]) atomically; return the path.

    A 16-bit WAV of float32 audio is quantised here (:func:`wav_pcm16`), exactly as libsndfile
    would, at a tenth of its cost; everything else goes through libsndfile as it is.
    """
    import soundfile

    subtype = audio_subtype(path, bits, sample_rate=sample_rate)
    container = FORMATS[Path(path).suffix.lower()].container
    audio = np.asarray(audio)
    if container == "WAV" and subtype == "PCM_16" and audio.dtype == np.float32 and _libsndfile_scales_by_2_31():
        audio = wav_pcm16(audio)

    def write(temporary: Path) -> None:
        soundfile.write(str(temporary), np.ascontiguousarray(audio), sample_rate, subtype=subtype,
                        format=container)

    return write_atomically(path, write)


def wav_pcm16(audio: np.ndarray) -> np.ndarray:
    """The 16-bit samples libsndfile writes to a WAV for float32 ``audio``; same shape, int16, C order.

    libsndfile 1.2 (soundfile's) scales by 2^31, rounds to the nearest integer, clips to 32 bits and
    keeps the top 16 (an arithmetic shift, so it floors). Done here in float32, where every step is
    exact (power-of-two scales, integers below 2^24 after the shift), in a few array passes instead of
    its per-sample conversion; identical to it (``tests/test_render.py`` compares the bytes).
    """
    with np.errstate(over="ignore", invalid="ignore"):  # huge values become inf, then clip
        samples = np.asarray(audio, np.float32) * np.float32(2 ** 31)
        np.rint(samples, out=samples)  # lrintf
        samples *= np.float32(2 ** -16)
        np.floor(samples, out=samples)  # >> 16
        np.clip(samples, -(2 ** 15), 2 ** 15 - 1, out=samples)  # its clip at 32 bits, shifted
        samples[np.isnan(samples)] = -(2 ** 15)  # what lrintf's NaN (INT_MIN) becomes there
    return samples.astype(np.int16, order="C")


@lru_cache(maxsize=1)
def _libsndfile_scales_by_2_31() -> bool:
    """Whether soundfile's libsndfile converts as :func:`wav_pcm16` does: measured on 1.2.2 (the
    soundfile wheel's); other versions keep their own conversion."""
    import soundfile

    return soundfile.__libsndfile_version__.startswith("1.2.")


def read_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Read an audio file (WAV, FLAC, OGG, MP3…) as float32 of shape (N, channels) and its sample rate."""
    import soundfile

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        audio, sample_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except Exception as error:  # soundfile raises LibsndfileError / RuntimeError
        raise InputError(f"{path}: not a readable audio file ({error})") from None
    return audio, sample_rate
