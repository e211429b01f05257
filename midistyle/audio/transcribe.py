"""A sung, hummed or played melody in an audio file -> one line of notes in seconds.

The pitch evidence comes from Spotify's basic-pitch network (Bittner et al., ICASSP 2022; Apache-2.0),
whose ONNX file ships inside the ``basic-pitch`` wheel and runs here through ONNX Runtime, with no
TensorFlow: for every 11.6 ms frame (22.05 kHz, hop 256) it gives the likelihood that each of the
88 piano keys sounds (``note``) and starts (``onset``). It is a polyphonic model; a melody is one
line, so this module decodes one:

1. **Checks** before any work: at most ``max_minutes`` long, not silent, not clipped.
2. **Tuning**: librosa's tuning estimate (from the spectrum's peaks) says how far the performer is
   from A440's semitones; beyond ``tuning_tolerance_cents`` the audio is resampled so that its
   pitches fall on semitones (and the note times are scaled back), then reported.
3. **The line** (Viterbi over silence and the 88 keys): staying costs nothing, a pitch change costs
   ``change_cost`` (more for leaps beyond an octave, so an octave error for a few frames does not
   pay), starting after silence ``start_cost``. Vibrato and scoops move the evidence by less than
   a semitone or for a few frames, so they stay one note; glides settle on the note they reach.
4. **Notes**: each run of one key is a note, split where a note starts again on that key (a
   repeated note, a new syllable). The onset network (:mod:`midistyle.audio.onset_network`, trained
   on rendered performances) says where notes start; ``splitter="rules"`` keeps the hand-made rules
   it replaced (the onset head fires after the key's likelihood dipped, or the level dips
   ``dip_db`` and rises). The line changes key only once the new pitch dominates, late when a note
   is held into the next, so each change of key is matched to one of the network's starts, in
   order (a monotone matching, as in aligning two sequences), where a match is worth more than the
   distance it costs, up to ``snap_match_frames``. The starts left over inside a run are notes the line did not
   show: a short note under a held one, where basic-pitch's onset head has another key start there
   or up to ``hidden_after_frames`` frames after, before the next start or the run's end
   (``hidden_onset_likelihood``), else the run's key struck again where the network is sure enough
   (``repeat_threshold``). Notes shorter than
   ``min_note_seconds`` join the note before them when they touch it (a scoop), else are dropped.
5. **Refusals**, one line each: nothing pitched heard (silence, noise); too little of the sound
   pitched (speech, noise); another key struck with a note of the line and held under it in more
   than a few per cent of the music (a band, a piano with chords; the note before, ringing on, and
   the next, sounding early, did not start with the note they sound under).

The notes then go through the played-in quantizer (:mod:`midistyle.music.performance`) like a
melody played on a keyboard without a click.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from midistyle.errors import InputError, MissingDependencyError
from midistyle.music.score import Note, Score, Voice

MODEL_SAMPLE_RATE = 22050
FRAME_HOP = 256  # samples: one frame is 11.6 ms
WINDOW_SAMPLES = 2 * MODEL_SAMPLE_RATE - FRAME_HOP  # the network's input: 43844 samples, 172 frames
WINDOW_OVERLAP_FRAMES = 30  # frames shared by neighbouring windows; half of it is dropped at each side
LOWEST_KEY = 21  # A0: the first of the 88 outputs
KEYS = 88
HARMONIC_INTERVALS = (12, 19, 24, 28, 31, 34, 36)  # semitones from a fundamental up to its 2nd..8th harmonics
FINE_STEPS_PER_SECOND = 96  # the melody reader's fine grid (48 per quarter) at 120 quarter notes a minute


@dataclass
class TranscribeConfig:
    """How a recording becomes one line of notes (see the module docstring)."""

    max_minutes: float = 10.0
    tuning_tolerance_cents: float = 10.0
    silence_likelihood: float = 0.3  # a key below this is not taken to sound (the silence state's score)
    change_cost: float = 4.0  # nats for moving to another key
    leap_cost: float = 4.0  # nats more for moving over an octave
    start_cost: float = 1.0  # nats for starting a note after silence
    splitter: str = "network"  # where notes start: "network" (onset_network) or "rules" (below; repeats only)
    snap_before_frames: int = 48  # "network": a change of key is matched to a network start from this many
    snap_after_frames: int = 6  # frames before it to this many after
    snap_match_frames: float = 64.0  # "network": a match scores this less its distance in frames (see _snap)
    hidden_onset_likelihood: float = 0.5  # "network": a start left over in a run begins another key whose onset
    hidden_note_likelihood: float = 0.3  # head is this likely there and which then sounds this likely
    hidden_after_frames: int = 12  # "there": 2 frames before the start to this many after (139 ms), short of
    # the next start and the run's end
    repeat_threshold: float = 0.6  # "network": else it strikes the run's key again from this probability
    onset_threshold: float = 0.7  # the onset head fires: a repeated note ...
    dip_ratio: float = 0.5  # ... if the key's likelihood fell under this share of what it rises to ...
    dip_seconds: float = 0.1  # ... within this time before and after
    dip_db: float = 16.0  # or the level fell this far and rose again within that time: a repeated note
    min_note_seconds: float = 0.07
    clipped_share: float = 0.01  # more samples than this at full scale: clipped beyond use
    min_pitched_share: float = 0.35  # of the frames with sound: less pitched than this is speech or noise
    max_polyphonic_share: float = 0.04  # of the pitched frames: more with another key held below is chords
    other_key_likelihood: float = 0.3  # another key below the line (not a neighbour or harmonic) this likely sounds
    held_below_frames: int = 12  # ... for this many frames in a row (139 ms) ...
    struck_with_line_frames: int = 6  # ... having started within this long of the line's note (70 ms)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> TranscribeConfig:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Transcription:
    """The melody heard in a recording.

    Attributes
    ----------
    notes : tuple of (float, float, int)
        (onset seconds, end seconds, MIDI pitch) of each note, in time order.
    tuning_cents : float
        How far the performance was from A440's semitones (corrected before transcribing).
    seconds : float
        Length of the recording.
    """

    notes: tuple[tuple[float, float, int], ...]
    tuning_cents: float
    seconds: float

    def to_score(self, title: str = "") -> Score:
        """The notes on the melody reader's fine grid (48 steps per quarter at 120 a minute), for
        :func:`midistyle.music.melody.extract_melody` to quantize as a played-in melody."""
        notes = []
        for onset, end, pitch in self.notes:
            start = round(onset * FINE_STEPS_PER_SECOND)
            notes.append(Note(start, pitch, max(round(end * FINE_STEPS_PER_SECOND) - start, 1)))
        return Score((Voice("Melody", tuple(notes), 0),), steps_per_quarter=48, tempo_qpm=120.0, title=title)


def transcribe(audio: np.ndarray, sample_rate: int, config: TranscribeConfig | None = None) -> Transcription:
    """The melody of a recording.

    Parameters
    ----------
    audio : np.ndarray, shape=(N,) or (N, channels)
    sample_rate : int
    config : TranscribeConfig, optional

    Raises
    ------
    InputError
        Silence, noise or speech, chords or a band, a recording over ``max_minutes``, clipping.
    """
    config = config or TranscribeConfig()
    return melody_heard(hear(audio, sample_rate, config), config)


def melody_heard(heard: Evidence, config: TranscribeConfig | None = None) -> Transcription:
    """Steps 3-5 of the module docstring: the melody in what :func:`hear` heard (so that one hearing
    can be read with several configs).

    Raises
    ------
    InputError
        Silence, noise or speech, chords or a band.
    """
    config = config or TranscribeConfig()
    keys = melody_line(heard.note, config)
    _refuse_unpitched_or_chords(heard.level_db, heard.note, keys, config)
    frames = line_notes(keys, heard, config)
    seconds_per_frame = FRAME_HOP / MODEL_SAMPLE_RATE * heard.speed
    notes = tuple((start * seconds_per_frame, end * seconds_per_frame, LOWEST_KEY + key) for start, end, key in frames)
    if not notes:
        raise InputError("no melody heard: the recording is silent or noise; record a solo voice or instrument")
    return Transcription(notes, heard.tuning_cents, heard.seconds)


@dataclass(frozen=True)
class Evidence:
    """What the networks hear in a recording, frame by frame (one frame is 256 samples at 22.05 kHz
    of the recording played at ``speed``, i.e. ``256 / 22050 * speed`` seconds of the original).

    Attributes
    ----------
    mono : np.ndarray, shape=(N,), float32
        The recording at 22.05 kHz, mono, tuned onto A440's semitones.
    note, onset : np.ndarray, shape=(T, 88), float32
        basic-pitch's likelihoods that key k (MIDI 21 + k) sounds / starts.
    level_db : np.ndarray, shape=(T,)
        RMS level of each frame, dBFS.
    speed : float
        How much faster than recorded ``mono`` plays (1.0 unless it was retuned).
    tuning_cents : float
        The performer's offset from A440's semitones (0.0 within the tolerance).
    seconds : float
        Length of the recording.
    """

    mono: np.ndarray
    note: np.ndarray
    onset: np.ndarray
    level_db: np.ndarray
    speed: float
    tuning_cents: float
    seconds: float


def hear(audio: np.ndarray, sample_rate: int, config: TranscribeConfig | None = None) -> Evidence:
    """Steps 1 and 2 of the module docstring, then basic-pitch: a recording's frame-wise evidence.

    Parameters
    ----------
    audio : np.ndarray, shape=(N,) or (N, channels)
    sample_rate : int
    config : TranscribeConfig, optional

    Raises
    ------
    InputError
        A recording over ``max_minutes``, clipping, or audio that cannot be read as sound.
    """
    from midistyle.audio.spectral import prepare_audio

    config = config or TranscribeConfig()
    audio = np.asarray(audio, dtype=np.float32)
    seconds = audio.shape[0] / sample_rate if sample_rate > 0 else 0.0
    if seconds > 60 * config.max_minutes:
        raise InputError(f"the recording is {seconds / 60:.1f} minutes long; the limit is "
                         f"{config.max_minutes:g} minutes: cut out the melody")
    _refuse_clipping(audio, config)  # before resampling smooths the flattened peaks
    mono = prepare_audio(audio, sample_rate, target_rate=MODEL_SAMPLE_RATE, what="recording").samples
    tuning = _tuning_cents(mono)
    speed = 1.0
    if abs(tuning) > config.tuning_tolerance_cents:  # play it faster or slower until it is in tune
        import librosa

        speed = 2 ** (-tuning / 1200)
        mono = librosa.resample(mono, orig_sr=MODEL_SAMPLE_RATE * speed, target_sr=MODEL_SAMPLE_RATE,
                                res_type="soxr_hq")
    else:
        tuning = 0.0
    note, onset = key_likelihoods(mono)
    level = frame_levels_db(mono, len(note))
    return Evidence(mono, note, onset, level, speed, round(float(tuning), 1), seconds)


def key_likelihoods(mono: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """basic-pitch's frame-wise likelihoods for 22.05 kHz mono audio.

    Returns
    -------
    note, onset : np.ndarray, shape=(T, 88), float32
        T = ceil(N / 256) frames; key k is MIDI pitch 21 + k.
    """
    session = _session()
    half = WINDOW_OVERLAP_FRAMES // 2
    padded = np.concatenate([np.zeros(half * FRAME_HOP, np.float32), mono])  # the first frames' context
    hop = WINDOW_SAMPLES - WINDOW_OVERLAP_FRAMES * FRAME_HOP
    starts = range(0, len(padded), hop)
    windows = np.zeros((len(starts), WINDOW_SAMPLES, 1), np.float32)
    for i, start in enumerate(starts):
        piece = padded[start : start + WINDOW_SAMPLES]
        windows[i, : len(piece), 0] = piece
    names = ("StatefulPartitionedCall:1", "StatefulPartitionedCall:2")  # basic-pitch's note and onset heads
    batches = [session.run(names, {session.get_inputs()[0].name: windows[start : start + 32]})
               for start in range(0, len(windows), 32)]  # bounded memory for long recordings
    frames = int(np.ceil(len(mono) / FRAME_HOP))
    note, onset = (np.concatenate([b[i] for b in batches])[:, half:-half].reshape(-1, KEYS)[:frames]
                   for i in range(2))  # the halves that the neighbouring windows cover are dropped
    return note, onset


@lru_cache(maxsize=1)
def _session():
    """The basic-pitch ONNX model in an ONNX Runtime session (loaded once)."""
    from importlib.util import find_spec
    from pathlib import Path

    try:
        import onnxruntime
    except ModuleNotFoundError:
        raise MissingDependencyError("onnxruntime is missing: pip install onnxruntime") from None
    spec = find_spec("basic_pitch")  # found, not imported: its __init__ would import TensorFlow
    model = Path(next(iter(spec.submodule_search_locations))) / "saved_models" / "icassp_2022" / "nmp.onnx" \
        if spec is not None and spec.submodule_search_locations else None
    if model is None or not model.is_file():
        raise MissingDependencyError("basic-pitch is missing (its ONNX model transcribes audio): "
                                     "pip install --no-deps basic-pitch==0.4.0 (make does)")
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # no start-up chatter on stderr
    return onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


def _tuning_cents(mono: np.ndarray) -> float:
    """The performance's offset from A440's semitones, in cents (-50..50)."""
    import librosa

    return 100.0 * float(librosa.estimate_tuning(y=mono, sr=MODEL_SAMPLE_RATE, bins_per_octave=12))


def _refuse_clipping(audio: np.ndarray, config: TranscribeConfig) -> None:
    """Refuse audio (shape (N,) or (N, channels)) with too many samples at full scale."""
    magnitude = np.abs(audio) if audio.size else np.zeros(1)
    peak = float(magnitude.max())
    share = float(np.mean(magnitude >= 0.99 * peak)) if peak >= 0.98 else 0.0
    if share > config.clipped_share:
        raise InputError(f"the recording is clipped: {share:.1%} of its samples sit at full scale; record it "
                         "again less loud")


def frame_levels_db(mono: np.ndarray, frames: int) -> np.ndarray:
    """RMS level of each 256-sample frame in dBFS, shape=(frames,)."""
    padded = np.zeros(frames * FRAME_HOP, np.float32)
    padded[: min(len(mono), len(padded))] = mono[: len(padded)]
    power = np.mean(padded.reshape(frames, FRAME_HOP).astype(np.float64) ** 2, axis=1)
    return 10 * np.log10(power + 1e-12)


def _refuse_unpitched_or_chords(level: np.ndarray, note: np.ndarray, line: np.ndarray,
                                config: TranscribeConfig) -> None:
    """Refuse a recording that is mostly unpitched (speech, noise) or has chords (a band, a piano)."""
    sounding = level > max(level.max() - 40.0, -80.0)  # within 40 dB of the loudest frame
    pitched = note.max(axis=1) >= config.silence_likelihood
    if pitched.sum() < 0.5 * MODEL_SAMPLE_RATE / FRAME_HOP:  # under half a second of pitched sound
        raise InputError("no melody heard: the recording is silent or noise; record a solo voice or instrument")
    share = pitched[sounding].mean() if sounding.any() else 0.0
    if share < config.min_pitched_share:
        raise InputError(f"only {share:.0%} of the sound has a pitch: it sounds like speech or noise, not a "
                         "melody; sing, hum or play the tune alone")
    chords = polyphonic_share(note, config, line)
    if chords > config.max_polyphonic_share:
        raise InputError(f"several notes sound at once: another note is held under the melody in {chords:.0%} "
                         "of the music (a band, or a piano with chords?); record the melody alone, on one voice "
                         "or instrument")


def polyphonic_share(note: np.ndarray, config: TranscribeConfig | None = None,
                     line: np.ndarray | None = None) -> float:
    """The share of pitched frames where another key sounds below the strongest one, other than a
    neighbour or a key whose harmonics the strongest could be (an octave, a twelfth, two octaves…),
    that started with the line's note (within ``struck_with_line_frames`` of it, before or after) and
    goes on sounding there for ``held_below_frames`` frames in a row.

    The note before rings on under the next one, for a moment on a violin, for a third of a second
    and more on a choir patch or in a reverberant room. Counted in every frame, it made a fiddle reel
    at its pace (about seven notes a second) read as chords in up to 40 % of its frames, and a third
    to a half of such recordings were refused at the old limit of 30 %; counted when held 232 ms, a
    choir's previous note still was (MuseScore General's "aahs": 15 of 50 solo tunes refused in a run
    of ``benchmarks melody_audio`` on that version, whose JSON was not kept). It
    started before the note it rings under, and the next note, sounding before the line moves to it,
    starts after; a chord's lower notes are struck with the melody note and held as long as the
    chord lasts (``python -m benchmarks chord_refusal`` measures both).

    Not counted, by design or not yet: a chord under notes shorter than ``held_below_frames``, or
    struck again under a repeated melody note (the line does not change there), or under a line
    that moves more than ``struck_with_line_frames`` late. The harmonic filter is judged frame by
    frame, so a lower key held while the melody passes its octave or twelfth is counted as two
    shorter runs. "Below" is measured from the strongest key, the note's start from the line's:
    where they differ for long, the line's own key can count.

    Parameters
    ----------
    note : np.ndarray, shape=(T, 88)
        basic-pitch's likelihood that each key sounds, per frame.
    config : TranscribeConfig, optional
    line : np.ndarray, shape=(T,), optional
        :func:`melody_line`'s key per frame (-1 silence); computed when not given.

    Returns
    -------
    float
        In [0, 1]; 0 when no frame is pitched.
    """
    config = config or TranscribeConfig()
    if not len(note):
        return 0.0
    line = melody_line(note, config) if line is None else line
    pitched = note.max(axis=1) >= config.silence_likelihood
    top = note.argmax(axis=1)
    below = top[:, None] - np.arange(KEYS)[None, :]  # (T, 88) semitones from each key up to the strongest
    harmonic = np.isin(below, HARMONIC_INTERVALS) | (np.abs(below) <= 1)
    sounding = note >= config.other_key_likelihood
    other = sounding & (below > 0) & ~harmonic & pitched[:, None]
    changed = np.concatenate([[True], line[1:] != line[:-1]])
    line_note_start = np.maximum.accumulate(np.where(changed, np.arange(len(line)), 0))  # (T,) frame
    key_start = run_starts(sounding)  # (T, 88)
    struck_with = np.abs(key_start - line_note_start[:, None]) <= config.struck_with_line_frames
    held = runs_of_at_least(other & struck_with, config.held_below_frames)
    return float(held.any(axis=1)[pitched].mean()) if pitched.any() else 0.0


def run_starts(mask: np.ndarray) -> np.ndarray:
    """The frame where each True value's run (along axis 0) began, -1 where ``mask`` is False.

    Parameters
    ----------
    mask : np.ndarray, shape=(T, K), bool

    Returns
    -------
    np.ndarray, shape=(T, K), int
    """
    frames = np.arange(len(mask))[:, None]
    last_false = np.maximum.accumulate(np.where(mask, -1, frames), axis=0)  # (T, K)
    return np.where(mask, last_false + 1, -1)


def runs_of_at_least(mask: np.ndarray, frames: int) -> np.ndarray:
    """``mask`` with only its runs of at least ``frames`` True values in a row (along axis 0) kept.

    Parameters
    ----------
    mask : np.ndarray, shape=(T, K), bool
    frames : int
        The shortest run kept; 0 or 1 keeps every True value.

    Returns
    -------
    np.ndarray, shape=(T, K), bool
    """
    if frames <= 1:
        return mask.copy()
    length, width = mask.shape
    if length < frames:
        return np.zeros_like(mask)
    zero = np.zeros((1, width), np.int64)
    count = np.concatenate([zero, np.cumsum(mask, axis=0)])  # (T + 1, K): True values before each frame
    window_full = np.zeros((length, width), bool)  # a run of ``frames`` starts at frame t
    window_full[: length - frames + 1] = count[frames:] - count[:-frames] == frames
    starts = np.concatenate([zero, np.cumsum(window_full, axis=0)])  # (T + 1, K)
    t = np.arange(length)
    first = np.maximum(t - frames + 1, 0)
    return starts[t + 1] - starts[first] > 0  # frame t lies in a full window starting at first..t


def melody_line(note: np.ndarray, config: TranscribeConfig) -> np.ndarray:
    """The most likely key per frame, -1 for silence (Viterbi; see the module docstring), shape=(T,)."""
    frames = len(note)
    emission = np.log(np.concatenate([np.full((frames, 1), config.silence_likelihood), note], axis=1) + 1e-6)
    states = KEYS + 1  # 0 silence, 1 + k key k
    leap = np.abs(np.arange(KEYS)[:, None] - np.arange(KEYS)[None, :]) > 12
    move = np.zeros((states, states))  # move[i, j]: cost of going from i to j
    move[1:, 1:] = config.change_cost + config.leap_cost * leap
    np.fill_diagonal(move, 0.0)
    move[0, 1:] = config.start_cost
    score = emission[0].copy()
    back = np.zeros((frames, states), np.int16)
    for t in range(1, frames):
        candidates = score[:, None] - move  # (from, to)
        back[t] = candidates.argmax(axis=0)
        score = candidates[back[t], np.arange(states)] + emission[t]
    path = np.zeros(frames, np.int64)
    path[-1] = int(score.argmax())
    for t in range(frames - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path - 1


def line_notes(keys: np.ndarray, heard: Evidence, config: TranscribeConfig, network=None
               ) -> list[tuple[int, int, int]]:
    """Runs of one key -> notes (start frame, end frame, key): with the network, each run starts at the
    network's start matched to it and is cut at the starts left over (a short note under a held one,
    or a repeated note); short pieces join the note they touch.

    Parameters
    ----------
    keys : np.ndarray, shape=(T,)
        :func:`melody_line`'s key per frame, -1 for silence.
    heard : Evidence
    config : TranscribeConfig
    network : OnsetNetwork, optional
        For ``splitter="network"``; the shipped one by default.
    """
    if config.splitter not in ("network", "rules"):
        raise ValueError(f"splitter {config.splitter!r}: use 'network' or 'rules'")
    min_frames = config.min_note_seconds * MODEL_SAMPLE_RATE / FRAME_HOP
    runs = _runs(keys)
    if config.splitter == "network":
        from midistyle.audio.onset_network import onset_features, peaks, shipped_onset_network

        network = network or shipped_onset_network()
        features = onset_features(heard.mono, heard.note, heard.onset, heard.level_db, keys)
        probability = network(features)
        starts = peaks(probability, network.threshold)
        runs, starts = _snap(runs, starts, config)
        runs = [piece for begin, end, key in runs
                for piece in _cut_at_starts(begin, end, key, starts[(starts > begin) & (starts < end)], heard,
                                            probability, max(network.threshold, config.repeat_threshold),
                                            config, min_frames)]
    else:
        runs = [piece for begin, end, key in runs
                for piece in _split_at_onsets(begin, end, key, heard, config, min_frames)]
    notes: list[tuple[int, int, int]] = []
    for begin, end, key in runs:
        if end - begin >= min_frames:
            notes.append((begin, end, key))
        elif notes and notes[-1][1] == begin:  # a scoop or a glide's tail: part of the note before
            notes[-1] = (notes[-1][0], end, notes[-1][2])
    return notes


def _runs(keys: np.ndarray) -> list[tuple[int, int, int]]:
    """The line's runs of one key, (start frame, end frame, key), silence left out."""
    if len(keys) == 0:
        return []
    changes = np.flatnonzero(np.diff(keys)) + 1
    bounds = [0, *changes.tolist(), len(keys)]
    return [(a, b, int(keys[a])) for a, b in zip(bounds, bounds[1:]) if keys[a] >= 0]


