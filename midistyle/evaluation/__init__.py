"""Evaluation: style classifier, Fréchet distance, side-by-side report tables.

``evaluate_files`` is what ``midistyle evaluate`` runs. Importing this package does not import
TensorFlow; loading the classifier does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from midistyle.errors import InputError


def evaluate_files(
    paths: Sequence[str | os.PathLike], *, reference: str = "bach-test", style: bool = True
) -> dict[str, dict[str, float]]:
    """Every metric for the given score files, beside the Bach test and train splits.

    Returns
    -------
    dict
        ``{"files": {...}, "Bach test": {...}, "Bach train": {...}}`` (the reference split replaces
        "Bach test" when another is chosen).
    """
    from midistyle.evaluation.report import REFERENCES, evaluate_sets, reference_scores
    from midistyle.music.io import read_score

    if not paths:
        raise InputError("no score files to evaluate")
    if reference not in REFERENCES:
        raise InputError(f"reference {reference!r} is not one of {', '.join(REFERENCES)}")
    scores = [read_score(path) for path in paths]
    for path, score in zip(paths, scores):
        if not score.num_notes:
            raise InputError(f"{path}: the score has no notes")
    sets = {"files": scores}
    for name in dict.fromkeys((reference, "bach-train")):
        sets[name.replace("bach-", "Bach ")] = reference_scores(name)
    return evaluate_sets(sets, reference=reference, style=style)
