"""The melody to harmonize, taken from files as people have them.

A melody is monophonic in intent, but real files are not note-for-note monophonic: notation
programs export grace notes and ornaments as short notes that start with or just before the main
note, fiddle tunes have double stops, keyboard players overlap notes (legato) and play off any
grid. :func:`read_melody` reads a file on a fine grid (48 steps per quarter: 64ths and triplets
are exact there), cleans it up, then puts it on the 16th grid. Every change is counted and
reported in one line; nothing is changed silently:

* notes that start together (double stops, ornaments exported as chords): the highest is kept;
  a note much shorter than a 16th (a 32nd or less) starting with a longer one is an ornament;
* a short note, or a run of up to four (grace notes, acciaccaturas, mordents, turns), right before
  or inside a longer note is absorbed into it; the longer note starts where the ornament did when
  the ornament is on the beat grid and the note is not;
* a run of short notes trilling between two neighbouring pitches (a written-out trill) becomes
  one note of the trill's length, on its main (lower) pitch;
* an overlap from legato playing is trimmed: a note ends where the next begins;
* triplets, and notes shorter than a 16th that are a tune's rhythm rather than its ornaments (more
  than a fifth of its notes), which the 16th grid cannot hold, are snapped to it for the model (two
  on one 16th merge); the melody as written is kept beside it (:attr:`Melody.exact`, 12 or 24 steps
  per quarter) and :meth:`Melody.with_exact_soprano` puts it back into the harmonization, so the
  output has them as written;
* chord symbols of a lead sheet are kept beside the melody (:attr:`Score.chord_symbols`), for the
  harmonizer to follow.

A part that is truly polyphonic (a piano part) is refused with the bar and beat of its first
chord, unless ``top_line`` asks for its highest line. A melody played in without a grid (a
keyboard recording) is first aligned by :mod:`midistyle.music.performance`, which also finds the
meter and the pickup when the file gives none.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass

from midistyle.errors import InputError
from midistyle.music.score import Note, Score, Voice

FINE_STEPS_PER_QUARTER = 48  # holds 64ths (3 steps), 16th triplets (8) and 8th triplets (16) exactly
# Grids for the melody as written, coarsest first: 12 holds 16ths and 8th/16th triplets, 24 also 32nds
EXACT_STEPS_PER_QUARTER = (12, 24)
SIXTEENTH = FINE_STEPS_PER_QUARTER // 4  # fine steps per 16th note
ORNAMENT_MAX_STEPS = SIXTEENTH // 2  # "much shorter than a 16th": a 32nd or less
# Short notes are a tune's rhythm, not its ornaments, when they are both many and take real time
# (a hornpipe in dotted 16ths and 32nds: half its notes, a quarter of its time; a mordent: 3 %).
RHYTHM_SHORT_NOTE_SHARE, RHYTHM_SHORT_TIME_SHARE = 0.2, 0.1
MAX_ORNAMENT_RUN = 4  # a turn is four notes
POLYPHONIC_SHARE = 0.25  # more chords than this among onsets: a polyphonic part, not a melody
ON_GRID_SHARE = 0.8  # fewer onsets than this on the 16th or triplet grid: played in, not notated

# How each count reads in the one-line report, in this order.
_PHRASES = {
    "grace notes absorbed": "{} grace note{s} absorbed",
    "ornament runs absorbed": "{} ornament{s} (mordents, turns) absorbed",
    "trills merged": "{} written-out trill{s} merged into one note",
    "double stops reduced": "{} double stop{s} reduced to the top note",
    "notes below the top line dropped": "{} note{s} below the top line dropped",
    "legato overlaps trimmed": "{} legato overlap{s} trimmed",
    "triplet notes snapped": "{} triplet note{s} snapped to the 16th grid",
    "triplet notes merged": "{} triplet note{s} merged into the note before (two on one 16th)",
    "triplet notes kept": "{} triplet note{s} harmonized on the 16th grid and kept as written in the soprano",
    "fast notes kept": "{} note{s} shorter than a 16th harmonized on the 16th grid and kept as written in the "
                       "soprano",
    "fast notes snapped": "{} note{s} shorter than a 16th snapped to the 16th grid",
    "repeats not expanded": "repeats that could not be expanded were read as written",
    "chord symbols left out": "{} chord symbol{s} left out (lead-sheet harmony, not melody)",
}


@dataclass(frozen=True)
class Melody:
    """The melody as one voice on the 16th grid, and what was changed to get it.

    Attributes
    ----------
    score : Score
        One voice, ``steps_per_quarter=4``, with meter, pickup, key and tempo: what the model hears.
    counts : Counter
        Changes by kind (keys of ``_PHRASES``).
    notes : tuple of str
        Other lines for the user (tunes in the file, a detected meter, a played-in melody aligned).
    exact : Score or None
        The same melody on the coarsest of ``EXACT_STEPS_PER_QUARTER`` that holds it, when it has
        triplets or notes shorter than a 16th; None when ``score`` already holds it as written (or
        when no such grid does, e.g. 64ths).
    absorbed : tuple of Note
        The notes the clean-up took as ornaments (grace notes, mordents, turns, trills) or as lower
        notes of double stops, at ``FINE_STEPS_PER_QUARTER`` on the file's timeline: not melody.
    """

    score: Score
    counts: Counter
    notes: tuple[str, ...] = ()
    exact: Score | None = None
    absorbed: tuple[Note, ...] = ()

    def with_exact_soprano(self, harmonized: Score) -> Score:
        """``harmonized`` with the melody as written in its soprano, when the 16th grid lost triplets.

        The lower voices are stretched to :attr:`exact`'s grid (they stay on 16ths) and the soprano
        becomes :attr:`exact`. A harmonization whose soprano is not this melody (the same
        onsets and pitches as :attr:`score`) is returned unchanged.

        Parameters
        ----------
        harmonized : Score
            Four voices on the 16th grid, soprano first, as the harmonizer returns them.
        """
        melody = [(n.onset_step, n.pitch) for n in self.score.voices[0].notes]
        soprano = harmonized.voices[0] if harmonized.voices else None
        if self.exact is None or soprano is None or [(n.onset_step, n.pitch) for n in soprano.notes] != melody:
            return harmonized
        factor = self.exact.steps_per_quarter // harmonized.steps_per_quarter
        velocity = soprano.notes[0].velocity if soprano.notes else 80
        top = Voice(soprano.name, tuple(Note(n.onset_step, n.pitch, n.duration_steps, velocity)
                                        for n in self.exact.voices[0].notes), soprano.program)
        lower = tuple(Voice(v.name, tuple(Note(n.onset_step * factor, n.pitch, n.duration_steps * factor, n.velocity)
                                          for n in v.notes), v.program) for v in harmonized.voices[1:])
        return harmonized.on_grid(self.exact.steps_per_quarter, (top, *lower), harmonized.anacrusis_steps * factor)

    def summary(self) -> str | None:
        """One line such as ``"3 grace notes absorbed, 2 double stops reduced to the top note"``."""
        parts = [phrase.format(self.counts[kind], s="" if self.counts[kind] == 1 else "s")
                 for kind, phrase in _PHRASES.items() if self.counts.get(kind)]
        return ", ".join(parts) if parts else None


def read_melody(path: str | os.PathLike, *, track: int | None = None, top_line: bool = False,
                tune: int | None = None, report=print) -> Score:
    """Read the melody of a score file, cleaned up and on the 16th grid; ``report`` gets the changes.

    The score of :func:`read_melody_file`; see there.
    """
    return read_melody_file(path, track=track, top_line=top_line, tune=tune, report=report).score


def read_melody_file(path: str | os.PathLike, *, track: int | None = None, top_line: bool = False,
                     tune: int | None = None, report=print) -> Melody:
    """Read the melody of a score file, cleaned up: on the 16th grid, and as written when that differs.

    Parameters
    ----------
    path : str or path-like
        Any format :func:`midistyle.music.io.read_score` reads.
    track : int, keyword-only
        The 0-based track (part) holding the melody; default the first with notes.
    top_line : bool, keyword-only
        Take the highest note at every moment, even from a polyphonic part.
    tune : int, keyword-only
        The tune in a file of several (ABC ``X:`` number, else the 1-based position).
    report : callable, keyword-only
        Called with each line the user should see.

    Raises
    ------
    InputError
        No notes, a missing track, a polyphonic part (without ``top_line``), bad file.
    """
    from midistyle.music.io import read_score_file

    source = read_score_file(path, steps_per_quarter=FINE_STEPS_PER_QUARTER, tune=tune)
    try:
        melody = extract_melody(source.score, track=track, top_line=top_line, meter_given=source.meter_given,
                                counts=source.counts)
    except InputError as error:
        raise InputError(f"{path}: {error}") from None
    for line in (*source.notes, *melody.notes):
        report(line)
    if melody.summary():
        report(melody.summary())
    return melody


def extract_melody(fine: Score, *, track: int | None = None, top_line: bool = False, meter_given: bool = True,
                   counts: Counter | None = None, played: bool | None = None) -> Melody:
    """Clean one part of a fine-grid score into a 16th-grid melody.

    Parameters
    ----------
    fine : Score
        Read with ``steps_per_quarter=FINE_STEPS_PER_QUARTER``.
    track, top_line : see :func:`read_melody`
    meter_given : bool, keyword-only
        False when the file had no time signature: the meter and pickup are detected.
    counts : Counter, keyword-only
        Changes already made by the reader, added to.
    played : bool or None, keyword-only
        Whether the notes were played in without a grid (default: judged from their onsets); a
        transcribed recording is.
    """
    from midistyle.music import performance

    if fine.steps_per_quarter != FINE_STEPS_PER_QUARTER:
        raise ValueError(f"extract_melody needs a score read at {FINE_STEPS_PER_QUARTER} steps per quarter")
    counts = Counter() if counts is None else Counter(counts)
    notes_out: list[str] = []
    voice = _choose_voice(fine, track)
    notes = list(voice.notes)
    played = on_grid_share(notes) < ON_GRID_SHARE if played is None else played
    found_meter, file_meter = None, (fine.time_signature if meter_given else None)
    if played:
        aligned = performance.align_to_grid(notes, tempo_qpm=fine.tempo_qpm)
        notes, fine = aligned.notes, fine.replace(tempo_qpm=aligned.tempo_qpm, anacrusis_steps=0)
        meter_given, found_meter = False, aligned.meter
        notes_out.append(f"played-in melody: aligned to a beat of {aligned.tempo_qpm:.0f} quarter notes "
                         "per minute")
    first_chord = _first_chord(notes) if not top_line else None
    if first_chord is not None and _chord_share(notes) > POLYPHONIC_SHARE:
        where = _where(fine, first_chord)
        raise InputError(f"the melody is polyphonic: a chord at {where}, and chords at more than "
                         f"{POLYPHONIC_SHARE:.0%} of its onsets; choose its melody part with --track N, "
                         "or take the highest line with --top-line")
    absorbed: list[Note] = []
    notes = _reduce_simultaneous(notes, counts, absorbed, top_line=top_line)
    notes = _absorb_ornaments(notes, counts, absorbed, graces=not _short_notes_are_rhythm(notes))
    notes = _trim_overlaps(notes, counts)
    exact = None if played else _as_written(notes, fine)
    score = _to_sixteenths(notes, fine, counts)
    if exact is not None:
        counts["triplet notes kept"] = counts.pop("triplet notes merged", 0) + counts.pop("triplet notes snapped", 0)
        counts["fast notes kept"] = counts.pop("fast notes snapped", 0)
    if not meter_given:
        guess = found_meter or performance.detect_meter(score.voices[0].notes)
        score = score.replace(time_signature=guess.time_signature, anacrusis_steps=guess.anacrusis_steps)
        if exact is not None:
            factor = exact.steps_per_quarter // score.steps_per_quarter
            exact = exact.replace(time_signature=guess.time_signature, anacrusis_steps=guess.anacrusis_steps * factor)
        pickup = f" with a pickup of {guess.anacrusis_steps} sixteenths" if guess.anacrusis_steps else ""
        found = f"{guess.time_signature[0]}/{guess.time_signature[1]}{pickup}"
        if played and file_meter is not None:  # a recorder's time signature is often its default
            notes_out.append(f"meter detected from the playing: {found} (the file says "
                             f"{file_meter[0]}/{file_meter[1]})")
        else:
            notes_out.append(f"no time signature in the file: detected {found}")
    return Melody(score, counts, tuple(notes_out), exact, tuple(absorbed))


# -- choosing and checking ------------------------------------------------------------------------
def _choose_voice(score: Score, track: int | None) -> Voice:
    if track is not None and not 0 <= track < score.num_voices:
        raise InputError(f"--track {track} does not exist: the file has {score.num_voices} track(s) (0-based)")
    candidates = [score.voices[track]] if track is not None else [v for v in score.voices if v.notes]
    if not candidates or not candidates[0].notes:
        raise InputError("the melody has no notes")
    return candidates[0]


def on_grid_share(notes: list[Note]) -> float:
    """Share of onsets exactly on the 32nd grid or a triplet grid: about 1 for a notated melody,
    about a quarter for one played in (its onsets fall anywhere). Ornament-length notes are left out.
    """
    counted = [n for n in notes if n.duration_steps > ORNAMENT_MAX_STEPS] or notes
    hits = sum(n.onset_step % (SIXTEENTH // 2) == 0 or n.onset_step % 8 == 0 for n in counted)
    return hits / len(counted)


def _groups(notes: list[Note]) -> list[list[Note]]:
    """Notes that start together (within one fine step), in onset order."""
    groups: list[list[Note]] = []
    for note in sorted(notes, key=lambda n: (n.onset_step, -n.pitch)):
        if groups and note.onset_step - groups[-1][0].onset_step <= 1:
            groups[-1].append(note)
        else:
            groups.append([note])
    return groups


def _is_ornament(note: Note, longest: int) -> bool:
    return note.duration_steps <= ORNAMENT_MAX_STEPS and note.duration_steps * 2 <= longest


def _real_chord(group: list[Note]) -> bool:
    longest = max(n.duration_steps for n in group)
    return sum(not _is_ornament(n, longest) for n in group) >= 2


def _first_chord(notes: list[Note]) -> int | None:
    return next((g[0].onset_step for g in _groups(notes) if _real_chord(g)), None)


def _chord_share(notes: list[Note]) -> float:
    groups = _groups(notes)
    return sum(_real_chord(g) for g in groups) / max(len(groups), 1)


def _where(score: Score, step: int) -> str:
    """``"bar 3, beat 2"`` for a step (bar 0 is the pickup)."""
    numerator, denominator = score.time_signature
    beat = score.steps_per_quarter * 4 // denominator
    if denominator == 8 and numerator % 3 == 0 and numerator > 3:
        beat *= 3  # compound meters count dotted beats
    if step < score.anacrusis_steps:
        bar, within = 0, step + score.steps_per_bar - score.anacrusis_steps
    else:
        bar, within = divmod(step - score.anacrusis_steps, score.steps_per_bar)
        bar += 1
    return f"bar {bar}, beat {within // beat + 1}"


# -- the clean-up passes ---------------------------------------------------------------------------
def _reduce_simultaneous(notes: list[Note], counts: Counter, absorbed: list[Note], *,
                         top_line: bool) -> list[Note]:
    """One note per onset group: ornaments starting with a longer note go, then the highest stays.

    With ``top_line``, notes still sounding under a higher later note are cut where it starts. The
    notes that go are added to ``absorbed``.
    """
    kept = []
    for group in _groups(notes):
        longest = max(n.duration_steps for n in group)
        ornaments = [n for n in group if _is_ornament(n, longest)]
        rest = [n for n in group if not _is_ornament(n, longest)] or [group[0]]
        counts["grace notes absorbed"] += len(ornaments) - (len(rest) == 1 and rest[0] in ornaments)
        if len(rest) > 1:
            counts["double stops reduced" if not top_line else "notes below the top line dropped"] += len(rest) - 1
        top = max(rest, key=lambda n: (n.pitch, n.duration_steps))
        absorbed.extend(n for n in group if n is not top)
        start = min(n.onset_step for n in group)
        kept.append(Note(start, top.pitch, max(top.end_step - start, 1), top.velocity))
    return kept


def _short_notes_are_rhythm(notes: list[Note]) -> bool:
    short = [n for n in notes if n.duration_steps <= ORNAMENT_MAX_STEPS]
    span = max(n.end_step for n in notes) - notes[0].onset_step
    return (len(short) > RHYTHM_SHORT_NOTE_SHARE * len(notes)
            and sum(n.duration_steps for n in short) > RHYTHM_SHORT_TIME_SHARE * span)


def _absorb_ornaments(notes: list[Note], counts: Counter, absorbed: list[Note], *,
                      graces: bool = True) -> list[Note]:
    """Runs of short notes: a trill between two neighbours becomes one note; with ``graces``, a
    short run before a longer note is absorbed into it. The notes taken in go to ``absorbed``."""
    out: list[Note] = []
    index = 0
    while index < len(notes):
        run_end = index
        while run_end < len(notes) and notes[run_end].duration_steps <= ORNAMENT_MAX_STEPS:
            run_end += 1
        run = notes[index:run_end]
        following = notes[run_end] if run_end < len(notes) else None
        if not run:
            out.append(notes[index])
            index += 1
            continue
        if _is_trill(run):
            main_pitch = min(n.pitch for n in run)
            end = run[-1].end_step
            if following is not None and following.pitch == main_pitch and following.onset_step <= end + 1:
                end, run_end = following.end_step, run_end + 1  # the trill's resolution on its main note
            out.append(Note(run[0].onset_step, main_pitch, end - run[0].onset_step, run[0].velocity))
            absorbed.extend(run[1:])
            counts["trills merged"] += 1
        elif graces and following is not None and len(run) <= MAX_ORNAMENT_RUN and \
                following.duration_steps > 2 * ORNAMENT_MAX_STEPS and \
                following.onset_step - run[-1].end_step <= ORNAMENT_MAX_STEPS:
            start = following.onset_step
            if run[0].onset_step % SIXTEENTH == 0 and following.onset_step % SIXTEENTH:
                start = run[0].onset_step  # an on-beat ornament: the note it decorates starts with it
            out.append(Note(start, following.pitch, following.end_step - start, following.velocity))
            absorbed.extend(run)
            counts["grace notes absorbed" if len(run) == 1 else "ornament runs absorbed"] += 1
            run_end += 1
        else:
            out.extend(run)  # fast notes that are not ornaments: the 16th grid will take them
        index = run_end
    return out


def _is_trill(run: list[Note]) -> bool:
    pitches = [n.pitch for n in run]
    if len(run) < 3 or len(set(pitches)) != 2 or abs(pitches[0] - pitches[1]) > 2:
        return False
    return all(a != b for a, b in zip(pitches, pitches[1:]))


def _trim_overlaps(notes: list[Note], counts: Counter) -> list[Note]:
    out = []
    for note, following in zip(notes, notes[1:] + [None]):
        if following is not None and note.end_step > following.onset_step:
            counts["legato overlaps trimmed"] += note.end_step - following.onset_step > 1
            note = Note(note.onset_step, note.pitch, max(following.onset_step - note.onset_step, 1), note.velocity)
        out.append(note)
    return out


def _as_written(notes: list[Note], fine: Score) -> Score | None:
    """The cleaned melody on the coarsest of ``EXACT_STEPS_PER_QUARTER`` that holds every onset, or None
    when the 16th grid holds them already, or when none does (64ths: the 16th grid is what we write)."""
    if all(n.onset_step % SIXTEENTH == 0 for n in notes):
        return None
    grid = fine.coarsest_grid(EXACT_STEPS_PER_QUARTER, onsets=(n.onset_step for n in notes))
    if grid is None:
        return None
    ratio = FINE_STEPS_PER_QUARTER // grid
    out = []
    for note, following in zip(notes, notes[1:] + [None]):
        onset = note.onset_step // ratio
        end = max(round(note.end_step / ratio), onset + 1)
        if following is not None:
            end = max(min(end, following.onset_step // ratio), onset + 1)
        out.append(Note(onset, note.pitch, end - onset, note.velocity))
    return fine.on_grid(grid, (Voice("Soprano", tuple(out), 0),), fine.anacrusis_steps // ratio)


def _to_sixteenths(notes: list[Note], fine: Score, counts: Counter) -> Score:
    """Snap onsets and ends to 16ths, keeping the order of notes (triplets are counted).

    A 16th holds one onset: when a fast triplet puts two notes on the same 16th, the later one is
    merged into the note before it (counted), so no later note moves.
    """
    snapped: list[Note] = []
    for note in notes:
        exact = note.onset_step / SIXTEENTH
        onset = math.ceil(exact - 0.5)  # halves round down: a dotted 16th and a 32nd become two 16ths
        off_grid = note.onset_step % SIXTEENTH != 0
        end = max(round(note.end_step / SIXTEENTH), onset + 1)
        if snapped and onset <= snapped[-1].onset_step:
            previous = snapped.pop()
            snapped.append(Note(previous.onset_step, previous.pitch,
                                max(end, previous.end_step) - previous.onset_step, previous.velocity))
            counts["triplet notes merged"] += 1
            continue
        if off_grid:
            counts["triplet notes snapped" if note.onset_step % 8 == 0 else "fast notes snapped"] += 1
        snapped.append(Note(onset, note.pitch, end - onset, note.velocity))
    cleaned = [Note(a.onset_step, a.pitch, max(min(a.duration_steps, b.onset_step - a.onset_step), 1), a.velocity)
               for a, b in zip(snapped, snapped[1:])] + snapped[-1:]
    voice = Voice("Soprano", tuple(cleaned), 0)
    anacrusis = round(fine.anacrusis_steps / SIXTEENTH)
    return fine.on_grid(4, (voice,), anacrusis)
