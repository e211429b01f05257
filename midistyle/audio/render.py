"""Render scores and MIDI files to audio in process, through FluidSynth (pyfluidsynth).

A :class:`Renderer` owns one synthesizer with the SoundFont loaded once, so a
batch of files pays the loading cost once. Events (notes, controllers, pitch
bends) are played at sample-exact times taken from symusic's tempo-aware
conversion to seconds, so tempo changes and velocities are honoured; drum
tracks play on MIDI channel 10 (index 9). Samples come from FluidSynth's float
output (``fluid_synth_write_float``), written straight into the result array.

Some SoundFont samples are not centred on zero, so FluidSynth's output carries a
DC offset while they sound (up to 0.4 % of full scale with TimGM6mb's organ). Every
render is high-passed at 5 Hz (0.017 dB down at 20 Hz), which leaves what is heard
untouched and the mean under 1e-5 of full scale.

The level is set afterwards by :func:`midistyle.audio.level.normalisation_gain`
(a loudness target with a peak ceiling). With stems, every voice is rendered
alone, the mix is their sum, and all share the mix's gain: stems sum to the mix.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import symusic

from midistyle.audio.decoded_soundfont import playable_soundfont
from midistyle.audio.iir import high_pass_sos, sosfilt
from midistyle.audio.instruments import programs_for
from midistyle.audio.level import LevelReport, check_loudness_target, normalisation_gain
from midistyle.audio.soundfonts import resolve_soundfont
from midistyle.errors import InputError, MissingDependencyError
from midistyle.music.io import MIDI_EXTENSIONS, read_score
from midistyle.music.midi import score_to_symusic
from midistyle.music.score import Score

SAMPLE_RATE_RANGE = (8000, 96000)  # what FluidSynth accepts (above it, it falls back to 44.1 kHz silently)
DRUM_CHANNEL = 9
PLAYING_CHANNELS = 16
PITCHED_CHANNELS = tuple(c for c in range(PLAYING_CHANNELS) if c != DRUM_CHANNEL)
# Channels 16..31 are never played: each holds one settled preset selected, so that FluidSynth's
# dynamic sample loading keeps its samples in memory between pieces instead of decoding them again.
HOLDER_CHANNELS = tuple(range(PLAYING_CHANNELS, 2 * PLAYING_CHANNELS))
# What FluidSynth's system reset leaves in the controllers that a reset-all-controllers (CC 121) keeps.
_CONTROLLER_DEFAULTS = ((7, 100), (10, 64), (0, 0), (32, 0), (91, 0), (93, 0), (71, 64), (74, 64),
                        (101, 0), (100, 0), (6, 2), (38, 0), (101, 127), (100, 127))  # RPN 0: bend range 2
BLOCK_FRAMES = 64  # FluidSynth applies events at the start of its 64-sample blocks
DC_HIGHPASS_HZ = 5.0
_NOTE_OFF, _CONTROL, _BEND, _NOTE_ON = 0, 1, 2, 3  # order of events that share a sample


@dataclass(frozen=True)
class RenderConfig:
    """How to render. Instruments are per voice (one name applies to all) or an ensemble preset."""

    sample_rate: int = 44100
    soundfont: str | None = None
    instruments: tuple[str, ...] | None = None
    ensemble: str | None = None
    reverb: bool = False
    chorus: bool = False
    loudness_lufs: float | None = -16.0
    ceiling_dbfs: float = -1.0
    tail_seconds: float = 1.0
    sample_cache: bool = True  # load an SF3 from its decoded SF2 (midistyle.audio.decoded_soundfont)

    def __post_init__(self) -> None:
        low, high = SAMPLE_RATE_RANGE
        if not low <= self.sample_rate <= high:
            raise InputError(f"sample_rate={self.sample_rate} must be in {low}..{high} Hz (FluidSynth's range)")
        if not 0.0 <= self.tail_seconds <= 30.0:
            raise InputError(f"tail_seconds={self.tail_seconds} must be in 0..30")
        check_loudness_target(self.loudness_lufs)
        if self.ceiling_dbfs > 0.0:
            raise InputError(f"ceiling_dbfs={self.ceiling_dbfs} must be <= 0")
        programs_for(1 if not self.instruments else len(self.instruments), instruments=self.instruments,
                     ensemble=self.ensemble)  # unknown names fail here, before any file is read


@dataclass
class Rendering:
    """A rendered piece: the mix, shape (N, 2) float32, stems by voice name, and the level report."""

    audio: np.ndarray
    sample_rate: int
    level: LevelReport
    stems: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.audio.shape[0] / self.sample_rate


def _import_fluidsynth():
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # it prints its library path when $CI is set
            import fluidsynth
    except ModuleNotFoundError:
        raise MissingDependencyError("pyfluidsynth is not installed: pip install pyfluidsynth") from None
    except ImportError:
        raise MissingDependencyError(
            "the FluidSynth library (libfluidsynth.so.3) is missing: "
            "apt-get install --no-install-recommends libfluidsynth3 (or run `make setup`)"
        ) from None
    return fluidsynth


class Renderer:
    """One FluidSynth synthesizer with a SoundFont loaded; renders any number of pieces.

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, config: RenderConfig | None = None) -> None:
        self.config = config or RenderConfig()
        fluidsynth = _import_fluidsynth()
        self.soundfont = resolve_soundfont(self.config.soundfont)
        settings = {"synth.reverb.active": int(self.config.reverb),
                    "synth.chorus.active": int(self.config.chorus),
                    # read a preset's samples when it is first selected, not the whole font at load
                    "synth.dynamic-sample-loading": 1,
                    "synth.midi-channels": len(HOLDER_CHANNELS) + PLAYING_CHANNELS}
        self._synth = fluidsynth.Synth(gain=0.5, samplerate=float(self.config.sample_rate), **settings)
        # an SF3's samples decoded once per machine, not at each preset's first use in each process
        self._soundfont_id = self._synth.sfload(str(playable_soundfont(self.soundfont,
                                                                       use_cache=self.config.sample_cache)))
        if self._soundfont_id < 0:
            self._synth.delete()
            raise InputError(f"soundfont {self.soundfont}: FluidSynth could not load it")
        self._write_float = fluidsynth._fl.fluid_synth_write_float
        self._write_float.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                                      ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        self._write_float.restype = ctypes.c_int
        self._frames_written = 0
        self._settled_presets: list[tuple[int, int]] = []  # (bank, program), oldest first, one per holder

    # -- public --------------------------------------------------------------------------------
    def render(self, music: Score | symusic.Score | str | os.PathLike, *, stems: bool = False) -> Rendering:
        """Render a score, a symusic score, or a MIDI/MusicXML path.

        Parameters
        ----------
        music : Score, symusic.Score, str or path-like
        stems : bool, keyword-only
            Also return each voice alone (rendered separately; they sum to the mix).

        Returns
        -------
        Rendering
            ``audio`` has shape (N, 2), N = sample_rate * (end of last note + tail).
        """
        tracks = playable_tracks(music, self.config)
        num_frames = int(round((max(t.end() for _, t in tracks) + self.config.tail_seconds)
                               * self.config.sample_rate))
        if stems:
            names = _stem_names([track for _, track in tracks])
            parts = {name: self._synthesize([(c, track)], num_frames) for name, (c, track) in zip(names, tracks)}
            mix = np.sum(list(parts.values()), axis=0, dtype=np.float32)
        else:
            parts, mix = {}, self._synthesize(tracks, num_frames)
        level = normalisation_gain(mix, self.config.sample_rate, target_lufs=self.config.loudness_lufs,
                                   ceiling_dbfs=self.config.ceiling_dbfs)
        gain = np.float32(10 ** (level.gain_db / 20))
        return Rendering(mix * gain, self.config.sample_rate, level,
                         {name: audio * gain for name, audio in parts.items()})

    def close(self) -> None:
        if self._synth is not None:
            self._synth.delete()
            self._synth = None

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------------
    def _synthesize(self, tracks, num_frames: int) -> np.ndarray:
        """Play the tracks from a reset synthesizer into a float32 (num_frames, 2) array.

        FluidSynth plays a preset's samples slightly differently the first time
        they sound (up to -34 dB re peak, measured), so each preset is first
        settled by :meth:`_settle`: results are then reproducible within -70 dB
        whatever was rendered before, and separately rendered stems sum to the mix.
        """
        for channel, track in tracks:
            self._settle(channel, track.program)
        synth = self._synth
        self._reset_playing_channels()
        if self.config.reverb or self.config.chorus:
            self._render_into(np.zeros((self.config.sample_rate * 3, 2), np.float32))  # let old tails die
        # Start on a block boundary so that the same events always land in the same blocks:
        # renders repeat exactly and separately rendered stems sum to the mix.
        misalignment = self._frames_written % BLOCK_FRAMES
        if misalignment:
            self._render_into(np.zeros((BLOCK_FRAMES - misalignment, 2), np.float32))
        for channel, track in tracks:
            bank = 128 if channel == DRUM_CHANNEL else 0
            if synth.program_select(channel, self._soundfont_id, bank, track.program) < 0:
                raise InputError(f"soundfont {self.soundfont} has no preset {bank}:{track.program}")
        out = np.zeros((2, num_frames), dtype=np.float32).T  # (num_frames, 2), each channel contiguous
        cursor = 0
        for frame, kind, channel, a, b in _events(tracks, self.config.sample_rate):
            frame = min(frame, num_frames)
            if frame > cursor:
                self._render_into(out[cursor:frame])
                cursor = frame
            if kind == _NOTE_ON:
                synth.noteon(channel, a, b)
            elif kind == _NOTE_OFF:
                synth.noteoff(channel, a)
            elif kind == _CONTROL:
                synth.cc(channel, a, b)
            else:
                synth.pitch_bend(channel, a)
        if cursor < num_frames:
            self._render_into(out[cursor:])
        return remove_dc(out, self.config.sample_rate)

    def _settle(self, channel: int, program: int) -> None:
        """Sound every key of a preset at three velocities once, the first time it is used."""
        bank = 128 if channel == DRUM_CHANNEL else 0
        if (bank, program) in self._settled_presets:
            return
        if len(self._settled_presets) == len(HOLDER_CHANNELS):  # every holder busy: free the oldest
            self._settled_presets.pop(0)
            for index, (held_bank, held_program) in enumerate(self._settled_presets):
                self._synth.program_select(HOLDER_CHANNELS[index], self._soundfont_id, held_bank, held_program)
        synth = self._synth
        self._reset_playing_channels()
        if synth.program_select(channel, self._soundfont_id, bank, program) < 0:
            raise InputError(f"soundfont {self.soundfont} has no preset {bank}:{program}")
        synth.program_select(HOLDER_CHANNELS[len(self._settled_presets)], self._soundfont_id, bank, program)
        self._settled_presets.append((bank, program))
        hold = np.zeros((BLOCK_FRAMES, 2), np.float32)  # one block: every sample starts (as long as 1024)
        for velocity in (40, 80, 120):
            for pitch in range(21, 109):
                synth.noteon(channel, pitch, velocity)
                self._render_into(hold)
                synth.noteoff(channel, pitch)
        synth.cc(channel, 120, 0)  # all sound off: the settling notes stop at once,
        self._render_into(hold)  # and their voices are freed in the next block

    def _reset_playing_channels(self) -> None:
        """Silence channels 0-15 and give them a system reset's controller values, keeping their presets.

        A full system reset would also unselect every preset, and with dynamic sample loading an
        unselected preset's samples are freed and decoded again at the next selection.
        """
        for channel in range(PLAYING_CHANNELS):
            self._synth.cc(channel, 120, 0)  # all sound off
            self._synth.cc(channel, 121, 0)  # reset all controllers (bend, expression, sustain, ...)
            for number, value in _CONTROLLER_DEFAULTS:
                self._synth.cc(channel, number, value)

    def _render_into(self, block: np.ndarray) -> None:
        """Fill a float32 (n, 2) array in place, interleaved (C order) or by channel (a (2, n) array's ``.T``)."""
        frame_step, channel_step = (stride // block.itemsize for stride in block.strides)
        left = block.ctypes.data
        self._write_float(self._synth.synth, block.shape[0], left, 0, frame_step,
                          left + channel_step * block.itemsize, 0, frame_step)
        self._frames_written += block.shape[0]


def remove_dc(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """High-pass ``audio`` (shape (N, channels), float32) at 5 Hz; same shape, float32.

    A second-order Butterworth, one causal pass: an exact null at 0 Hz, 0.017 dB down at 20 Hz and
    0.004 dB at 30 Hz; its phase shift above 100 Hz is under 6 degrees (a tenth of a millisecond),
    so attacks stay where they were. Run along each channel's samples in memory order.
    """
    by_channel = np.ascontiguousarray(audio.T, dtype=np.float32)  # (channels, N); no copy for a render
    return sosfilt(high_pass_sos(DC_HIGHPASS_HZ, sample_rate), by_channel, axis=1).T  # (N, channels) view


def _events(tracks, sample_rate: int) -> list[tuple[int, int, int, int, int]]:
    """All events as (frame, kind, channel, a, b), sorted; at one frame: offs, controls, bends, ons."""
    events = []
    for channel, track in tracks:
        for note in track.notes:
            events.append((round(note.time * sample_rate), _NOTE_ON, channel, note.pitch, note.velocity))
            events.append((round(note.end * sample_rate), _NOTE_OFF, channel, note.pitch, 0))
        for control in track.controls:
            events.append((round(control.time * sample_rate), _CONTROL, channel, control.number, control.value))
        for bend in track.pitch_bends:
            events.append((round(bend.time * sample_rate), _BEND, channel, bend.value, 0))
    events.sort()
    return events


def to_symusic(music: Score | symusic.Score | str | os.PathLike) -> symusic.Score:
    """What the renderer plays: MIDI files as they are (drums, tempo map, controllers), else via Score."""
    if isinstance(music, Score):
        return score_to_symusic(music)
    if isinstance(music, symusic.Score):
        return music
    path = Path(music)
    if path.suffix.lower() in MIDI_EXTENSIONS and path.is_file() and path.stat().st_size:
        try:
            return symusic.Score(str(path))
        except Exception as error:
            raise InputError(f"{path}: is not a readable MIDI file ({str(error).splitlines()[0]})") from None
    return score_to_symusic(read_score(path))  # MusicXML, or a precise error for anything else


def playable_tracks(music: Score | symusic.Score | str | os.PathLike,
                    config: RenderConfig) -> list[tuple[int, symusic.core.TrackSecond]]:
    """(channel, track in seconds) for every track with notes, instruments applied.

    This is the whole input check of a render, so a batch runs it on every file first.

    Raises
    ------
    InputError
        Unreadable file, no notes, too many tracks, or an instrument count that does not fit.
    """
    try:
        timed = to_symusic(music).to("second")
        pitched = [t for t in timed.tracks if not t.is_drum and len(t.notes)]
        drums = [t for t in timed.tracks if t.is_drum and len(t.notes)]
        if not pitched and not drums:
            raise InputError("has no notes to render")
        if len(pitched) > len(PITCHED_CHANNELS):
            raise InputError(f"has {len(pitched)} pitched tracks; at most {len(PITCHED_CHANNELS)} can play")
        programs = programs_for(len(pitched), instruments=config.instruments, ensemble=config.ensemble)
    except InputError as error:
        if isinstance(music, (str, os.PathLike)) and not str(error).startswith(str(music)):
            raise InputError(f"{music}: {error}") from None
        raise
    if programs is not None:
        for track, program in zip(pitched, programs):
            track.program = program
    return [*zip(PITCHED_CHANNELS, pitched), *((DRUM_CHANNEL, t) for t in drums)]


def _stem_names(tracks) -> list[str]:
    """File-safe, unique stem names from track names (``voice3`` when unnamed, ``piano_2`` when repeated)."""
    names = []
    for index, track in enumerate(tracks):
        base = "".join(ch if ch.isalnum() else "_" for ch in track.name.strip().lower()).strip("_")
        base = base or f"voice{index + 1}"
        name, repeat = base, 1
        while name in names:
            repeat += 1
            name = f"{base}_{repeat}"
        names.append(name)
    return names


def render(music: Score | symusic.Score | str | os.PathLike, **config) -> np.ndarray:
    """Render ``music`` with a one-off :class:`Renderer`; keywords are :class:`RenderConfig` fields.

    Returns
    -------
    np.ndarray, shape=(N, 2), float32
    """
    with Renderer(RenderConfig(**config)) as renderer:
        return renderer.render(music).audio
