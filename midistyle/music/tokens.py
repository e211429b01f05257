"""Score <-> token ids through a miditok tokenizer built from one config object.

All voices go in one stream (``use_programs`` with one token stream); each voice
is told apart by a *Program* token whose number is the voice index (0 = soprano
… 3 = bass). These programs are labels, not timbres: the renderer chooses
instruments. Velocities and the key are not tokenized (chorale scores carry no
dynamics; the key is implied by the notes): decoded notes get velocity 80 and
the score no key.

The MIDI conversion is the same one files use (:mod:`midistyle.music.midi`),
so pickups travel as a short first time signature, exactly as in a MIDI file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import miditok

from midistyle.errors import InputError
from midistyle.music.io import write_atomically
from midistyle.music.midi import score_to_symusic, symusic_to_score
from midistyle.music.score import Note, Score, Voice, make_voices

SCHEMES = ("REMI", "TSD")
SPECIAL_TOKENS = ("PAD", "BOS", "EOS")
# Time signatures a tokenizer can say, including the short ones that mark pickups.
TIME_SIGNATURES = {2: [1, 2, 3, 4], 4: [1, 2, 3, 4, 5, 6, 7], 8: [1, 2, 3, 5, 6, 9, 12], 16: [1, 3]}


@dataclass(frozen=True)
class TokenizerConfig:
    """Everything that defines a tokenizer; saved with it and with models that use it.

    Attributes
    ----------
    scheme : str
        ``"REMI"`` (bars and positions; the default) or ``"TSD"`` (time shifts).
    steps_per_quarter : int
        Time resolution of positions and durations (4: 16th notes).
    max_duration_quarters : int
        Longest note duration that has a token; longer notes are cut to it.
    pitch_range : tuple of (int, int)
        Lowest and highest+1 MIDI pitch with a token.
    num_voices : int
        Voices, i.e. Program tokens 0..num_voices-1.
    bpe_vocab_size : int
        Vocabulary size after BPE training; 0 keeps the base vocabulary.
    """

    scheme: str = "REMI"
    steps_per_quarter: int = 4
    max_duration_quarters: int = 16
    pitch_range: tuple[int, int] = (21, 109)
    num_voices: int = 4
    bpe_vocab_size: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "pitch_range", tuple(self.pitch_range))
        if self.scheme not in SCHEMES:
            raise InputError(f"scheme={self.scheme!r} must be one of {', '.join(SCHEMES)}")
        if not 1 <= self.num_voices <= 16:
            raise InputError(f"num_voices={self.num_voices} must be in 1..16")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> TokenizerConfig:
        return cls(**json.loads(text))


@dataclass
class ScoreTokenizer:
    """A miditok tokenizer plus the config that built it; encodes scores, decodes ids."""

    config: TokenizerConfig
    miditok_tokenizer: miditok.MusicTokenizer = field(repr=False)

    @property
    def vocab_size(self) -> int:
        return len(self.miditok_tokenizer)

    @property
    def pad_id(self) -> int:
        return self.miditok_tokenizer["PAD_None"]

    @property
    def bos_id(self) -> int:
        return self.miditok_tokenizer["BOS_None"]

    @property
    def eos_id(self) -> int:
        return self.miditok_tokenizer["EOS_None"]

    def fingerprint(self) -> str:
        """A SHA-256 of everything that decides the ids (miditok's config, vocabulary and BPE merges,
        and ours): two tokenizers with one fingerprint encode every score alike."""
        content = {"miditok": self.miditok_tokenizer.to_dict(), "midistyle": asdict(self.config)}
        return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()

    def encode(self, score: Score) -> list[int]:
        """Token ids of a score (BPE applied when trained), without BOS/EOS."""
        if score.num_voices > self.config.num_voices:
            raise InputError(
                f"score has {score.num_voices} voices; this tokenizer knows {self.config.num_voices}"
            )
        return list(self.miditok_tokenizer.encode(_voices_as_programs(score)).ids)

    def decode(self, ids: Sequence[int], *, steps_per_quarter: int | None = None) -> Score:
        """A score from token ids; special tokens are skipped, voices ordered by program.

        Raises
        ------
        InputError
            When the ids decode to no notes.
        """
        specials = {self.pad_id, self.bos_id, self.eos_id}
        kept = [int(i) for i in ids if int(i) not in specials]
        if not kept:
            raise InputError("token sequence has no musical tokens")
        midi = self.miditok_tokenizer.decode(kept)
        score = symusic_to_score(midi, steps_per_quarter=steps_per_quarter or self.config.steps_per_quarter)
        by_program = {track.program: v for v, track in
                      enumerate(t for t in midi.tracks if not t.is_drum and len(t.notes))}
        notes = [  # velocities are not tokenized: every note gets the default velocity
            [Note(n.onset_step, n.pitch, n.duration_steps) for n in score.voices[by_program[p]].notes]
            if p in by_program else []
            for p in range(self.config.num_voices)
        ]
        return score.replace(voices=make_voices(notes))

    def next_onset_step(self, ids: Sequence[int]) -> int:
        """The step after the last note onset that ``ids`` decode to (0 when none decode).

        What ``decode`` followed by ``max(onset + 1)`` over its voices gives, for a sampler that
        asks often how far a half-written piece has got, without building the score.
        """
        specials = {self.pad_id, self.bos_id, self.eos_id}
        kept = [int(i) for i in ids if int(i) not in specials]
        if not kept:
            return 0
        try:
            midi = self.miditok_tokenizer.decode(kept)
        except Exception:  # a half-written sequence may not decode yet, as in ``decode``
            return 0
        steps_per_tick = self.config.steps_per_quarter / midi.ticks_per_quarter
        last_ticks = [track.notes.numpy()["time"].max() for track in midi.tracks
                      if not track.is_drum and track.program < self.config.num_voices and len(track.notes)]
        return round(max(last_ticks) * steps_per_tick) + 1 if last_ticks else 0

    def train_bpe(self, scores: Sequence[Score], *, vocab_size: int | None = None) -> None:
        """Learn BPE merges on ``scores`` (via temporary MIDI files, miditok's public path)."""
        vocab_size = vocab_size or self.config.bpe_vocab_size
        if vocab_size <= self.vocab_size:
            raise InputError(f"bpe vocab_size={vocab_size} must exceed the base vocabulary {self.vocab_size}")
        with tempfile.TemporaryDirectory(prefix="midistyle-bpe-") as folder:
            paths = []
            for index, score in enumerate(scores):
                path = Path(folder) / f"{index:05d}.mid"
                _voices_as_programs(score).dump_midi(str(path))
                paths.append(path)
            self.miditok_tokenizer.train(vocab_size=vocab_size, model="BPE", files_paths=paths)
        self.config = TokenizerConfig(**{**asdict(self.config), "bpe_vocab_size": vocab_size})

    def save(self, path: str | os.PathLike) -> Path:
        """Write miditok's JSON (vocabulary, merges) with our config under ``"midistyle"``."""
        with tempfile.TemporaryDirectory(prefix="midistyle-tok-") as folder:
            raw = Path(folder) / "tokenizer.json"
            self.miditok_tokenizer.save(raw)
            content = json.loads(raw.read_text())
        content["midistyle"] = asdict(self.config)
        text = json.dumps(content)
        return write_atomically(path, lambda temporary: temporary.write_text(text))

    @classmethod
    def load(cls, path: str | os.PathLike) -> ScoreTokenizer:
        path = Path(path)
        try:
            content = json.loads(path.read_text())
            config = TokenizerConfig(**content["midistyle"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise InputError(f"{path}: not a midistyle tokenizer file ({error})") from None
        tokenizer_class = getattr(miditok, config.scheme)
        return cls(config, tokenizer_class(params=path))


def _voices_as_programs(score: Score):
    """The score in symusic form with voice ``i`` on program ``i`` (how tokens tell voices apart)."""
    voices = tuple(Voice(v.name, v.notes, program=i) for i, v in enumerate(score.voices))
    return score_to_symusic(score.replace(voices=voices))


def build_tokenizer(config: TokenizerConfig | None = None) -> ScoreTokenizer:
    """A fresh (untrained) tokenizer for ``config`` (default: REMI, 16th grid, 4 voices)."""
    config = config or TokenizerConfig()
    max_beats = config.max_duration_quarters
    miditok_config = miditok.TokenizerConfig(
        pitch_range=config.pitch_range,
        beat_res={(0, max_beats): config.steps_per_quarter},
        use_velocities=False,
        use_programs=True,
        one_token_stream_for_programs=True,
        programs=list(range(config.num_voices)),
        use_time_signatures=True,
        time_signature_range=TIME_SIGNATURES,
        special_tokens=list(SPECIAL_TOKENS),
    )
    return ScoreTokenizer(config, getattr(miditok, config.scheme)(miditok_config))
