"""Chord symbols of a lead sheet (``G``, ``D/F#``, ``Em7``, ``Bbmaj7``): what they are and where they sound.

A symbol is read by music21's :class:`music21.harmony.ChordSymbol`, which knows the lead-sheet
vocabulary (triads, sevenths, suspensions, slash basses); this module adds the lead-sheet habit of
writing a flat as ``b`` (``Bb``, ``Ebm``, ``D/Ab``; music21 spells it ``-``) and one-line errors.

Where symbols come from:

* a melody file: ABC ``"G"`` and MusicXML ``<harmony>`` (read by :mod:`midistyle.music.musicxml`);
* a line of text (``--chords``): :func:`parse_chord_line`, one symbol per bar, or with ``|`` bar
  lines several per bar, splitting it into equal parts.

A symbol sounds from its onset to the next symbol (or the end of the piece). :func:`chord_agreement`
is the measure the harmonizer is held to: at every beat under a symbol, the bass and at least three
of the four sounding notes are tones of the chord.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from midistyle.errors import InputError

if TYPE_CHECKING:  # score.py imports this module; at run time only the type is needed here
    from midistyle.music.score import Score

NO_CHORD = ("N.C.", "NC", "N.C", "n.c.")
_LEAD_SHEET_FLAT = re.compile(r"(^|/)([A-Ga-g])b")  # "Bb", "/Ab": the root or bass letter with a 'b' flat


@dataclass(frozen=True)
class ChordSymbol:
    """One chord symbol on the grid.

    Attributes
    ----------
    onset_step : int
        Where it starts; it lasts until the next symbol.
    figure : str
        As written (``"D/F#"``).
    root : int
        Pitch class of the root, 0 = C.
    bass : int
        Pitch class of the bass the symbol asks for: the slash bass, else the root.
    pitch_classes : tuple of int
        The chord's tones (root, bass and the rest), ascending.
    slash : bool
        Whether the figure names its bass (``D/F#``): then the bass is fixed, not only a chord tone.
    """

    onset_step: int
    figure: str
    root: int
    bass: int
    pitch_classes: tuple[int, ...]
    slash: bool = False

    def at(self, onset_step: int) -> ChordSymbol:
        return dataclasses.replace(self, onset_step=int(onset_step))


def parse_chord_symbol(figure: str, onset_step: int = 0) -> ChordSymbol:
    """A symbol from its figure.

    Raises
    ------
    InputError
        ``unknown chord symbol 'H7'`` when music21 cannot read it.
    """
    root, bass, classes = _parsed(figure.strip())
    return ChordSymbol(int(onset_step), figure.strip(), root, bass, classes, slash="/" in figure)


def to_music21(symbol: ChordSymbol):
    """The symbol as a :class:`music21.harmony.ChordSymbol`, for writing MusicXML ``<harmony>``."""
    from music21 import harmony

    return harmony.ChordSymbol(_music21_figure(symbol.figure))


def _music21_figure(figure: str) -> str:
    return _LEAD_SHEET_FLAT.sub(lambda m: m.group(1) + m.group(2) + "-", figure)


@lru_cache(maxsize=512)
def _parsed(figure: str) -> tuple[int, int, tuple[int, ...]]:
    from music21 import harmony

    if not figure or figure in NO_CHORD:
        raise InputError(f"unknown chord symbol {figure!r}")
    spelled = _music21_figure(figure)
    try:
        symbol = harmony.ChordSymbol(spelled)
        pitches = symbol.pitches
        root, bass = symbol.root(), symbol.bass()
    except Exception:  # music21 raises ValueError, KeyError or its own errors on figures it cannot read
        raise InputError(f"unknown chord symbol {figure!r}") from None
    if not pitches or root is None:
        raise InputError(f"unknown chord symbol {figure!r}")
    classes = tuple(sorted({p.pitchClass for p in pitches}))
    return root.pitchClass, (bass or root).pitchClass, classes


def parse_chord_line(text: str, score: Score) -> tuple[ChordSymbol, ...]:
    """Symbols for ``score`` from a line such as ``"G D/F# Em C"`` or ``"| G D | Em | C D7 | G |"``.

    Without ``|`` each symbol fills one bar. With ``|`` each bar holds one or more symbols that
    share it equally (two in 4/4 are half a bar each); their number must divide the bar's beats.
    There is one entry per bar of the melody: per full bar, or per bar counting its pickup first.

    Raises
    ------
    InputError
        Unknown symbols, a bar count that matches neither, or symbols that do not divide a bar.
    """
    text = text.strip()
    if not text:
        raise InputError("--chords is empty")
    bars = [bar.split() for bar in text.strip("|").split("|")] if "|" in text else [[s] for s in text.split()]
    if any(not bar for bar in bars):
        raise InputError("--chords has an empty bar between two '|'")
    for bar in bars:
        for figure in bar:
            parse_chord_symbol(figure)  # an unknown symbol is named before any count is checked
    lines = score.bar_lines()  # bar starts, the pickup's (0) first when there is one
    full = lines[1:] if score.anacrusis_steps else lines
    if len(bars) == len(lines):
        starts = lines
    elif len(bars) == len(full):
        starts = full
    else:
        with_pickup = f" ({len(lines)} with its pickup)" if score.anacrusis_steps else ""
        raise InputError(f"--chords gives {len(bars)} bars, the melody has {len(full)}{with_pickup}")
    symbols = []
    for start, bar in zip(starts, bars):
        bar_steps = score.anacrusis_steps if start < score.anacrusis_steps else score.steps_per_bar
        if bar_steps % len(bar):
            raise InputError(f"--chords: {len(bar)} symbols do not share a bar of {bar_steps} steps evenly "
                             f"({' '.join(bar)})")
        for index, figure in enumerate(bar):
            symbols.append(parse_chord_symbol(figure, start + index * bar_steps // len(bar)))
    return tuple(symbols)


def symbol_spans(symbols: tuple[ChordSymbol, ...], num_steps: int) -> list[tuple[ChordSymbol, int, int]]:
    """Each symbol with the steps it covers, ``(symbol, start_step, end_step)``, in order."""
    ordered = sorted(symbols, key=lambda s: s.onset_step)
    ends = [s.onset_step for s in ordered[1:]] + [num_steps]
    return [(s, s.onset_step, end) for s, end in zip(ordered, ends) if end > s.onset_step]


def chord_agreement(score: Score, symbols: tuple[ChordSymbol, ...] | None = None) -> tuple[int, int]:
    """How many beats under a chord symbol agree with it, out of how many.

    A beat agrees when, at its onset, the bass and at least three of the four sounding notes are
    tones of the symbol's chord. Beats where fewer than four voices sound are not counted.

    Parameters
    ----------
    score : Score
        Four voices, soprano first.
    symbols : tuple of ChordSymbol, optional
        Default: the score's own.
    """
    from midistyle.music.metrics import REST, beat_starts, sounding_pitches  # metrics imports score, which imports this

    symbols = score.chord_symbols if symbols is None else symbols
    grid = sounding_pitches(score)[:, :4]  # (T, 4)
    beats = beat_starts(score)
    agree = total = 0
    for symbol, start, end in symbol_spans(symbols, score.num_steps):
        for beat in beats[(beats >= start) & (beats < end)]:
            sounding = grid[beat]
            if len(sounding) < 4 or np.any(sounding == REST):
                continue
            tones = np.isin(sounding % 12, symbol.pitch_classes)
            total += 1
            agree += int(tones[3] and tones.sum() >= 3)
    return agree, total


def melody_clashes(melody: Score, symbols: tuple[ChordSymbol, ...]) -> list[tuple[ChordSymbol, int]]:
    """Symbols whose chord lacks the melody note sounding at the symbol's onset: ``(symbol, pitch)``."""
    from midistyle.music.metrics import sounding_pitches  # metrics imports score, which imports this

    line = sounding_pitches(melody)[:, 0] if melody.voices else np.zeros(0, int)  # (T,), -1 where silent
    return [(symbol, int(line[symbol.onset_step])) for symbol in symbols
            if symbol.onset_step < len(line) and line[symbol.onset_step] >= 0
            and line[symbol.onset_step] % 12 not in symbol.pitch_classes]


def symbols_on_grid(symbols: tuple[ChordSymbol, ...], old_steps_per_quarter: int,
                    new_steps_per_quarter: int) -> tuple[ChordSymbol, ...]:
    """The symbols moved to another grid (to its nearest step); two landing on one step keep the later."""
    moved = {round(s.onset_step * new_steps_per_quarter / old_steps_per_quarter): s for s in symbols}
    return tuple(s.at(step) for step, s in sorted(moved.items()))
