"""Score <-> MusicXML (``.musicxml``, ``.xml``, ``.mxl``), and Score <-> music21 streams.

Reading expands repeats (the music as performed, as a MIDI export would play
it), merges ties, and absorbs grace notes (they carry no time on the grid).
Writing builds real measures: notes crossing a bar line are split and tied, a
pickup becomes an incomplete measure 0, parts carry their names, key and meter.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path

from music21 import chord as m21chord
from music21 import converter, expressions, harmony, instrument, key, meter, note, stream, tempo

from midistyle.errors import InputError
from midistyle.music.keys import LETTERS, spelled
from midistyle.music.quantize import quantize_notes
from midistyle.music.score import Key, Score, Voice, make_voices

DEFAULT_SCORE_TEMPO_QPM = 100.0  # notation files without a tempo mark; a calm chorale pace


# -- reading ----------------------------------------------------------------------------------------
def read_musicxml(path: Path, *, steps_per_quarter: int = 4) -> Score:
    """Read a MusicXML file into a score (errors name the problem; the caller adds the path)."""
    return read_musicxml_file(path, steps_per_quarter=steps_per_quarter)[0]


def read_musicxml_file(path: Path, *, steps_per_quarter: int = 4) -> tuple[Score, bool, Counter]:
    """The score, whether the file gave a time signature, and what reading left out."""
    try:
        parsed = converter.parse(str(path), format="musicxml", forceSource=True)
    except Exception as error:  # music21 raises many types for malformed XML
        message = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        raise InputError(f"is not a readable MusicXML file ({message})") from None
    counts: Counter = Counter()
    score = music21_to_score(parsed, steps_per_quarter=steps_per_quarter, title=path.stem, counts=counts,
                             strict_repeats=False)
    return score, parsed.recurse().getElementsByClass(meter.TimeSignature).first() is not None, counts


def music21_to_score(
    parsed: stream.Score, *, steps_per_quarter: int = 4, title: str = "", require_on_grid: bool = False,
    counts: Counter | None = None, strict_repeats: bool = True,
) -> Score:
    """Quantize a music21 score (repeats expanded, ties merged) into a :class:`Score`.

    Grace notes are absorbed (they carry no time on the grid); chord symbols (lead-sheet harmony
    such as ABC ``"G"`` or MusicXML ``<harmony>``, which music21 parses as chords among the notes)
    become :attr:`Score.chord_symbols`; both are counted in ``counts`` when given. Repeats that music21 cannot
    expand raise, or with ``strict_repeats=False`` are read as written (and counted).

    Raises
    ------
    InputError
        When the repeats cannot be expanded, no part has a note, or (with
        ``require_on_grid``) a note had to be moved to fit the grid.
    """
    counts = Counter() if counts is None else counts
    if parsed.recurse().getElementsByClass("Repeat") or parsed.recurse().getElementsByClass(
        "RepeatBracket"
    ):
        try:
            parsed = parsed.expandRepeats()
        except Exception as error:
            if strict_repeats:
                raise InputError(f"has repeats that cannot be expanded ({error})") from None
            counts["repeats not expanded"] += 1  # read as written: each section once
    parts = list(parsed.parts) if parsed.hasPartLikeStreams() else [parsed]

    notes_per_voice, names, fermata_quarters, symbols = [], [], set(), {}
    for part in parts:
        raw = []
        for element in part.stripTies().flatten().notes:
            if isinstance(element, harmony.Harmony):  # lead-sheet chords written above the staff
                _read_chord_symbol(element, steps_per_quarter, symbols, counts)
                continue
            if element.duration.isGrace:
                counts["grace notes absorbed"] += 1  # absorbed into the note it ornaments
                continue
            onset = float(element.offset)
            end = onset + float(element.quarterLength)
            if any(isinstance(mark, expressions.Fermata) for mark in element.expressions):
                fermata_quarters.add(onset)
            velocity = element.volume.velocity or 80 if element.volume is not None else 80
            for pitch in getattr(element, "pitches", ()):
                raw.append((onset, end, pitch.midi, velocity))
        if raw:
            notes, report = quantize_notes(raw, steps_per_quarter=steps_per_quarter)
            if require_on_grid and report.num_off_grid:
                raise InputError(
                    f"has {report.num_off_grid} notes off the {steps_per_quarter}-steps-per-quarter grid"
                )
            notes_per_voice.append(notes)
            names.append(part.partName)
    if not notes_per_voice:
        raise InputError("has no notes")

    metadata_title = parsed.metadata.bestTitle if parsed.metadata is not None else None
    return Score(
        voices=make_voices(notes_per_voice, names),
        steps_per_quarter=steps_per_quarter,
        time_signature=_time_signature(parsed),
        anacrusis_steps=_anacrusis_steps(parts[0], steps_per_quarter),
        key=_key(parsed),
        tempo_qpm=_tempo_qpm(parsed),
        title=metadata_title or title,
        fermata_steps=tuple(round(q * steps_per_quarter) for q in fermata_quarters),
        chord_symbols=tuple(symbols.values()),
    )


def _read_chord_symbol(element, steps_per_quarter: int, symbols: dict, counts: Counter) -> None:
    """Keep a chord symbol (the first one at each onset, from any part); one music21 cannot name
    (such as "N.C.") is counted and left out."""
    from midistyle.music.chord_symbols import ChordSymbol

    step = round(float(element.offset) * steps_per_quarter)
    root, bass = element.root() if element.pitches else None, element.bass() if element.pitches else None
    if root is None or isinstance(element, harmony.NoChord):
        counts["chord symbols left out"] += 1
        return
    figure = re.sub(r"([A-G])-", r"\1b", element.figure or element.findFigure())  # music21's B- is a lead sheet's Bb
    symbols.setdefault(step, ChordSymbol(step, figure, root.pitchClass, (bass or root).pitchClass,
                                         tuple(sorted({p.pitchClass for p in element.pitches})),
                                         slash=bass is not None and bass.pitchClass != root.pitchClass))
    counts["chord symbols read"] += 1


def _time_signature(parsed: stream.Stream) -> tuple[int, int]:
    first = parsed.recurse().getElementsByClass(meter.TimeSignature).first()
    return (first.numerator, first.denominator) if first is not None else (4, 4)


def _anacrusis_steps(part: stream.Stream, steps_per_quarter: int) -> int:
    measures = part.getElementsByClass(stream.Measure)
    if not measures:
        return 0
    first = measures[0]
    bar_quarters = float(first.barDuration.quarterLength)
    if first.paddingLeft:
        return round((bar_quarters - float(first.paddingLeft)) * steps_per_quarter)
    content_quarters = float(first.highestTime)
    if first.number == 0 and 0 < content_quarters < bar_quarters:
        return round(content_quarters * steps_per_quarter)
    return 0


def _key(parsed: stream.Stream) -> Key | None:
    signature = parsed.recurse().getElementsByClass(key.KeySignature).first()
    if signature is None or not -7 <= signature.sharps <= 7:
        return None
    mode = getattr(signature, "mode", "major")
    return Key(signature.sharps, "minor" if mode == "minor" else "major")


def _tempo_qpm(parsed: stream.Stream) -> float:
    mark = parsed.recurse().getElementsByClass(tempo.MetronomeMark).first()
    if mark is None or not mark.getQuarterBPM():
        return DEFAULT_SCORE_TEMPO_QPM
    return min(max(float(mark.getQuarterBPM()), 1.0), 1000.0)


# -- writing ----------------------------------------------------------------------------------------
def score_to_music21(score: Score) -> stream.Score:
    """A music21 score with measures, ties across bar lines, a pickup measure 0, named parts."""
    result = stream.Score()
    result.insert(0, _metadata(score.title))
    for voice in score.voices:
        result.insert(0, _voice_to_part(voice, score))
    return result


def write_musicxml(score: Score, path: Path) -> None:
    """Write ``score`` as uncompressed MusicXML (the caller makes it atomic)."""
    score_to_music21(score).write("musicxml", fp=str(path), makeNotation=True)


# Without a key: the black keys as music spells them most often in C (C#, Eb, F#, G#, Bb).
_NEUTRAL_NAMES = ("C", "C#", "D", "E-", "E", "F", "F#", "G", "G#", "A", "B-", "B")


def spell_pitch(midi_pitch: int, score_key: Key | None):
    """A music21 pitch named as the key writes it (:func:`midistyle.music.keys.spelled`: the letter
    Bach writes that degree with), or as C major writes it when there is no key."""
    from music21 import pitch

    if score_key is None:
        written = pitch.Pitch(_NEUTRAL_NAMES[midi_pitch % 12])
        written.octave = (midi_pitch - written.pitchClass) // 12 - 1
        return written
    letter, alteration, octave = spelled(midi_pitch, score_key)
    written = pitch.Pitch(LETTERS[letter] + ("#" * alteration if alteration > 0 else "-" * -alteration))
    written.octave = octave  # set as a number: a name like "F#-1" does not parse
    return written


def _clef_for(voice: Voice):
    """One clef for the whole part, from its name or its range: treble, tenor (treble 8vb) or bass."""
    from music21 import clef

    name = voice.name.lower()
    if name.startswith(("soprano", "alto")):
        return clef.TrebleClef()
    if name.startswith("tenor"):
        return clef.Treble8vbClef()
    if name.startswith("bass"):
        return clef.BassClef()
    pitches = [n.pitch for n in voice.notes] or [60]
    middle = sorted(pitches)[len(pitches) // 2]
    return clef.TrebleClef() if middle >= 60 else clef.Treble8vbClef() if middle >= 52 else clef.BassClef()


def _metadata(title: str):
    from music21 import metadata

    info = metadata.Metadata()
    info.title = title or "midistyle score"
    return info


def _voice_to_part(voice: Voice, score: Score) -> stream.Part:
    quarters_per_step = Fraction(1, score.steps_per_quarter)
    flat = stream.Part()
    part_instrument = instrument.instrumentFromMidiProgram(voice.program)
    part_instrument.partName = voice.name
    part_instrument.partAbbreviation = voice.name[:1]
    flat.insert(0, part_instrument)
    flat.partName = voice.name

    flat.insert(0, _clef_for(voice))
    fermatas = set(score.fermata_steps)
    same_span: dict[tuple[int, int], list[int]] = defaultdict(list)  # notes sounding together
    for n in voice.notes:
        same_span[(n.onset_step, n.duration_steps)].append(n.pitch)
    for (onset_step, duration_steps), pitches in sorted(same_span.items()):
        length = float(duration_steps * quarters_per_step)
        spelled = [spell_pitch(p, score.key) for p in sorted(pitches)]
        element = (
            note.Note(spelled[0], quarterLength=length)
            if len(spelled) == 1
            else m21chord.Chord(spelled, quarterLength=length)
        )
        if onset_step in fermatas:
            element.expressions.append(expressions.Fermata())
        flat.insert(float(onset_step * quarters_per_step), element)
    if voice is score.voices[0]:  # chord symbols over the top staff
        from midistyle.music.chord_symbols import to_music21

        for symbol in score.chord_symbols:
            flat.insert(float(symbol.onset_step * quarters_per_step), to_music21(symbol))

    numerator, denominator = score.time_signature
    meters = stream.Stream()
    if score.pickup_time_signature:
        meters.insert(0, meter.TimeSignature("{}/{}".format(*score.pickup_time_signature)))
    meters.insert(
        float(score.anacrusis_steps * quarters_per_step), meter.TimeSignature(f"{numerator}/{denominator}")
    )
    measured = flat.makeMeasures(meterStream=meters)
    measured.makeTies(inPlace=True)
    measured.makeRests(fillGaps=True, inPlace=True, timeRangeFromBarDuration=True)  # silent beats get rests
    measures = list(measured.getElementsByClass(stream.Measure))
    if score.anacrusis_steps and len(measures) > 1:
        measures[0].removeByClass(meter.TimeSignature)
        measures[0].insert(0, meter.TimeSignature(f"{numerator}/{denominator}"))
        measures[1].removeByClass(meter.TimeSignature)
        measures[0].padAsAnacrusis()
    first_number = 0 if score.anacrusis_steps else 1
    for index, measure in enumerate(measures):
        measure.number = index + first_number
        if not voice.is_monophonic and measure.hasVoices() is False:
            measure.makeVoices(inPlace=True)
    if measures:
        if score.key is not None:
            measures[0].insert(0, key.Key(score.key.tonic_name, score.key.mode))
        if voice is score.voices[0]:  # the tempo is printed once, over the top staff, in whole beats
            measures[0].insert(0, tempo.MetronomeMark(number=round(score.tempo_qpm), referent=1.0))
    # Accidentals are worked out here, against the key, rather than left to the writer: makeTies
    # marks a note tied over a bar line as already spelled, and music21's writer then skips the
    # whole part, printing every flat of the key and no natural (seen in A-flat, with the last note
    # held over the bar line).
    measured.makeAccidentals(inPlace=True)
    measured.partName = voice.name
    return measured
