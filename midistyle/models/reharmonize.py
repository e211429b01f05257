"""Regenerate a span of a four-part score: new inner voices (or bass) in bars 5-6, the rest untouched.

DeepBach's MuseScore plugin and NONOTO regenerate a voices × time box; this does the same with the
harmonizer:

1. The span is bars ``first_bar``..``last_bar`` as printed (a pickup is bar 0). For each voice to
   rewrite, its free stretch is the span minus a note that began before it (kept whole), plus the
   full length of a note that begins in it and is held past its end: no note outside is cut.
2. The network gives each voice's distributions given the other two as written
   (:meth:`Harmonizer._conditionals`), and the joint decoder writes the free stretches with every
   other note held as written (``given_steps``); near the stretch's end it looks at the written
   chord it leads into.
3. ``tries`` decodes are drawn (seeded) at ``temperature`` (more, up to ``MAX_TRIES``, while each
   adds a critic mark at a seam); the one that differs from the original and adds the fewest
   critic marks at the seams, then has the fewest marks in the span, wins.
4. The figuration pass (:mod:`midistyle.music.figuration`) then adds passing tones, suspensions,
   neighbour notes and ties between the rewritten notes, as the harmonizer does everywhere: regenerated bars are not
   plainer than the bars around them. It adds no critic mark by construction.

Notes outside the free stretches come back as the same :class:`~midistyle.music.score.Note`
objects, so a MIDI or MusicXML file written from the result differs only inside the span.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass

import numpy as np

from midistyle.errors import InputError
from midistyle.models.harmonize import (
    VOICE_INDEX,
    Harmonizer,
    given_in_model_rows,
    placement_holding,
    voice_distributions,
)
from midistyle.models.harmonizer_data import condition_planes, padded_steps, place_melody
from midistyle.models.harmony_decoding import ChordPlan, decode_harmony, to_melody_space
from midistyle.music.figuration import add_figuration
from midistyle.music.harmony import ENDING_RULES, critique
from midistyle.music.metrics import beat_steps
from midistyle.music.phrases import phrase_ends
from midistyle.music.score import Score, Voice

REGENERATE_TRIES = 16  # versions weighed at least
MAX_TRIES = 64  # while every version so far adds a mark at a seam, more are drawn, up to this many (on the
# valid split's 68 spans: 8 tries leave 10 spans with a new seam mark, 16 leave 7, up to 64 leave 2)
REGENERATE_TEMPERATURE = 1.0  # sampling among the rule-scored voicings: a regenerated span should differ
LOWER_VOICES = ("alto", "tenor", "bass")


@dataclass(frozen=True)
class Reharmonization:
    """A score with a span rewritten.

    Attributes
    ----------
    score : Score
    span_steps : tuple of (int, int)
        The bars' steps, start inclusive, end exclusive.
    changed_notes : int
        Notes in the rewritten voices that differ from the original (added or gone).
    new_seam_marks : int
        Critic marks within a beat of the span's edges that the original did not have.
    """

    score: Score
    span_steps: tuple[int, int]
    changed_notes: int
    new_seam_marks: int


def reharmonize(harmonizer: Harmonizer, score: Score, first_bar: int, last_bar: int, *,
                voices: tuple[str, ...] = LOWER_VOICES, seed: int = 0, tries: int = REGENERATE_TRIES,
                temperature: float = REGENERATE_TEMPERATURE) -> Reharmonization:
    """Rewrite ``voices`` in bars ``first_bar``..``last_bar`` of a four-part score.

    Parameters
    ----------
    harmonizer : Harmonizer
        One trained with given voices (the shipped one).
    score : Score
        Soprano, alto, tenor, bass, each one line, on the 16th grid.
    first_bar, last_bar : int
        As printed; a pickup is bar 0.
    voices : tuple of str, keyword-only
        Which of alto, tenor, bass to rewrite; the soprano is the melody and stays.
    seed : int, keyword-only
    tries : int, keyword-only
        Decodes weighed; the best by the critic is kept (more are drawn, up to ``MAX_TRIES``, while
        every one so far adds a critic mark at a seam).
    temperature : float, keyword-only
        Of the joint decoder's choice among its scored voicings.

    Raises
    ------
    InputError
        Not four one-line voices on the 16th grid, an unknown voice, a bad span.
    """
    _check_four_voices(score)
    if not voices or any(v not in LOWER_VOICES for v in voices):
        raise InputError(f"--voices must name some of {', '.join(LOWER_VOICES)} (got {', '.join(voices) or 'none'})")
    if not 1 <= tries <= 64:
        raise InputError(f"tries={tries} must be in 1..64")
    start, end = score.bar_span(first_bar, last_bar)
    melody = score.select_voices([0])
    written = {name: score.voices[1 + VOICE_INDEX[name]].notes for name in LOWER_VOICES}
    placement = placement_holding(place_melody(melody, score.key), written)
    rows = given_in_model_rows(written, placement, melody)
    num_steps = padded_steps(max(score.num_steps, 1), harmonizer.config.time_multiple)
    condition = condition_planes(melody, placement, num_steps)
    harmony = harmonizer._conditionals(condition[None], [rows], seed)[0]  # each voice given the other two
    free = tuple(sorted(VOICE_INDEX[name] for name in voices))
    stretches = {v: _free_stretch(score.voices[1 + v].notes, start, end) for v in free}
    given_steps = np.ones((num_steps, 3), bool)
    for v, (a, b) in stretches.items():
        given_steps[a:b, v] = False
    plan = ChordPlan.from_symbols(score.chord_symbols, placement, num_steps) if score.chord_symbols else None
    window = (max(start - score.steps_per_bar, 0), end + score.steps_per_bar)
    before = _window_marks(score, window)
    seams = _seam_steps(score, start, end)
    best, best_key = None, None
    for attempt in range(max(tries, MAX_TRIES)):
        if attempt >= tries and best_key[:2] == (False, 0):
            break  # enough versions weighed, and one joins cleanly
        rng = np.random.default_rng([seed, attempt])
        decoded = decode_harmony(*voice_distributions(harmony), condition, placement, temperature=temperature, rng=rng,
                                 fixed=rows, free=free, given_steps=given_steps, chords=plan,
                                 phrase_ends=phrase_ends(melody).steps, model_space=True, spelling_key=score.key)
        candidate = _spliced(score, to_melody_space(decoded, placement), stretches, end)
        changed = _changed_notes(score, candidate, free)
        after = _window_marks(candidate, window)
        new_at_seams = sum(((after - before) & Counter({k: n for k, n in after.items() if k[1] in seams})).values())
        key = (changed == 0, new_at_seams, sum(after.values()), attempt)
        if best_key is None or key < best_key:
            best, best_key = candidate, key
    locked = tuple(1 + v for v in range(3) if v not in free)
    figured = add_figuration(best, seed=seed, locked=locked, window=(start, end))  # as the bars around it have
    after = _window_marks(figured, window)
    new_at_seams = sum(((after - before) & Counter({k: n for k, n in after.items() if k[1] in seams})).values())
    return Reharmonization(figured, (start, end), _changed_notes(score, figured, free), new_at_seams)


def _check_four_voices(score: Score) -> None:
    if score.num_voices != 4:
        raise InputError(f"reharmonize reads four voices (soprano, alto, tenor, bass); this score has "
                         f"{score.num_voices}")
    if score.steps_per_quarter != 4:
        raise InputError("reharmonize reads a score on the 16th grid")
    for voice in score.voices:
        if not voice.is_monophonic:
            raise InputError(f"the {voice.name} has chords: each of the four voices must be one line")


def _free_stretch(notes, start: int, end: int) -> tuple[int, int]:
    """Steps (a, b) of one voice that may be rewritten: the span minus a note begun before it, plus
    the rest of a note begun in it and held past it."""
    a, b = start, end
    for n in notes:
        if n.onset_step < start < n.end_step:
            a = n.end_step
        if start <= n.onset_step < end:
            b = max(b, n.end_step)
    return a, max(a, b)


def _spliced(score: Score, decoded: list, stretches: dict[int, tuple[int, int]], end: int) -> Score:
    """The score with each rewritten voice's notes in its stretch taken from ``decoded``. New notes
    start before the span's ``end``; the last one is held to the stretch's end when that is later
    (it replaces a note that began in the span and was held past it)."""
    voices = list(score.voices)
    for v, (a, b) in stretches.items():
        original = score.voices[1 + v]
        kept = [n for n in original.notes if not a <= n.onset_step < b]
        new = [n for n in decoded[v] if a <= n.onset_step < min(b, end)]
        if new and new[-1].end_step < b and b > end:
            new[-1] = dataclasses.replace(new[-1], duration_steps=b - new[-1].onset_step)
        voices[1 + v] = Voice(original.name, tuple(sorted(kept + new, key=lambda n: n.onset_step)), original.program)
    return score.replace(voices=tuple(voices))


def _changed_notes(before: Score, after: Score, free: tuple[int, ...]) -> int:
    changed = 0
    for v in free:
        old = Counter((n.onset_step, n.pitch, n.duration_steps) for n in before.voices[1 + v].notes)
        new = Counter((n.onset_step, n.pitch, n.duration_steps) for n in after.voices[1 + v].notes)
        changed += sum(((old - new) + (new - old)).values())
    return changed


def _window_marks(score: Score, window: tuple[int, int]) -> Counter:
    """Critic marks on the notes starting in the window, counted by (rule, step, voices); the ending's
    rules are left out (they would judge the window's last chord as the piece's)."""
    marks = critique(score.notes_starting_between(*window)).marks
    return Counter((m.rule, m.step, m.voices) for m in marks if m.rule not in ENDING_RULES)


def _seam_steps(score: Score, start: int, end: int) -> set[int]:
    beat = beat_steps(score)
    return set(range(start - beat, start + beat + 1)) | set(range(end - beat, end + beat + 1))
