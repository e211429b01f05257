"""Real tune collections through ``midistyle harmonize``'s way in, from their native files and from MIDI.

Tunes (music21's corpus, offline):

- **Essen** (ABC, 31 files, 8 514 tunes): 400 tunes drawn with a fixed seed from the three quarters
  of the hash split that the rhythm statistics never saw (``midistyle.data.rhythm``);
- **Irish and Scottish ABC**: the Nottingham file music21 ships (2 tunes), and 60 tunes each from
  O'Neill's *Music of Ireland* (1850) and *Ryan's Mammoth Collection*: grace notes ``{g}``,
  triplets ``(3``, chord symbols ``"G"``;
- **Bach chorale sopranos**: the 34 test chorales from their corpus MusicXML, soprano part.

Each tune is read twice: from its native file (``read_melody(path, tune=X)``), and from a MIDI file
made from it the way a notation program exports one (``_midi_export``: every note and double stop
sounding, each grace note a 32nd just before its note, chord symbols not played; music21's own MIDI
export gives grace notes lengths of many bars, which is why it is not used), and each reading is
harmonized by the shipped harmonizer (joint decoder). Tunes that cannot be exported are counted
apart. Tunes whose file lacks a meter and tunes taken for played-in MIDI (off any notation grid) are
counted. The table counts tunes tried, harmonized and refused (by reason) and the changes reported,
and measures the harmonizations with ``midistyle.music.metrics`` beside the Bach test chorales
themselves. **Melody preserved** is the share of the tune's notes (onset and pitch, as music21 reads
the native file) that the harmonized soprano has; a note the reader took as an ornament (grace note,
mordent, turn, written-out trill) or as the lower note of a double stop is not a note of the melody,
so it is left out of the count. A harmonization that kept triplets or 32nds (written at 12 or 24
steps per quarter) is compared with the native file read on that grid, the others on the 16th grid.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

ESSEN_TUNES = 400
ABC_TUNES_PER_COLLECTION = 60
REASONS = (("polyphonic", "polyphonic"), ("singable", "span"), ("no notes", "no notes"),
           ("readable", "unreadable"), ("", "other"))
PLURALS = (("notes", "note"), ("stops", "stop"), ("overlaps", "overlap"), ("symbols", "symbol"),
           ("ornaments", "ornament"), ("trills", "trill"))


def _abc_tunes(folder: str, count: int, seed: int) -> list[tuple[Path, int, str]]:
    from music21 import corpus

    paths = sorted(p for p in Path(corpus.__file__).parent.joinpath(folder).rglob("*.abc"))
    tunes = [(p, int(x), f"{p.stem}:{x}") for p in paths
             for x in re.findall(r"^X:\s*(\d+)", p.read_text(errors="replace"), re.M)]
    order = np.random.default_rng(seed).permutation(len(tunes))[:count]
    return [tunes[i] for i in sorted(order)]


def _sources(quick: bool) -> dict[str, list[tuple[Path, int | None, str, int | None]]]:
    """Collection -> [(file, tune number, id, track)]."""
    from music21 import corpus

    from benchmarks.bench_melody_played import held_out_candidates
    from midistyle.data.chorales import load_chorales

    scale = 0.1 if quick else 1.0
    essen = held_out_candidates(int(ESSEN_TUNES * scale), seed=1)
    irish = (_abc_tunes("nottingham-dataset", 2, 0)
             + _abc_tunes("oneills1850", int(ABC_TUNES_PER_COLLECTION * scale), 0)
             + _abc_tunes("ryansMammoth", int(ABC_TUNES_PER_COLLECTION * scale), 0))
    chorales = []
    for chorale in load_chorales("test")[: 4 if quick else None]:
        found = corpus.getWork(chorale.title.replace("bwv", "bach/bwv"))
        path = Path(str(found[0] if isinstance(found, list) else found))
        names = [p.partName or "" for p in corpus.parse(path).parts]  # some files put instruments first
        soprano = next((i for i, name in enumerate(names) if name.lower().startswith("soprano")), 0)
        chorales.append((path, None, chorale.title, soprano))
    return {"Essen (ABC)": [(p, n, i, None) for p, n, i in essen],
            "Irish/Scottish (ABC)": [(p, n, i, None) for p, n, i in irish],
            "Bach chorale sopranos": chorales}


def _reference(path: Path, tune: int | None, track: int | None, steps_per_quarter: int = 4):
    """The tune as music21 reads the native file, on the 16th grid (or the triplet grid of a
    harmonization that kept triplets): its first (or ``track``) part."""
    from midistyle.music.io import read_score

    score = read_score(path, tune=tune, steps_per_quarter=steps_per_quarter)
    return score.select_voices([track or 0])


def _midi_export(path: Path, tune: int | None, track: int | None, folder: Path) -> Path:
    """The tune as a notation program exports it to MIDI: every note and chord sounding, each grace
    note a 32nd just before its note, chord symbols not played, repeats expanded. The file is parsed
    as midistyle's reader parses it (:func:`midistyle.music.notation.parse_notation`), so both routes
    start from the same notes. (music21 alone drops a note that carries an ABC fermata, ``H``; an
    export made that way lacked notes that the native reading keeps, and the harmonization of the
    export was counted as losing them.)

    (music21's own MIDI export gives grace notes lengths of many bars, which no notation program
    does, so this writes the file itself.)
    """
    import symusic
    from music21 import converter, harmony

    from midistyle.music.notation import FORMATS, parse_notation

    if path.suffix.lower() in FORMATS:  # as midistyle reads it: music21 drops an ABC fermata's note
        parsed = parse_notation(path, tune=tune)
    else:
        parsed = converter.parse(str(path), forceSource=True, **({"number": tune} if tune is not None else {}))
    if track is not None:
        parsed = parsed.parts[track]
    try:
        parsed = parsed.expandRepeats()
    except Exception:
        pass  # read as written, as midistyle does
    ticks, grace_quarters = 480, 0.125
    midi = symusic.Score(ticks)
    midi.tempos.append(symusic.Tempo(0, qpm=100.0))
    part = parsed.parts[0] if hasattr(parsed, "parts") and parsed.parts else parsed
    out = symusic.Track("melody", 0, False)
    graces: list = []
    for element in part.stripTies().flatten().notes:
        if isinstance(element, harmony.Harmony):
            continue
        if element.duration.isGrace:
            graces.append(element)
            continue
        onset = float(element.offset)
        for index, grace in enumerate(graces):
            start = onset - (len(graces) - index) * grace_quarters
            for pitch in grace.pitches:
                out.notes.append(symusic.Note(round(max(start, 0) * ticks), round(grace_quarters * ticks),
                                              pitch.midi, 80))
        graces = []
        for pitch in element.pitches:
            out.notes.append(symusic.Note(round(onset * ticks), max(round(float(element.quarterLength) * ticks), 1),
                                          pitch.midi, 80))
    midi.tracks.append(out)
    written = _reference(path, tune, track)  # the meter and pickup, written as notation programs do
    if written.pickup_time_signature:
        midi.time_signatures.append(symusic.TimeSignature(0, *written.pickup_time_signature))
    midi.time_signatures.append(symusic.TimeSignature(written.anacrusis_steps * ticks // 4, *written.time_signature))
    target = folder / f"{path.stem}_{tune or 0}_{track or 0}.mid"
    midi.dump_midi(str(target))
    return target


def _preserved(reference, harmonized, absorbed=()) -> float:
    """Share of the reference's notes (onset, pitch) in the soprano; notes the reader took as
    ornaments or as the lower notes of double stops (``absorbed``, 48 steps per quarter) are not
    melody and are left out of the count."""
    from midistyle.music.melody import FINE_STEPS_PER_QUARTER

    ratio = FINE_STEPS_PER_QUARTER // reference.steps_per_quarter
    exempt = {(round(n.onset_step / ratio), n.pitch) for n in absorbed}
    wanted = {(n.onset_step, n.pitch) for n in reference.voices[0].notes} - exempt
    soprano = {(n.onset_step, n.pitch) for n in harmonized.voices[0].notes}
    return len(wanted & soprano) / max(len(wanted), 1)


def _reason(message: str) -> str:
    return next(label for key, label in REASONS if key in message)


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.errors import InputError
    from midistyle.models.harmonize import Harmonizer
    from midistyle.music import metrics
    from midistyle.music.melody import read_melody_file

    harmonizer = Harmonizer.load()
    rows = []
    with tempfile.TemporaryDirectory(prefix="midistyle-corpus-") as folder:
        for collection, tunes in _sources(quick).items():
            for route in ("native", "MIDI export"):
                tried, unexported, refused, changes, facts, results = 0, 0, Counter(), Counter(), Counter(), []
                examples: dict[str, str] = {}
                for path, tune, _, track in tunes:
                    try:
                        reference = _reference(path, tune, track)
                    except InputError as error:  # our reader refuses the tune itself
                        tried += 1
                        refused[_reason(str(error))] += 1
                        examples.setdefault(_reason(str(error)), str(error).split(": ", 1)[-1][:90])
                        continue
                    try:
                        source = path if route == "native" else _midi_export(path, tune, track, Path(folder))
                    except Exception:
                        unexported += 1
                        continue
                    tried += 1
                    lines: list[str] = []
                    try:
                        melody = read_melody_file(source, tune=tune if route == "native" else None,
                                                  track=track if route == "native" else None,
                                                  report=lines.append)
                        harmonized = melody.with_exact_soprano(harmonizer.harmonize(melody.score)[0].score)
                        if harmonized.steps_per_quarter != reference.steps_per_quarter:
                            reference = _reference(path, tune, track, harmonized.steps_per_quarter)
                    except InputError as error:
                        refused[_reason(str(error))] += 1
                        examples.setdefault(_reason(str(error)), str(error).split(": ", 1)[-1][:90])
                        continue
                    for line in lines:
                        if line.startswith(("no time signature", "played-in")):
                            facts["meter detected" if line.startswith("no time") else "played-in"] += 1
                            continue
                        if line.startswith(("the file holds", "key:")):
                            continue
                        for number, kind in re.findall(r"(\d+) ([a-z0-9\- ]+?)(?:,|$| \()", line):
                            for plural, singular in PLURALS:
                                kind = kind.replace(plural, singular)
                            kind = kind.replace(" harmonized on the 16th grid and kept as written in the soprano",
                                                " kept as written")
                            changes[kind.strip()] += int(number)
                    results.append((_preserved(reference, harmonized, melody.absorbed), harmonized))
                row = _row(collection, route, tried, refused, changes, results, metrics)
                row["not exportable to MIDI"] = unexported if route != "native" else ""
                row["meter detected"] = facts["meter detected"]
                row["treated as played in"] = facts["played-in"]
                row["refusal example"] = "; ".join(f"{k}: {v}" for k, v in examples.items())
                rows.append(row)
        bach = load_chorales("test")
        rows.append({"collection": "Bach test chorales (reference)", "route": "",
                     **_quality(metrics, [1.0] * len(bach), bach)})
    return rows


def _row(collection, route, tried, refused, changes, results, metrics) -> dict:
    harmonized = len(results)
    row = {"collection": collection, "route": route, "tried": tried, "harmonized": harmonized,
           "harmonized_share": round(harmonized / max(tried, 1), 4),
           "refused": ", ".join(f"{k} {v}" for k, v in refused.items()) or "0",
           "changes reported": ", ".join(f"{v} {k}" for k, v in changes.most_common(4)) or "none"}
    if results:
        row.update(_quality(metrics, [p for p, _ in results], [s for _, s in results]))
    return row


def _quality(metrics, preserved, scores) -> dict:
    return {"melody_preserved_mean": round(float(np.mean(preserved)), 4),
            "preserved_at_least_0.99": round(float(np.mean(np.asarray(preserved) >= 0.99)), 3),
            "in_range": round(float(np.mean([metrics.in_range_rate(s) for s in scores])), 3),
            "parallels_per_100": round(float(np.mean([metrics.parallel_perfect_intervals(s) for s in scores])), 2),
            "crossings_per_100": round(float(np.mean([metrics.voice_crossings(s) for s in scores])), 2),
            "chord_rate": round(float(np.mean([metrics.chord_beat_rate(s) for s in scores])), 3)}
