"""The BS.1770 loudness meter against pyloudnorm (the reference implementation) and against the standard."""

import numpy as np
import pytest

from midistyle.audio.level import check_loudness_target, k_weighting_sos, loudness_lufs
from midistyle.errors import InputError


def _music_like(sample_rate, seconds=6.0, channels=2, seed=0):
    """Tones with a decaying envelope, a quiet stretch (the relative gate must drop it) and unequal channels."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    out = np.zeros((t.size, channels))
    for channel in range(channels):
        for onset in np.arange(0, seconds, 0.5):
            frequency = rng.choice([110.0, 220.0, 440.0, 880.0, 3000.0])
            envelope = np.where(t >= onset, np.exp(-(t - onset) * 3), 0)
            out[:, channel] += 0.1 * (channel + 1) * envelope * np.sin(2 * np.pi * frequency * t)
    out[int(sample_rate * 2) : int(sample_rate * 3)] *= 1e-3
    return out


@pytest.mark.parametrize("sample_rate", [22050, 44100, 48000])
@pytest.mark.parametrize("channels", [1, 2])
def test_agrees_with_pyloudnorm(sample_rate, channels):
    import pyloudnorm

    audio = _music_like(sample_rate, channels=channels)
    reference = pyloudnorm.Meter(sample_rate).integrated_loudness(audio if channels > 1 else audio[:, 0])
    assert loudness_lufs(audio, sample_rate) == pytest.approx(reference, abs=0.01)
    assert loudness_lufs(audio[:, 0], sample_rate) == pytest.approx(
        pyloudnorm.Meter(sample_rate).integrated_loudness(audio[:, 0]), abs=0.01)


def test_a_stereo_sine_at_minus_23_dbfs_reads_minus_23_lufs():
    # EBU Tech 3341, case 1: a 1 kHz sine at -23 dBFS on both channels is -23.0 LUFS (±0.1)
    rate = 48000
    t = np.arange(rate * 20) / rate
    sine = 10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * t)
    assert loudness_lufs(np.stack([sine, sine], axis=1), rate) == pytest.approx(-23.0, abs=0.1)


def test_k_weighting_matches_the_coefficients_printed_in_bs1770():
    shelf, high_pass = k_weighting_sos(48000)
    assert shelf[:3] == pytest.approx([1.53512485958697, -2.69169618940638, 1.19839281085285], abs=1e-3)
    assert shelf[4:] == pytest.approx([-1.69065929318241, 0.73248077421585], abs=1e-3)
    assert high_pass[4:] == pytest.approx([-1.99004745483398, 0.99007225036621], abs=1e-4)


def test_too_short_or_silent_audio_has_no_loudness():
    assert loudness_lufs(np.ones((100, 2)), 44100) is None
    assert loudness_lufs(np.zeros((44100, 2)), 44100) is None


@pytest.mark.parametrize("target", [-4.0, -71.0, float("nan"), float("inf")])
def test_impossible_targets_are_refused(target):
    with pytest.raises(InputError, match="must be in -70..-5"):
        check_loudness_target(target)
    check_loudness_target(None)
    check_loudness_target(-16.0)
