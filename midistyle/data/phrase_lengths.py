"""Where Bach's phrases end: the statistics a generated chorale's phrase plan is drawn from.

``build_phrase_lengths`` reads the train split's fermatas and writes
``midistyle/music/bach_phrase_lengths.json`` (committed; about a second to rebuild with
``midistyle data build --phrase-lengths``). Per meter and pickup (``"4/4, pickup 1"``, counted in
beats), all in beats:

* ``first_end`` — where the first fermata falls, from the first full bar's downbeat;
* ``gaps`` — from one phrase end to the next (fermata onsets, and the last melody note);
* ``final_beat_in_bar`` — where in its bar the last phrase end (the piece's final chord) falls;
* ``phrases`` — phrase ends per piece, the last note included.

Counts are kept as they were measured; :mod:`midistyle.music.phrase_plan` drops the rare values.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from pathlib import Path

from midistyle.data.chorales import load_chorales
from midistyle.music.io import write_atomically
from midistyle.music.metrics import beat_steps
from midistyle.music.phrase_plan import PHRASE_LENGTHS_PATH, meter_group
from midistyle.music.score import Score

COMMAND = "midistyle data build --phrase-lengths"


def phrase_end_steps(score: Score) -> list[int]:
    """Bach's phrase ends in a chorale: each fermata onset, and the last melody note's onset."""
    melody = score.voices[0].notes
    ends = set(score.fermata_steps)
    if melody:
        ends.add(melody[-1].onset_step)
    return sorted(ends)


def phrase_statistics(chorales: list[Score]) -> dict:
    """Counts per meter group (see the module docstring); keys are beats written as ``"%g"``."""
    groups: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for score in chorales:
        ends = phrase_end_steps(score)
        if not ends:
            continue
        beat = beat_steps(score)
        counts = groups[meter_group(score.time_signature, score.anacrusis_steps / beat)]
        counts["pieces"]["all"] += 1
        counts["phrases"][f"{len(ends)}"] += 1
        counts["first_end"][f"{(ends[0] - score.anacrusis_steps) / beat:g}"] += 1
        for a, b in zip(ends, ends[1:]):
            counts["gaps"][f"{(b - a) / beat:g}"] += 1
        counts["final_beat_in_bar"][f"{((ends[-1] - score.anacrusis_steps) % score.steps_per_bar) / beat:g}"] += 1
    return {group: {name: dict(sorted(counter.items(), key=lambda item: float(item[0]) if item[0] != "all" else 0))
                    for name, counter in counts.items()}
            for group, counts in sorted(groups.items())}


def build_phrase_lengths(out_path: str | os.PathLike | None = None, *, dataset_dir=None) -> dict:
    """Count the train split's phrase ends and write them as JSON (atomically); return the table."""
    table = {"command": COMMAND, "split": "train", "unit": "beats",
             "groups": phrase_statistics(load_chorales("train", dataset_dir))}
    path = Path(out_path) if out_path is not None else PHRASE_LENGTHS_PATH
    text = json.dumps(table, indent=1) + "\n"
    write_atomically(path, lambda temporary: temporary.write_text(text))
    return table
