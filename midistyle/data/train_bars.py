"""The bars of Bach's train chorales, hashed, for the chorale generator not to quote them.

``build_train_bars`` writes the sorted :func:`midistyle.music.bar_quotes.signature_hash` of every bar
of the train split to ``midistyle/music/bach_train_bars.npy`` (committed, a few tens of KB; seconds
to rebuild with ``midistyle data build --train-bars``), so that generating a chorale does not read
the dataset.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from midistyle.data.chorales import load_chorales
from midistyle.music.bar_quotes import TRAIN_BARS_PATH, bar_signatures, signature_hash
from midistyle.music.io import write_atomically


def train_bar_hashes_from_dataset(dataset_dir=None) -> np.ndarray:
    """The hashes of every distinct bar of the train split, sorted, shape=(B,), uint64."""
    hashes = {signature_hash(s) for score in load_chorales("train", dataset_dir)
              for s in bar_signatures(score) if s is not None}
    return np.array(sorted(hashes), dtype=np.uint64)


def build_train_bars(out_path: str | os.PathLike | None = None, *, dataset_dir=None) -> np.ndarray:
    """Write the train split's bar hashes (atomically) and return them."""
    hashes = train_bar_hashes_from_dataset(dataset_dir)
    path = Path(out_path) if out_path is not None else TRAIN_BARS_PATH

    def write(temporary: Path) -> None:
        with open(temporary, "wb") as handle:
            np.save(handle, hashes)

    write_atomically(path, write)
    return hashes
