"""Measures specific to generated chorales: copying from the training set.

``longest_copied_run`` finds the longest run of consecutive bars of a generated chorale in which
every bar also occurs, note for note in all four voices, somewhere in the training chorales, at any
transposition (:mod:`midistyle.music.bar_quotes`: each bar is compared relative to its own lowest
note). It is an upper bound on the longest verbatim quotation: the bars of a run need not come from
the same place. The training bars are read here from the dataset, exactly, not from the hashes the
generator avoids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from midistyle.music.bar_quotes import bar_signatures, longest_known_run
from midistyle.music.score import Score


def training_bar_set(training: Iterable[Score]) -> set:
    return {signature for score in training for signature in bar_signatures(score) if signature is not None}


def longest_copied_run(generated: Score, known_bars: set) -> int:
    """Longest run of consecutive bars of ``generated`` that all occur in ``known_bars``."""
    return longest_known_run(bar_signatures(generated), known_bars)


def copying_summary(generated: Sequence[Score], training: Iterable[Score]) -> dict[str, float]:
    """The longest copied run over all pieces, its mean, and the share of generated bars found in training."""
    known = training_bar_set(training)
    runs = [longest_copied_run(score, known) for score in generated]
    signatures = [s for score in generated for s in bar_signatures(score) if s is not None]
    return {
        "longest_copied_bars": float(max(runs, default=0)),
        "mean_longest_copied_bars": float(sum(runs) / len(runs)) if runs else 0.0,
        "share_of_bars_found_in_training": sum(s in known for s in signatures) / max(len(signatures), 1),
    }
