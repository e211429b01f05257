"""Audio metrics on synthetic signals with known answers, and ground-truth timbre pairs."""

import numpy as np
import pytest

from midistyle.audio import metrics
from midistyle.errors import InputError

SAMPLE_RATE = 22050


def tone(frequency_hz, seconds=1.0, harmonics=(1.0,)):
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (
        sum(a * np.sin(2 * np.pi * frequency_hz * (k + 1) * t) for k, a in enumerate(harmonics)).astype(np.float32)
        * 0.2
    )


def test_identical_signals_have_zero_distances():
    a = tone(440, harmonics=(1, 0.5, 0.3))
    assert metrics.log_spectral_distance(a, a, SAMPLE_RATE) == 0.0
    assert metrics.timbre_distance(a, a, SAMPLE_RATE) == pytest.approx(0.0, abs=1e-6)
    assert metrics.chroma_similarity(a, a, SAMPLE_RATE) == pytest.approx(1.0)


def test_chroma_similarity_follows_pitch_not_timbre():
    dull_a4, bright_a4 = tone(440, harmonics=(1, 0.1)), tone(440, harmonics=(1, 0.6, 0.3, 0.4))
    dull_c5 = tone(523.25, harmonics=(1, 0.1))
    assert (
        metrics.chroma_similarity(dull_a4, bright_a4, SAMPLE_RATE)
        > metrics.chroma_similarity(dull_a4, dull_c5, SAMPLE_RATE) + 0.3
    )


def test_brightness_and_level():
    dull, bright = tone(440, harmonics=(1,)), tone(440, harmonics=(1, 1, 1, 1, 1, 1))
    assert metrics.spectral_centroid_hz(dull, SAMPLE_RATE) == pytest.approx(440, rel=0.1)
    assert metrics.spectral_centroid_hz(bright, SAMPLE_RATE) > 1000
    row = metrics.audio_metrics(np.stack([dull, dull], axis=1), SAMPLE_RATE, content=dull)
    assert row["peak_dbfs"] == pytest.approx(20 * np.log10(0.2), abs=0.1)
    assert row["log_spectral_distance_to_content"] == 0.0
    assert set(row) >= {"loudness_lufs", "timbre_distance_to_content", "chroma_similarity_to_content"}


def test_silent_audio_is_refused():
    with pytest.raises(InputError, match="silent"):
        metrics.audio_metrics(np.zeros(SAMPLE_RATE, np.float32), SAMPLE_RATE)
    with pytest.raises(InputError, match="shape"):
        metrics.to_mono(np.zeros((0,)))


def test_ground_truth_pair_target_has_the_style_timbre_and_the_content_notes(test_chorales):
    from midistyle.audio.pairs import make_timbre_pair

    def excerpt(score, steps=64):
        voices = [
            v.__class__(v.name, tuple(n for n in v.notes if n.end_step <= steps), v.program) for v in score.voices
        ]
        return score.replace(voices=tuple(voices))

    pair = make_timbre_pair(
        excerpt(test_chorales[0]),
        excerpt(test_chorales[1]),
        content_program="acoustic grand piano",
        target_program="clarinet",
    )
    assert pair.content.shape == pair.target.shape and pair.content.shape[1] == 2
    sr = pair.sample_rate
    # The answer sounds like the style (same instrument) more than the content does...
    assert metrics.timbre_distance(pair.target, pair.style, sr) < metrics.timbre_distance(pair.content, pair.style, sr)
    # ...and keeps the content's notes better than the style example does.
    assert metrics.chroma_similarity(pair.target, pair.content, sr) > metrics.chroma_similarity(
        pair.style, pair.content, sr
    )
    with pytest.raises(InputError, match="two timbres"):
        make_timbre_pair(test_chorales[0], test_chorales[1], content_program=40, target_program="violin")
