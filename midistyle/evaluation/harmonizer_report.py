"""The harmonizer's quality bar: models, a baseline and Bach, side by side on the same melodies.

Two melody sets: the sopranos of the Bach test split (Bach's own harmonizations are the reference
column) and 20 folk tunes that are not chorales (``midistyle.data.folk``). Every harmonizer gets the
melody alone and must detect the key itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from midistyle.evaluation.report import evaluate_sets
from midistyle.music.metrics import melody_preserved
from midistyle.music.score import Score

HarmonizeFunction = Callable[[Score], Score]


def harmonize_all(harmonize: HarmonizeFunction, melodies: Sequence[Score]) -> list[Score]:
    return [harmonize(melody) for melody in melodies]


def compare_harmonizers(
    harmonizers: Mapping[str, HarmonizeFunction],
    melodies: Sequence[Score],
    *,
    bach: Sequence[Score] | None = None,
    classifier=None,
) -> dict[str, dict[str, float]]:
    """Every metric for every harmonizer on ``melodies`` (and for ``bach``, when given).

    Adds ``melody_preserved_min`` (the worst piece) to each harmonizer's row.
    """
    sets, preserved = {}, {}
    for name, harmonize in harmonizers.items():
        outputs = harmonize_all(harmonize, melodies)
        sets[name] = outputs
        preserved[name] = float(np.min([melody_preserved(m, o) for m, o in zip(melodies, outputs)]))
    if bach is not None:
        sets["Bach"] = list(bach)
        preserved["Bach"] = 1.0
    table = evaluate_sets(sets, classifier=classifier)
    for name in table:
        table[name]["melody_preserved_min"] = preserved[name]
    return table


def melodies_of(chorales: Sequence[Score]) -> list[Score]:
    """The soprano of each chorale as a one-voice melody (key left out: harmonizers detect it)."""
    return [c.select_voices([0]).replace(key=None) for c in chorales]


def valid_frechet_scorer(split: str = "valid", decoder: str = "joint") -> Callable[[object], float]:
    """A function scoring a harmonizer by the Fréchet distance of its harmonizations of a split's
    sopranos to that split's Bach (lower is better): checkpoint selection during training.

    The classifier and the reference embeddings are loaded once, when this is called.
    """
    from midistyle.data.chorales import load_chorales
    from midistyle.evaluation.classifier import StyleClassifier
    from midistyle.evaluation.frechet import frechet_distance
    from midistyle.evaluation.report import set_windows

    chorales = load_chorales(split)
    melodies = melodies_of(chorales)
    classifier = StyleClassifier.load()
    reference, _ = classifier.embed_and_classify(set_windows(chorales))

    def score(harmonizer) -> float:
        outputs = [harmonizer.harmonize(m, decoder=decoder)[0].score for m in melodies]
        embeddings, _ = classifier.embed_and_classify(set_windows(outputs))
        return frechet_distance(embeddings, reference)

    return score
