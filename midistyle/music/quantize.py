"""Snap notes given in quarter-note time onto the score's step grid.

Both readers (MIDI ticks, MusicXML quarter lengths) describe notes as
``(onset_quarters, end_quarters, pitch, velocity)``; this module is the one
place that turns them into :class:`~midistyle.music.score.Note` objects, so
that every path into a score follows the same rounding and clean-up rules:

* onsets and ends round to the nearest step; a note never shrinks below 1 step;
* two notes of the same pitch in one voice never overlap: the earlier one is
  cut at the later onset, and exact duplicates are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from midistyle.music.score import Note

RawNote = tuple[float, float, int, int]  # (onset_quarters, end_quarters, pitch, velocity)


@dataclass(frozen=True)
class QuantizeReport:
    """What snapping changed: notes moved off their exact time, notes dropped as duplicates."""

    num_off_grid: int = 0
    num_dropped: int = 0


def quantize_notes(
    raw_notes: Iterable[RawNote], *, steps_per_quarter: int
) -> tuple[tuple[Note, ...], QuantizeReport]:
    """Snap one voice's notes to the grid.

    Parameters
    ----------
    raw_notes : iterable of (float, float, int, int)
        ``(onset_quarters, end_quarters, pitch, velocity)`` per note.
    steps_per_quarter : int
        Grid resolution.

    Returns
    -------
    notes : tuple of Note
        Sorted, with no same-pitch overlaps.
    report : QuantizeReport
    """
    snapped: list[Note] = []
    num_off_grid = 0
    for onset_quarters, end_quarters, pitch, velocity in raw_notes:
        onset_exact = onset_quarters * steps_per_quarter
        end_exact = end_quarters * steps_per_quarter
        onset = round(onset_exact)
        end = max(round(end_exact), onset + 1)
        if abs(onset_exact - onset) > 1e-6 or abs(end_exact - end) > 1e-6:
            num_off_grid += 1
        snapped.append(Note(onset, int(pitch), end - onset, int(min(max(velocity, 1), 127))))

    snapped.sort()
    kept: list[Note] = []
    last_by_pitch: dict[int, int] = {}  # pitch -> index in kept of its latest note
    num_dropped = 0
    for note in snapped:
        previous_index = last_by_pitch.get(note.pitch)
        if previous_index is not None:
            previous = kept[previous_index]
            if previous.onset_step == note.onset_step:
                num_dropped += 1  # same pitch, same onset: keep the first
                continue
            if previous.end_step > note.onset_step:
                kept[previous_index] = Note(
                    previous.onset_step, previous.pitch, note.onset_step - previous.onset_step,
                    previous.velocity,
                )
        last_by_pitch[note.pitch] = len(kept)
        kept.append(note)
    return tuple(kept), QuantizeReport(num_off_grid, num_dropped)
