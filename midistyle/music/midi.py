"""Score <-> Standard MIDI File, through symusic (the reader/writer miditok uses).

A pickup bar is stored the way notation programs do it: a short time signature
for the pickup (e.g. 1/4) followed by the real one where the first full bar
starts. Reading recognises that pattern, so ``anacrusis_steps`` survives a
round trip and bar lines stay right in any MIDI viewer.
"""

from __future__ import annotations

from pathlib import Path

import symusic

from midistyle.errors import InputError
from midistyle.music.quantize import quantize_notes
from midistyle.music.score import Key, Score, make_voices

DEFAULT_MIDI_TEMPO_QPM = 120.0  # what the MIDI standard assumes without a tempo event
_TICKS_PER_QUARTER = 480


def score_to_symusic(score: Score) -> symusic.Score:
    """Build a symusic score in ticks: one track per voice, meter, key and tempo."""
    ticks_per_quarter = _TICKS_PER_QUARTER
    if ticks_per_quarter % score.steps_per_quarter:
        ticks_per_quarter = 120 * score.steps_per_quarter
    ticks_per_step = ticks_per_quarter // score.steps_per_quarter
    out = symusic.Score(ticks_per_quarter)

    numerator, denominator = score.time_signature
    if score.pickup_time_signature:
        out.time_signatures.append(symusic.TimeSignature(0, *score.pickup_time_signature))
    out.time_signatures.append(
        symusic.TimeSignature(score.anacrusis_steps * ticks_per_step, numerator, denominator)
    )
    if score.key is not None:
        out.key_signatures.append(
            symusic.KeySignature(0, score.key.sharps, 0 if score.key.mode == "major" else 1)
        )
    out.tempos.append(symusic.Tempo(0, qpm=float(score.tempo_qpm)))

    for voice in score.voices:
        track = symusic.Track(voice.name, voice.program, False)
        for note in voice.notes:
            track.notes.append(
                symusic.Note(
                    note.onset_step * ticks_per_step, note.duration_steps * ticks_per_step,
                    note.pitch, note.velocity,
                )
            )
        out.tracks.append(track)
    return out


def symusic_to_score(midi: symusic.Score, *, steps_per_quarter: int = 4, title: str = "") -> Score:
    """Quantize a symusic score onto the step grid.

    Empty and drum tracks are left out (a score holds pitched voices only).

    Raises
    ------
    InputError
        When no pitched note remains.
    """
    ticks_per_quarter = midi.ticks_per_quarter
    pitched = [t for t in midi.tracks if not t.is_drum and len(t.notes)]
    if not pitched:
        has_drums = any(t.is_drum and len(t.notes) for t in midi.tracks)
        raise InputError("has only drum notes" if has_drums else "has no notes")

    notes_per_voice, names, programs = [], [], []
    for track in pitched:
        raw = [
            (n.time / ticks_per_quarter, n.end / ticks_per_quarter, n.pitch, n.velocity)
            for n in track.notes
        ]
        notes, _ = quantize_notes(raw, steps_per_quarter=steps_per_quarter)
        notes_per_voice.append(notes)
        names.append(track.name.strip() or None)
        programs.append(track.program)

    time_signature, anacrusis_ticks = _meter_and_pickup(midi)
    key = None
    if len(midi.key_signatures):
        first = midi.key_signatures[0]
        if -7 <= first.key <= 7:
            key = Key(int(first.key), "minor" if first.tonality else "major")
    # MIDI stores microseconds per quarter: round away the float noise (76 -> 75.99997)
    tempo_qpm = round(float(midi.tempos[0].qpm), 3) if len(midi.tempos) else DEFAULT_MIDI_TEMPO_QPM
    return Score(
        voices=make_voices(notes_per_voice, names, programs),
        steps_per_quarter=steps_per_quarter,
        time_signature=time_signature,
        anacrusis_steps=round(anacrusis_ticks * steps_per_quarter / ticks_per_quarter),
        key=key,
        tempo_qpm=min(max(tempo_qpm, 1.0), 1000.0),
        title=title,
    )


def read_midi(path: Path, *, steps_per_quarter: int = 4) -> Score:
    """Read a ``.mid``/``.midi`` file; errors name the problem (the caller adds the path)."""
    return read_midi_file(path, steps_per_quarter=steps_per_quarter)[0]


def read_midi_file(path: Path, *, steps_per_quarter: int = 4) -> tuple[Score, bool]:
    """The score and whether the file gave a time signature (without one, MIDI means 4/4)."""
    try:
        midi = symusic.Score(str(path))
    except Exception as error:  # symusic raises RuntimeError/ValueError with C++ messages
        raise InputError(f"is not a readable MIDI file ({_first_line(error)})") from None
    meter_given = any(_valid_signature((int(t.numerator), int(t.denominator))) for t in midi.time_signatures)
    return symusic_to_score(midi, steps_per_quarter=steps_per_quarter, title=path.stem), meter_given


def write_midi(score: Score, path: Path) -> None:
    """Write ``score`` as a type-1 MIDI file at ``path`` (the caller makes it atomic)."""
    score_to_symusic(score).dump_midi(str(path))


def _meter_and_pickup(midi: symusic.Score) -> tuple[tuple[int, int], int]:
    """The time signature and the pickup length in ticks (0 when there is none)."""
    by_time: dict[int, tuple[int, int]] = {}
    for ts in midi.time_signatures:
        by_time[int(ts.time)] = (int(ts.numerator), int(ts.denominator))  # a later duplicate wins
    signatures = sorted(by_time.items())
    valid = [(t, sig) for t, sig in signatures if _valid_signature(sig)]
    if not valid:
        return (4, 4), 0
    if len(valid) >= 2 and valid[0][0] == 0:
        (_, pickup_sig), (second_time, meter) = valid[0], valid[1]
        pickup_ticks = _bar_ticks(pickup_sig, midi.ticks_per_quarter)
        if second_time == pickup_ticks < _bar_ticks(meter, midi.ticks_per_quarter):
            return meter, second_time
    return valid[0][1], 0


def _valid_signature(signature: tuple[int, int]) -> bool:
    numerator, denominator = signature
    return numerator >= 1 and denominator >= 1 and not denominator & (denominator - 1)


def _bar_ticks(signature: tuple[int, int], ticks_per_quarter: int) -> int:
    numerator, denominator = signature
    return numerator * 4 * ticks_per_quarter // denominator


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:160] if text else type(error).__name__