def _snap(runs: list[tuple[int, int, int]], starts: np.ndarray, config: TranscribeConfig
          ) -> tuple[list[tuple[int, int, int]], np.ndarray]:
    """Match the runs' starts to the network's starts, in order, and move each matched run there (the
    run before ends where it starts); return the runs and the starts not matched.

    A run may take a start from ``snap_before_frames`` before its first frame to ``snap_after_frames``
    after it, keeping ``min_note_seconds`` of itself and of the run before (from where that one
    starts, moved or not). The matching is monotone (a later run takes a later start) and has the
    highest total of ``snap_match_frames - distance`` over its pairs (frames): a match is worth more
    than the distances it costs, up to a point, so that a lagging run gives the start nearest it to
    the run after when that one has no other. The line changes key only once the new pitch outweighs
    the old one, which a note held into the next (legato) delays by a few hundred milliseconds in
    some renders, so the start nearest a late change can be the next note's: taking the nearest
    start run by run, as this did before, gave it away.

    Parameters
    ----------
    runs : list of (start frame, end frame, key)
        In time order.
    starts : np.ndarray, shape=(P,), int
        The network's starts (frames), increasing.
    """
    min_frames = config.min_note_seconds * MODEL_SAMPLE_RATE / FRAME_HOP
    nodes: list[tuple[int, int, int]] = []  # (run, start index, node before or -1): a chain of matches
    settled_total = np.full(len(starts), -np.inf)  # best chain ending at each start, on runs before the last
    settled_node = np.full(len(starts), -1)
    last: list[tuple[int, float, int]] = []  # (start index, chain total, node) ending on the run before
    for i, (begin, end, _) in enumerate(runs):
        lowest = runs[i - 1][0] + min_frames if i > 0 else -np.inf  # the run before, unmoved, keeps min_frames
        window = np.flatnonzero((starts >= begin - config.snap_before_frames)
                                & (starts <= min(begin + config.snap_after_frames, end - min_frames)))
        found = []
        for j in window:
            at, gain = int(starts[j]), config.snap_match_frames - abs(int(starts[j]) - begin)
            options = [(total, node) for k, total, node in last if starts[k] + min_frames <= at]  # the run before moved
            if at >= lowest:  # the run before not moved: a chain ending earlier, or none
                options.append((0.0, -1))
                if j > 0 and np.isfinite(settled_total[:j]).any():
                    k = int(np.argmax(settled_total[:j]))
                    options.append((settled_total[k], int(settled_node[k])))
            if options:
                total, parent = max(options)
                found.append((j, total + gain, parent))
        for k, total, node in last:  # chains ending on the run before are settled for the runs after this one
            if total > settled_total[k]:
                settled_total[k], settled_node[k] = total, node
        last = []
        for j, total, parent in found:
            nodes.append((i, j, parent))
            last.append((j, total, len(nodes) - 1))
    ends = [(0.0, -1)] + [(total, node) for _, total, node in last]  # no match at all is a matching too
    if np.isfinite(settled_total).any():
        ends.append((settled_total.max(), int(settled_node[np.argmax(settled_total)])))
    node = max(ends)[1] if ends else -1
    runs, used = list(runs), np.zeros(len(starts), bool)
    while node >= 0:  # back along the best chain, later runs first
        i, j, node = nodes[node]
        begin, end, key = runs[i]
        new = int(starts[j])
        used[j] = True
        runs[i] = (new, end, key)
        if i > 0 and (runs[i - 1][1] > new or runs[i - 1][1] == begin):  # the run before ends where this starts
            runs[i - 1] = (runs[i - 1][0], new, runs[i - 1][2])
    return runs, starts[~used]


