"""Harmonize a melody with a trained generator: place it, run the network, decode, rank by the critic.

``Harmonizer.load()`` reads the weights shipped in ``midistyle/models/weights/harmonizer``;
``harmonizer.harmonize(melody)`` returns four-voice scores, best first.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from midistyle.errors import InputError
from midistyle.models.harmonizer_config import HarmonizerConfig, noise_shape
from midistyle.models.harmonizer_data import (
    LOWEST_PITCH,
    NUM_PITCHES,
    Placement,
    assemble,
    condition_planes,
    given_planes,
    harmony_planes,
    padded_steps,
    place_melody,
)
from midistyle.models.harmony_decoding import ChordPlan, decode_harmony, to_melody_space
from midistyle.models.onnx_networks import HARMONIZER_FILES, OnnxModel, use_onnx
from midistyle.music.chord_symbols import ChordSymbol
from midistyle.music.figuration import FigurationConfig, add_figuration
from midistyle.music.phrases import phrase_ends
from midistyle.music.score import Key, Note, Score

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights" / "harmonizer"
DECODERS = ("joint", "greedy", "sample")
VOICE_ORDER = (0, 1, 2)  # alto, tenor, bass: the order a generator trained on given voices writes them in
REWRITE_SWEEPS = 2  # then each voice is written again given the other two, this many times over
VOICE_INDEX = {"alto": 0, "tenor": 1, "bass": 2}  # the lower voices, as the decoder numbers them


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
    """A loaded generator and critic: Keras models, or their ONNX exports (called the same way)."""

    def __init__(self, config: HarmonizerConfig, generator, critic):
        self.config, self.generator, self.critic = config, generator, critic

    @classmethod
    def load(cls, folder: str | os.PathLike | None = None) -> Harmonizer:
        """The networks in ``folder`` (default: the shipped ones), by ONNX Runtime when their export is
        current, else by Keras (see :mod:`midistyle.models.onnx_networks`)."""
        folder = Path(folder) if folder is not None else WEIGHTS_DIR
        if not (folder / "config.json").exists():
            raise InputError(f"no trained harmonizer in {folder} (run `midistyle train harmonizer`)")
        if use_onnx(folder, HARMONIZER_FILES):
            config = HarmonizerConfig.from_json((folder / "config.json").read_text())
            return cls(config, OnnxModel(folder / "generator.onnx"), OnnxModel(folder / "critic.onnx"))
        from midistyle.models.harmonizer import load_networks  # TensorFlow loads here

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
        figuration: FigurationConfig | None = None,
        chords: tuple[ChordSymbol, ...] | None = None,
        given: dict[str, tuple[Note, ...]] | None = None,
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
            Default: detected from the notes (of a key and its relative, the one whose tonic ends
            the tune), or named by the melody file's key signature where that key ends the tune
            (:func:`midistyle.models.harmonizer_data.choose_key`).
        decoder : {"joint", "greedy", "sample"}, keyword-only
            ``joint`` (default) adds the voice-leading rules and cadence planning of
            :mod:`midistyle.models.harmony_decoding` and the figuration of
            :mod:`midistyle.music.figuration`; ``greedy`` takes the network's most likely pitch
            and ``sample`` draws it from the network's distribution (at ``temperature``, 1 if 0 is
            given): the network alone. With a generator trained on given voices, ``greedy`` and
            ``sample`` write one voice at a time (alto, tenor, bass), each pass given the voices
            written before it, then rewrite each given the other two; ``joint`` then applies its
            rules to each voice's distribution given a greedy draft of the other two.
        figuration : FigurationConfig or None, keyword-only
            How much figuration the ``joint`` decoder writes (default: the shipped shares;
            ``FigurationConfig.none()`` for none).
        chords : tuple of ChordSymbol or None, keyword-only
            Chord symbols to follow (see :class:`midistyle.models.harmony_decoding.ChordPlan`);
            default: the melody's own (``melody.chord_symbols``); ``()`` follows none. Under a symbol
            the figuration adds no suspensions, whose delayed resolutions would sound against it.
        given : dict of voice name -> notes, keyword-only
            Voices written by the user (``"alto"``, ``"tenor"``, ``"bass"``) on the melody's grid:
            they come back unchanged and the others are written around them.
        """
        if not 1 <= samples <= 64:
            raise InputError(f"samples={samples} must be in 1..64")
        if not 0.0 <= temperature <= 5.0:
            raise InputError(f"temperature={temperature} must be in 0..5")
        if decoder not in DECODERS:
            raise InputError(f"decoder={decoder!r} must be one of {', '.join(DECODERS)}")
        if decoder == "sample" and temperature == 0:
            temperature = 1.0
        symbols = melody.chord_symbols if chords is None else tuple(chords)
        given = dict(given or {})
        if given and not self.config.given_voices:
            raise InputError("these weights were not trained with given voices; use the shipped harmonizer")
        placement = placement_holding(place_melody(melody, key), given)
        multiple = self.config.crop_steps if self.config.architecture == "deepcomposer" else self.config.time_multiple
        num_steps = padded_steps(max(melody.num_steps, 1), multiple)
        condition = condition_planes(melody, placement, num_steps)  # (T, P, 5)
        conditions = np.repeat(condition[None], samples, axis=0)
        given_rows = given_in_model_rows(given, placement, melody)
        plan = ChordPlan.from_symbols(symbols, placement, num_steps) if symbols else None
        rng = np.random.default_rng(seed)
        if self.config.given_voices and decoder != "joint":
            written = self._voice_by_voice(conditions, placement, decoder, temperature, seed, rng, given_rows, plan)
            all_voices = [to_melody_space([voices[v] for v in range(3)], placement) for voices in written]
        elif self.config.given_voices:  # joint: the rules over each voice's distribution given a greedy draft
            draft = self._voice_by_voice(conditions, placement, "greedy", 0.0, seed, rng, given_rows, plan)
            harmony = self._conditionals(conditions, draft, seed)
            all_voices = [decode_harmony(*voice_distributions(sample), condition, placement, temperature=temperature,
                                         rng=rng, phrase_ends=phrase_ends(melody).steps, fixed=given_rows,
                                         chords=plan) for sample in harmony]
        else:
            harmony = self.predict(conditions, seed)  # (S, T, P, 6)
            all_voices = [decode_harmony(*voice_distributions(sample), condition, placement, method=decoder,
                                         temperature=temperature, rng=rng, phrase_ends=phrase_ends(melody).steps,
                                         chords=plan)
                          for sample in harmony]
        given_indices = {VOICE_INDEX[name]: notes for name, notes in given.items()}
        if symbols and figuration is None:
            figuration = dataclasses.replace(FigurationConfig(), suspension_share=0.0)
        results = []
        for index, voices in enumerate(all_voices):
            voices = [list(given_indices.get(v, voices[v])) for v in range(3)]  # given notes exactly as given
            score = assemble(melody, voices).replace(key=placement.key,  # the key it was written in
                                                     chord_symbols=symbols)
            if decoder == "joint":  # passing tones, suspensions, neighbour notes and ties the critic allows
                score = add_figuration(score, config=figuration, seed=seed + index,
                                       locked=tuple(1 + v for v in given_indices))
            results.append(Harmonization(score, self.judge(condition, score, placement), placement))
        return sorted(results, key=lambda r: -r.critic_score)

    def _voice_by_voice(self, conditions: np.ndarray, placement: Placement, decoder: str, temperature: float,
                        seed: int, rng: np.random.Generator, given: dict[int, list[Note]] | None = None,
                        chords: ChordPlan | None = None) -> list[dict[int, list[Note]]]:
        """One pass of the generator per voice (``VOICE_ORDER``), each given the voices decoded before,
        then ``REWRITE_SWEEPS`` more rounds in which each voice is rewritten given the other two.
        Voices in ``given`` (model rows) are there from the start and never rewritten.

        Returns, per sample, {voice: notes} in the model's pitch rows.
        """
        given = given or {}
        written: list[dict[int, list[Note]]] = [dict(given) for _ in range(len(conditions))]
        for voice in [v for v in VOICE_ORDER if v not in given] * (1 + REWRITE_SWEEPS):
            for voices in written:
                voices.pop(voice, None)
            harmony = self.predict(conditions, seed, given=_given_rolls(written, conditions.shape[1]))
            for s, sample in enumerate(harmony):
                rows = decode_harmony(*voice_distributions(sample), conditions[s], placement, method=decoder,
                                      temperature=temperature, rng=rng, fixed=written[s], free=(voice,),
                                      model_space=True, chords=chords)
                written[s][voice] = rows[voice]
        return written

    def _conditionals(self, conditions: np.ndarray, written: list[dict[int, list[Note]]], seed: int) -> np.ndarray:
        """Per sample, each voice's distributions given the other two as written, shape (S, T, P, 6)."""
        out = np.zeros((*conditions.shape[:3], 6), np.float32)
        for voice in range(3):
            others = [{v: notes for v, notes in voices.items() if v != voice} for voices in written]
            harmony = self.predict(conditions, seed, given=_given_rolls(others, conditions.shape[1]))
            out[..., 2 * voice : 2 * voice + 2] = harmony[..., 2 * voice : 2 * voice + 2]
        return out

    def predict(self, condition: np.ndarray, seed: int, given: tuple[np.ndarray, np.ndarray] | None = None
                ) -> np.ndarray:
        """Generator output for conditions of shape (S, T, P, 5) -> (S, T, P, 6), in our 48-row window.

        ``given`` = (harmony rolls (S, T, P, 6), which voices are given (S, 3)) for a generator trained
        on given voices; without it such a generator is given none.
        """
        if self.config.given_voices:
            rolls, which = given if given is not None else (
                np.zeros((*condition.shape[:3], 6), np.float32), np.zeros((len(condition), 3), np.float32))
            condition = np.concatenate([condition, given_planes(rolls, which)], axis=-1)
        rng = np.random.default_rng(seed)
        if self.config.architecture == "deepcomposer":  # fixed windows, side by side
            windows = condition.shape[1] // self.config.crop_steps  # the time axis splits into whole windows
            x = condition.reshape(len(condition) * windows, self.config.crop_steps, *condition.shape[2:])
            noise = rng.standard_normal(noise_shape(self.config, len(x), self.config.crop_steps)).astype(np.float32)
            out = np.asarray(self.generator([to_model_window(x, self.config), noise], training=False))
            out = from_model_window(out, self.config)
            return out.reshape(len(condition), condition.shape[1], *out.shape[2:])
        noise = rng.standard_normal(noise_shape(self.config, len(condition), condition.shape[1])).astype(np.float32)
        return np.asarray(self.generator([condition, noise], training=False))  # eager: no retracing per length

    def judge(self, condition: np.ndarray, score: Score, placement: Placement) -> float:
        """The critic's mean score for a decoded harmonization (higher: more like Bach to it)."""
        roll = harmony_planes(score, placement, len(condition))
        assert roll is not None, "decoding keeps every pitch inside the model's window"
        c, h = condition[None], roll[None]
        if self.config.architecture == "deepcomposer":  # the time axis splits into whole windows
            c = c.reshape(-1, self.config.crop_steps, *c.shape[2:])
            h = h.reshape(-1, self.config.crop_steps, *h.shape[2:])
        scores = self.critic([to_model_window(c, self.config), to_model_window(h, self.config)], training=False)
        return float(np.mean(scores))


