"""The Bach chorale dataset: music21's bundled corpus -> scores, a fixed split, a cache.

``build_dataset`` parses every chorale music21 ships (offline), keeps those
that are four voices on one meter and on the 16th-note grid, and writes three
files to the dataset folder (committed to the repository, about 1 MB):

* ``split.json``  chorale ids per split, 80/10/10 by a hash of each id, so the
  split never depends on corpus order; a rebuild refuses to change it;
* ``chorales.npz`` every note as ``(chorale, voice, onset_step, pitch, duration_steps)``;
* ``chorales.json`` per-chorale metadata (key, meter, pickup, the steps of Bach's fermatas) and the
  build report (kept, dropped and why).

``load_chorales(split)`` reads the cache back into :class:`Score` objects in
well under a second, so training and tests never re-parse the corpus.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from midistyle.errors import InputError
from midistyle.music.io import write_atomically
from midistyle.music.score import SATB_RANGES, VOICE_NAMES, Key, Note, Score, make_voices

SPLITS = ("train", "valid", "test")
STEPS_PER_QUARTER = 4


def default_dataset_dir() -> Path:
    """``$MIDISTYLE_DATASETS/bach_chorales`` or the repository's ``datasets/bach_chorales``."""
    root = os.environ.get("MIDISTYLE_DATASETS")
    base = Path(root) if root else Path(__file__).resolve().parents[2] / "datasets"
    return base / "bach_chorales"


DROP_REASONS = {  # a word in the error -> the category the build report counts
    "repeats": "repeats cannot be expanded",
    "meter": "meter changes",
    "grid": "notes off the 16th-note grid",
    "voices": "not 4 voices",
}


def make_split(chorale_ids: Sequence[str]) -> dict[str, list[str]]:
    """Split ids 80/10/10 by ranking a hash of each id: independent of corpus order.

    Returns
    -------
    dict
        ``{"train": [...], "valid": [...], "test": [...]}``, each sorted.
    """
    ranked = sorted(chorale_ids, key=lambda i: hashlib.sha256(i.encode()).hexdigest())
    num_test = num_valid = round(0.1 * len(ranked))
    return {
        "train": sorted(ranked[num_test + num_valid :]),
        "valid": sorted(ranked[num_test : num_test + num_valid]),
        "test": sorted(ranked[:num_test]),
    }


# -- building --------------------------------------------------------------------------------------
def corpus_chorale_ids() -> list[str]:
    """Ids (``bwv269``…) of the chorales music21 ships, each once, in Riemenschneider order."""
    from music21 import corpus

    names = corpus.chorales.Iterator(returnType="filename")
    return list(dict.fromkeys(name.split("/")[-1] for name in names))


def convert_chorale(chorale_id: str) -> Score:
    """Parse one corpus chorale into a four-voice SATB score.

    Raises
    ------
    InputError
        With the reason it cannot be used (repeats, voices, meter, grid).
    """
    from music21 import corpus, meter

    from midistyle.music.musicxml import music21_to_score

    parsed = corpus.parse(f"bach/{chorale_id}")
    meters = {ts.ratioString for ts in parsed.recurse().getElementsByClass(meter.TimeSignature)}
    if len(meters) > 1:
        raise InputError(f"meter changes ({', '.join(sorted(meters))})")
    score = music21_to_score(
        parsed, steps_per_quarter=STEPS_PER_QUARTER, title=chorale_id, require_on_grid=True
    )
    return _select_satb(score).replace(title=chorale_id)


def _select_satb(score: Score) -> Score:
    """The four vocal parts: all of them when there are four, else the ones named S/A/T/B."""
    if score.num_voices == 4:
        return score.replace(voices=make_voices([v.notes for v in score.voices]))
    chosen = []
    for wanted in VOICE_NAMES:
        index = next(
            (i for i, v in enumerate(score.voices) if v.name.lower().startswith(wanted.lower())), None
        )
        if index is None:
            names = ", ".join(v.name for v in score.voices)
            raise InputError(f"not 4 voices ({score.num_voices} parts: {names})")
        chosen.append(index)
    return score.replace(voices=make_voices([score.voices[i].notes for i in chosen]))


