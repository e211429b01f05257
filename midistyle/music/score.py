"""The in-memory score: voices of notes on a grid of steps, plus key, meter and tempo.

Time is counted in integer *steps* from the start of the first (possibly
incomplete) bar; ``steps_per_quarter=4`` makes a step a 16th note. A pickup
(anacrusis) is ``anacrusis_steps`` long, so bar lines fall at
``anacrusis_steps + k * steps_per_bar``.

Everything here is immutable and validated on construction, so a ``Score``
that exists is a valid one: readers build it from files, models from arrays.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from midistyle.errors import InputError
from midistyle.music.chord_symbols import ChordSymbol, symbols_on_grid

VOICE_NAMES: tuple[str, ...] = ("Soprano", "Alto", "Tenor", "Bass")
# Singable MIDI pitch ranges (lowest, highest), inclusive, in VOICE_NAMES order.
SATB_RANGES: tuple[tuple[int, int], ...] = ((60, 81), (53, 74), (48, 69), (40, 62))

# Tonic names by number of sharps (negative: flats), index = sharps + 7.
_MAJOR_TONICS = ("Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#")
_MINOR_TONICS = ("Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#", "A#")
_LETTER_PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


@dataclass(frozen=True, order=True)
class Note:
    """One note on the step grid.

    Attributes
    ----------
    onset_step : int
        First step the note sounds, >= 0.
    pitch : int
        MIDI pitch, 0-127.
    duration_steps : int
        Number of steps it sounds, >= 1.
    velocity : int
        MIDI velocity, 1-127.
    """

    onset_step: int
    pitch: int
    duration_steps: int
    velocity: int = 80

    def __post_init__(self) -> None:
        if self.onset_step < 0:
            raise InputError(f"onset_step={self.onset_step} must be >= 0")
        if not 0 <= self.pitch <= 127:
            raise InputError(f"pitch={self.pitch} must be in 0..127")
        if self.duration_steps < 1:
            raise InputError(f"duration_steps={self.duration_steps} must be >= 1")
        if not 1 <= self.velocity <= 127:
            raise InputError(f"velocity={self.velocity} must be in 1..127")

    @property
    def end_step(self) -> int:
        """The step after the last one the note sounds."""
        return self.onset_step + self.duration_steps


@dataclass(frozen=True)
class Voice:
    """A named part: its notes sorted by onset then pitch, and a General MIDI program."""

    name: str
    notes: tuple[Note, ...] = ()
    program: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "notes", tuple(sorted(self.notes)))
        if not 0 <= self.program <= 127:
            raise InputError(f"program={self.program} of voice {self.name!r} must be in 0..127")

    @property
    def is_monophonic(self) -> bool:
        """True when no two notes of the voice overlap in time."""
        return all(a.end_step <= b.onset_step for a, b in zip(self.notes, self.notes[1:]))


@dataclass(frozen=True)
class Key:
    """A key as its signature (sharps > 0, flats < 0) and mode.

    ``Key.parse("D major")`` and ``str(Key(2, "major"))`` are inverse.
    """

    sharps: int
    mode: str = "major"

    def __post_init__(self) -> None:
        if not -7 <= self.sharps <= 7:
            raise InputError(f"key sharps={self.sharps} must be in -7..7")
        if self.mode not in ("major", "minor"):
            raise InputError(f"key mode={self.mode!r} must be 'major' or 'minor'")

    @property
    def tonic_name(self) -> str:
        tonics = _MAJOR_TONICS if self.mode == "major" else _MINOR_TONICS
        return tonics[self.sharps + 7]

    @property
    def tonic_pitch_class(self) -> int:
        return pitch_class_of(self.tonic_name)

    def __str__(self) -> str:
        return f"{self.tonic_name} {self.mode}"

    @classmethod
    def parse(cls, text: str) -> Key:
        """Read ``"D major"``, ``"f# minor"``, ``"Bb"`` (major) or ``"E-"`` (music21 flat)."""
        match = re.fullmatch(r"\s*([A-Ga-g])([#b\-]?)\s*(major|minor|maj|min)?\s*", text)
        if not match:
            raise InputError(f"key {text!r} is not like 'D major' or 'F# minor'")
        letter, accidental, mode = match.groups()
        tonic = letter.upper() + accidental.replace("-", "b")
        mode = "minor" if mode in ("minor", "min") else "major"
        tonics = _MAJOR_TONICS if mode == "major" else _MINOR_TONICS
        if tonic not in tonics:
            raise InputError(f"key {text!r} has no standard key signature (try its enharmonic)")
        return cls(tonics.index(tonic) - 7, mode)


def pitch_class_of(name: str) -> int:
    """Pitch class 0-11 of a note name such as ``"F#"``, ``"Bb"`` or ``"E-"``."""
    pc = _LETTER_PITCH_CLASS[name[0].upper()]
    for accidental in name[1:]:
        pc += 1 if accidental == "#" else -1
    return pc % 12


@dataclass(frozen=True)
class Score:
    """Voices on a shared step grid, with the metadata needed to write bars.

    Attributes
    ----------
    voices : tuple of Voice
        Top to bottom (Soprano first in a chorale).
    steps_per_quarter : int
        Grid resolution; 4 means 16th notes.
    time_signature : tuple of (int, int)
        Numerator and power-of-two denominator, e.g. ``(3, 4)`` or ``(6, 8)``.
    anacrusis_steps : int
        Length of the pickup bar, 0 when the score starts on a downbeat.
    key : Key or None
        Key signature and mode, None when the source gave none.
    tempo_qpm : float
        Quarter notes per minute.
    title : str
        Free text, written to MusicXML and MIDI track names.
    fermata_steps : tuple of int
        Onset steps of the chords that carry a fermata (phrase ends in a chorale), ascending. MIDI
        has no fermatas, so a score read from MIDI has none; MusicXML, ABC, kern and MEI keep them.
    chord_symbols : tuple of ChordSymbol
        Lead-sheet chords over the music (ABC ``"G"``, MusicXML ``<harmony>``), by onset; each lasts
        until the next. MIDI has none.
    """

    voices: tuple[Voice, ...]
    steps_per_quarter: int = 4
    time_signature: tuple[int, int] = (4, 4)
    anacrusis_steps: int = 0
    key: Key | None = None
    tempo_qpm: float = 100.0
    title: str = ""
    fermata_steps: tuple[int, ...] = ()
    chord_symbols: tuple[ChordSymbol, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "voices", tuple(self.voices))
        object.__setattr__(self, "fermata_steps", tuple(sorted({int(s) for s in self.fermata_steps})))
        if self.fermata_steps and self.fermata_steps[0] < 0:
            raise InputError(f"fermata step {self.fermata_steps[0]} must be >= 0")
        object.__setattr__(self, "chord_symbols", tuple(sorted(self.chord_symbols, key=lambda c: c.onset_step)))
        object.__setattr__(self, "time_signature", tuple(self.time_signature))
        numerator, denominator = self.time_signature
        if self.steps_per_quarter < 1:
            raise InputError(f"steps_per_quarter={self.steps_per_quarter} must be >= 1")
        if numerator < 1 or denominator < 1 or denominator & (denominator - 1):
            raise InputError(f"time signature {numerator}/{denominator} is not valid")
        if (numerator * 4 * self.steps_per_quarter) % denominator:
            raise InputError(
                f"time signature {numerator}/{denominator} does not fit a grid of "
                f"{self.steps_per_quarter} steps per quarter"
            )
        if not 0 <= self.anacrusis_steps < self.steps_per_bar:
            raise InputError(
                f"anacrusis_steps={self.anacrusis_steps} must be in 0..{self.steps_per_bar - 1}"
            )
        if not 1.0 <= self.tempo_qpm <= 1000.0:
            raise InputError(f"tempo_qpm={self.tempo_qpm} must be in 1..1000")

    # -- derived sizes -------------------------------------------------------------------------
    @property
    def steps_per_bar(self) -> int:
        numerator, denominator = self.time_signature
        return numerator * 4 * self.steps_per_quarter // denominator

    @property
    def num_steps(self) -> int:
        """Steps up to the end of the last note (0 for an empty score)."""
        return max((n.end_step for v in self.voices for n in v.notes), default=0)

    @property
    def num_notes(self) -> int:
        return sum(len(v.notes) for v in self.voices)

    @property
    def num_voices(self) -> int:
        return len(self.voices)

    @property
    def seconds(self) -> float:
        return self.num_steps / self.steps_per_quarter * 60.0 / self.tempo_qpm

    @property
    def pickup_time_signature(self) -> tuple[int, int] | None:
        """The short signature that spans the pickup (``(1, 4)`` for a quarter in 3/4), or None.

        MIDI and MusicXML both write a pickup this way: this signature first, the real one after it.
        """
        if not self.anacrusis_steps:
            return None
        whole_notes = Fraction(self.anacrusis_steps, 4 * self.steps_per_quarter)
        denominator = max(self.time_signature[1], whole_notes.denominator)
        return int(whole_notes * denominator), denominator

    def bar_lines(self) -> list[int]:
        """Steps where bars start, including 0 and the pickup's end, up to ``num_steps``."""
        starts = [0] if self.anacrusis_steps else []
        starts += list(range(self.anacrusis_steps, max(self.num_steps, 1), self.steps_per_bar))
        return starts

    def bar_span(self, first_bar: int, last_bar: int) -> tuple[int, int]:
        """Steps (start, end) of bars ``first_bar``..``last_bar`` as printed (a pickup is bar 0).

        Raises
        ------
        InputError
            A span backwards, or outside the score's bars.
        """
        lines = self.bar_lines()
        first_number = 0 if self.anacrusis_steps else 1
        last_number = first_number + len(lines) - 1
        if first_bar > last_bar:
            raise InputError(f"bars {first_bar}-{last_bar} run backwards; write {last_bar}-{first_bar}")
        if first_bar < first_number or last_bar > last_number:
            raise InputError(f"bars {first_bar}-{last_bar} are outside the score's bars {first_number}-{last_number}")
        start = lines[first_bar - first_number]
        end = lines[last_bar - first_number + 1] if last_bar < last_number else self.num_steps
        return start, end

    def coarsest_grid(self, grids: Sequence[int], onsets: Iterable[int] | None = None) -> int | None:
        """The first of ``grids`` (steps per quarter, coarsest first) that holds exactly every onset
        (default: every note's), the pickup and the bar of this score; None when none does."""
        onsets = [n.onset_step for v in self.voices for n in v.notes] if onsets is None else list(onsets)
        for grid in grids:
            ratio = self.steps_per_quarter // grid
            if self.steps_per_quarter % grid == 0 and all(step % ratio == 0 for step in onsets) \
                    and self.anacrusis_steps % ratio == 0 and self.steps_per_bar % ratio == 0:
                return grid
        return None

    def fermatas_on_grid(self, steps_per_quarter: int) -> tuple[int, ...]:
        """The fermata onsets moved to a grid of ``steps_per_quarter`` (to its nearest step)."""
        return tuple(round(s * steps_per_quarter / self.steps_per_quarter) for s in self.fermata_steps)

    def on_grid(self, steps_per_quarter: int, voices: Sequence[Voice], anacrusis_steps: int) -> Score:
        """The score on another grid: ``voices`` (already moved there), the pickup, and the fermatas
        and chord symbols moved to the grid's nearest step."""
        return self.replace(voices=tuple(voices), steps_per_quarter=steps_per_quarter,
                            anacrusis_steps=anacrusis_steps, fermata_steps=self.fermatas_on_grid(steps_per_quarter),
                            chord_symbols=symbols_on_grid(self.chord_symbols, self.steps_per_quarter,
                                                          steps_per_quarter))

    # -- transformations (each returns a new Score) --------------------------------------------
    def replace(self, **changes) -> Score:
        """A copy with some fields changed, e.g. ``score.replace(voices=new_voices)``."""
        return dataclasses.replace(self, **changes)

    def transpose(self, semitones: int) -> Score:
        """All notes moved by ``semitones``; the key follows when it is known."""
        voices = tuple(
            Voice(
                v.name,
                tuple(dataclasses.replace(n, pitch=n.pitch + semitones) for n in v.notes),
                v.program,
            )
            for v in self.voices
        )
        key = None
        if self.key is not None:
            sharps = (self.key.sharps + 7 * semitones + 6) % 12 - 6  # prefer -6..5 (Gb over F#)
            key = Key(sharps, self.key.mode)
        return self.replace(voices=voices, key=key)

    def notes_starting_between(self, start_step: int, end_step: int) -> Score:
        """The score with only the notes that start in ``start_step``..``end_step`` (kept whole), on
        the same grid and bar lines and without fermatas: a window for judging a passage."""
        voices = tuple(Voice(v.name, tuple(n for n in v.notes if start_step <= n.onset_step <= end_step), v.program)
                       for v in self.voices)
        return self.replace(voices=voices, fermata_steps=())

    def select_voices(self, indices: Sequence[int]) -> Score:
        """A score with only the voices at ``indices`` (in that order)."""
        return self.replace(voices=tuple(self.voices[i] for i in indices))


def make_voices(
    notes_per_voice: Iterable[Iterable[Note]],
    names: Sequence[str | None] | None = None,
    programs: Sequence[int] | None = None,
) -> tuple[Voice, ...]:
    """Voices from note lists; a missing name becomes Soprano/Alto/Tenor/Bass, then ``Voice 5``…"""
    voices = []
    for index, notes in enumerate(notes_per_voice):
        default_name = VOICE_NAMES[index] if index < len(VOICE_NAMES) else f"Voice {index + 1}"
        name = (names[index] if names is not None else None) or default_name
        program = programs[index] if programs is not None else 0
        voices.append(Voice(name, tuple(notes), program))
    return tuple(voices)
