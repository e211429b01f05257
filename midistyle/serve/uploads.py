"""Uploaded files: size-limited, typed by their content (never by the name alone), saved in a job folder.

A score upload is one of MIDI, MusicXML (plain or compressed), ABC, Humdrum **kern or MEI, told
apart by its first bytes; an audio upload is WAV, FLAC, OGG or MP3. The file is saved under a name
the server chooses, with the extension of the type found, and nothing in it is ever executed.
"""

from __future__ import annotations

import re
from pathlib import Path

from midistyle.errors import InputError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class UploadError(InputError):
    """An upload refused before it is read: too large (HTTP 413) or of a type not taken (415)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
SCORE_TYPES = "MIDI, MusicXML, ABC, Humdrum **kern or MEI"
AUDIO_TYPES = "WAV, FLAC, OGG or MP3"


def score_extension(data: bytes) -> str | None:
    """The extension of the score format ``data`` holds, or None."""
    if data.startswith(b"MThd"):
        return ".mid"
    if data.startswith(b"PK\x03\x04"):
        return ".mxl"  # compressed MusicXML is a zip
    head = data[:4096].decode("utf-8", errors="replace")
    if re.search(r"<(score-partwise|score-timewise)\b", head):
        return ".musicxml"
    if re.search(r"<mei\b", head):
        return ".mei"
    if re.search(r"^\*\*kern", head, re.MULTILINE):
        return ".krn"
    if re.search(r"^X:\s*\d+", head, re.MULTILINE) and re.search(r"^K:", head, re.MULTILINE):
        return ".abc"
    return None


def audio_extension(data: bytes) -> str | None:
    """The extension of the audio format ``data`` holds, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return ".wav"
    if data.startswith(b"fLaC"):
        return ".flac"
    if data.startswith(b"OggS"):
        return ".ogg"
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return ".mp3"
    return None


def save_upload(data: bytes, filename: str, folder: Path, *, kind: str) -> Path:
    """Check an upload and save it as ``folder/upload<ext>``; ``kind`` is ``"score"``, ``"audio"`` or
    ``"melody"`` (a score or a recording of one).

    Raises
    ------
    InputError
        Empty, too large, or not a file of the expected kind (the message names the upload).
    """
    shown = Path(filename or "upload").name[:80]
    if not data:
        raise InputError(f"{shown}: is empty (0 bytes)")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(f"{shown}: is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB", 413)
    if kind == "melody":
        extension = score_extension(data) or audio_extension(data)
        expected = f"{SCORE_TYPES} file, nor a {AUDIO_TYPES} recording"
    else:
        extension = score_extension(data) if kind == "score" else audio_extension(data)
        expected = f"{SCORE_TYPES if kind == 'score' else AUDIO_TYPES} file"
    if extension is None:
        raise UploadError(f"{shown}: is not a {expected}", 415)
    path = folder / f"{kind}_upload{extension}"
    path.write_bytes(data)
    return path
