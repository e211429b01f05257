"""A classifier two-sample test: can a simple model tell a set of pieces from Bach's?

Each piece becomes a vector of what a harmony teacher would count (:func:`piece_features`): the
critic's rate for every rule, its cadence shares, its non-chord tones by kind, the chord qualities
at onsets, and the melodic intervals of the three lower voices. A logistic regression (standardised
features, L2) is cross-validated on ours-vs-Bach with stratified folds; its mean held-out accuracy
is the statistic. 0.5 means the sets cannot be told apart by these features; 1.0 that they always
can. It answers "do the pieces *behave* like Bach's", where the Fréchet distance answers "do they
*sound* like Bach's" to a learned embedding.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from midistyle.errors import InputError
from midistyle.music.chords import QUALITIES, label_chords, onset_slices
from midistyle.music.harmony import NONCHORD_KINDS, RULES, Critique, critique
from midistyle.music.score import Score

INTERVAL_BINS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 128)  # semitones: steps, thirds, … octave, beyond
CADENCE_FEATURES = ("cadence_authentic", "cadence_half", "cadence_none", "cadential_bass_share",
                    "ends_authentic_on_tonic")


def feature_names() -> list[str]:
    """The name of each column of :func:`piece_features`."""
    names = [f"rate:{rule}" for rule in RULES] + list(CADENCE_FEATURES)
    names += [f"nonchord:{kind}" for kind in NONCHORD_KINDS] + [f"chord:{q}" for q in (*QUALITIES, "none")]
    names += [f"interval:{low}-{high - 1}" for low, high in zip(INTERVAL_BINS, INTERVAL_BINS[1:])]
    return names + ["onsets_per_quarter"]


def piece_features(score: Score, found: Critique | None = None) -> np.ndarray:
    """The teacher's counts of one four-voice piece, shape=(F,), in :func:`feature_names` order."""
    found = critique(score) if found is None else found
    quarters = max(found.quarters, 1e-9)
    shares = found.cadence_shares()
    slices = onset_slices(score)
    chords = label_chords(slices)
    quality_counts = np.bincount(np.where(chords.qualities >= 0, chords.qualities, len(QUALITIES)),
                                 minlength=len(QUALITIES) + 1)
    leaps = [abs(b.pitch - a.pitch) for voice in score.voices[1:] for a, b in zip(voice.notes, voice.notes[1:])]
    histogram = np.histogram(leaps, bins=INTERVAL_BINS)[0] if leaps else np.zeros(len(INTERVAL_BINS) - 1)
    return np.concatenate([
        list(found.rates().values()),
        [shares[name] for name in CADENCE_FEATURES],
        [100.0 * found.nonchord_tones.get(kind, 0) / quarters for kind in NONCHORD_KINDS],
        quality_counts / max(quality_counts.sum(), 1),
        histogram / max(histogram.sum(), 1),
        [len(slices) / quarters],
    ]).astype(float)


def two_sample_accuracy(ours: Sequence[Score], bach: Sequence[Score], *, folds: int = 5, seed: int = 0) -> float:
    """Mean held-out accuracy of a logistic regression telling ``ours`` from ``bach``.

    The larger set is first cut to the size of the smaller by a seeded draw, so that 0.5 is what
    guessing scores.

    Raises
    ------
    InputError
        When either set has fewer pieces than ``folds``.
    """
    features, labels = _balanced_features(ours, bach, folds, seed)
    return _held_out_accuracy(features, labels, folds, seed)


def feature_separation(ours: Sequence[Score], bach: Sequence[Score], *, folds: int = 5, seed: int = 0
                       ) -> list[dict]:
    """How well each feature of :func:`piece_features` alone tells ``ours`` from ``bach``.

    The same balanced draw and folds as :func:`two_sample_accuracy`, with one feature at a time:
    where the whole test is far from 0.5, this says which counts carry it.

    Returns
    -------
    list of dict
        One per feature, most telling first: ``feature``, the held-out ``accuracy`` of that
        feature alone, the ``ours`` and ``bach`` means over the pieces drawn, and
        ``difference_sd`` (ours minus Bach's mean, in the two sets' pooled standard deviations;
        where both sets are constant, 0 when they agree and ±inf when they do not).

    Raises
    ------
    InputError
        When either set has fewer pieces than ``folds``.
    """
    features, labels = _balanced_features(ours, bach, folds, seed)
    rows = []
    for column, name in enumerate(feature_names()):
        values = features[:, column]
        mine, theirs = values[labels == 1], values[labels == 0]
        spread = float(np.sqrt((mine.var() + theirs.var()) / 2))
        difference = float(mine.mean() - theirs.mean())
        rows.append({"feature": name,
                     "accuracy": _held_out_accuracy(values[:, None], labels, folds, seed),
                     "ours": float(mine.mean()), "bach": float(theirs.mean()),
                     "difference_sd": difference / spread if spread > 0
                     else 0.0 if difference == 0 else float(np.copysign(np.inf, difference))})
    return sorted(rows, key=lambda row: -row["accuracy"])


def _balanced_features(ours: Sequence[Score], bach: Sequence[Score], folds: int, seed: int
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Features of equal numbers of both sets (a seeded draw from the larger), shape=(2 N, F), and
    their labels (1 ours, 0 Bach's), shape=(2 N,)."""
    if min(len(ours), len(bach)) < folds:
        raise InputError(f"a {folds}-fold two-sample test needs at least {folds} pieces per set "
                         f"(got {len(ours)} and {len(bach)})")
    rng = np.random.default_rng(seed)
    size = min(len(ours), len(bach))
    ours, bach = ([pieces[i] for i in sorted(rng.choice(len(pieces), size, replace=False))] for pieces in (ours, bach))
    features = np.stack([piece_features(s) for s in [*ours, *bach]])
    return features, np.array([1] * size + [0] * size)


def _held_out_accuracy(features: np.ndarray, labels: np.ndarray, folds: int, seed: int) -> float:
    """Mean accuracy over stratified folds of a standardised, L2-regularised logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return float(np.mean(cross_val_score(model, features, labels, cv=splitter, scoring="accuracy")))
