"""ABC, Humdrum **kern and MEI through music21, with the tune chosen in files that hold several.

Folk-tune collections put many tunes in one file: an ABC file numbers them with ``X:`` fields, a
Humdrum file may hold several pieces. ``tune`` picks one: the ABC ``X:`` number, or for other
formats the 1-based position. Without it the first tune is read and the reader says how many the
file holds and how to choose. The conversion to a :class:`Score` is MusicXML's
(:func:`midistyle.music.musicxml.music21_to_score`): repeats expanded, ties merged, grace notes
absorbed, chord symbols left out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from midistyle.errors import InputError
from midistyle.music.score import Score

FORMATS = {".abc": "abc", ".krn": "humdrum", ".mei": "mei"}
_ABC_TUNE_NUMBER = re.compile(r"^X:\s*(\d+)", re.MULTILINE)


@dataclass(frozen=True)
class NotationRead:
    """A score read from a notation file and what the user should know about it."""

    score: Score
    meter_given: bool
    counts: Counter
    notes: tuple[str, ...]


def read_notation(path: Path, *, steps_per_quarter: int = 4, tune: int | None = None) -> NotationRead:
    """Read an ``.abc``, ``.krn`` or ``.mei`` file (errors name the problem; the caller adds the path).

    Raises
    ------
    InputError
        Unreadable file, a tune number the file does not have, no notes.
    """
    from music21 import converter, meter, stream

    from midistyle.music.musicxml import music21_to_score

    file_format = FORMATS[path.suffix.lower()]
    notes: list[str] = []
    try:
        if file_format == "abc":
            numbers = [int(n) for n in _ABC_TUNE_NUMBER.findall(path.read_text(errors="replace"))]
            number = _choose_abc_tune(numbers, tune, notes)
            parsed = converter.parse(str(path), format="abc", number=number, forceSource=True) if number \
                else converter.parse(str(path), format="abc", forceSource=True)
        else:
            parsed = converter.parse(str(path), format=file_format, forceSource=True)
    except InputError:
        raise
    except Exception as error:  # music21 raises many types for malformed input
        message = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        raise InputError(f"is not a readable {file_format.upper()} file ({message})") from None
    if isinstance(parsed, stream.Opus):
        parsed = _choose_opus_score(parsed, tune, notes)
    elif tune not in (None, 1) and file_format != "abc":
        raise InputError(f"--tune {tune}: the file holds one tune")
    counts: Counter = Counter()
    score = music21_to_score(parsed, steps_per_quarter=steps_per_quarter, title=path.stem, counts=counts,
                             strict_repeats=False)
    meter_given = parsed.recurse().getElementsByClass(meter.TimeSignature).first() is not None
    return NotationRead(score, meter_given, counts, tuple(notes))


def _choose_abc_tune(numbers: list[int], tune: int | None, notes: list[str]) -> int | None:
    if tune is not None:
        if tune not in numbers:
            shown = ", ".join(map(str, numbers[:12])) + (" ..." if len(numbers) > 12 else "")
            raise InputError(f"--tune {tune}: no tune X:{tune} in the file (it has X: {shown or 'none'})")
        return tune
    if len(numbers) > 1:
        notes.append(f"the file holds {len(numbers)} tunes; reading the first (X:{numbers[0]}); "
                     "pick another with --tune X")
    return numbers[0] if numbers else None


def _choose_opus_score(opus, tune: int | None, notes: list[str]):
    scores = list(opus.scores)
    if not scores:
        raise InputError("holds no tune")
    if tune is None:
        if len(scores) > 1:
            notes.append(f"the file holds {len(scores)} tunes; reading the first; pick another with --tune N "
                         "(its position, from 1)")
        return scores[0]
    if not 1 <= tune <= len(scores):
        raise InputError(f"--tune {tune}: the file holds {len(scores)} tunes (give 1..{len(scores)})")
    return scores[tune - 1]
