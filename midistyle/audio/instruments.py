"""General MIDI instruments by name or number, and ensemble presets for four voices."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from midistyle.errors import InputError

# The 128 General MIDI level 1 program names, program 0 first, spelt as pretty_midi spells them
# (tests/test_render.py checks they agree), two rows to each GM instrument family of eight. Kept
# here because importing pretty_midi costs a cold render about 25 ms (`python -X importtime`).
GM_PROGRAM_NAMES: tuple[str, ...] = (
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet",
    "Celesta", "Glockenspiel", "Music Box", "Vibraphone",
    "Marimba", "Xylophone", "Tubular Bells", "Dulcimer",
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ",
    "Reed Organ", "Accordion", "Harmonica", "Tango Accordion",
    "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)", "Electric Guitar (clean)",
    "Electric Guitar (muted)", "Overdriven Guitar", "Distortion Guitar", "Guitar Harmonics",
    "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass",
    "Slap Bass 1", "Slap Bass 2", "Synth Bass 1", "Synth Bass 2",
    "Violin", "Viola", "Cello", "Contrabass",
    "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp", "Timpani",
    "String Ensemble 1", "String Ensemble 2", "Synth Strings 1", "Synth Strings 2",
    "Choir Aahs", "Voice Oohs", "Synth Choir", "Orchestra Hit",
    "Trumpet", "Trombone", "Tuba", "Muted Trumpet",
    "French Horn", "Brass Section", "Synth Brass 1", "Synth Brass 2",
    "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax",
    "Oboe", "English Horn", "Bassoon", "Clarinet",
    "Piccolo", "Flute", "Recorder", "Pan Flute",
    "Blown bottle", "Shakuhachi", "Whistle", "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 chiff",
    "Lead 5 (charang)", "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)",
    "Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)",
    "Pad 5 (bowed)", "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)",
    "FX 5 (brightness)", "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)",
    "Sitar", "Banjo", "Shamisen", "Koto",
    "Kalimba", "Bagpipe", "Fiddle", "Shanai",
    "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock",
    "Taiko Drum", "Melodic Tom", "Synth Drum", "Reverse Cymbal",
    "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet",
    "Telephone Ring", "Helicopter", "Applause", "Gunshot",
)

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
