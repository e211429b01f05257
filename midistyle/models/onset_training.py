"""Train the onset network (:mod:`midistyle.audio.onset_network`) on rendered performances.

The data are Essen folk tunes from the **prior split** (the quarter the rhythm statistics count;
``midistyle.data.rhythm``), so none is a tune that ``benchmarks melody_audio`` plays (those come
from the held-out three quarters). Each tune is:

1. played by :func:`midistyle.music.humanize.humanize` (its own seed: tempo 70-140 qpm, jitter,
   durations x0.85-1.2, so a note is often held into the next one on the same key);
2. given a timbre (one of ``programs``, in one of the SoundFonts), vibrato of a random rate and depth,
   and a random detuning, by pitch bend;
3. rendered by FluidSynth at 44.1 kHz, with reverb and white noise in a share of the tunes;
4. heard as the transcriber hears it (:func:`midistyle.audio.transcribe.hear`, retuning included),
   its melody line drawn by the same Viterbi, and turned into :func:`onset_features`.

The target of a frame is 1 where a played note starts (the frame nearest its note-on, 0.5 at the
frames either side), else 0; starts are ``positive_weight`` times as heavy in the loss, and starts
on the key of the note before (the repeated notes the network is for) ``repeat_weight`` times more
again. Training draws random crops of ``crop_frames`` frames, seeded per epoch. The threshold is
then chosen on the validation tunes by the share of written notes that come back with their pitch
on their 16th after the played-in quantizer (a split too many moves later notes off their 16th,
so it costs as a missed one does), reported beside the rule-based splitter on the same recordings.

``train_onset_network(config, out_dir)`` writes ``weights.npz``, ``config.json`` (network and
threshold), ``training.json`` (this config) and ``report.json`` into ``out_dir``; the examples are
cached in ``out_dir/examples.pkl`` so that a second run with the same data settings starts training
at once.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from midistyle.audio.onset_network import FEATURES, OnsetNetwork, OnsetNetworkConfig, onset_features
from midistyle.audio.transcribe import FRAME_HOP, MODEL_SAMPLE_RATE, TranscribeConfig, hear, line_notes, melody_line

MUSESCORE_GENERAL = "/usr/share/sounds/sf3/MuseScore_General.sf3"


@dataclass
class OnsetTrainingConfig:
    """Data, network and optimisation of one training run (round-trips to JSON)."""

    tunes: int = 480  # prior-split Essen tunes rendered for training
    validation_tunes: int = 60  # further prior-split tunes: validation loss and the threshold
    seed: int = 0
    programs: tuple[int, ...] = (52, 53, 54, 73, 74, 71, 68, 40, 42, 56, 65, 0)  # voices, winds, strings, brass, piano
    soundfonts: tuple[str, ...] = ("embedded", MUSESCORE_GENERAL)
    noise_share: float = 0.5
    snr_db: tuple[float, float] = (15.0, 35.0)
    reverb_share: float = 0.5
    vibrato_cents: tuple[float, float] = (0.0, 45.0)
    vibrato_hz: tuple[float, float] = (4.5, 6.5)
    detune_cents: tuple[float, float] = (-45.0, 45.0)
    network: OnsetNetworkConfig = field(default_factory=OnsetNetworkConfig)
    epochs: int = 40
    crops_per_epoch: int = 1024
    crop_frames: int = 512
    batch_size: int = 16
    learning_rate: float = 2e-3
    positive_weight: float = 5.0
    repeat_weight: float = 3.0  # a start on the key of the note before weighs this much more again
    thresholds: tuple[float, ...] = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> OnsetTrainingConfig:
        values = json.loads(text)
        values["network"] = OnsetNetworkConfig.from_json(json.dumps(values["network"]))
        for name, value in values.items():
            if isinstance(value, list):
                values[name] = tuple(value)
        return cls(**values)

    def validate(self, soundfonts_present: bool = True) -> None:
        """Raise InputError naming the first value out of range."""
        from midistyle.errors import InputError

        if self.seed < 0:
            raise InputError(f"seed {self.seed} must be >= 0")
        for name in ("tunes", "validation_tunes", "epochs", "crops_per_epoch", "crop_frames", "batch_size"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} {getattr(self, name)} must be >= 1")
        if not self.thresholds or not all(0.0 < t < 1.0 for t in self.thresholds):
            raise InputError(f"thresholds {list(self.thresholds)} must be a non-empty list of values in (0, 1)")
        if not self.programs or not all(0 <= p <= 127 for p in self.programs):
            raise InputError(f"programs {list(self.programs)} must be General MIDI programs 0-127")
        if not soundfonts_present:
            raise InputError(f"none of the soundfonts {list(self.soundfonts)} is on this machine")

    def data_settings(self) -> dict:
        """The fields that decide the examples (a cached example file is reused only when these match)."""
        skip = {"network", "epochs", "crops_per_epoch", "crop_frames", "batch_size", "learning_rate",
                "positive_weight", "repeat_weight", "thresholds"}
        return {k: v for k, v in json.loads(self.to_json()).items() if k not in skip} | {"example format": 2}


TINY = dict(tunes=4, validation_tunes=2, programs=(73,), soundfonts=("embedded",), epochs=2, crops_per_epoch=8,
            crop_frames=128, batch_size=4, network=OnsetNetworkConfig(channels=8, dilations=(1, 2)),
            thresholds=(0.3, 0.5))


@dataclass
class Example:
    """One rendered tune: the network's input, its target, and what the benchmark compares.

    Attributes
    ----------
    features : np.ndarray, shape=(T, FEATURES)
    target : np.ndarray, shape=(T,)
    repeat : np.ndarray, shape=(T,)
        1 where the target marks the start of a note on the key of the note before, else 0.
    written : list of (int, int)
        The tune's notes as written, (onset step, MIDI pitch).
    """

    features: np.ndarray
    target: np.ndarray
    repeat: np.ndarray
    written: list[tuple[int, int]]
    heard: object = None  # the transcriber's Evidence (kept for validation tunes only)
    keys: np.ndarray | None = None


def make_examples(config: OnsetTrainingConfig, *, validation: bool, progress: bool = True) -> list[Example]:
    """Render and hear the training (or validation) tunes; see the module docstring."""
    from tqdm import tqdm

    from midistyle.audio.performed import with_noise, with_vibrato
    from midistyle.audio.render import RenderConfig, Renderer
    from midistyle.music.humanize import humanize

    tunes = _prior_split_tunes(config.tunes + config.validation_tunes, config.seed)
    tunes = tunes[config.tunes:] if validation else tunes[: config.tunes]
    fonts = available_soundfonts(config)
    transcribe_config = TranscribeConfig()
    renderers: dict[tuple[str, bool], Renderer] = {}
    examples = []
    try:
        for index, (_, tune) in enumerate(tqdm(tunes, desc="validation tunes" if validation else "tunes",
                                                     disable=not progress)):
            rng = np.random.default_rng([config.seed, int(validation), index])
            font = fonts[int(rng.integers(len(fonts)))]
            reverb = bool(rng.random() < config.reverb_share)
            if (font, reverb) not in renderers:
                renderers[font, reverb] = Renderer(RenderConfig(sample_rate=44100, soundfont=font, reverb=reverb))
            played, _ = humanize(tune, seed=int(rng.integers(2**31)))
            sung = with_vibrato(played, int(rng.choice(config.programs)),
                                flat_cents=float(rng.uniform(*config.detune_cents)),
                                vibrato_hz=float(rng.uniform(*config.vibrato_hz)),
                                vibrato_cents=float(rng.uniform(*config.vibrato_cents)))
            audio = renderers[font, reverb].render(sung).audio
            if rng.random() < config.noise_share:
                audio = with_noise(audio, float(rng.uniform(*config.snr_db)), int(rng.integers(2**31)))
            heard = hear(audio, 44100, transcribe_config)
            keys = melody_line(heard.note, transcribe_config)
            features = onset_features(heard.mono, heard.note, heard.onset, heard.level_db, keys)
            seconds_per_frame = FRAME_HOP / MODEL_SAMPLE_RATE * heard.speed
            ticks_per_second = sung.ticks_per_quarter * 2  # humanize's file is at 120 qpm
            played_notes = sung.tracks[0].notes
            starts = [note.time / ticks_per_second / seconds_per_frame for note in played_notes]
            repeats = [start for start, note, before in zip(starts[1:], played_notes[1:], played_notes)
                       if note.pitch == before.pitch]
            written = [(note.onset_step, note.pitch) for note in tune.voices[0].notes]
            examples.append(Example(features.astype(np.float16), _target(starts, len(features)),
                                    _target(repeats, len(features)), written,
                                    heard if validation else None, keys if validation else None))
    finally:
        for renderer in renderers.values():
            renderer.close()
    return examples


def available_soundfonts(config: OnsetTrainingConfig) -> list[str]:
    """The config's SoundFonts that are on this machine ("embedded" is the one midistyle ships)."""
    from midistyle.audio.soundfonts import embedded_soundfont

    fonts = [str(embedded_soundfont()) if name == "embedded" else name for name in config.soundfonts]
    return [font for font in fonts if Path(font).is_file()]


