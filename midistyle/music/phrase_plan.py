"""A phrase plan for a piece still to be written: where its fermatas fall, drawn from Bach's.

Bach's chorales are made of short phrases, each closed by a cadence under a fermata; in 4/4 with a
one-beat pickup a phrase usually runs from the pickup to beat 3 two bars later (8 beats from one
fermata to the next), the final chord is held to the end of its bar. ``plan_phrases`` draws a plan
from those statistics (``bach_phrase_lengths.json``, counted on the train split by
:mod:`midistyle.data.phrase_lengths`), seeded:

* with ``bars=N`` the final chord falls where Bach's do in bar N (beat 3 in 4/4 after a pickup, or
  as second choice where his others fall: beat 1) and is held to the bar line; the phrase ends
  before it are drawn one gap at a time, and a last phrase shorter than Bach's median gap is
  joined to the one before (when the two fit a drawable gap);
* with ``phrases=K`` there are K phrase ends, and the piece ends at the bar line after the last,
  holding it at least a beat.

Values rarer than :data:`MIN_SHARE` of Bach's, and gaps shorter than a bar, are not drawn. A
prompt's fermatas (``kept_ends``) stay in the plan; new ends start after the prompt.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from midistyle.errors import InputError
from midistyle.music.score import Note, Score, Voice

PHRASE_LENGTHS_PATH = Path(__file__).with_name("bach_phrase_lengths.json")
MIN_SHARE = 0.03  # values rarer than this among Bach's are not drawn
DEFAULT_GROUP = "4/4, pickup 1"  # the commonest: a meter with no statistics of its own borrows these
MAX_BARS = 64


def meter_group(time_signature: tuple[int, int], pickup_beats: float) -> str:
    """The statistics' key for a meter and a pickup length in beats, e.g. ``"4/4, pickup 1"``."""
    return f"{time_signature[0]}/{time_signature[1]}, pickup {pickup_beats:g}"


@functools.lru_cache(maxsize=1)
def bach_phrase_statistics() -> dict:
    """The committed table of :mod:`midistyle.data.phrase_lengths` (per meter group)."""
    return json.loads(PHRASE_LENGTHS_PATH.read_text())["groups"]


@dataclass(frozen=True)
class PhrasePlan:
    """Where a piece's phrases end.

    Attributes
    ----------
    ends : tuple of int
        Onset step of each phrase's last chord (its fermata), ascending; the last is the final chord.
    end_step : int
        Where the piece ends, a bar line; the final chord is held to it.
    group : str
        The meter group whose statistics were drawn from.
    steps_per_bar, beat_steps, anacrusis_steps : int
        The grid the steps count on.
    final_choices : tuple of int
        Other steps where the final chord may fall instead, as Bach's do (beat 1 of the last bar
        besides beat 3 in 4/4), the commoner first; a sampler that finds no cadence at the planned
        one may end there (:meth:`with_final`).
    """

    ends: tuple[int, ...]
    end_step: int
    group: str
    steps_per_bar: int
    beat_steps: int
    anacrusis_steps: int
    final_choices: tuple[int, ...] = ()

    def with_final(self, step: int) -> PhrasePlan:
        """The plan with its final chord at ``step`` (the planned step or one of ``final_choices``)."""
        if step != self.final_step and step not in self.final_choices:
            raise ValueError(f"step {step} is not a place planned for the final chord")
        others = tuple(sorted({self.final_step, *self.final_choices} - {step}))
        return dataclasses.replace(self, ends=(*self.ends[:-1], step), final_choices=others)

    @property
    def final_step(self) -> int:
        return self.ends[-1]

    @property
    def bars(self) -> int:
        """Whole bars after the pickup."""
        return (self.end_step - self.anacrusis_steps) // self.steps_per_bar

    def describe(self) -> str:
        """E.g. ``"4 phrases, fermatas at 2:3, 4:3, 6:3, 8:3 (bar:beat)"``; bar 1 is the first full bar."""
        places = []
        for step in self.ends:
            bar, within = divmod(step - self.anacrusis_steps, self.steps_per_bar)
            places.append(f"{bar + 1}:{within / self.beat_steps + 1:g}")
        count = len(self.ends)
        return f"{count} phrase{'s' * (count != 1)}, fermatas at {', '.join(places)} (bar:beat)"


def _distribution(counts: dict[str, int], *, at_least: float = -math.inf) -> tuple[np.ndarray, np.ndarray]:
    """(values in beats, probabilities) of the values at least ``at_least`` with a share >= MIN_SHARE."""
    values = np.array([float(v) for v in counts])
    weights = np.array(list(counts.values()), dtype=float)
    keep = (weights / weights.sum() >= MIN_SHARE) & (values >= at_least)
    if not keep.any():  # nothing common enough: the commonest value at or above the floor
        allowed = values >= at_least
        if not allowed.any():
            return np.array([at_least]), np.array([1.0])
        keep = allowed & (weights == weights[allowed].max())
    return values[keep], weights[keep] / weights[keep].sum()


