"""Measures specific to generated chorales: copying from the training set.

``longest_copied_run`` finds the longest run of consecutive bars of a generated chorale in which
every bar also occurs, note for note in all four voices, somewhere in the training chorales, at any
transposition (each bar is compared relative to its own lowest note). It is an upper bound on the
longest verbatim quotation: the bars of a run need not come from the same place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from midistyle.music.score import Score


def bar_signatures(score: Score) -> list[tuple | None]:
    """One transposition-free signature per bar (None for a silent bar)."""
    lines = score.bar_lines()
    ends = lines[1:] + [score.num_steps]
    signatures = []
    for start, end in zip(lines, ends):
        notes = [(v, n.onset_step - start, n.pitch, min(n.end_step, end) - n.onset_step)
                 for v, voice in enumerate(score.voices) for n in voice.notes if start <= n.onset_step < end]
        if not notes:
            signatures.append(None)
            continue
        lowest = min(pitch for _, _, pitch, _ in notes)
        signatures.append(tuple(sorted((v, onset, pitch - lowest, length) for v, onset, pitch, length in notes)))
    return signatures


def training_bar_set(training: Iterable[Score]) -> set:
    return {signature for score in training for signature in bar_signatures(score) if signature is not None}


def longest_copied_run(generated: Score, known_bars: set) -> int:
    """Longest run of consecutive bars of ``generated`` that all occur in ``known_bars``."""
    best = run = 0
    for signature in bar_signatures(generated):
        run = run + 1 if signature is not None and signature in known_bars else 0
        best = max(best, run)
    return best


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
