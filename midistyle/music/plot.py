"""Draw a score as a piano roll: one colour per voice, bar lines, pitch names."""

from __future__ import annotations

import os
from pathlib import Path

from midistyle.errors import InputError
from midistyle.music.io import write_atomically
from midistyle.music.score import Score

_NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def pitch_name(pitch: int) -> str:
    """Scientific pitch name of a MIDI pitch: 60 -> ``"C4"``, 66 -> ``"F#4"``."""
    return f"{_NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def plot_pianoroll(score: Score, path: str | os.PathLike, *, title: str | None = None,
                   dots_per_inch: int = 120) -> Path:
    """Write a PNG piano roll of ``score`` (atomically) and return its path.

    Each voice has its own colour; a note is a bar from onset to end with a
    darker left edge, so repeated notes stay distinguishable from held ones.
    """
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise InputError(f"{path}: plots are written as .png")
    if score.num_notes == 0:
        raise InputError("score has no notes to plot")

    pitches = [n.pitch for v in score.voices for n in v.notes]
    low, high = min(pitches) - 2, max(pitches) + 2
    width_inches = min(max(6.0, score.num_steps / 16 * 0.9), 40.0)
    figure = Figure(figsize=(width_inches, max(3.0, (high - low) * 0.12 + 1.5)))
    axes = figure.subplots()
    colours = matplotlib.colormaps["tab10"].colors
    for index, voice in enumerate(score.voices):
        colour = colours[index % len(colours)]
        for note in voice.notes:
            axes.add_patch(Rectangle((note.onset_step, note.pitch - 0.4), note.duration_steps, 0.8,
                                     facecolor=colour, edgecolor="none", alpha=0.85))
            axes.plot([note.onset_step, note.onset_step], [note.pitch - 0.4, note.pitch + 0.4],
                      color="black", linewidth=0.8)
    for bar_line in score.bar_lines():
        axes.axvline(bar_line, color="0.6", linewidth=0.6, zorder=0)

    axes.set_xlim(0, score.num_steps)
    axes.set_ylim(low, high)
    name_every = 1 if high - low <= 24 else 2 if high - low <= 48 else 12
    ticks = [p for p in range(low, high + 1) if p % name_every == 0 or (name_every == 12 and p % 12 == 0)]
    axes.set_yticks(ticks, [pitch_name(p) for p in ticks], fontsize=7)
    bar_ticks = score.bar_lines()
    first_bar = 0 if score.anacrusis_steps else 1
    axes.set_xticks(bar_ticks, [str(i + first_bar) for i in range(len(bar_ticks))], fontsize=7)
    axes.set_xlabel("bar")
    axes.set_ylabel("pitch")
    key = f", {score.key}" if score.key else ""
    meter = f"{score.time_signature[0]}/{score.time_signature[1]}"
    axes.set_title(title or f"{score.title or 'score'} ({meter}{key})", fontsize=10)
    axes.legend(handles=[Patch(color=colours[i % len(colours)], label=v.name)
                         for i, v in enumerate(score.voices)],
                loc="upper right", fontsize=7, ncol=len(score.voices))
    return save_png(figure, path, dots_per_inch)


def save_png(figure, path: str | os.PathLike, dots_per_inch: int) -> Path:
    """Lay out a matplotlib ``figure``, write it atomically as PNG and return the path.

    Figures are built with :class:`matplotlib.figure.Figure`, not pyplot: nothing global (the
    backend, pyplot's figure list) is touched, so plotting is safe beside a notebook's own matplotlib
    set-up (music21 imports pyplot on a timer thread in Jupyter) and in the studio's threads.
    """
    figure.tight_layout()
    write_atomically(path, lambda temporary: figure.savefig(temporary, format="png", dpi=dots_per_inch))
    return Path(path)