def has_bach_meter(time_signature: tuple[int, int]) -> bool:
    """Whether Bach's phrase table plans pieces in this meter from their own statistics (4/4, 3/4,
    3/2; his one 12/8 chorale has a single phrase, so 12/8 is planned with the default group)."""
    return any(name.startswith(f"{time_signature[0]}/{time_signature[1]},") for name in _planned_groups())


def _planned_groups() -> dict:
    """Bach's phrase statistics per meter group, those with a whole table (not one piece, one phrase)."""
    return {name: table for name, table in bach_phrase_statistics().items()
            if all(key in table for key in ("first_end", "gaps", "final_beat_in_bar"))}


def _group(time_signature: tuple[int, int], pickup_beats: float) -> tuple[str, dict]:
    """The statistics for a meter: its own, else the best counted pickup of the same meter, else the
    default group; a group that lacks a table (one piece, one phrase) counts as missing."""
    statistics = _planned_groups()
    name = meter_group(time_signature, pickup_beats)
    if name in statistics:
        return name, statistics[name]
    same_meter = [g for g in statistics if g.startswith(f"{time_signature[0]}/{time_signature[1]},")]
    if same_meter:  # another pickup of the same meter: the best counted
        name = max(same_meter, key=lambda g: statistics[g]["pieces"]["all"])
        return name, statistics[name]
    return DEFAULT_GROUP, statistics[DEFAULT_GROUP]


def plan_phrases(
    time_signature: tuple[int, int],
    steps_per_bar: int,
    beat_steps: int,
    anacrusis_steps: int,
    *,
    rng: np.random.Generator,
    bars: int | None = None,
    phrases: int | None = None,
    kept_ends: tuple[int, ...] = (),
    start_step: int = 0,
) -> PhrasePlan:
    """Draw a phrase plan for ``bars`` whole bars (after the pickup) or ``phrases`` phrases.

    Parameters
    ----------
    kept_ends : tuple of int
        Phrase ends already written (a prompt's fermatas); kept, and new ends follow them.
    start_step : int
        Where the music still to be written starts (the end of a prompt); new ends fall at or after it.

    Raises
    ------
    InputError
        Neither or both of ``bars`` and ``phrases``; values out of range; a plan longer than 64 bars.
    """
    if (bars is None) == (phrases is None):
        raise InputError("give the length in bars or in phrases, not both")
    if bars is not None and not 1 <= bars <= MAX_BARS:
        raise InputError(f"bars={bars} must be in 1..{MAX_BARS}")
    if phrases is not None and not 1 <= phrases <= 32:
        raise InputError(f"phrases={phrases} must be in 1..32")
    group, table = _group(time_signature, anacrusis_steps / beat_steps)
    bar_beats = steps_per_bar / beat_steps
    gaps, gap_p = _distribution(table["gaps"], at_least=bar_beats)
    firsts, first_p = _distribution(table["first_end"], at_least=0)
    kept = tuple(sorted(e for e in kept_ends if e < start_step))

    def draw(values, p) -> int:
        return int(round(float(rng.choice(values, p=p)) * beat_steps))

    position = kept[-1] + draw(gaps, gap_p) if kept else anacrusis_steps + draw(firsts, first_p)
    while position < start_step:  # a prompt without fermatas: the first new end after it
        position += draw(gaps, gap_p)
    if phrases is not None:
        ends = list(kept)
        while len(ends) < max(phrases, len(kept) + 1):
            ends.append(position)
            position += draw(gaps, gap_p)
        held_to = ends[-1] + beat_steps  # the final chord sounds at least a beat, to the bar line after
        end_step = anacrusis_steps + math.ceil((held_to - anacrusis_steps) / steps_per_bar) * steps_per_bar
        if end_step - anacrusis_steps > MAX_BARS * steps_per_bar:
            raise InputError(f"{phrases} phrases would take more than {MAX_BARS} bars")
        return PhrasePlan(tuple(ends), end_step, group, steps_per_bar, beat_steps, anacrusis_steps)

    end_step = anacrusis_steps + bars * steps_per_bar
    finals, final_p = _distribution({beat: count for beat, count in table["final_beat_in_bar"].items()
                                     if float(beat) < bar_beats - 0.5} or {"0": 1})  # inside this bar
    final = end_step - steps_per_bar + int(round(float(finals[np.argmax(final_p)]) * beat_steps))
    floor = max([start_step, *(e + beat_steps for e in kept)])
    if final < floor:  # a short piece after a long prompt: the final chord on the last beat it can take
        final = max(floor, end_step - beat_steps)
    if final >= end_step:
        raise InputError(f"bars={bars} leaves no room after the prompt for a final chord")
    ends = list(kept)
    while position <= final - gaps.min() * beat_steps:
        ends.append(position)
        position += draw(gaps, gap_p)
    # the last phrase is what was left over: when shorter than Bach's usual, join it to the one before
    usual, longest = float(np.median(np.repeat(gaps, np.round(gap_p * 1000).astype(int)))), gaps.max()
    while len(ends) > len(kept) and final - ends[-1] < usual * beat_steps:
        before = ends[-2] if len(ends) >= 2 else anacrusis_steps - beat_steps
        if final - before > longest * beat_steps:
            break
        ends.pop()
    last_inner = ends[-1] if ends else start_step - beat_steps
    order = np.argsort(-final_p, kind="stable")
    choices = tuple(step for step in (end_step - steps_per_bar + int(round(float(finals[i]) * beat_steps))
                                      for i in order[1:])
                    if last_inner + beat_steps < step < end_step and step >= start_step)
    return PhrasePlan((*ends, final), end_step, group, steps_per_bar, beat_steps, anacrusis_steps, choices)