def build_dataset(
    out_dir: str | os.PathLike | None = None,
    *,
    chorale_ids: Sequence[str] | None = None,
    allow_split_change: bool = False,
    progress: bool = True,
) -> dict:
    """Parse the corpus and write ``split.json``, ``chorales.npz`` and ``chorales.json``.

    Parameters
    ----------
    out_dir : path or None
        Dataset folder; default :func:`default_dataset_dir`.
    chorale_ids : sequence of str or None, keyword-only
        Restrict to these ids (tests); default every corpus chorale.
    allow_split_change : bool, keyword-only
        Overwrite an existing ``split.json`` that differs from the new one.
    progress : bool, keyword-only
        Show a progress bar on stderr.

    Returns
    -------
    dict
        The build report (also stored in ``chorales.json``).
    """
    from tqdm import tqdm

    out_dir = Path(out_dir) if out_dir is not None else default_dataset_dir()
    ids = list(chorale_ids) if chorale_ids is not None else corpus_chorale_ids()
    started = time.perf_counter()
    kept: list[Score] = []
    dropped: dict[str, list[str]] = {}
    for chorale_id in tqdm(ids, desc="chorales", unit="chorale", disable=not progress):
        try:
            kept.append(convert_chorale(chorale_id))
        except InputError as error:
            reason = next((r for word, r in DROP_REASONS.items() if word in str(error)), "other")
            dropped.setdefault(reason, []).append(f"{chorale_id}: {error}")

    split = make_split([s.title for s in kept])
    _write_split(out_dir / "split.json", split, allow_change=allow_split_change)
    report = {
        "source": "music21 corpus.chorales.Iterator (Riemenschneider numbering), unique files",
        "corpus_files": len(ids),
        "kept": len(kept),
        "dropped": {reason: len(items) for reason, items in sorted(dropped.items())},
        "dropped_chorales": {reason: items for reason, items in sorted(dropped.items())},
        "split_counts": {name: len(split[name]) for name in SPLITS},
        "build_seconds": round(time.perf_counter() - started, 1),
    }
    save_scores(kept, out_dir, report=report)
    return report


def _write_split(path: Path, split: dict, *, allow_change: bool) -> None:
    if path.exists() and not allow_change:
        existing = json.loads(path.read_text())
        if existing != split:
            changed = {k: len(set(existing.get(k, [])) ^ set(split[k])) for k in SPLITS}
            raise InputError(
                f"{path}: the rebuilt split differs from the committed one ({changed} ids differ); "
                "pass --allow-split-change to replace it on purpose"
            )
        return
    text = json.dumps(split, indent=1) + "\n"
    write_atomically(path, lambda temporary: temporary.write_text(text))


# -- the cache -------------------------------------------------------------------------------------
def save_scores(scores: Sequence[Score], out_dir: Path, *, report: dict | None = None) -> None:
    """Write scores as one int16 note table plus JSON metadata (both atomically)."""
    rows = [
        (index, v, n.onset_step, n.pitch, n.duration_steps)
        for index, score in enumerate(scores)
        for v, voice in enumerate(score.voices)
        for n in voice.notes
    ]
    notes = np.asarray(rows, dtype=np.int16).reshape(-1, 5)
    meta = {
        "steps_per_quarter": STEPS_PER_QUARTER,
        "note_columns": ["chorale", "voice", "onset_step", "pitch", "duration_steps"],
        "report": report or {},
        "chorales": [
            {
                "id": s.title,
                "time_signature": list(s.time_signature),
                "anacrusis_steps": s.anacrusis_steps,
                "key": str(s.key) if s.key else None,
                "tempo_qpm": s.tempo_qpm,
                "num_steps": s.num_steps,
                "fermata_steps": list(s.fermata_steps),
            }
            for s in scores
        ],
    }

    def write_npz(temporary: Path) -> None:
        with open(temporary, "wb") as handle:
            np.savez_compressed(handle, notes=notes)

    write_atomically(out_dir / "chorales.npz", write_npz)
    text = json.dumps(meta, indent=1) + "\n"
    write_atomically(out_dir / "chorales.json", lambda temporary: temporary.write_text(text))