def _prior_split_tunes(count: int, seed: int) -> list:
    """``count`` (id, Score) Essen tunes of the prior split with at least 8 notes, in a seeded order."""
    from midistyle.data.rhythm import essen_tunes
    from midistyle.errors import InputError
    from midistyle.music.io import read_score

    candidates = list(essen_tunes(prior=True))
    order = np.random.default_rng(seed).permutation(len(candidates))
    chosen = []
    for i in order:
        path, number, tune_id = candidates[i]
        try:
            score = read_score(path, tune=number)
        except InputError:
            continue
        if len(score.voices[0].notes) >= 8:
            chosen.append((tune_id, score))
        if len(chosen) == count:
            break
    return chosen


def _target(starts: list[float], frames: int) -> np.ndarray:
    """1 at the frame nearest each start (in frames), 0.5 either side, shape=(frames,)."""
    target = np.zeros(frames, np.float32)
    for start in starts:
        centre = int(round(start))
        for offset, value in ((-1, 0.5), (1, 0.5), (0, 1.0)):
            if 0 <= centre + offset < frames:
                target[centre + offset] = max(target[centre + offset], value)
    return target


def build_keras_model(config: OnsetNetworkConfig):
    """The Keras twin of :class:`OnsetNetwork` (same layers, same weight layout), outputting logits."""
    from midistyle.keras_backend import import_keras

    keras = import_keras()
    inputs = keras.Input((None, FEATURES))  # (batch, T, FEATURES), standardised
    x = keras.layers.Conv1D(config.channels, config.kernel, padding="same", activation="relu")(inputs)
    for dilation in config.dilations:
        x = x + keras.layers.Conv1D(config.channels, 3, padding="same", dilation_rate=dilation, activation="relu")(x)
    logits = keras.layers.Conv1D(1, 1)(x)  # (batch, T, 1)
    return keras.Model(inputs, logits)


