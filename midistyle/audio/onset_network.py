"""Where a recorded melody's notes start: a small convolutional network over the transcriber's evidence.

basic-pitch's onset head misses a note sung or played again on the same key, when the player holds
the first one into the second (its likelihood reaches 0.2-0.45 there, against 0.8 at a new pitch),
and the level-dip rules that tried to catch those notes also cut sustained choir notes in two
(see the transcriber's docstring). This network learns the difference from rendered performances
whose note starts are known (:mod:`midistyle.models.onset_training` trains it, on Essen tunes that the
``melody_audio`` benchmark never plays).

Per frame (256 samples at 22.05 kHz, 11.6 ms) it reads ``FEATURES`` numbers, all relative to the
recording, so that loudness and gain do not matter:

- along the melody line that the transcriber's Viterbi chose: the note and onset likelihoods of the
  line's key, its neighbours two semitones either side and its octave (``NEIGHBOURS``); whether the
  line changes key or is silent;
- over all keys: the strongest note and onset likelihood;
- the frame's level below the recording's loudest frame, and its change from the frame before;
- the log energy in 40 bands from 150 Hz to 10 kHz below the band's loudest frame, and each band's
  change from the frame before (an attack shows in the upper bands even when the level does not dip).

A stack of 1-D convolutions (``kernel`` frames, then dilated residual layers, receptive field
``receptive_frames``) turns them into the probability that a note starts in each frame. Inference is
numpy only; the weights ship as ``weights/onsets/weights.npz`` next to their config and report.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from midistyle.errors import MissingDependencyError

NEIGHBOURS = (-2, -1, 0, 1, 2, 12)  # keys, relative to the line's, whose note and onset likelihoods are read
BANDS = 40
BAND_EDGES_HZ = np.geomspace(150.0, 10000.0, BANDS + 1)
FFT_SAMPLES = 1024
FEATURES = 2 * len(NEIGHBOURS) + 2 + 2 + 2 + 2 * BANDS
SHIPPED_FOLDER = Path(__file__).resolve().parent / "weights" / "onsets"


@dataclass
class OnsetNetworkConfig:
    """The network's shape. ``receptive_frames`` = kernel + 2 * sum(dilations) frames."""

    channels: int = 64
    kernel: int = 5
    dilations: tuple[int, ...] = (1, 2, 4, 8, 16)

    @property
    def receptive_frames(self) -> int:
        return self.kernel + 2 * sum(self.dilations)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> OnsetNetworkConfig:
        values = json.loads(text)
        values["dilations"] = tuple(values["dilations"])
        return cls(**values)


def onset_features(mono: np.ndarray, note: np.ndarray, onset: np.ndarray, level_db: np.ndarray,
                   keys: np.ndarray) -> np.ndarray:
    """The network's input (see the module docstring).

    Parameters
    ----------
    mono : np.ndarray, shape=(N,)
        The recording at 22.05 kHz (as the transcriber's ``Evidence.mono``).
    note, onset : np.ndarray, shape=(T, 88)
        basic-pitch's likelihoods.
    level_db : np.ndarray, shape=(T,)
    keys : np.ndarray, shape=(T,), int
        The melody line's key per frame (0-87), -1 where it is silent.

    Returns
    -------
    np.ndarray, shape=(T, FEATURES), float32
    """
    frames = len(note)
    rows = np.arange(frames)
    sounding = keys >= 0
    along = []
    for offset in NEIGHBOURS:
        key = keys + offset
        inside = sounding & (key >= 0) & (key < note.shape[1])
        key = np.clip(key, 0, note.shape[1] - 1)
        along += [note[rows, key] * inside, onset[rows, key] * inside]
    changes = np.concatenate([[1.0], (keys[1:] != keys[:-1]).astype(np.float64)])
    level = np.clip((level_db - level_db.max()) / 40.0, -2.0, 0.0)
    bands = _band_levels(mono, frames)
    columns = [
        *along, changes, (~sounding).astype(np.float64),
        note.max(axis=1), onset.max(axis=1),
        level, _rise(level),
        bands, _rise(bands),
    ]
    return np.column_stack(columns).astype(np.float32)


def _band_levels(mono: np.ndarray, frames: int) -> np.ndarray:
    """Log energy per band and frame below the band's loudest frame, /40 dB, clipped at -2, shape=(T, BANDS)."""
    from midistyle.audio.transcribe import FRAME_HOP, MODEL_SAMPLE_RATE

    centre = FRAME_HOP // 2  # a frame's window is centred on the middle of its 256 samples
    padded = np.zeros(frames * FRAME_HOP + FFT_SAMPLES, np.float32)
    start = FFT_SAMPLES // 2 - centre
    piece = mono[: frames * FRAME_HOP]
    padded[start : start + len(piece)] = piece
    windows = np.lib.stride_tricks.sliding_window_view(padded, FFT_SAMPLES)[::FRAME_HOP][:frames]
    power = np.abs(np.fft.rfft(windows * np.hanning(FFT_SAMPLES).astype(np.float32), axis=1)) ** 2
    bins = np.fft.rfftfreq(FFT_SAMPLES, 1.0 / MODEL_SAMPLE_RATE)
    band = np.searchsorted(BAND_EDGES_HZ, bins, side="right") - 1  # -1 and BANDS are outside
    members = (band[:, None] == np.arange(BANDS)[None, :]).astype(np.float32)  # (bins, BANDS), one-hot
    energy = power.astype(np.float32) @ members
    db = 10.0 * np.log10(energy.astype(np.float64) + 1e-10)
    return np.clip((db - db.max(axis=0, keepdims=True)) / 40.0, -2.0, 0.0)


