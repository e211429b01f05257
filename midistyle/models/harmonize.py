"""Harmonize a melody with a trained generator: place it, run the network, decode, rank by the critic.

``Harmonizer.load()`` reads the weights shipped in ``midistyle/models/weights/harmonizer``;
``harmonizer.harmonize(melody)`` returns four-voice scores, best first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from midistyle.errors import InputError
from midistyle.models.harmonizer import HarmonizerConfig, load_networks, noise_shape
from midistyle.models.harmonizer_data import (
    LOWEST_PITCH,
    NUM_PITCHES,
    Placement,
    assemble,
    condition_planes,
    harmony_planes,
    padded_steps,
    place_melody,
)
from midistyle.models.harmony_decoding import decode_harmony
from midistyle.music.score import Key, Score

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights" / "harmonizer"


@dataclass(frozen=True)
class Harmonization:
    """One result: the four-voice score, the critic's opinion of it, and how the melody was placed."""

    score: Score
    critic_score: float
    placement: Placement


def to_model_window(array: np.ndarray, config: HarmonizerConfig) -> np.ndarray:
    """Pad the pitch axis (axis -2) of our 48-row arrays to the config's pitch window (128 for deepcomposer)."""
    lowest, num_pitches = config.pitch_window
    below = LOWEST_PITCH - lowest
    above = num_pitches - NUM_PITCHES - below
    if below == 0 and above == 0:
        return array
    pad = [(0, 0)] * array.ndim
    pad[-2] = (below, above)
    return np.pad(array, pad)


def from_model_window(array: np.ndarray, config: HarmonizerConfig) -> np.ndarray:
    """The inverse of ``to_model_window``."""
    below = LOWEST_PITCH - config.pitch_window[0]
    return array[..., below : below + NUM_PITCHES, :]


class Harmonizer:
    """A loaded generator and critic."""

    def __init__(self, config: HarmonizerConfig, generator, critic):
        self.config, self.generator, self.critic = config, generator, critic

    @classmethod
    def load(cls, folder: str | os.PathLike | None = None) -> Harmonizer:
        folder = Path(folder) if folder is not None else WEIGHTS_DIR
        if not (folder / "config.json").exists():
            raise InputError(f"no trained harmonizer in {folder} (run `midistyle train harmonizer`)")
        return cls(*load_networks(folder))

    def harmonize(
        self,
        melody: Score,
        *,
        samples: int = 1,
        temperature: float = 0.0,
        seed: int = 0,
        key: Key | None = None,
        decoder: str = "joint",
    ) -> list[Harmonization]:
        """Harmonizations of a one-voice melody, ranked by the critic (most Bach-like first).

        Parameters
        ----------
        melody : Score
            One monophonic voice, as :func:`midistyle.music.melody.read_melody` gives it.
        samples : int, keyword-only
            Noise draws; each gives one harmonization.
        temperature : float, keyword-only
            0 decodes the most likely pitches; > 0 samples them (more variety, more risk).
        seed : int, keyword-only
        key : Key or None, keyword-only
            Default: detected by music21.
        decoder : {"joint", "greedy"}, keyword-only
            See :mod:`midistyle.models.harmony_decoding`.
        """
        if not 1 <= samples <= 64:
            raise InputError(f"samples={samples} must be in 1..64")
        if not 0.0 <= temperature <= 5.0:
            raise InputError(f"temperature={temperature} must be in 0..5")
        placement = place_melody(melody, key)
        multiple = self.config.crop_steps if self.config.architecture == "deepcomposer" else self.config.time_multiple
        num_steps = padded_steps(max(melody.num_steps, 1), multiple)
        condition = condition_planes(melody, placement, num_steps)  # (T, P, 5)
        harmony = self.predict(np.repeat(condition[None], samples, axis=0), seed)  # (S, T, P, 6)
        rng = np.random.default_rng(seed)
        results = []
        for sample in harmony:
            sustain = sample[..., 1::2]
            onset_given_sustain = sample[..., 0::2] / np.maximum(sustain, 1e-6)  # the sigmoid, undoing the product
            voices = decode_harmony(sustain, onset_given_sustain, condition, placement,
                                    method=decoder, temperature=temperature, rng=rng)
            score = assemble(melody, voices)
            results.append(Harmonization(score, self.judge(condition, score, placement), placement))
        return sorted(results, key=lambda r: -r.critic_score)

    def predict(self, condition: np.ndarray, seed: int) -> np.ndarray:
        """Generator output for conditions of shape (S, T, P, 5) -> (S, T, P, 6), in our 48-row window."""
        rng = np.random.default_rng(seed)
        if self.config.architecture == "deepcomposer":  # fixed windows, side by side
            windows = condition.shape[1] // self.config.crop_steps  # the time axis splits into whole windows
            x = condition.reshape(len(condition) * windows, self.config.crop_steps, *condition.shape[2:])
            noise = rng.standard_normal(noise_shape(self.config, len(x), self.config.crop_steps)).astype(np.float32)
            out = np.asarray(self.generator.predict([to_model_window(x, self.config), noise], verbose=0))
            out = from_model_window(out, self.config)
            return out.reshape(len(condition), condition.shape[1], *out.shape[2:])
        noise = rng.standard_normal(noise_shape(self.config, len(condition), condition.shape[1])).astype(np.float32)
        return np.asarray(self.generator.predict([condition, noise], verbose=0))

    def judge(self, condition: np.ndarray, score: Score, placement: Placement) -> float:
        """The critic's mean score for a decoded harmonization (higher: more like Bach to it)."""
        roll = harmony_planes(score, placement, len(condition))
        assert roll is not None, "decoding keeps every pitch inside the model's window"
        c, h = condition[None], roll[None]
        if self.config.architecture == "deepcomposer":  # the time axis splits into whole windows
            c = c.reshape(-1, self.config.crop_steps, *c.shape[2:])
            h = h.reshape(-1, self.config.crop_steps, *h.shape[2:])
        scores = self.critic.predict([to_model_window(c, self.config), to_model_window(h, self.config)], verbose=0)
        return float(np.mean(scores))