def load_chorales(split: str = "train", dataset_dir: str | os.PathLike | None = None) -> list[Score]:
    """Scores of one split (``train``, ``valid``, ``test``) or ``all``, from the cache.

    Raises
    ------
    InputError
        Unknown split, or no cache (run ``midistyle data build``).
    """
    if split not in (*SPLITS, "all"):
        raise InputError(f"split={split!r} must be one of {', '.join(SPLITS)}, all")
    folder = Path(dataset_dir) if dataset_dir is not None else default_dataset_dir()
    try:
        meta = json.loads((folder / "chorales.json").read_text())
        split_ids = json.loads((folder / "split.json").read_text())
        with np.load(folder / "chorales.npz") as archive:
            notes = archive["notes"].astype(np.int64)
    except FileNotFoundError:
        raise InputError(f"{folder}: no chorale dataset here; run `midistyle data build`") from None
    wanted = set(split_ids[split]) if split != "all" else None
    order = np.argsort(notes[:, 0], kind="stable")
    bounds = np.searchsorted(notes[order, 0], np.arange(len(meta["chorales"]) + 1))
    scores = []
    for index, info in enumerate(meta["chorales"]):
        if wanted is not None and info["id"] not in wanted:
            continue
        rows = notes[order[bounds[index] : bounds[index + 1]]]
        per_voice = [
            [Note(int(onset), int(pitch), int(duration)) for _, voice, onset, pitch, duration in rows
             if voice == v]
            for v in range(4)
        ]
        scores.append(
            Score(
                voices=make_voices(per_voice),
                steps_per_quarter=meta["steps_per_quarter"],
                time_signature=tuple(info["time_signature"]),
                anacrusis_steps=info["anacrusis_steps"],
                key=Key.parse(info["key"]) if info["key"] else None,
                tempo_qpm=info["tempo_qpm"],
                title=info["id"],
                fermata_steps=tuple(info.get("fermata_steps", ())),
            )
        )
    return scores


# -- augmentation ----------------------------------------------------------------------------------
def allowed_transpositions(
    score: Score, *, ranges: Sequence[tuple[int, int]] = SATB_RANGES, max_semitones: int = 6
) -> list[int]:
    """Shifts in ``-max_semitones..max_semitones`` that keep every voice singable.

    A voice may go no further outside its standard range than it already does:
    its shifted lowest and highest notes stay within the union of its range and
    its original extent. 0 is always allowed.

    Returns
    -------
    list of int
        Ascending semitone shifts.
    """
    if score.num_voices != len(ranges):
        raise InputError(f"score has {score.num_voices} voices but {len(ranges)} ranges were given")
    extents = []
    for voice, (low, high) in zip(score.voices, ranges):
        pitches = [n.pitch for n in voice.notes]
        if pitches:
            extents.append((min(pitches), max(pitches), min(low, min(pitches)), max(high, max(pitches))))
    return [
        shift
        for shift in range(-max_semitones, max_semitones + 1)
        if all(lo_ok <= lo + shift and hi + shift <= hi_ok for lo, hi, lo_ok, hi_ok in extents)
    ]


def augment_by_transposition(
    scores: Sequence[Score], *, ranges: Sequence[tuple[int, int]] = SATB_RANGES, max_semitones: int = 6
) -> Iterator[tuple[Score, int]]:
    """Every score at every allowed shift, as ``(transposed_score, semitones)`` (0 included)."""
    for score in scores:
        for shift in allowed_transpositions(score, ranges=ranges, max_semitones=max_semitones):
            yield score.transpose(shift), shift
