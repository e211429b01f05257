"""Four voices from what a reader gives: four parts, or a hymnal's two staves of two voices each.

Hymnals and MuseScore's SATB template write soprano and alto on one staff and tenor and bass on
another (two voices per staff, or chords). A reader gives such a score as two parts, each sounding
up to two notes at once; :func:`four_voices` splits each staff into its upper and lower line: at
every onset a note goes to the line that is free, the higher of two notes starting together to the
upper line, and a note that both lines could take (a unison written once) to both.
"""

from __future__ import annotations

from midistyle.errors import InputError
from midistyle.music.score import Note, Score, make_voices


def four_voices(score: Score) -> Score:
    """The score as soprano, alto, tenor, bass.

    Raises
    ------
    InputError
        When it is neither four parts nor two staves of at most two notes at a time.
    """
    if score.num_voices == 4:
        return score
    if score.num_voices == 2 and all(_max_polyphony(v.notes) <= 2 for v in score.voices):
        upper, lower = (_split_staff(v.notes) for v in score.voices)
        return score.replace(voices=make_voices([upper[0], upper[1], lower[0], lower[1]]))
    counts = [(v.name, _max_polyphony(v.notes)) for v in score.voices]
    polyphony = ", ".join(f"{name} (up to {n} note{'s' * (n != 1)} at once)" for name, n in counts)
    raise InputError(f"is not a four-part score: {score.num_voices} part{'s' * (score.num_voices != 1)}, "
                     f"{polyphony}; give soprano, alto, tenor and bass as four parts or two staves")


def _max_polyphony(notes: tuple[Note, ...]) -> int:
    events = sorted([(n.onset_step, 1) for n in notes] + [(n.end_step, -1) for n in notes])
    sounding = most = 0
    for _, change in events:
        sounding += change
        most = max(most, sounding)
    return most


def _split_staff(notes: tuple[Note, ...]) -> tuple[list[Note], list[Note]]:
    """(upper line, lower line) of a staff sounding at most two notes at once."""
    lines: tuple[list[Note], list[Note]] = ([], [])
    by_onset: dict[int, list[Note]] = {}
    for note in notes:
        by_onset.setdefault(note.onset_step, []).append(note)
    for onset in sorted(by_onset):
        starting = sorted(by_onset[onset], key=lambda n: -n.pitch)
        free = [k for k in (0, 1) if not lines[k] or lines[k][-1].end_step <= onset]
        if len(starting) == 2:
            for line, note in zip((0, 1), starting):
                _append(lines[line], note)
        elif len(free) == 2:  # one note for two free lines: a unison written once
            _append(lines[0], starting[0])
            _append(lines[1], starting[0])
        elif free:
            _append(lines[free[0]], starting[0])
        else:  # both lines hold a unison written once: the new note takes the line it is nearer
            shared = lines[0][-1]
            _append(lines[0 if starting[0].pitch >= shared.pitch else 1], starting[0])
    return lines


def _append(line: list[Note], note: Note) -> None:
    if line and line[-1].end_step > note.onset_step:  # cut a note the new one interrupts
        last = line.pop()
        line.append(Note(last.onset_step, last.pitch, max(note.onset_step - last.onset_step, 1), last.velocity))
    line.append(note)



