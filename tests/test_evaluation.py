"""Fréchet distance, Inception-style score, windows, bad ceilings, and the shipped style classifier."""

import json

import numpy as np
import pytest

from midistyle.errors import InputError
from midistyle.evaluation import frechet
from midistyle.evaluation.report import bad_ceilings, format_table, random_pitches, shuffle_voices_in_time
from midistyle.evaluation.windows import NUM_PITCHES, WINDOW_STEPS, notes_to_roll, roll_windows, score_windows
from midistyle.music import metrics


def test_frechet_distance_of_gaussians_matches_the_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, (20000, 3))
    b = rng.normal(2, 2, (20000, 3))  # mean offset 2 per dim; cov 4I: tr(I + 4I - 2*2I) = 3
    assert frechet.frechet_distance(a, a) == pytest.approx(0, abs=1e-6)
    assert frechet.frechet_distance(a, b) == pytest.approx(3 * 4 + 3, rel=0.05)


def test_frechet_distance_needs_two_embeddings():
    with pytest.raises(InputError, match="at least 2"):
        frechet.frechet_distance(np.zeros((1, 4)), np.zeros((5, 4)))


def test_inception_score_bounds():
    confident_and_varied = np.eye(5)[np.arange(100) % 5]
    assert frechet.inception_score(confident_and_varied) == pytest.approx(5, rel=1e-6)
    all_same = np.tile([0.2, 0.8], (50, 1))
    assert frechet.inception_score(all_same) == pytest.approx(1.0)
    assert frechet.accept_rate(confident_and_varied, 0) == pytest.approx(0.2)


def test_windows_merge_voices_and_skip_silence():
    notes = np.array([[0, 60, 4], [0, 48, 8], [64, 62, 4]])  # a gap of silent windows in the middle
    roll = notes_to_roll(notes)
    assert roll.shape == (68, NUM_PITCHES, 2)
    assert roll[0, 60 - 28, 0] == 1 and roll[3, 60 - 28, 1] == 1 and roll[4, 60 - 28, 1] == 0
    windows = roll_windows(roll, hop_steps=16)
    assert windows.shape[1:] == (WINDOW_STEPS, NUM_PITCHES, 2)
    assert len(windows) == 2  # padded to 80 steps: starts 0 and 48 hold notes; 16 and 32 are silent


def test_score_windows_of_a_chorale(test_chorales):
    windows = score_windows(test_chorales[0])
    assert len(windows) >= test_chorales[0].num_steps // 16 - 2
    assert windows.dtype == np.float32


def test_bad_ceilings_keep_rhythm_and_break_harmony(test_chorales):
    rng = np.random.default_rng(0)
    chorale = test_chorales[0]
    shuffled = shuffle_voices_in_time(chorale, rng)
    assert [len(v.notes) for v in shuffled.voices] == [len(v.notes) for v in chorale.voices]
    assert sorted(n.pitch for n in shuffled.voices[3].notes) == sorted(n.pitch for n in chorale.voices[3].notes)
    randomized = random_pitches(chorale, rng)
    assert [n.onset_step for n in randomized.voices[0].notes] == [n.onset_step for n in chorale.voices[0].notes]
    ceilings = bad_ceilings(test_chorales[:10])
    bach_chords = metrics.mean_metrics(test_chorales[:10])["chord_beat_rate"]
    for broken in ceilings.values():
        assert metrics.mean_metrics(broken)["chord_beat_rate"] < bach_chords - 0.2


def test_format_table():
    text = format_table({"a": {"x": 1.0, "windows": 3}, "b": {"x": 0.5, "windows": 4}})
    assert text.splitlines()[0] == "| metric | a | b |"
    assert "| x | 1.000 | 0.500 |" in text


@pytest.fixture(scope="module")
def shipped_classifier():
    from midistyle.evaluation.classifier import StyleClassifier

    return StyleClassifier.load()


def test_shipped_classifier_separates_bach_from_its_bad_ceiling(shipped_classifier, test_chorales):
    from midistyle.evaluation.report import evaluate_sets

    sets = {"Bach test": test_chorales, **bad_ceilings(test_chorales)}
    table = evaluate_sets(sets, classifier=shipped_classifier)
    assert table["Bach test"]["bach_accept_rate"] > 0.8
    assert table["Bach test"]["frechet_distance"] == pytest.approx(0, abs=1e-6)  # same set as the reference
    # The classifier judges texture first: shuffled voices still look like 4-voice chorale windows
    # to it (accept rate ~0.9), but the embedding statistics move far beyond Bach train's (~0.2).
    for name in ("voices shuffled", "random pitches"):
        assert table[name]["bach_accept_rate"] < table["Bach test"]["bach_accept_rate"]
        assert table[name]["frechet_distance"] > 3.0
    assert table["random pitches"]["bach_accept_rate"] < 0.8


def test_shipped_classifier_report_is_consistent(shipped_classifier):
    from midistyle.evaluation.classifier import WEIGHTS_DIR

    report = json.loads((WEIGHTS_DIR / "style_classifier_report.json").read_text())
    assert report["test_accuracy"] > 0.7
    assert report["parameters"] == shipped_classifier.model.count_params()