def train_onset_network(config: OnsetTrainingConfig, out_dir: str | Path, *, progress: bool = True) -> dict:
    """Make (or reuse) the examples, train, pick the threshold, write the network; return the report."""
    from midistyle.keras_backend import import_keras

    config.validate(soundfonts_present=bool(available_soundfonts(config)))
    keras = import_keras()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    train, validation = _cached_examples(config, out, progress)
    data_seconds = time.perf_counter() - started
    frames = np.concatenate([e.features for e in train]).astype(np.float32)
    mean, scale = frames.mean(axis=0), frames.std(axis=0) + 1e-3
    del frames

    keras.utils.set_random_seed(config.seed)
    model = build_keras_model(config.network)
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss=_weighted_loss(config.positive_weight))
    x_val, y_val = _whole_batch(validation, mean, scale, config)
    history = []
    for epoch in range(config.epochs):
        x, y = _crops(train, mean, scale, config, epoch)
        fit = model.fit(x, y, batch_size=config.batch_size, epochs=1, verbose=0, shuffle=False,
                        validation_data=(x_val, y_val))
        history.append({"epoch": epoch + 1, "loss": float(fit.history["loss"][0]),
                        "validation_loss": float(fit.history["val_loss"][0])})
        if progress:
            print(f"epoch {epoch + 1}/{config.epochs}: loss {history[-1]['loss']:.4f}, "
                  f"validation {history[-1]['validation_loss']:.4f}", flush=True)
    weights = [(layer.get_weights()[0], layer.get_weights()[1]) for layer in model.layers
               if isinstance(layer, keras.layers.Conv1D)]
    network = OnsetNetwork(config.network, weights, mean.astype(np.float32), scale.astype(np.float32))
    first = validation[0].features.astype(np.float32)
    keras_probability = _sigmoid(model.predict(((first - mean) / scale)[None], verbose=0)[0, :, 0])
    check = float(np.abs(network(first) - keras_probability).max())
    scores = {threshold: note_scores(validation, network, threshold) for threshold in config.thresholds}
    network.threshold = max(scores, key=lambda t: (scores[t]["on its 16th"], -abs(t - 0.5)))
    report = {
        "command": f"midistyle train onsets --out {out}",
        "data": "Essen tunes of the prior split (midistyle.data.rhythm), seeded order: the first "
                f"{config.tunes} for training, the next {config.validation_tunes} for validation",
        "examples": len(train), "validation examples": len(validation),
        "training frames": int(sum(len(e.target) for e in train)),
        "history": history,
        "validation by threshold": {str(t): s for t, s in scores.items()},
        "threshold": network.threshold,
        "validation, network": scores[network.threshold],
        "validation, rules": note_scores(validation, None, 0.0),
        "numpy vs keras max difference": check,
        "data seconds": round(data_seconds, 1),
        "total seconds": round(time.perf_counter() - started, 1),
    }
    network.save(out)
    for name, text in (("training.json", config.to_json()), ("report.json", json.dumps(report, indent=1))):
        partial = out / f"{name}.part"
        partial.write_text(text + "\n")
        partial.replace(out / name)
    return report