def placement_holding(placement: Placement, given: dict[str, tuple[Note, ...]]) -> Placement:
    """The melody's placement, moved an octave when that lets the model's window hold given voices
    that it would not (a low bass under a melody placed high)."""
    pitches = [n.pitch for notes in given.values() for n in notes]
    if not pitches:
        return placement

    def fits(p: Placement) -> bool:
        low, high = min(pitches) + p.total_shift, max(pitches) + p.total_shift
        return LOWEST_PITCH <= low and high < LOWEST_PITCH + NUM_PITCHES

    for octave in (0, 12, -12):
        moved = dataclasses.replace(placement, octave_shift=placement.octave_shift + octave)
        if fits(moved):
            return moved
    return placement  # given_in_model_rows says what does not fit


def given_in_model_rows(given: dict[str, tuple[Note, ...]], placement: Placement, melody: Score
                         ) -> dict[int, list[Note]]:
    """Given voices (by name, melody space) -> {voice index: notes in the model's pitch rows}.

    Raises
    ------
    InputError
        An unknown voice name, a voice longer than the melody, or pitches beyond the model's window.
    """
    rows: dict[int, list[Note]] = {}
    for name, notes in given.items():
        if name not in VOICE_INDEX:
            raise InputError(f"given voice {name!r} must be one of {', '.join(VOICE_INDEX)}")
        notes = list(notes)
        if notes and notes[-1].end_step > melody.num_steps:
            raise InputError(f"the given {name} lasts {notes[-1].end_step} steps, the melody {melody.num_steps}: "
                             "they must be the same length")
        shift = placement.total_shift - LOWEST_PITCH
        outside = [n for n in notes if not 0 <= n.pitch + shift < NUM_PITCHES]
        if outside:
            raise InputError(f"the given {name} has {len(outside)} notes the model's window cannot hold against this "
                             f"melody (it spans MIDI {LOWEST_PITCH - placement.total_shift}.."
                             f"{LOWEST_PITCH - placement.total_shift + NUM_PITCHES - 1} here)")
        rows[VOICE_INDEX[name]] = [dataclasses.replace(n, pitch=n.pitch + shift) for n in notes]
    return rows


def voice_distributions(harmony: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sustain, onset given sustain) per voice from one generator output (T, P, 6), each (T, P, 3)."""
    sustain = harmony[..., 1::2]
    return sustain, harmony[..., 0::2] / np.maximum(sustain, 1e-6)  # the sigmoid, undoing the product


def _given_rolls(written: list[dict[int, list[Note]]], num_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(harmony rolls (S, T, P, 6), which voices are given (S, 3)) from notes in model pitch rows."""
    given = np.zeros((len(written), 3), np.float32)
    rolls = np.zeros((len(written), num_steps, NUM_PITCHES, 6), np.float32)
    for s, voices in enumerate(written):
        for v, notes in voices.items():
            given[s, v] = 1
            for n in notes:
                rolls[s, n.onset_step, n.pitch, 2 * v] = 1
                rolls[s, n.onset_step : n.end_step, n.pitch, 2 * v + 1] = 1
    return rolls, given
