"""The style corpus: pieces from music21's bundled corpus, labelled by style, for the style classifier.

music21 ships (offline) enough polyphony to tell Bach chorales from their neighbours:

===================  ======================================================  =====================
class                source in music21's corpus                              texture
===================  ======================================================  =====================
bach_chorale         the chorale dataset (``midistyle.data.chorales``)       4 voices, homophonic
renaissance_mass     Palestrina (every 8th of 1318 files, sorted by path)   4-6 voices, imitative
madrigal             Monteverdi madrigals (all 97)                           5 voices, text-driven
string_quartet       Haydn, Mozart and Beethoven string quartet movements    4 instruments
folk_melody          Essen folksongs (the first 4 collections, as tunes)     1 voice, unharmonized
===================  ======================================================  =====================

Non-chorale pieces are reduced to their notes, quantized to 16ths by rounding (the classifier looks
at 2-bar texture, not at exact rhythm), and split 80/10/10 by a hash of the piece id. Bach chorales
keep the chorale dataset's own split, so the classifier never trains on a Bach test chorale.

``build_style_corpus`` writes ``style_corpus.npz`` (every note as ``(piece, onset_step, pitch,
duration_steps)``) and ``style_corpus.json`` (piece ids, classes, splits) next to the chorales;
``load_style_corpus`` reads them back.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from midistyle.data.chorales import default_dataset_dir, load_chorales
from midistyle.errors import InputError
from midistyle.music.io import write_atomically

STYLE_CLASSES: tuple[str, ...] = ("bach_chorale", "renaissance_mass", "madrigal", "string_quartet", "folk_melody")
STEPS_PER_QUARTER = 4
ESSEN_COLLECTIONS = 4
PALESTRINA_EVERY = 8


@dataclass(frozen=True)
class Piece:
    """One piece of the style corpus: its notes as an array and where it belongs.

    Attributes
    ----------
    piece_id : str
    style : str
        One of ``STYLE_CLASSES``.
    split : str
        ``train``, ``valid`` or ``test``.
    notes : np.ndarray, shape=(N, 3), int
        ``(onset_step, pitch, duration_steps)`` on a 16th grid.
    """

    piece_id: str
    style: str
    split: str
    notes: np.ndarray


def default_corpus_dir() -> Path:
    """``datasets/style_corpus`` beside the chorale dataset."""
    return default_dataset_dir().parent / "style_corpus"


def hash_split(piece_id: str) -> str:
    """80/10/10 by the first byte of the id's sha256 (stable across corpus versions)."""
    bucket = hashlib.sha256(piece_id.encode()).digest()[0] % 10
    return "test" if bucket == 0 else "valid" if bucket == 1 else "train"


def _stream_notes(stream) -> np.ndarray:
    """Every note (chords expanded) of a music21 stream as ``(onset_step, pitch, duration_steps)``."""
    rows = []
    for part in stream.parts if stream.parts else [stream]:
        for element in part.stripTies().flatten().notes:
            onset = round(float(element.offset) * STEPS_PER_QUARTER)
            end = round(float(element.offset + element.quarterLength) * STEPS_PER_QUARTER)
            for pitch in element.pitches:
                rows.append((onset, pitch.midi, max(1, end - onset)))
    return np.array(sorted(rows), dtype=np.int32).reshape(-1, 3)


def _corpus_sources() -> list[tuple[str, str, object]]:
    """(style, piece id, music21 corpus path) for every non-chorale source file."""
    from music21 import corpus

    sources = []
    palestrina = sorted(corpus.getComposer("palestrina"), key=str)
    sources += [("renaissance_mass", p, p) for p in palestrina[::PALESTRINA_EVERY]]
    sources += [("madrigal", p, p) for p in sorted(corpus.getComposer("monteverdi"), key=str)]
    for composer in ("haydn", "mozart", "beethoven"):
        sources += [("string_quartet", p, p) for p in sorted(corpus.getComposer(composer), key=str)]
    essen = sorted(corpus.getComposer("essenFolksong"), key=str)[:ESSEN_COLLECTIONS]
    sources += [("folk_melody", p, p) for p in essen]
    return sources