def _cut_at_starts(start: int, end: int, key: int, starts: np.ndarray, heard: Evidence, probability: np.ndarray,
                   repeat_probability: float, config: TranscribeConfig, min_frames: float
                   ) -> list[tuple[int, int, int]]:
    """The run [start, end) of ``key`` cut at the network's starts left over inside it.

    At each start, consider the keys other than the run's and those its harmonics could be, from 2
    frames before the start to ``hidden_after_frames`` frames after it (in a legato render basic-pitch
    hears a short note's onset several frames after the network's start, while the held note still
    sounds over it), but not from the next start or the run's end on (those onsets are the next
    note's). The one whose onset basic-pitch hears most strongly there begins a note at the start
    when its onset is at least ``hidden_onset_likelihood`` likely and it sounds at least
    ``hidden_note_likelihood`` in that stretch: it ends the run's note and lasts to the next cut or
    the run's end (in the recording, a short note under a held one, which the line never reached). Else
    the run's key is struck again there when the network's probability is ``repeat_probability``
    or more. Every piece keeps ``min_frames``.
    """
    below = key - np.arange(KEYS)
    own = (below == 0) | np.isin(-below, HARMONIC_INTERVALS)
    cuts = [(start, key)]
    for index, at in enumerate(starts):
        at = int(at)
        if at - cuts[-1][0] < min_frames or end - at < min_frames:
            continue
        next_start = int(starts[index + 1]) if index + 1 < len(starts) else end  # its onsets are not this one's
        window = slice(max(at - 2, 0), min(at + config.hidden_after_frames + 1, next_start, end))
        strength = np.where(own, 0.0, heard.onset[window].max(axis=0))
        other = int(strength.argmax())
        if strength[other] >= config.hidden_onset_likelihood \
                and heard.note[at:window.stop, other].max() >= config.hidden_note_likelihood:
            cuts.append((at, other))
        elif probability[at] >= repeat_probability:
            cuts.append((at, key))
    bounds = [frame for frame, _ in cuts] + [end]
    return [(a, b, k) for a, b, (_, k) in zip(bounds, bounds[1:], cuts)]


