"""Folk melodies that are not chorales, for testing the harmonizer off its training distribution.

Taken from one Essen folksong collection in music21's corpus that the style classifier never saw
(the 5th collection in path order), keeping tunes in 2/4, 3/4, 4/4 or 6/8 with one meter and notes on
the 16th grid. ``build_folk_melodies`` caches them as MIDI files in ``datasets/folk_melodies/``;
``load_folk_melodies`` reads them back.
"""

from __future__ import annotations

import os
from pathlib import Path

from midistyle.data.chorales import default_dataset_dir
from midistyle.data.style_corpus import ESSEN_COLLECTIONS
from midistyle.errors import InputError
from midistyle.music.io import read_score, write_score
from midistyle.music.score import Score

METERS = ((2, 4), (3, 4), (4, 4), (6, 8))


def default_folk_dir() -> Path:
    return default_dataset_dir().parent / "folk_melodies"


def build_folk_melodies(count: int = 20, out_dir: str | os.PathLike | None = None, *,
                        collection: int = ESSEN_COLLECTIONS) -> list[Path]:
    """Parse the collection and write the first ``count`` usable tunes as ``folk_NN.mid``.

    ``collection`` is the Essen file's index in path order: the default is the test collection
    described above; the harmonizer's development runs take the next one (``ESSEN_COLLECTIONS + 1``),
    which neither the style classifier nor the harmonizer's test tables read.
    """
    from music21 import corpus, meter

    from midistyle.music.musicxml import music21_to_score

    out_dir = Path(out_dir) if out_dir is not None else default_folk_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    source = sorted(corpus.getComposer("essenFolksong"), key=str)[collection]
    written = []
    for tune in corpus.parse(source).scores:
        if len(written) == count:
            break
        meters = {ts.ratioString for ts in tune.recurse().getElementsByClass(meter.TimeSignature)}
        try:
            score = music21_to_score(tune, require_on_grid=True)
        except InputError:
            continue
        if len(meters) != 1 or score.time_signature not in METERS or score.num_voices != 1:
            continue
        title = f"{Path(str(source)).stem} #{tune.metadata.number if tune.metadata else len(written)}"
        written.append(write_score(score.replace(title=title), out_dir / f"folk_{len(written):02d}.mid"))
    return written


def load_folk_melodies(folk_dir: str | os.PathLike | None = None) -> list[Score]:
    folk_dir = Path(folk_dir) if folk_dir is not None else default_folk_dir()
    paths = sorted(folk_dir.glob("folk_*.mid"))
    if not paths:
        raise InputError(f"no folk melodies in {folk_dir} (build them with build_folk_melodies())")
    return [read_score(path) for path in paths]
