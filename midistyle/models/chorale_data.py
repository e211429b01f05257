"""Token sequences for the chorale models — no TensorFlow here.

A chorale becomes ``BOS, tokens…, EOS`` (REMI, all four voices in one stream, BPE when the
tokenizer has it). Training chorales are also taken at every transposition that keeps the voices
in range (``augment_by_transposition``); valid and test chorales only as written.
Training batches are random windows of ``context + 1`` tokens (inputs and next-token targets),
padded with PAD, which the loss ignores.

A split's sequences are encoded once per process and tokenizer (:func:`bach_sequences`): training,
its validation after every epoch, fine-tuning and a resumed run all read the same ones (encoding
the transposed train split, 1 246 sequences, takes miditok 7.7 s on this machine).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from midistyle.data.chorales import augment_by_transposition, default_dataset_dir, load_chorales
from midistyle.music.score import Score
from midistyle.music.tokens import ScoreTokenizer


def token_sequences(tokenizer: ScoreTokenizer, scores: Sequence[Score], *, augment: bool) -> list[np.ndarray]:
    """One int32 array per (transposed) chorale: BOS, its tokens, EOS."""
    if augment:
        scores = [shifted for shifted, _ in augment_by_transposition(scores)]
    return [np.array([tokenizer.bos_id, *tokenizer.encode(s), tokenizer.eos_id], dtype=np.int32) for s in scores]


_BACH_SEQUENCES: dict[tuple[str, str, str, bool], tuple[np.ndarray, ...]] = {}


def bach_sequences(tokenizer: ScoreTokenizer, split: str, *, augment: bool) -> tuple[np.ndarray, ...]:
    """:func:`token_sequences` of a Bach split (``load_chorales(split)``), encoded once per process
    for each tokenizer (told apart by :meth:`ScoreTokenizer.fingerprint`) and dataset folder; a
    tuple of read-only arrays, since every caller shares them."""
    key = (tokenizer.fingerprint(), str(default_dataset_dir().resolve()), split, augment)
    if key not in _BACH_SEQUENCES:
        sequences = token_sequences(tokenizer, load_chorales(split), augment=augment)
        for sequence in sequences:
            sequence.flags.writeable = False
        _BACH_SEQUENCES[key] = tuple(sequences)
    return _BACH_SEQUENCES[key]


def random_windows(
    sequences: Sequence[np.ndarray], length: int, batch_size: int, pad_id: int, rng: np.random.Generator
) -> np.ndarray:
    """A batch of windows, shape=(batch_size, length), from random sequences at random offsets.

    Sequences are chosen in proportion to their length, so every token is about equally likely
    to be seen; short ones are padded at the end.
    """
    lengths = np.array([len(s) for s in sequences], dtype=float)
    chosen = rng.choice(len(sequences), size=batch_size, p=lengths / lengths.sum())
    batch = np.full((batch_size, length), pad_id, dtype=np.int32)
    for row, index in enumerate(chosen):
        sequence = sequences[index]
        start = int(rng.integers(0, max(1, len(sequence) - length + 1)))
        window = sequence[start : start + length]
        batch[row, : len(window)] = window
    return batch


def evaluation_windows(sequences: Sequence[np.ndarray], length: int, pad_id: int) -> np.ndarray:
    """Every sequence cut into consecutive windows of ``length`` tokens overlapping by one token.

    Each token after the first of a sequence is predicted exactly once; a sequence longer than
    the context is scored window by window (a context reset at each window start).

    Returns
    -------
    np.ndarray, shape=(N, length), int32
    """
    windows = []
    for sequence in sequences:
        for start in range(0, max(1, len(sequence) - 1), length - 1):
            window = np.full(length, pad_id, dtype=np.int32)
            piece = sequence[start : start + length]
            window[: len(piece)] = piece
            windows.append(window)
    return np.stack(windows)
