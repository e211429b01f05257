"""Sampling chorale tokens without parallel fifths and octaves (and, in a known key, without
cross-relations and augmented or diminished steps): a token that would write one is drawn again.

The chorale model writes REMI tokens (``Bar``, ``TimeSig``, ``Position``, ``Program`` = voice,
``Pitch``, ``Duration``), merged by BPE into ids that each stand for a few of them. While sampling,
:class:`ParallelGuard` follows what each voice last sounded; before an id is taken it plays the id's
tokens on a copy of that state, and refuses it when a new note makes consecutive fifths or octaves
(unisons included) with a voice that starts a note at the same onset, both moving the same way from
what sounded just before: the harmony critic's ``parallel_fifths`` and ``parallel_octaves``
(:func:`midistyle.music.motion.perfect_motion`, the function the critic uses). Fifths and octaves
by contrary motion are left alone: Bach writes them (0.41 per 100 beats in his train chorales).

Once the caller gives it a key (``VoiceState.key``; the chorale generator sets its estimate from
the music so far, from the first bar on and before each stretch, and judges its retries in that key
too), the guard also refuses the two rules the critic spells in a key: a new note sounding one
letter with two accidentals against another voice (a simultaneous cross-relation, F against F#,
spelled in that key or in its parallel, dominant or subdominant, since the finished piece may be
read in one of those: :func:`_spellings`), and a voice moving by an augmented or diminished interval
from the note it has just ended, in that key (:func:`midistyle.music.keys.is_augmented_or_diminished`;
a seventh or a leap beyond an octave is the critic's leap rule instead).
With parallels alone refused, the generator wrote these at 3.6 and 1.8 times Bach's rates.

The sampler (:class:`midistyle.models.chorale_sampling.TokenSampler`) draws again without the
refused id, up to ``MAX_REFUSALS`` times or until the nucleus is used up; then it takes the
likeliest id of the whole distribution that makes neither a parallel nor a leap of a seventh or
more (nor, with a key, a cross-relation or an augmented or diminished step), among the
``FALLBACK_IDS`` likeliest; if none does, it keeps its first draw (which breaks the rule). The
parallel check sees only notes that start together, so a note held under another voice's move is
never refused for parallels; like the critic, it compares each note with what the voices sounded at the
onset before, across a rest between them. Two notes of one voice at one onset keep the one
:func:`midistyle.models.compose.make_monophonic` keeps (the highest in soprano and alto, the
lowest in tenor and bass).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from midistyle.music.keys import is_augmented_or_diminished, key_of_tonic, letters_in_key
from midistyle.music.motion import PARALLEL_FIFTHS, PARALLEL_OCTAVES, leap_rule, perfect_motion
from midistyle.music.score import Key

MAX_REFUSALS = 16  # ids drawn again in one step before the sampler looks past its draws
FALLBACK_IDS = 64  # then the likeliest ids it looks through for one the guard allows, without 7th leaps
UNITS_PER_WHOLE = 64  # time in 1/16 of a quarter, so that a position of any beat (4 per beat) is whole


@dataclass
class VoiceState:
    """What the guard knows of the tokens so far.

    Attributes
    ----------
    bar_start, bar_length, position : int
        In units of 1/16 quarter (``UNITS_PER_WHOLE`` per whole note).
    beat : int
        The time signature's beat in those units (a quarter in 4/4, an eighth in 6/8); 4/4 until a
        time signature is read, as miditok assumes.
    positions_per_beat : int
        ``Position`` tokens per beat (the tokenizer's resolution).
    voice : int
        The voice of the last ``Program`` token (-1 before any).
    bars_seen : int
        ``Bar`` tokens read (the first one starts bar 0 rather than ending one).
    notes : dict of int -> list of [onset, pitch, end]
        The last two notes of each voice (``end`` -1 until its duration is read).
    key : Key or None
        The key notes are spelled in (the caller's estimate, from the music so far, of the key the
        critic will read); with one, the guard also refuses cross-relations and augmented or
        diminished melodic intervals (:meth:`ParallelGuard.allows`).
    """

    bar_start: int = 0
    bar_length: int = UNITS_PER_WHOLE
    position: int = 0
    beat: int = UNITS_PER_WHOLE // 4
    positions_per_beat: int = 4
    voice: int = -1
    bars_seen: int = 0
    notes: dict[int, list[list[int]]] = field(default_factory=dict)
    key: Key | None = None

    def next_onset_step(self, units_per_step: int) -> int:
        """The step after the last note onset read (0 before any): what
        :meth:`midistyle.music.tokens.ScoreTokenizer.next_onset_step` reads from the tokens, without
        decoding them; ``units_per_step`` is ``UNITS_PER_WHOLE // 4 // steps_per_quarter``."""
        # a note counts once its duration is read, as miditok builds it
        onsets = [next((n[0] for n in reversed(notes) if n[2] >= 0), -1) for notes in self.notes.values()]
        last = max(onsets, default=-1)
        return last // units_per_step + 1 if last >= 0 else 0

    def copy(self) -> VoiceState:
        return VoiceState(self.bar_start, self.bar_length, self.position, self.beat, self.positions_per_beat,
                          self.voice, self.bars_seen, {v: [list(n) for n in notes] for v, notes in self.notes.items()},
                          self.key)


class ParallelGuard:
    """Follows REMI tokens (BPE ids) and says which ids would write parallel fifths or octaves (and,
    once ``VoiceState.key`` is set, cross-relations or augmented or diminished steps).

    Parameters
    ----------
    tokenizer : midistyle.music.tokens.ScoreTokenizer
        The chorale model's tokenizer (REMI, voices as programs, BPE or not).
    """

    def __init__(self, tokenizer):
        vocab = tokenizer.miditok_tokenizer
        self._parts = token_parts(tokenizer)  # id -> ((kind, value), ...)
        self._writes_note = [any(kind == "Pitch" for kind, _ in parts) for parts in self._parts]  # id -> bool
        self._positions_per_beat = int(vocab.config.max_num_pos_per_beat)

    def start(self, tokens) -> VoiceState:
        """The state after ``tokens`` (ids)."""
        state = VoiceState(positions_per_beat=self._positions_per_beat)
        for token in tokens:
            self.advance(state, int(token))
        return state

    def advance(self, state: VoiceState, token: int) -> None:
        """Play id ``token`` on ``state`` (in place)."""
        for kind, value in self._parts[token]:
            _feed(state, kind, value)

    def allows(self, state: VoiceState, token: int, *, leaps: bool = False) -> bool:
        """Whether id ``token`` writes no parallel fifth or octave after ``state`` (left unchanged),
        and, when ``state.key`` is set, no cross-relation nor augmented or diminished melodic
        interval; with ``leaps``, no melodic leap of a seventh or beyond an octave either."""
        if not self._writes_note[token]:
            return True
        trial = state.copy()
        for kind, value in self._parts[token]:
            if kind == "Pitch" and trial.voice >= 0:
                if _makes_parallel(trial, trial.voice, value) or (leaps and _awkward_leap(trial, trial.voice, value)):
                    return False
                if trial.key is not None and (_cross_relation(trial, trial.voice, value)
                                              or _augmented_or_diminished(trial, trial.voice, value)):
                    return False
            _feed(trial, kind, value)
        return True


def token_parts(tokenizer) -> list[tuple[tuple[str, object], ...]]:
    """For each id of ``tokenizer`` (a :class:`midistyle.music.tokens.ScoreTokenizer`), the REMI
    tokens it stands for, parsed: ``(("Program", 0), ("Pitch", 60), ("Duration", (1, 0, 4)))``."""
    return [_parse(part) for part in _base_tokens(tokenizer.miditok_tokenizer, tokenizer.vocab_size)]


def _base_tokens(vocab, size: int) -> list[tuple[str, ...]]:
    """For each id, the REMI tokens it stands for (one each without BPE)."""
    if not getattr(vocab, "is_trained", False):
        return [(vocab[i],) for i in range(size)]
    learned = vocab._vocab_learned_bytes_to_tokens  # miditok's map from a BPE token's bytes to its tokens
    model = vocab._model
    return [tuple(learned.get(model.id_to_token(i), (model.id_to_token(i),))) for i in range(size)]


def _parse(tokens: tuple[str, ...]) -> tuple[tuple[str, object], ...]:
    """("Pitch_60", "Duration_1.0.4") -> (("Pitch", 60), ("Duration", (1, 0, 4))); others kept as text."""
    parsed = []
    for token in tokens:
        kind, _, value = token.partition("_")
        if kind in ("Pitch", "Position", "Program"):
            parsed.append((kind, int(value)))
        elif kind == "Duration":
            beats, ticks, per_beat = (int(x) for x in value.split("."))
            parsed.append((kind, (beats, ticks, per_beat)))
        elif kind == "TimeSig":
            numerator, denominator = (int(x) for x in value.split("/"))
            parsed.append((kind, (numerator, denominator)))
        else:
            parsed.append((kind, value))
    return tuple(parsed)


def _feed(state: VoiceState, kind: str, value) -> None:
    """One REMI token on ``state``."""
    if kind == "Bar":
        if state.bars_seen:
            state.bar_start += state.bar_length
        state.bars_seen += 1
        state.position = 0
    elif kind == "TimeSig":
        numerator, denominator = value
        state.beat = UNITS_PER_WHOLE // denominator
        state.bar_length = numerator * state.beat
    elif kind == "Position":
        state.position = value * state.beat // state.positions_per_beat
    elif kind == "Program":
        state.voice = value
    elif kind == "Pitch" and state.voice >= 0:
        notes = state.notes.setdefault(state.voice, [])
        onset = state.bar_start + state.position
        if notes and notes[-1][0] == onset:  # a second note at one onset: the outer one stays
            if value > notes[-1][1] if state.voice < 2 else value < notes[-1][1]:
                notes[-1] = [onset, value, -1]
            return
        notes.append([onset, value, -1])
        del notes[:-2]
    elif kind == "Duration" and state.voice in state.notes:
        beats, ticks, per_beat = value
        note = state.notes[state.voice][-1]
        if note[2] < 0:
            note[2] = note[0] + beats * state.beat + ticks * state.beat // per_beat


def _sounding_before(notes: list[list[int]], onset: int, previous: int) -> int | None:
    """The pitch a voice sounds at the onset before ``onset`` (``previous``, any voice's), as the
    critic's onset slices see it: its last note starting before ``onset``, if it still sounds at
    ``previous`` (a note whose duration is not read yet still sounds)."""
    earlier = [n for n in notes if n[0] < onset]
    if not earlier:
        return None
    start, pitch, end = earlier[-1]
    return pitch if end < 0 or end > previous else None


def _awkward_leap(state: VoiceState, voice: int, pitch: int) -> bool:
    """Whether ``voice`` leaps to ``pitch`` by a seventh or beyond an octave from its last note."""
    notes = state.notes.get(voice)
    return bool(notes) and leap_rule(notes[-1][1], np.array([pitch]))[0] != 0


def _cross_relation(state: VoiceState, voice: int, pitch: int) -> bool:
    """Whether ``pitch`` starting now in ``voice`` sounds one letter with two accidentals against a
    note another voice sounds now (F against F#), spelled as the critic spells it in ``state.key``
    or in a key the finished piece may be read in instead (:func:`_spellings`)."""
    onset = state.bar_start + state.position
    for other, notes in state.notes.items():
        if other == voice or not notes:
            continue
        start, other_pitch, end = notes[-1]
        if start <= onset and (end < 0 or end > onset) and (pitch - other_pitch) % 12 in (1, 11) \
                and any(letters[pitch % 12] == letters[other_pitch % 12] for letters in _spellings(state.key)):
            return True
    return False


def _augmented_or_diminished(state: VoiceState, voice: int, pitch: int) -> bool:
    """Whether ``voice`` moves to ``pitch`` by an augmented or diminished interval from the note it
    has just ended, as the critic reads it: a rest between them breaks the line, and a seventh or a
    leap beyond an octave is marked as that instead."""
    onset = state.bar_start + state.position
    earlier = [n for n in state.notes.get(voice, []) if n[0] < onset]
    if not earlier:
        return False
    _, before, end = earlier[-1]
    # a note overlapping this one is trimmed to end here (make_monophonic), so it too leads into it;
    # a seventh or a leap beyond an octave is the critic's leap rule, not this one
    return before != pitch and (end < 0 or end >= onset) and leap_rule(before, np.array([pitch]))[0] == 0 \
        and _spelled_awkward(before, pitch, state.key)


_spelled_awkward = functools.lru_cache(maxsize=16384)(is_augmented_or_diminished)  # asked per drawn pitch


@functools.lru_cache(maxsize=32)
def _spellings(key: Key) -> tuple[tuple[int, ...], ...]:
    """The letter (0 = C … 6 = B) each pitch class is spelled with, shape (12,), in ``key`` and in
    the keys the finished piece may be read in instead: its parallel, dominant and subdominant (each
    with the fewest accidentals, as :func:`midistyle.music.keys.estimate_key` names keys).

    The key comes from the music so far, and the critic reads the finished piece in the key of the
    whole: a piece heard in C# minor at bar 3 may be read in Db major, where Db against D is a
    cross-relation that C# against D was not (3 of the 5 the guard let through in 40 pieces; a
    dominant's spelling, 1 more).
    """
    tonic = key.tonic_pitch_class
    keys = (key, key_of_tonic(tonic, "minor" if key.mode == "major" else "major"),
            key_of_tonic(tonic + 7, key.mode), key_of_tonic(tonic + 5, key.mode))
    return tuple(dict.fromkeys(letters_in_key(k.sharps, k.mode) for k in keys))


def _makes_parallel(state: VoiceState, voice: int, pitch: int) -> bool:
    """Whether ``voice`` starting ``pitch`` now makes parallel fifths/octaves with a voice that
    starts a note at the same onset (the move from the onset before, as the critic reads it)."""
    onset = state.bar_start + state.position
    previous = max((n[0] for notes in state.notes.values() for n in notes if n[0] < onset), default=None)
    if previous is None:
        return False
    before = _sounding_before(state.notes.get(voice, []), onset, previous)
    if before is None:
        return False
    for other, notes in state.notes.items():
        if other == voice or not notes or notes[-1][0] != onset:
            continue
        other_before = _sounding_before(notes, onset, previous)
        if other_before is None:
            continue
        upper, lower = (other, voice) if other < voice else (voice, other)  # programs count from the soprano
        pitches = {other: (other_before, notes[-1][1]), voice: (before, pitch)}
        code = perfect_motion(np.array([pitches[upper][0], pitches[lower][0]]),
                              np.array([[pitches[upper][1], pitches[lower][1]]]))[0, 0, 1]
        if code in (PARALLEL_FIFTHS, PARALLEL_OCTAVES):
            return True
    return False