def _cached_examples(config: OnsetTrainingConfig, out: Path, progress: bool) -> tuple[list, list]:
    """The training and validation examples, from ``out/examples.pkl`` (written by this function) when it
    was made with these settings."""
    import pickle

    path = out / "examples.pkl"
    settings = json.dumps(config.data_settings(), sort_keys=True)
    if path.is_file():
        with path.open("rb") as file:
            saved = pickle.load(file)
        if saved["settings"] == settings:
            return saved["train"], saved["validation"]
    train = make_examples(config, validation=False, progress=progress)
    validation = make_examples(config, validation=True, progress=progress)
    partial = path.with_suffix(".part")
    with partial.open("wb") as file:
        pickle.dump({"settings": settings, "train": train, "validation": validation}, file)
    partial.replace(path)
    return train, validation


def _weighted_loss(positive_weight: float):
    """Binary cross-entropy on logits; y_true (batch, T, 2) holds the target and the frame's weight (0: padding)."""
    from keras import ops

    def loss(y_true, logits):
        target, mask = y_true[..., 0], y_true[..., 1]
        logits = logits[..., 0]
        per_frame = ops.maximum(logits, 0) - logits * target + ops.log1p(ops.exp(-ops.abs(logits)))
        weight = mask * (1.0 + (positive_weight - 1.0) * target)
        return ops.sum(per_frame * weight) / ops.maximum(ops.sum(ops.minimum(mask, 1.0)), 1.0)

    return loss


