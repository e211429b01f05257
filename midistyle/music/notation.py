"""ABC, Humdrum **kern and MEI through music21, with the tune chosen in files that hold several.

Folk-tune collections put many tunes in one file: an ABC file numbers them with ``X:`` fields, a
Humdrum file may hold several pieces. ``tune`` picks one: the ABC ``X:`` number, or for other
formats the 1-based position. Without it the first tune is read and the reader says how many the
file holds and how to choose. The conversion to a :class:`Score` is MusicXML's
(:func:`midistyle.music.musicxml.music21_to_score`): repeats expanded, ties merged, grace notes
absorbed, chord symbols kept.
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
    from music21 import meter

    from midistyle.music.musicxml import music21_to_score

    notes: list[str] = []
    parsed = parse_notation(path, tune=tune, notes=notes)
    counts: Counter = Counter()
    score = music21_to_score(parsed, steps_per_quarter=steps_per_quarter, title=path.stem, counts=counts,
                             strict_repeats=False)
    meter_given = parsed.recurse().getElementsByClass(meter.TimeSignature).first() is not None
    return NotationRead(score, meter_given, counts, tuple(notes))


def parse_notation(path: Path, *, tune: int | None = None, notes: list[str] | None = None) -> object:
    """The music21 score of one tune of a notation file, with what music21 reads wrong put right
    (it drops an ABC fermata and the note after it, and reads no MEI fermata).

    Parameters
    ----------
    path : Path
        An ``.abc``, ``.krn`` or ``.mei`` file (:data:`FORMATS`).
    tune : int or None, keyword-only
        The ABC ``X:`` number, or for other formats the 1-based position; None: the first.
    notes : list of str or None, keyword-only
        Receives what the user should know about the choice of tune.

    Returns
    -------
    music21.stream.Score
        Repeats as written (``music21_to_score`` expands them).

    Raises
    ------
    InputError
        Not a notation format, an unreadable file, or a tune number the file does not have.
    """
    if path.suffix.lower() not in FORMATS:
        raise InputError(f"'{path.suffix}' is not one of the notation formats {', '.join(FORMATS)}")
    from music21 import converter, stream

    notes = [] if notes is None else notes
    file_format = FORMATS[path.suffix.lower()]
    try:
        if file_format == "abc":
            text = path.read_text(errors="replace")
            numbers = [int(n) for n in _ABC_TUNE_NUMBER.findall(text)]
            number = _choose_abc_tune(numbers, tune, notes)
            text = _abc_fermatas_as_tenuto(text)
            parsed = converter.parse(text, format="abc", number=number, forceSource=True) if number \
                else converter.parse(text, format="abc", forceSource=True)
            _tenuto_to_fermata(parsed)
        else:
            parsed = converter.parse(str(path), format=file_format, forceSource=True)
            if file_format == "mei":
                _mark_mei_fermatas(parsed, path)
    except InputError:
        raise
    except Exception as error:  # music21 raises many types for malformed input
        message = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        raise InputError(f"is not a readable {file_format.upper()} file ({message})") from None
    if isinstance(parsed, stream.Opus):
        parsed = _choose_opus_score(parsed, tune, notes)
    elif tune not in (None, 1) and file_format != "abc":
        raise InputError(f"--tune {tune}: the file holds one tune")
    return parsed


# ABC: music21 drops a fermata (``H``, ``!fermata!``) and the note after it, but reads ``M`` as a
# tenuto. So a fermata goes in as ``M`` and comes out as a fermata; ABC's own ``M`` (a lower
# mordent, an ornament the reader absorbs anyway) is dropped. Header fields, inline fields, chord
# symbols and other decorations are left as they are.
_ABC_BODY_TOKEN = re.compile(r'(\[[A-Za-z]:[^\]]*\]|"[^"]*"|![^!]*!|\+[^+\s]*\+)|([HM])')
_ABC_FIELD_LINE = re.compile(r"^[A-Za-z]:|^%")


def _abc_fermatas_as_tenuto(text: str) -> str:
    def body(match: re.Match) -> str:
        token, shortcut = match.groups()
        if shortcut:
            return "M" if shortcut == "H" else ""
        return "M" if token in ("!fermata!", "+fermata+") else token

    return "\n".join(line if _ABC_FIELD_LINE.match(line) else _ABC_BODY_TOKEN.sub(body, line)
                     for line in text.split("\n"))


def _tenuto_to_fermata(parsed) -> None:
    from music21 import articulations, expressions

    for element in parsed.recurse().notes:
        tenuto = [a for a in element.articulations if isinstance(a, articulations.Tenuto)]
        if tenuto:
            element.articulations = [a for a in element.articulations if a not in tenuto]
            element.expressions.append(expressions.Fermata())


def _mark_mei_fermatas(parsed, path: Path) -> None:
    """music21 reads no MEI fermata: put one on each note or chord with ``@fermata`` or named by a
    ``<fermata startid>``, matched by ``xml:id``."""
    import xml.etree.ElementTree as ElementTree

    from music21 import expressions

    xml_id = "{http://www.w3.org/XML/1998/namespace}id"
    wanted = set()
    for element in ElementTree.parse(path).iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag in ("note", "chord") and element.get("fermata") and element.get(xml_id):
            wanted.add(element.get(xml_id))
        elif tag == "fermata" and element.get("startid"):
            wanted.add(element.get("startid").lstrip("#"))
    for element in parsed.recurse().notes:
        if element.id in wanted:
            element.expressions.append(expressions.Fermata())


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