def _cut(start: int, end: int, key: int, peaks, min_frames: float) -> list[tuple[int, int, int]]:
    """The run [start, end) of ``key`` cut at ``peaks`` (frames), keeping every piece ``min_frames`` long."""
    cuts = [start]
    for peak in peaks:
        if peak - cuts[-1] >= min_frames and end - peak >= min_frames:
            cuts.append(int(peak))
    cuts.append(end)
    return [(a, b, key) for a, b in zip(cuts, cuts[1:])]


def _split_at_onsets(start: int, end: int, key: int, heard: Evidence, config: TranscribeConfig,
                     min_frames: float) -> list[tuple[int, int, int]]:
    """Cut a run of one key where it is sounded again: the sound's level dips by ``dip_db`` and
    rises again (a new syllable, a tongued or bowed note), or the onset head peaks after the key's
    likelihood dipped (a sustained tone's swells raise the onset head without a dip)."""
    strength = heard.onset[start:end, key]
    likely = heard.note[start:end, key]
    db = heard.level_db[start:end]
    look = max(int(config.dip_seconds * MODEL_SAMPLE_RATE / FRAME_HOP), 1)
    peaks = []
    for i in range(1, len(strength) - 1):
        before, after = slice(max(i - look, 0), i + 1), slice(i, i + look + 1)
        onset_peak = (strength[i] >= config.onset_threshold and strength[i] >= strength[i - 1]
                      and strength[i] > strength[i + 1]
                      and likely[before].min() < config.dip_ratio * likely[after].max())
        level_dip = (db[i] == db[before].min() and db[i] < db[i + 1]
                     and min(db[before].max(), db[after].max()) - db[i] >= config.dip_db)
        if onset_peak or level_dip:
            peaks.append(start + i)
    return _cut(start, end, key, peaks, min_frames)


def transcribe_file(path, config: TranscribeConfig | None = None) -> Transcription:
    """:func:`transcribe` of an audio file (WAV, FLAC, OGG, MP3); errors name the file.

    Raises
    ------
    InputError
        An unreadable file, or any refusal of :func:`transcribe`.
    """
    from pathlib import Path

    from midistyle.audio.files import read_audio

    audio, sample_rate = read_audio(path)
    try:
        return transcribe(audio, sample_rate, config)
    except InputError as error:
        raise InputError(f"{Path(path).name}: {error}") from None
