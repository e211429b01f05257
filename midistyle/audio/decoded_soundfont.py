"""Decode an SF3's compressed samples once, into an SF2 kept in a cache folder.

An SF3 (MuseScore's SoundFont with Ogg Vorbis samples) is small on disk, but
FluidSynth decodes every sample of a preset when the preset is first selected:
MuseScore General's grand piano takes a second, in every process that renders.
:func:`playable_soundfont` decodes the whole font once, with the same libsndfile
that FluidSynth links (so the 16-bit samples, and therefore the renders, are
bit-identical), and writes a plain SF2 that FluidSynth then reads without
decoding: about 4 s and 216 MB for MuseScore General, once per machine.

Layout of the SF2 written: the SF3's INFO and preset data unchanged except the
version (``ifil`` 2.01) and the sample headers (``shdr``); the sample chunk holds
each sample's 16-bit PCM followed by the 46 zero samples the SoundFont 2.01
specification asks for. A compressed sample's header carries byte offsets into the
Ogg data and loop points relative to the sample's start; the SF2's carry absolute
sample offsets.

The cache folder is ``$MIDISTYLE_CACHE_DIR``, else ``$XDG_CACHE_HOME/midistyle``,
else ``~/.cache/midistyle``. A cached file is named after the font, its size and its
modification time, so a changed font is decoded again. Writes are atomic and
serialised by a lock file, so concurrent render workers decode once. When the
folder cannot be written, or the disk lacks room, the SF3 is used as it is.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import hashlib
import os
import shutil
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np

CACHE_ENVIRONMENT_VARIABLE = "MIDISTYLE_CACHE_DIR"
FORMAT_VERSION = 1  # bump when the written layout changes: old cache files are then ignored
SAMPLE_HEADER = struct.Struct("<20sIIIIIBbHH")  # name, start, end, loop start, loop end, rate, key, cents, link, type
VORBIS_FLAG = 0x10  # sample type bit of an Ogg Vorbis compressed sample (SF3)
PADDING_SAMPLES = 46  # zero samples after each sample (SoundFont 2.01, section 6.1)
DECODED_TO_COMPRESSED_RATIO = 8  # room asked for on disk, times the SF3's size (MuseScore General: 5.4)


class _Info(ctypes.Structure):
    _fields_ = [("frames", ctypes.c_int64), ("samplerate", ctypes.c_int), ("channels", ctypes.c_int),
                ("format", ctypes.c_int), ("sections", ctypes.c_int), ("seekable", ctypes.c_int)]


def cache_dir() -> Path:
    """The folder for decoded fonts (see the module docstring for the order of choices)."""
    if os.environ.get(CACHE_ENVIRONMENT_VARIABLE):
        return Path(os.environ[CACHE_ENVIRONMENT_VARIABLE]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "midistyle"


def decoded_path(soundfont: Path) -> Path:
    """Where the decoded SF2 of ``soundfont`` is (or would be) cached."""
    status = soundfont.resolve().stat()
    key = f"{soundfont.resolve()}:{status.st_size}:{status.st_mtime_ns}:{FORMAT_VERSION}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_dir() / "soundfonts" / f"{soundfont.stem}-{digest}.sf2"


def playable_soundfont(soundfont: Path, *, use_cache: bool = True) -> Path:
    """The file FluidSynth should load for ``soundfont``: its decoded SF2 for an SF3, else itself.

    The first call for an SF3 decodes it (a line on stderr says so). When the cache cannot be
    made (unwritable folder, too little disk), a line on stderr says why and ``soundfont`` itself is
    used: FluidSynth then decodes it as before. A file this module cannot read is left to FluidSynth,
    which names what is wrong with it, and is not tried again until it changes.
    """
    if not use_cache or soundfont.suffix.lower() != ".sf3" or not soundfont.is_file():
        return soundfont
    try:
        target = decoded_path(soundfont)
        if target.is_file():
            return target
        failed = target.with_suffix(".failed")
        if failed.is_file():
            return soundfont
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target.parent / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be decoding the same font
            if target.is_file():
                return target
            for leftover in target.parent.glob(".*.part"):  # from a process killed while writing
                leftover.unlink(missing_ok=True)
            needed_bytes = DECODED_TO_COMPRESSED_RATIO * soundfont.stat().st_size
            if shutil.disk_usage(target.parent).free < needed_bytes:
                _warn(f"{soundfont.name}'s samples are decoded at each render: {target.parent} has under "
                      f"{needed_bytes / 1e6:.0f} MB free")
                return soundfont
            try:
                decode_soundfont(soundfont, target, on_start=lambda: _warn(
                    f"decoding {soundfont.name}'s samples once into {target} (a few seconds)"))
            except (ValueError, struct.error) as error:  # not a font it can read: FluidSynth names the problem
                failed.write_text(f"{error}\n")
                return soundfont
    except Exception as error:  # a cache that cannot be made never stops a render: the SF3 plays as it is
        _warn(f"{soundfont.name}'s samples are decoded at each render: {error}")
        return soundfont
    return target


def _warn(message: str) -> None:
    print(f"midistyle: {message}", file=sys.stderr)


def decode_soundfont(source: Path, target: Path, *, on_start=None) -> int:
    """Write ``source`` (an SF3, or an SF2 without 24-bit samples) as an SF2 of 16-bit PCM; atomically.

    ``on_start()``, when given, is called once the file's structure has been read and decoding begins.

    Returns
    -------
    int
        The number of samples that were Ogg Vorbis compressed.

    Raises
    ------
    ValueError
        When ``source`` is not a RIFF ``sfbk`` file with ``sdta`` and ``pdta`` lists, carries
        24-bit sample data, or a compressed sample does not decode to mono audio.
    """
    data = Path(source).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"sfbk":
        raise ValueError(f"{source}: not a SoundFont (no RIFF sfbk header)")
    lists = {data[offset:offset + 4]: dict(_chunks(data, offset + 4, offset + size))
             for chunk_id, offset, size in _chunk_spans(data, 12, len(data)) if chunk_id == b"LIST"}
    if b"sdta" not in lists or b"pdta" not in lists or b"shdr" not in lists[b"pdta"]:
        raise ValueError(f"{source}: a SoundFont needs sdta and pdta lists with sample headers")
    if b"sm24" in lists[b"sdta"]:
        raise ValueError(f"{source}: has 24-bit samples (sm24), which this decoder does not carry over")
    packed = lists[b"sdta"].get(b"smpl", b"")
    headers = lists[b"pdta"][b"shdr"]
    if on_start is not None:
        on_start()
    pieces, new_headers, position, compressed = [], [], 0, 0
    with _VorbisDecoder() as decoder:
        for index in range(len(headers) // SAMPLE_HEADER.size - 1):  # the last header is the terminal "EOS"
            name, start, end, loop_start, loop_end, rate, key, cents, link, kind = SAMPLE_HEADER.unpack_from(
                headers, index * SAMPLE_HEADER.size)
            if kind & VORBIS_FLAG:  # byte offsets into the Ogg data; loop points from the sample's start
                samples = decoder.decode(packed[start:end], name)
                loops = (loop_start, loop_end)
                compressed += 1
            else:  # sample offsets, absolute
                samples = np.frombuffer(packed, "<i2", count=max(end - start, 0), offset=2 * start)
                loops = (loop_start - start, loop_end - start)
            # a loop point outside the sample goes to its edge, as FluidSynth does when it loads one
            loops = tuple(min(max(point, 0), len(samples)) for point in loops)
            new_headers.append(SAMPLE_HEADER.pack(
                name, position, position + len(samples), position + loops[0], position + loops[1],
                rate, key, cents, link, kind & ~VORBIS_FLAG))
            pieces += [samples.astype("<i2", copy=False), np.zeros(PADDING_SAMPLES, "<i2")]
            position += len(samples) + PADDING_SAMPLES
    new_headers.append(headers[len(headers) - SAMPLE_HEADER.size:])
    info = _list(b"INFO", {**lists.get(b"INFO", {}), b"ifil": struct.pack("<HH", 2, 1)})
    presets = _list(b"pdta", {**lists[b"pdta"], b"shdr": b"".join(new_headers)})
    del data, packed, lists
    sample_bytes = 2 * position
    sample_list_size = 4 + 8 + sample_bytes  # "sdta", then the smpl chunk (an even size: no pad byte)
    riff_size = 4 + len(info) + 8 + sample_list_size + len(presets)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:  # written piece by piece: the samples are never copied whole
            out.write(b"RIFF" + struct.pack("<I", riff_size) + b"sfbk" + info)
            out.write(b"LIST" + struct.pack("<I", sample_list_size) + b"sdta")
            out.write(b"smpl" + struct.pack("<I", sample_bytes))
            for piece in pieces:
                out.write(piece.tobytes())
            out.write(presets)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the cache is shared by users of the font
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return compressed


def _chunk_spans(data: bytes, offset: int, end: int):
    """(id, payload offset, payload size) of the RIFF chunks in ``data[offset:end]``.

    Chunks of odd size are followed by a pad byte, except where a writer left it out (MuseScore
    General's sample chunk): the next chunk then starts straight after the payload.
    """
    while offset + 8 <= end:
        chunk_id = data[offset:offset + 4]
        size = struct.unpack_from("<I", data, offset + 4)[0]
        yield chunk_id, offset + 8, size
        following = offset + 8 + size
        if size % 2 and following < end and data[following:following + 4] != b"LIST":
            following += 1
        offset = following


def _chunks(data: bytes, offset: int, end: int):
    """(id, payload) of the chunks inside one LIST."""
    for chunk_id, start, size in _chunk_spans(data, offset, end):
        yield chunk_id, data[start:start + size]


def _chunk(chunk_id: bytes, payload: bytes) -> bytes:
    return chunk_id + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) % 2 else b"")


def _list(kind: bytes, chunks: dict[bytes, bytes]) -> bytes:
    return _chunk(b"LIST", kind + b"".join(_chunk(chunk_id, payload) for chunk_id, payload in chunks.items()))


class _VorbisDecoder:
    """Ogg Vorbis bytes to 16-bit samples through the system libsndfile, the one FluidSynth uses.

    (A Python wheel's own libsndfile may be another version, which rounds some samples the other way.)
    """

    SFM_READ = 0x10

    def __init__(self) -> None:
        name = ctypes.util.find_library("sndfile")
        if name is None:
            raise OSError("libsndfile is not installed (FluidSynth needs it: apt-get install libsndfile1)")
        self._lib = ctypes.CDLL(name)
        self._lib.sf_open_fd.restype = ctypes.c_void_p
        self._lib.sf_open_fd.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.POINTER(_Info), ctypes.c_int]
        self._lib.sf_readf_short.restype = ctypes.c_int64
        self._lib.sf_readf_short.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        self._lib.sf_close.argtypes = [ctypes.c_void_p]
        self._descriptor = os.memfd_create("midistyle-vorbis-sample")

    def decode(self, compressed: bytes, name: bytes) -> np.ndarray:
        """The samples of one Ogg Vorbis stream, shape (frames,), int16."""
        os.ftruncate(self._descriptor, 0)
        os.pwrite(self._descriptor, compressed, 0)
        os.lseek(self._descriptor, 0, os.SEEK_SET)
        info = _Info()
        handle = self._lib.sf_open_fd(self._descriptor, self.SFM_READ, ctypes.byref(info), 0)
        label = name.split(b"\0")[0].decode("latin-1")
        if not handle:
            raise ValueError(f"sample {label!r}: not Ogg Vorbis data libsndfile can read")
        try:
            if info.channels != 1:
                raise ValueError(f"sample {label!r}: {info.channels} channels, a SoundFont sample has 1")
            samples = np.zeros(info.frames, np.int16)
            if self._lib.sf_readf_short(handle, samples.ctypes.data, info.frames) != info.frames:
                raise ValueError(f"sample {label!r}: its Ogg Vorbis data ends early")
        finally:
            self._lib.sf_close(handle)
        return samples

    def __enter__(self) -> _VorbisDecoder:
        return self

    def __exit__(self, *exc_info) -> None:
        os.close(self._descriptor)