def _crops(examples: list[Example], mean, scale, config: OnsetTrainingConfig, epoch: int):
    """``crops_per_epoch`` random crops (seeded by epoch): x (N, crop, FEATURES), y (N, crop, 2)."""
    rng = np.random.default_rng([config.seed, 1000 + epoch])
    x = np.zeros((config.crops_per_epoch, config.crop_frames, FEATURES), np.float32)
    y = np.zeros((config.crops_per_epoch, config.crop_frames, 2), np.float32)
    repeat_extra = config.repeat_weight - 1.0
    for row in range(config.crops_per_epoch):
        example = examples[int(rng.integers(len(examples)))]
        start = int(rng.integers(max(len(example.target) - config.crop_frames, 0) + 1))
        piece = slice(start, start + config.crop_frames)
        length = len(example.target[piece])
        x[row, :length] = (example.features[piece] - mean) / scale
        y[row, :length, 0] = example.target[piece]
        y[row, :length, 1] = 1.0 + repeat_extra * example.repeat[piece]
    return x, y


def _whole_batch(examples: list[Example], mean, scale, config: OnsetTrainingConfig):
    """Every example whole, zero-padded to the longest: x (N, T, FEATURES), y (N, T, 2)."""
    longest = max(len(e.target) for e in examples)
    x = np.zeros((len(examples), longest, FEATURES), np.float32)
    y = np.zeros((len(examples), longest, 2), np.float32)
    for row, example in enumerate(examples):
        length = len(example.target)
        x[row, :length] = (example.features - mean) / scale
        y[row, :length, 0], y[row, :length, 1] = example.target, 1.0 + (config.repeat_weight - 1.0) * example.repeat
    return x, y


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def note_scores(examples: list[Example], network: OnsetNetwork | None, threshold: float) -> dict[str, float]:
    """How the transcriptions compare with the tunes as written (rules when ``network`` is None).

    Returns
    -------
    dict
        ``pitch right``: share of written notes matched in order by a transcribed note of their pitch;
        ``note F1``: 2 * matched / (written + transcribed), which also counts a split too many;
        ``on its 16th``: share of written notes matched and, after the played-in quantizer, on their
        16th relative to the first note (``benchmarks melody_audio``'s measures).
    """
    from midistyle.audio.transcribe import Transcription
    from midistyle.errors import InputError
    from midistyle.music.melody import extract_melody

    config = TranscribeConfig(splitter="rules") if network is None else TranscribeConfig()
    if network is not None:
        network = dataclasses.replace(network, threshold=threshold)
    matched = written = transcribed = on_grid = 0
    for example in examples:
        frames = line_notes(example.keys, example.heard, config, network)
        heard = [21 + key for _, _, key in frames]
        wanted = [pitch for _, pitch in example.written]
        matcher = difflib.SequenceMatcher(None, wanted, heard, autojunk=False)
        matched += sum(block.size for block in matcher.get_matching_blocks())
        written += len(wanted)
        transcribed += len(heard)
        seconds_per_frame = FRAME_HOP / MODEL_SAMPLE_RATE * example.heard.speed
        notes = tuple((a * seconds_per_frame, b * seconds_per_frame, 21 + key) for a, b, key in frames)
        try:
            melody = extract_melody(Transcription(notes, 0.0, 0.0).to_score(), meter_given=False, played=True)
        except InputError:
            continue
        got = [(n.onset_step, n.pitch) for n in melody.score.voices[0].notes]
        on_grid += _on_grid(example.written, got)
    return {"pitch right": round(matched / max(written, 1), 4),
            "note F1": round(2 * matched / max(written + transcribed, 1), 4),
            "on its 16th": round(on_grid / max(written, 1), 4)}


def _on_grid(want: list[tuple[int, int]], got: list[tuple[int, int]]) -> int:
    """Written notes matched by pitch in order whose onset, relative to the first note's, is the same."""
    matcher = difflib.SequenceMatcher(None, [p for _, p in want], [p for _, p in got], autojunk=False)
    first_want, first_got = (want[0][0] if want else 0), (got[0][0] if got else 0)
    return sum(want[block.a + k][0] - first_want == got[block.b + k][0] - first_got
               for block in matcher.get_matching_blocks() for k in range(block.size))
