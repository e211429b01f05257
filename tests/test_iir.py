"""The numpy biquad filter against scipy's sosfilt, the reference it replaces on the render path."""

import numpy as np
import pytest
from scipy.signal import butter
from scipy.signal import sosfilt as scipy_sosfilt

from midistyle.audio.iir import high_pass_sos, sosfilt


@pytest.mark.parametrize("length", [1, 5, 63, 64, 65, 4095, 4096, 4097, 100_003])
@pytest.mark.parametrize("design", ["dc high-pass", "band-pass, 4 sections"])
def test_float64_matches_scipy_at_every_length(length, design):
    sos = (butter(2, 5.0, btype="highpass", fs=44100, output="sos") if design == "dc high-pass"
           else butter(4, [100.0, 3000.0], btype="bandpass", fs=44100, output="sos"))
    signal = np.random.default_rng(length).standard_normal((3, length))
    ours = sosfilt(sos, signal, axis=1)
    assert ours.shape == signal.shape and ours.dtype == np.float64
    np.testing.assert_allclose(ours, scipy_sosfilt(sos, signal, axis=1), rtol=0, atol=1e-9)


def test_an_empty_signal_comes_back_empty():  # (scipy's sosfilt raises on it)
    assert sosfilt(high_pass_sos(5.0, 44100), np.zeros((2, 0))).shape == (2, 0)


def test_float32_audio_stays_float32_and_within_a_16_bit_step():
    sos = high_pass_sos(5.0, 44100)
    audio = np.random.default_rng(0).standard_normal((300_000, 2)).astype(np.float32)  # (N, channels)
    ours = sosfilt(sos, audio, axis=0)
    assert ours.dtype == np.float32 and ours.shape == audio.shape
    reference = scipy_sosfilt(sos, audio.astype(np.float64), axis=0)
    assert np.abs(ours - reference).max() < 2 ** -15  # one step of 16-bit audio at full scale 1


def test_an_impulse_gives_the_filters_own_impulse_response():
    sos = high_pass_sos(1000.0, 8000)
    impulse = np.zeros(500)
    impulse[0] = 1.0
    b0, b1, b2, _, a1, a2 = sos[0]
    expected, x1, x2, y1, y2 = [], 0.0, 0.0, 0.0, 0.0
    for x in impulse:  # the difference equation, sample by sample
        y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        expected.append(y)
        x1, x2, y1, y2 = x, x1, y, y1
    np.testing.assert_allclose(sosfilt(sos, impulse), expected, atol=1e-12)


@pytest.mark.parametrize("sample_rate", [8000, 22050, 44100, 96000])
def test_high_pass_design_is_scipys_butterworth(sample_rate):
    np.testing.assert_allclose(high_pass_sos(5.0, sample_rate),
                               butter(2, 5.0, btype="highpass", fs=sample_rate, output="sos"), atol=1e-12)


def test_bad_sections_are_refused():
    with pytest.raises(ValueError, match="shape"):
        sosfilt(np.ones((1, 5)), np.zeros(10))
    with pytest.raises(ValueError, match="unstable"):
        sosfilt([[1.0, 0.0, 0.0, 1.0, -2.5, 1.0]], np.zeros(10))
