"""read_score / write_score: pick the format from the file extension, write atomically.

Every error about a file is an :class:`~midistyle.errors.InputError` whose
message starts with the path, so the command line can print it as one line.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from midistyle.errors import InputError
from midistyle.music.score import Note, Score, Voice

MIDI_EXTENSIONS = (".mid", ".midi")
MUSICXML_EXTENSIONS = (".musicxml", ".xml", ".mxl")
NOTATION_EXTENSIONS = (".abc", ".krn", ".mei")  # through music21, see midistyle.music.notation
SCORE_EXTENSIONS = MIDI_EXTENSIONS + MUSICXML_EXTENSIONS + NOTATION_EXTENSIONS


@dataclass(frozen=True)
class ScoreFile:
    """A score as read, with facts about its source.

    Attributes
    ----------
    score : Score
    meter_given : bool
        False when the file had no time signature (the score then says 4/4).
    counts : Counter
        What the reader left out or absorbed (``"grace notes absorbed"``, ``"chord symbols read"``).
    notes : tuple of str
        Lines for the user, e.g. how many tunes the file holds and how to pick one.
    """

    score: Score
    meter_given: bool = True
    counts: Counter = field(default_factory=Counter)
    notes: tuple[str, ...] = ()


def read_score(path: str | os.PathLike, *, steps_per_quarter: int = 4, tune: int | None = None) -> Score:
    """Read a MIDI, MusicXML, ABC, Humdrum or MEI file into a :class:`Score` quantized to the step grid.

    Parameters
    ----------
    path : str or path-like
        ``.mid``/``.midi``, ``.musicxml``/``.xml``/``.mxl``, ``.abc``, ``.krn`` or ``.mei``.
    steps_per_quarter : int, keyword-only
        Grid resolution; the default 4 is a 16th-note grid.
    tune : int, keyword-only
        In a file of several tunes: the ABC ``X:`` number, or the 1-based position; default the first.

    Raises
    ------
    InputError
        Missing, empty, corrupt or note-less file, an unknown extension or tune.
    """
    return read_score_file(path, steps_per_quarter=steps_per_quarter, tune=tune).score


def read_score_as_written(path: str | os.PathLike, *, tune: int | None = None) -> Score:
    """Read a score on the 16th grid, or on 12 or 24 steps per quarter when its onsets need it.

    For the commands that show or convert a score (``engrave``, ``convert``, ``plot``): a file with
    triplets or 32nds, such as a harmonization that kept a tune's as written, keeps them. A file whose
    onsets none of these grids holds (played in, 64ths) is read on the 16th grid, as
    :func:`read_score` reads it.
    """
    fine_steps = 48
    fine = read_score(path, steps_per_quarter=fine_steps, tune=tune)
    grid = fine.coarsest_grid((4, 12, 24))
    if grid is None:
        return read_score(path, tune=tune)
    ratio = fine_steps // grid
    voices = tuple(Voice(v.name, tuple(Note(n.onset_step // ratio, n.pitch, max(round(n.duration_steps / ratio), 1),
                                            n.velocity) for n in v.notes), v.program) for v in fine.voices)
    return fine.on_grid(grid, voices, fine.anacrusis_steps // ratio)


def read_score_file(path: str | os.PathLike, *, steps_per_quarter: int = 4, tune: int | None = None) -> ScoreFile:
    """Like :func:`read_score`, and say whether the file gave a meter and what the reader left out."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SCORE_EXTENSIONS:
        raise InputError(
            f"{path}: unsupported extension {suffix or '(none)'!r}; use one of {', '.join(SCORE_EXTENSIONS)}"
        )
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a score file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: is empty (0 bytes)")
    if tune is not None and tune < 1:
        raise InputError(f"--tune {tune} must be >= 1")
    try:
        if suffix in MIDI_EXTENSIONS:
            from midistyle.music.midi import read_midi_file

            if tune not in (None, 1):
                raise InputError(f"--tune {tune}: a MIDI file holds one tune")
            score, meter_given = read_midi_file(path, steps_per_quarter=steps_per_quarter)
            return ScoreFile(score, meter_given)
        if suffix in NOTATION_EXTENSIONS:
            from midistyle.music.notation import read_notation

            read = read_notation(path, steps_per_quarter=steps_per_quarter, tune=tune)
            return ScoreFile(read.score, read.meter_given, read.counts, read.notes)
        from midistyle.music.musicxml import read_musicxml_file

        if tune not in (None, 1):
            raise InputError(f"--tune {tune}: a MusicXML file holds one score")
        score, meter_given, counts = read_musicxml_file(path, steps_per_quarter=steps_per_quarter)
        return ScoreFile(score, meter_given, counts)
    except InputError as error:
        raise InputError(f"{path}: {error}") from None


def write_score(score: Score, path: str | os.PathLike) -> Path:
    """Write ``score`` as MIDI or MusicXML (by extension), atomically; return the path.

    The file appears complete or not at all: it is written next to its target
    and renamed into place.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in MIDI_EXTENSIONS:
        from midistyle.music.midi import write_midi as writer
    elif suffix in (".musicxml", ".xml"):
        from midistyle.music.musicxml import write_musicxml as writer
    else:
        raise InputError(
            f"{path}: cannot write extension {suffix or '(none)'!r}; use .mid, .midi, .musicxml or .xml"
        )
    if score.num_notes == 0:
        raise InputError(f"{path}: refusing to write a score with no notes")
    with atomic_path(path) as temporary:
        writer(score, temporary)
    return path


def refuse_overwriting_input(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Raise when ``target`` is the same file as ``source``: inputs are never overwritten."""
    source, target = Path(source), Path(target)
    if target.exists() and source.exists() and source.resolve() == target.resolve():
        raise InputError(f"{target}: output would overwrite the input; choose another name")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` when the block succeeds.

    On any error the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give a file name")
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f"{path.suffix}.tmp", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600; give the file ordinary permissions
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_atomically(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)`` and move the result onto ``path`` in one step."""
    with atomic_path(path) as temporary:
        write(temporary)
    return Path(path)
