"""General MIDI instruments by name or number, and ensemble presets for four voices."""

from __future__ import annotations

import contextlib
import difflib
import io
from collections.abc import Sequence

from midistyle.errors import InputError

# pretty_midi imports pyfluidsynth, which prints its library path to stdout when $CI is set.
with contextlib.redirect_stdout(io.StringIO()):
    from pretty_midi.constants import INSTRUMENT_MAP

# The 128 General MIDI program names, program 0 first, as pretty_midi lists them.
GM_PROGRAM_NAMES: tuple[str, ...] = tuple(INSTRUMENT_MAP)

# Soprano, alto, tenor, bass.
ENSEMBLES: dict[str, tuple[str, str, str, str]] = {
    "organ": ("Church Organ",) * 4,
    "choir": ("Choir Aahs",) * 4,
    "strings": ("Violin", "Violin", "Viola", "Cello"),
    "brass": ("Trumpet", "French Horn", "Trombone", "Tuba"),
    "piano": ("Acoustic Grand Piano",) * 4,
}


def _normalise(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


_PROGRAM_BY_NAME = {_normalise(name): program for program, name in enumerate(GM_PROGRAM_NAMES)}


def program_of(instrument: str | int) -> int:
    """GM program 0-127 of ``"choir aahs"``, ``"French Horn"``, ``"52"`` or ``52``.

    Raises
    ------
    InputError
        Unknown name (with the closest GM names) or a number outside 0-127.
    """
    if isinstance(instrument, int) or str(instrument).strip().isdigit():
        program = int(instrument)
        if not 0 <= program <= 127:
            raise InputError(f"instrument number {program} must be a GM program in 0..127")
        return program
    key = _normalise(str(instrument))
    if key in _PROGRAM_BY_NAME:
        return _PROGRAM_BY_NAME[key]
    close = difflib.get_close_matches(str(instrument).strip().title(), GM_PROGRAM_NAMES, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c.lower()) for c in close)}?" if close else ""
    raise InputError(f"unknown instrument {instrument!r}{hint}")


def programs_for(num_voices: int, *, instruments: Sequence[str | int] | None = None,
                 ensemble: str | None = None) -> list[int] | None:
    """Programs for ``num_voices`` voices from a list (one per voice, or one for all) or an ensemble.

    Returns None when neither is given (keep the score's own programs).
    """
    if instruments and ensemble:
        raise InputError("give either instruments or an ensemble, not both")
    if ensemble is not None:
        if ensemble not in ENSEMBLES:
            raise InputError(f"unknown ensemble {ensemble!r}; choose from {', '.join(ENSEMBLES)}")
        names = ENSEMBLES[ensemble]
        return [program_of(names[min(i, len(names) - 1)]) for i in range(num_voices)]
    if not instruments:
        return None
    programs = [program_of(i) for i in instruments]
    if len(programs) == 1:
        return programs * num_voices
    if len(programs) != num_voices:
        raise InputError(f"{len(programs)} instruments given for {num_voices} voices; give 1 or {num_voices}")
    return programs