def _short_id(path) -> str:
    parts = Path(str(path)).parts
    return "/".join(parts[parts.index("corpus") + 1 :]) if "corpus" in parts else Path(str(path)).name


def build_style_corpus(out_dir: str | os.PathLike | None = None, *, progress: bool = True) -> dict:
    """Parse the non-chorale sources, add the chorale dataset, and write the cache.

    Takes several minutes (Beethoven quartets and Essen collections are large); run once.

    Returns
    -------
    dict
        Pieces and notes per class and split.
    """
    from music21 import corpus, stream
    from tqdm import tqdm

    out_dir = Path(out_dir) if out_dir is not None else default_corpus_dir()
    pieces: list[Piece] = []
    for style, path, source in tqdm(_corpus_sources(), desc="style corpus", disable=not progress):
        parsed = corpus.parse(source)
        scores = parsed.scores if isinstance(parsed, stream.Opus) else [parsed]
        for index, score in enumerate(scores):
            piece_id = _short_id(path) + (f"#{index}" if len(scores) > 1 else "")
            notes = _stream_notes(score)
            if len(notes):
                pieces.append(Piece(piece_id, style, hash_split(piece_id), notes))
    save_style_corpus(pieces, out_dir)
    return summarize(pieces)


def save_style_corpus(pieces: list[Piece], out_dir: Path) -> None:
    """Write the non-chorale pieces (chorales are read from their own dataset at load time)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = np.concatenate([np.column_stack([np.full(len(p.notes), i), p.notes]) for i, p in enumerate(pieces)])

    def write_npz(temporary: Path) -> None:
        with open(temporary, "wb") as handle:
            np.savez_compressed(handle, notes=rows.astype(np.int32))

    write_atomically(out_dir / "style_corpus.npz", write_npz)
    meta = {
        "classes": list(STYLE_CLASSES),
        "pieces": [{"id": p.piece_id, "style": p.style, "split": p.split} for p in pieces],
        "summary": summarize(pieces),
    }
    write_atomically(out_dir / "style_corpus.json", lambda t: t.write_text(json.dumps(meta, indent=1) + "\n"))


def _chorale_pieces(split: str) -> list[Piece]:
    pieces = []
    for score in load_chorales(split):
        notes = [(n.onset_step, n.pitch, n.duration_steps) for v in score.voices for n in v.notes]
        pieces.append(Piece(score.title, "bach_chorale", split, np.array(sorted(notes), dtype=np.int32)))
    return pieces


def load_style_corpus(corpus_dir: str | os.PathLike | None = None) -> list[Piece]:
    """Every piece of every class, Bach chorales included, with their splits."""
    corpus_dir = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    meta_path, npz_path = corpus_dir / "style_corpus.json", corpus_dir / "style_corpus.npz"
    if not meta_path.exists() or not npz_path.exists():
        raise InputError(f"no style corpus in {corpus_dir} (run `midistyle data build --style-corpus`)")
    meta = json.loads(meta_path.read_text())
    rows = np.load(npz_path)["notes"]
    bounds = np.searchsorted(rows[:, 0], np.arange(len(meta["pieces"]) + 1))
    pieces = [
        Piece(entry["id"], entry["style"], entry["split"], rows[bounds[i] : bounds[i + 1], 1:])
        for i, entry in enumerate(meta["pieces"])
    ]
    return [p for split in ("train", "valid", "test") for p in _chorale_pieces(split)] + pieces


def summarize(pieces: list[Piece]) -> dict:
    """Pieces and notes per style and split."""
    table: dict = {}
    for p in pieces:
        row = table.setdefault(p.style, {}).setdefault(p.split, {"pieces": 0, "notes": 0})
        row["pieces"] += 1
        row["notes"] += len(p.notes)
    return table
