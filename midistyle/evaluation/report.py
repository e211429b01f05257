"""Side-by-side evaluation: symbolic metrics and style scores for named sets of pieces.

``evaluate_sets({"model": scores, "Bach test": ..., "Bach train": ...})`` measures every set through
the same code: the mean of each symbolic metric (:mod:`midistyle.music.metrics`) and, from the style
classifier, the Bach accept rate, the Inception-style score and the Fréchet distance of the set's
window embeddings to a reference set's (the Bach test split by default).

Two bad ceilings show how far from Bach a broken model would land: ``shuffle_voices_in_time``
(each voice of a real chorale rotated by its own random number of bars: melodies intact, harmony
destroyed) and ``random_pitches`` (the real rhythm, pitches drawn uniformly within each voice's range).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from midistyle.data.chorales import load_chorales
from midistyle.errors import InputError
from midistyle.evaluation.frechet import accept_rate, frechet_distance, inception_score
from midistyle.evaluation.windows import score_windows
from midistyle.music.metrics import mean_metrics
from midistyle.music.score import SATB_RANGES, Note, Score, Voice

REFERENCES = {"bach-test": "test", "bach-valid": "valid", "bach-train": "train"}
STYLE_METRICS = ("windows", "bach_accept_rate", "inception_score", "frechet_distance")


def reference_scores(name: str) -> list[Score]:
    """The Bach split a reference name (``bach-test``, ``bach-valid``, ``bach-train``) stands for."""
    if name not in REFERENCES:
        raise InputError(f"reference {name!r} is not one of {', '.join(REFERENCES)}")
    return load_chorales(REFERENCES[name])


def set_windows(scores: Sequence[Score]) -> np.ndarray:
    """Every window of every score, shape=(N, WINDOW_STEPS, NUM_PITCHES, 2)."""
    windows = [score_windows(score) for score in scores]
    return np.concatenate(windows) if windows else np.zeros((0,))


def style_scores(classifier, scores: Sequence[Score], reference_embeddings: np.ndarray) -> dict[str, float]:
    """Bach accept rate, Inception-style score and Fréchet distance to the reference, for one set."""
    embeddings, probabilities = classifier.embed_and_classify(set_windows(scores))
    bach = classifier.config.classes.index("bach_chorale")
    return {
        "windows": float(len(embeddings)),
        "bach_accept_rate": accept_rate(probabilities, bach),
        "inception_score": inception_score(probabilities),
        "frechet_distance": frechet_distance(embeddings, reference_embeddings),
    }


def evaluate_sets(
    sets: Mapping[str, Sequence[Score]], *, reference: str = "bach-test", classifier=None, style: bool = True
) -> dict[str, dict[str, float]]:
    """Every metric for every named set of scores, measured by the same code.

    Parameters
    ----------
    sets : mapping of name -> list of Score
    reference : str, keyword-only
        The Bach split the Fréchet distance is measured against.
    classifier : StyleClassifier or None, keyword-only
        Default: the shipped one (loading it imports TensorFlow).
    style : bool, keyword-only
        False skips the classifier (symbolic metrics only, no TensorFlow).

    Returns
    -------
    dict
        ``{set name: {metric name: value}}``.
    """
    table = {name: {**mean_metrics(scores), **critic_metrics(scores)} for name, scores in sets.items()}
    if style:
        if classifier is None:
            from midistyle.evaluation.classifier import StyleClassifier

            classifier = StyleClassifier.load()
        reference_embeddings, _ = classifier.embed_and_classify(set_windows(reference_scores(reference)))
        for name, scores in sets.items():
            table[name].update(style_scores(classifier, scores, reference_embeddings))
    return table


def critic_metrics(scores: Sequence[Score]) -> dict[str, float]:
    """The harmony critic's rates (marks per 100 quarter beats at every onset, pooled over the set)
    and cadence shares, as ``critic: <rule>`` rows; empty when a score is not four voices."""
    from midistyle.music.harmony import critique, pooled_cadence_shares, pooled_rates

    if not scores or any(score.num_voices != 4 for score in scores):
        return {}
    found = [critique(score) for score in scores]
    shares = pooled_cadence_shares(found)
    return {**{f"critic: {rule}": rate for rule, rate in pooled_rates(found).items()},
            "critic: cadential_bass_share": shares["cadential_bass_share"],
            "critic: ends_authentic_on_tonic": shares["ends_authentic_on_tonic"]}


def format_table(table: Mapping[str, Mapping[str, float]]) -> str:
    """A markdown table: one row per metric, one column per set (blank where a set has no value)."""
    names = list(table)
    metrics = list(dict.fromkeys(metric for row in table.values() for metric in row))
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for metric in metrics:
        cells = [_format_value(metric, table[name].get(metric, float("nan"))) for name in names]
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _format_value(metric: str, value: float) -> str:
    if value != value:  # NaN: the set has no such value
        return ""
    return f"{value:.0f}" if metric == "windows" else f"{value:.3f}"


# -- bad ceilings --------------------------------------------------------------------------------
def shuffle_voices_in_time(score: Score, rng: np.random.Generator) -> Score:
    """Rotate each voice by its own random whole number of bars (melodies kept, harmony lost)."""
    bar = score.steps_per_bar
    start = score.anacrusis_steps
    span = -(-(score.num_steps - start) // bar) * bar
    bars = span // bar
    voices = []
    for voice in score.voices:
        shift = int(rng.integers(1, bars)) * bar if bars > 1 else 0
        notes = []
        for note in voice.notes:
            onset = (note.onset_step - start + shift) % span + start if note.onset_step >= start else note.onset_step
            duration = min(note.duration_steps, start + span - onset)
            notes.append(dataclasses.replace(note, onset_step=onset, duration_steps=duration))
        voices.append(Voice(voice.name, tuple(notes), voice.program))
    return score.replace(voices=tuple(voices))


def random_pitches(score: Score, rng: np.random.Generator, ranges=SATB_RANGES) -> Score:
    """Keep each voice's rhythm; draw every pitch uniformly from that voice's range."""
    voices = []
    for voice, (low, high) in zip(score.voices, ranges):
        notes = tuple(
            Note(n.onset_step, int(rng.integers(low, high + 1)), n.duration_steps, n.velocity) for n in voice.notes
        )
        voices.append(Voice(voice.name, notes, voice.program))
    return score.replace(voices=tuple(voices))


def bad_ceilings(scores: Sequence[Score], *, seed: int = 0) -> dict[str, list[Score]]:
    """The two broken versions of ``scores`` under their table names."""
    rng = np.random.default_rng(seed)
    return {
        "voices shuffled": [shuffle_voices_in_time(s, rng) for s in scores],
        "random pitches": [random_pitches(s, rng) for s in scores],
    }
