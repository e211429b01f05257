"""The classifier two-sample test and which features carry it, on hand-built sets."""

from __future__ import annotations

import pytest

from midistyle.errors import InputError
from midistyle.evaluation.two_sample import feature_names, feature_separation, two_sample_accuracy
from midistyle.music.score import Key, Note, Score, make_voices

SOPRANO = (72, 74, 76, 77, 76, 74, 72, 71, 72)


def piece(lower: tuple[tuple[int, ...], ...], shift: int) -> Score:
    lines = [SOPRANO, *lower]
    return Score(make_voices([[Note(4 * i, p + shift, 4) for i, p in enumerate(line)] for line in lines]),
                 key=Key((7 * shift + 5) % 12 - 5, "major"))  # the major key on the transposed tonic


# lower voices striking the same pitches again, or walking by step under the same melody
REPEATING = ((67, 67, 67, 67, 67, 67, 67, 67, 67), (64, 64, 64, 64, 64, 64, 64, 64, 64),
             (48, 48, 48, 48, 48, 48, 48, 48, 48))
WALKING = ((67, 65, 67, 69, 67, 65, 64, 62, 64), (64, 62, 60, 60, 60, 59, 57, 55, 55),
           (48, 50, 52, 53, 52, 50, 48, 43, 48))


def test_sets_told_apart_by_one_count_name_it():
    ours = [piece(REPEATING, shift) for shift in range(6)]
    bach = [piece(WALKING, shift) for shift in range(6)]
    assert two_sample_accuracy(ours, bach) == 1.0
    rows = feature_separation(ours, bach)
    assert sorted(row["feature"] for row in rows) == sorted(feature_names())
    accuracies = [row["accuracy"] for row in rows]
    assert accuracies == sorted(accuracies, reverse=True)  # most telling first
    repeats = next(row for row in rows if row["feature"] == "interval:0-0")
    assert repeats["accuracy"] == 1.0 and repeats["ours"] == 1.0
    assert repeats["bach"] == pytest.approx(3 / 24)  # the tenor's C4 C4 C4 and G3 G3 in 24 moves
    assert repeats["difference_sd"] == float("inf")  # both sets constant and apart: no spread to measure in
    steps = next(row for row in rows if row["feature"] == "interval:2-2")
    assert steps["ours"] == 0.0 and steps["bach"] > 0.3


def test_two_draws_of_one_mix_are_not_told_apart():
    ours = [piece(WALKING if shift % 2 else REPEATING, shift) for shift in range(10)]
    bach = [piece(REPEATING if shift % 2 else WALKING, shift) for shift in range(10)]  # the same mix, other keys
    assert two_sample_accuracy(ours, bach) <= 0.6
    rows = feature_separation(ours, bach)
    assert all(row["accuracy"] <= 0.6 for row in rows)
    assert next(row for row in rows if row["feature"] == "interval:0-0")["difference_sd"] == 0.0


def test_too_few_pieces_for_the_folds_is_refused():
    with pytest.raises(InputError, match="at least 5 pieces"):
        feature_separation([piece(WALKING, 0)] * 4, [piece(REPEATING, 0)] * 9)