def hold_phrase_ends(score: Score, plan: PhrasePlan, *, written_to: int | None = None,
                     from_step: int = 0) -> tuple[Score, int]:
    """Hold each phrase's last chord under its fermata, end the piece on the final chord, and
    rest only after a fermata.

    At an inner phrase end every voice keeps the note it sounds there for at least a beat; a note
    that starts inside that beat starts at its end instead (or goes, if it ends by then). The
    final chord is held to ``plan.end_step`` and nothing starts after it. The plan's ends become the
    score's fermatas. A voice that falls silent inside a phrase (from ``from_step`` on: after a
    prompt, say) holds its note to its next one instead: Bach's voices rest after a fermata chord
    (5.2 rests per 100 beats in his test chorales) and almost never inside a phrase (0.05).

    ``written_to`` (a piece still being written, up to that step): only the inner ends whose held
    beat it covers are held and marked, so the music so far can be judged as it will be written.

    Returns
    -------
    (Score, int)
        The held score and how many notes were lengthened, moved, shortened or removed.
    """
    ends = plan.ends if written_to is None else \
        tuple(e for e in plan.ends[:-1] if e + plan.beat_steps <= written_to)
    changed = 0
    voices = []
    for voice in score.voices:
        notes = list(voice.notes)
        for end in ends:
            final = end == plan.final_step
            notes, count = _hold(notes, end, plan.end_step if final else end + plan.beat_steps, final)
            changed += count
        notes, count = _fill_rests(notes, plan.ends, from_step)
        changed += count
        voices.append(Voice(voice.name, tuple(notes), voice.program))
    return score.replace(voices=tuple(voices), fermata_steps=ends), changed


def _fill_rests(notes: list[Note], ends: tuple[int, ...], from_step: int) -> tuple[list[Note], int]:
    """One voice's notes with each rest from ``from_step`` on that lies inside a phrase filled by
    holding the note before it. A rest after a phrase's last chord (the note before it sounds at one
    of ``ends``) is left, and so is a rest across a phrase end (holding the note before it would
    sound the chord before the fermata under it)."""
    out, changed = list(notes), 0
    for i, (note, following) in enumerate(zip(notes, notes[1:])):
        resting = note.end_step < following.onset_step and note.end_step >= from_step
        if resting and not any(note.onset_step <= end < following.onset_step for end in ends):
            out[i] = dataclasses.replace(note, duration_steps=following.onset_step - note.onset_step)
            changed += 1
    return out, changed


def _hold(notes: list[Note], step: int, held_to: int, final: bool) -> tuple[list[Note], int]:
    """One voice's notes with the note sounding at ``step`` held to ``held_to`` (exactly, when final)."""
    out, changed = [], 0
    for note in notes:
        if note.onset_step <= step < note.end_step:  # sounds at the phrase end: held
            end = held_to if final else max(note.end_step, held_to)
            if end != note.end_step:
                note = dataclasses.replace(note, duration_steps=end - note.onset_step)
                changed += 1
            out.append(note)
        elif final and note.onset_step > step:  # after the final chord: gone
            changed += 1
        elif step < note.onset_step < held_to:  # starts under the held chord: at its end, if it lasts
            if note.end_step > held_to:
                out.append(dataclasses.replace(note, onset_step=held_to, duration_steps=note.end_step - held_to))
            changed += 1
        else:
            out.append(note)
    return out, changed
