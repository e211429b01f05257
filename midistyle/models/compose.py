"""Generate chorales with a trained chorale model: sample tokens, decode, repair, cut to whole bars.

``ChoraleGenerator.load()`` reads the shipped Transformer (``midistyle/models/weights/chorale``);
``generate(bars=16, key="D major", seed=1)`` returns a four-voice score and a report of what had to
be repaired. A sample that does not decode to four voices with at least ``bars`` bars is drawn again
(up to ``max_attempts``); overlapping notes inside a voice are trimmed (and counted).

With ``voice_leading_retries`` > 0 (the default is 3) sampling is checked as it goes: tokens are
drawn in stretches of 32, and a stretch that adds marks of the harmony critic
(:mod:`midistyle.music.harmony`, at every onset: parallels, clashes, unexplained dissonances,
leaps…) is drawn again from the same point (the cache is kept), up to that many times, keeping the
draw with the fewest. This is a
rule on top of the network, like the harmonizer's decoder; ``voice_leading_retries=0`` samples the
network alone.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from midistyle.errors import InputError
from midistyle.models.chorale_config import ChoraleConfig
from midistyle.models.chorale_sampling import TokenSampler
from midistyle.models.onnx_networks import CHORALE_FILES, OnnxChoraleModel, use_onnx
from midistyle.music.harmony import ENDING_RULES, critique
from midistyle.music.score import Key, Note, Score, Voice
from midistyle.music.tokens import ScoreTokenizer

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights" / "chorale"
TOKENS_PER_BAR_BUDGET = 160  # a cap only: plain REMI needs ~75 tokens per four-voice bar, BPE 1000 ~22
CHECK_EVERY_TOKENS = 32


@dataclass
class GeneratedChorale:
    """A generated score with the story of how it was obtained."""

    score: Score
    attempts: int
    tokens: int
    trimmed_overlaps: int
    notes: list[str] = field(default_factory=list)


class ChoraleGenerator:
    """A loaded chorale model and its tokenizer."""

    def __init__(self, config: ChoraleConfig, model, tokenizer: ScoreTokenizer):
        self.config, self.model, self.tokenizer = config, model, tokenizer

    @classmethod
    def load(cls, folder: str | os.PathLike | None = None) -> ChoraleGenerator:
        folder = Path(folder) if folder is not None else WEIGHTS_DIR
        if not (folder / "config.json").exists():
            raise InputError(f"no trained chorale model in {folder} (run `midistyle train chorale`)")
        config = ChoraleConfig.from_json((folder / "config.json").read_text())
        if config.model == "transformer" and use_onnx(folder, CHORALE_FILES):
            model = OnnxChoraleModel(config, folder / "step.onnx")
        else:
            from midistyle.models.chorale import build_model  # TensorFlow loads here

            model = build_model(config)
            model.load_weights(str(folder / "model.weights.h5"))
        return cls(config, model, ScoreTokenizer.load(folder / "tokenizer.json"))

    def generate(
        self,
        *,
        bars: int = 16,
        key: str | None = None,
        temperature: float = 0.8,
        top_k: int | None = None,
        top_p: float | None = 0.95,
        seed: int = 0,
        prompt: Score | None = None,
        max_attempts: int = 5,
        voice_leading_retries: int = 3,
        use_cache: bool = True,
    ) -> GeneratedChorale:
        """One chorale of exactly ``bars`` whole bars (after a pickup, if it starts with one)."""
        if not 1 <= bars <= 64:
            raise InputError(f"bars={bars} must be in 1..64")
        if not 0.0 < temperature <= 5.0:
            raise InputError(f"temperature={temperature} must be in (0, 5]")
        if top_k is not None and top_k < 1:
            raise InputError(f"top_k={top_k} must be >= 1")
        if top_p is not None and not 0.0 < top_p <= 1.0:
            raise InputError(f"top_p={top_p} must be in (0, 1]")
        target_key = Key.parse(key) if key else None
        prefix = [self.tokenizer.bos_id] + (self.tokenizer.encode(prompt) if prompt is not None else [])
        if len(prefix) >= self.config.context:
            raise InputError(f"the prompt is {len(prefix)} tokens; the model's context is {self.config.context}")
        rng = np.random.default_rng(seed)
        notes: list[str] = []
        for attempt in range(1, max_attempts + 1):
            sampler = TokenSampler(self.model, prefix, rng=rng, temperature=temperature, top_k=top_k, top_p=top_p,
                                   banned_tokens=(self.tokenizer.eos_id, self.tokenizer.pad_id), use_cache=use_cache)
            tokens = self._sample(sampler, bars, voice_leading_retries)
            score, problem = self._decode(tokens, bars)
            if problem:
                notes.append(f"attempt {attempt}: {problem}; sampled again")
                continue
            score, trimmed = make_monophonic(score)
            if target_key is not None:
                score = transpose_to_key(score, target_key, notes)
            return GeneratedChorale(score, attempt, len(tokens), trimmed, notes)
        raise InputError(f"no valid chorale in {max_attempts} attempts ({notes[-1]})")

    def _sample(self, sampler: TokenSampler, bars: int, retries: int) -> list[int]:
        """Stretches of tokens until the decoded music passes ``bars`` bar lines (EOS is never sampled)."""
        budget = len(sampler.tokens) + bars * TOKENS_PER_BAR_BUDGET
        while len(sampler.tokens) < budget:
            start = sampler.snapshot()
            since_step = self._steps_so_far(sampler.tokens) if retries else 0
            best = None
            for _ in range(retries + 1):
                sampler.restore(start)
                for _ in range(CHECK_EVERY_TOKENS):
                    sampler.next_token()
                count = self._marks(sampler.tokens, since_step) if retries else 0
                if best is None or count < best[0]:
                    best = (count, sampler.snapshot())
                if count == 0:
                    break
            sampler.restore(best[1])
            if self._bars_so_far(sampler.tokens) > bars:
                break
        return sampler.tokens

    def _marks(self, tokens: list[int], since_step: int) -> int:
        """The harmony critic's marks at onsets from ``since_step`` on (every rule but the ending's,
        which a piece still being written always breaks), judged with two bars before as context."""
        try:
            score = make_monophonic(self.tokenizer.decode(tokens))[0]
        except Exception:  # a half-written sequence may not decode yet
            return 0
        if score.num_voices != 4:
            return 0
        window = score.notes_starting_between(since_step - 2 * score.steps_per_bar, score.num_steps)
        return sum(1 for mark in critique(window).marks if mark.rule not in ENDING_RULES and mark.step >= since_step)

    def _steps_so_far(self, tokens: list[int]) -> int:
        """The step after the last onset decoded so far: notes of a new stretch start there or later."""
        try:
            score = make_monophonic(self.tokenizer.decode(tokens))[0]
        except Exception:  # a half-written sequence may not decode yet
            return 0
        return max((n.onset_step + 1 for v in score.voices for n in v.notes), default=0)

    def _bars_so_far(self, tokens: list[int]) -> int:
        try:
            score = self.tokenizer.decode(tokens)
        except Exception:  # a half-written sequence may not decode yet
            return 0
        return len(score.bar_lines()) - (1 if score.anacrusis_steps else 0)

    def _decode(self, tokens: list[int], bars: int) -> tuple[Score | None, str | None]:
        try:
            score = self.tokenizer.decode(tokens)
        except Exception as error:  # miditok raises several types on illegal orders
            return None, f"tokens do not decode ({type(error).__name__})"
        missing = [v.name for v in score.voices if not v.notes]
        if missing:
            return None, f"no notes in {', '.join(missing)}"
        end = score.anacrusis_steps + bars * score.steps_per_bar
        if score.num_steps < end - score.steps_per_bar // 2:
            return None, f"only {(score.num_steps - score.anacrusis_steps) / score.steps_per_bar:.1f} bars"
        return cut_at_step(score, end), None


def cut_at_step(score: Score, end_step: int) -> Score:
    """Notes starting before ``end_step``, shortened to end there."""
    voices = []
    for voice in score.voices:
        notes = tuple(dataclasses.replace(n, duration_steps=min(n.duration_steps, end_step - n.onset_step))
                      for n in voice.notes if n.onset_step < end_step)
        voices.append(Voice(voice.name, notes, voice.program))
    return score.replace(voices=tuple(voices))


def make_monophonic(score: Score) -> tuple[Score, int]:
    """Trim overlaps inside each voice (a chord keeps its outer note: highest in S/A, lowest in T/B).

    Returns the repaired score and how many notes were trimmed or dropped.
    """
    changed = 0
    voices = []
    for index, voice in enumerate(score.voices):
        by_onset: dict[int, Note] = {}
        for n in voice.notes:
            kept = by_onset.get(n.onset_step)
            better = kept is None or (n.pitch > kept.pitch if index < 2 else n.pitch < kept.pitch)
            by_onset[n.onset_step] = n if better else kept
            changed += kept is not None
        notes = sorted(by_onset.values())
        trimmed = []
        for a, b in zip(notes, notes[1:] + [None]):
            if b is not None and a.end_step > b.onset_step:
                a = dataclasses.replace(a, duration_steps=b.onset_step - a.onset_step)
                changed += 1
            trimmed.append(a)
        voices.append(Voice(voice.name, tuple(trimmed), voice.program))
    return score.replace(voices=tuple(voices)), changed


def transpose_to_key(score: Score, key: Key, notes: list[str]) -> Score:
    """Move the score so its detected tonic becomes ``key``'s (-6..+5 semitones); the mode stays."""
    from midistyle.models.harmonizer_data import detect_key

    merged = score.replace(voices=(Voice("all", tuple(n for v in score.voices for n in v.notes)),))
    detected = detect_key(merged)
    shift = (key.tonic_pitch_class - detected.tonic_pitch_class + 6) % 12 - 6
    moved = score.transpose(shift)
    if detected.mode != key.mode:
        notes.append(f"generated in {detected}; moved by {shift:+d} semitones, its mode kept")
        return moved
    return moved.replace(key=key)