def _rise(values: np.ndarray) -> np.ndarray:
    """Change from the frame before (0 for the first), same shape as ``values``."""
    return np.diff(values, axis=0, prepend=values[:1])


@dataclass
class OnsetNetwork:
    """The trained network, run with numpy.

    Attributes
    ----------
    config : OnsetNetworkConfig
    weights : list of (kernel, bias)
        In layer order: the input convolution (kernel, FEATURES, channels), one (3, channels, channels)
        per dilation, the output (1, channels, 1); Keras's Conv1D layout.
    mean, scale : np.ndarray, shape=(FEATURES,)
        The input standardisation learned on the training frames.
    threshold : float
        A frame whose probability peaks at or above this starts a note (chosen on held-out tunes).
    """

    config: OnsetNetworkConfig
    weights: list[tuple[np.ndarray, np.ndarray]]
    mean: np.ndarray
    scale: np.ndarray
    threshold: float = 0.5
    report: dict = field(default_factory=dict)

    def __call__(self, features: np.ndarray) -> np.ndarray:
        """Probability that a note starts in each frame.

        Parameters
        ----------
        features : np.ndarray, shape=(T, FEATURES)

        Returns
        -------
        np.ndarray, shape=(T,), float32
        """
        x = ((features - self.mean) / self.scale).astype(np.float32)
        kernel, bias = self.weights[0]
        x = np.maximum(_conv1d(x, kernel, bias, dilation=1), 0.0)
        for (kernel, bias), dilation in zip(self.weights[1:-1], self.config.dilations):
            x = x + np.maximum(_conv1d(x, kernel, bias, dilation=dilation), 0.0)
        kernel, bias = self.weights[-1]
        logits = _conv1d(x, kernel, bias, dilation=1)[:, 0]
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

    def save(self, folder: str | Path) -> None:
        """Write ``weights.npz`` and ``config.json`` into ``folder``: both are written in full before
        either replaces what was there."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {"mean": self.mean, "scale": self.scale}
        for i, (kernel, bias) in enumerate(self.weights):
            arrays[f"kernel_{i}"], arrays[f"bias_{i}"] = kernel, bias
        weights_part, config_part = folder / "weights.npz.part", folder / "config.json.part"
        with weights_part.open("wb") as file:
            np.savez(file, **arrays)
        config_part.write_text(json.dumps({"network": dataclasses.asdict(self.config), "threshold": self.threshold},
                                          indent=1) + "\n")
        weights_part.replace(folder / "weights.npz")
        config_part.replace(folder / "config.json")

    @classmethod
    def load(cls, folder: str | Path) -> OnsetNetwork:
        folder = Path(folder)
        if not (folder / "weights.npz").is_file() or not (folder / "config.json").is_file():
            raise MissingDependencyError(f"the onset network's weights are missing from {folder}: "
                                         "reinstall midistyle, or train them with `midistyle train onsets`")
        try:
            meta = json.loads((folder / "config.json").read_text())
            config = OnsetNetworkConfig.from_json(json.dumps(meta["network"]))
            with np.load(folder / "weights.npz") as arrays:
                layers = len(config.dilations) + 2
                weights = [(arrays[f"kernel_{i}"], arrays[f"bias_{i}"]) for i in range(layers)]
                mean, scale = arrays["mean"], arrays["scale"]
        except (KeyError, ValueError, TypeError, OSError) as error:
            raise MissingDependencyError(f"the onset network in {folder} cannot be read ({error!r}): reinstall "
                                         "midistyle, or train it again with `midistyle train onsets`") from None
        report_path = folder / "report.json"
        report = json.loads(report_path.read_text()) if report_path.is_file() else {}
        return cls(config, weights, mean, scale, float(meta["threshold"]), report)


def _conv1d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, *, dilation: int) -> np.ndarray:
    """Keras's Conv1D with ``padding="same"``: x (T, C_in), kernel (K, C_in, C_out) -> (T, C_out)."""
    size = kernel.shape[0]
    pad = dilation * (size - 1)
    left = pad // 2
    padded = np.pad(x, ((left, pad - left), (0, 0)))
    out = np.broadcast_to(bias, (len(x), kernel.shape[2])).astype(np.float32)
    for j in range(size):
        out = out + padded[j * dilation : j * dilation + len(x)] @ kernel[j]
    return out


def peaks(probability: np.ndarray, threshold: float) -> np.ndarray:
    """Frames where ``probability`` (shape (T,)) is a local maximum at or above ``threshold``, shape=(P,)."""
    p = np.concatenate([[0.0], probability, [0.0]])
    middle = p[1:-1]
    found = (middle >= threshold) & (middle >= p[:-2]) & (middle > p[2:])
    return np.flatnonzero(found)


@lru_cache(maxsize=1)
def shipped_onset_network() -> OnsetNetwork:
    """The network trained by ``midistyle train onsets`` and shipped with midistyle (loaded once)."""
    return OnsetNetwork.load(SHIPPED_FOLDER)
