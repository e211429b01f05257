"""Style transfer: the hand-written gradient, chunking, the equaliser, both methods, and bad input."""

import dataclasses

import numpy as np
import pytest

from midistyle.audio import metrics, spectral
from midistyle.audio.equaliser import band_statistics_match, cepstral_statistics_match, envelope_match
from midistyle.audio.sms import SinusoidalConfig, sinusoidal_mask
from midistyle.audio.style_transfer import (
    PUBLISHED,
    RandomFilterNetwork,
    StyleLoss,
    StyleTransferConfig,
    stylize_magnitude,
    transfer_style,
)
from midistyle.audio.stylize import stylize
from midistyle.errors import InputError

RATE = 22050
TINY = StyleTransferConfig(filters=32, iterations=3, griffin_lim_iterations=4)


def tones(pitches, seconds_each=0.5, harmonics=1, rate=RATE):
    """A melody of MIDI pitches; ``harmonics`` > 1 gives a brighter, sawtooth-like timbre."""
    time = np.arange(int(seconds_each * rate)) / rate
    envelope = np.minimum(1, np.minimum(time, time[::-1]) * 50)
    notes = []
    for pitch in pitches:
        frequency = 440 * 2 ** ((pitch - 69) / 12)
        wave = sum(np.sin(2 * np.pi * k * frequency * time) / k for k in range(1, harmonics + 1))
        notes.append(0.3 * envelope * wave / np.max(np.abs(wave)))
    return np.concatenate(notes).astype(np.float32)


def prepared(audio, what="content"):
    return spectral.prepare_audio(audio, RATE, target_rate=RATE, what=what)


@pytest.mark.parametrize("content_weight", [None, 0.5], ids=["normalised", "published-form"])
def test_gradient_matches_finite_differences(content_weight):
    rng = np.random.default_rng(0)
    config = StyleTransferConfig(filters=6, filter_widths=(2, 3), strength=0.6, style_share=0.5,
                                 content_weight=content_weight)
    network = RandomFilterNetwork(9, config.filters, config.filter_widths, seed=1)  # 9 bins: a tiny spectrogram
    content, style = rng.random((12, 9)).astype(np.float32), rng.random((20, 9)).astype(np.float32)
    loss = StyleLoss(network, content, network.grams(style), config)
    x = (content + rng.normal(0, 0.2, content.shape)).astype(np.float32)
    value, gradient = loss(x)
    numeric = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x, dtype=np.float64)
        step[index] = 1e-3
        numeric[index] = (loss((x + step).astype(np.float32))[0] - loss((x - step).astype(np.float32))[0]) / 2e-3
    assert value > 0
    np.testing.assert_allclose(gradient, numeric, rtol=0.05, atol=1e-3 * np.abs(numeric).max())


def test_gram_over_blocks_equals_gram_at_once():
    rng = np.random.default_rng(2)
    network = RandomFilterNetwork(9, 5, (3,), seed=0)
    x = rng.random((50, 9)).astype(np.float32)
    features = network.features(x)[0][1]
    np.testing.assert_allclose(network.grams(x, block_frames=7)[0], features.T @ features / len(features), rtol=1e-4)


def test_chunks_cover_everything_and_crossfades_join_seamlessly():
    ranges = spectral.frame_chunks(100, chunk_frames=30, overlap_frames=10)
    assert ranges[0][0] == 0 and ranges[-1][1] == 100
    assert all(b[0] < a[1] for a, b in zip(ranges, ranges[1:]))  # every neighbour overlaps
    assert spectral.frame_chunks(20, chunk_frames=30, overlap_frames=10) == [(0, 20)]
    chunks = [np.full((stop - start, 3), 2.0) for start, stop in ranges]
    np.testing.assert_allclose(spectral.crossfade_chunks(chunks, ranges, 100), 2.0)
    ramp = np.arange(100, dtype=float)[:, None] * np.ones(3)
    joined = spectral.crossfade_chunks([ramp[a:b] for a, b in ranges], ranges, 100)
    np.testing.assert_allclose(joined, ramp)
    with pytest.raises(InputError, match="overlap"):
        spectral.frame_chunks(100, chunk_frames=10, overlap_frames=10)


def test_envelope_match_gives_the_content_the_style_band_levels():
    rng = np.random.default_rng(0)
    content = np.abs(rng.normal(size=(40, 1025))) * np.linspace(1.0, 0.01, 1025)  # dark
    style = np.abs(rng.normal(size=(60, 1025))) * np.linspace(0.01, 1.0, 1025)  # bright
    gain = envelope_match(content, style, sample_rate=RATE, n_fft=2048, bands=16)
    assert gain.shape == (1025,) and gain[900] > 10 * gain[50] and gain[0] < gain[900]
    centroid = lambda m: float(np.average(np.arange(1025), weights=np.mean(m**2, axis=0)))  # noqa: E731
    assert centroid(content * gain) > centroid(content) + 200


def test_band_statistics_match_gives_the_content_the_style_band_means_and_spread():
    import librosa

    rng = np.random.default_rng(1)
    bank = librosa.filters.mel(sr=RATE, n_fft=2048, n_mels=8, norm=None)
    steady = np.ones((300, 1025)) * np.exp(rng.normal(0, 0.05, (300, 1)))  # same envelope in every frame
    band_levels = rng.normal(0, 6.0, (200, 8)) + np.linspace(0, -30, 8)  # style: moving, darker envelope
    style = np.sqrt(10 ** (band_levels / 10) @ np.linalg.pinv(bank).T.clip(0) + 1e-6)
    gain = band_statistics_match(steady, style, sample_rate=RATE, n_fft=2048, bands=8)
    assert gain.shape == steady.shape

    def levels(magnitude):
        return 10 * np.log10(magnitude**2 @ bank.T + 1e-10)

    before, after, target = levels(steady), levels(steady * gain), levels(style)
    assert after.std(axis=0).mean() > 3 * before.std(axis=0).mean()  # the frames now move, as the style's do
    slope = lambda x: np.polyfit(np.arange(8), x.mean(axis=0), 1)[0]  # noqa: E731
    assert abs(slope(after) - slope(target)) < 0.3 * abs(slope(target) - slope(before))  # and are as dark


def test_cepstral_statistics_match_gives_the_content_the_style_cepstral_means_and_spreads():
    import librosa
    import scipy.fft

    rng = np.random.default_rng(2)
    bins = np.arange(1025)
    content = np.exp(-bins[None, :] / (150.0 * np.exp(0.03 * rng.normal(0, 1.0, (200, 1)))))  # dark, nearly steady
    style = np.exp(-bins[None, :] / (600.0 * np.exp(0.3 * rng.normal(0, 1.0, (150, 1)))))  # bright, moving
    gain = cepstral_statistics_match(content, style, sample_rate=RATE, n_fft=2048)
    assert gain.shape == content.shape

    bank = librosa.filters.mel(sr=RATE, n_fft=2048, n_mels=128, norm=None)
    dct = scipy.fft.dct(np.eye(128), type=2, norm="ortho", axis=0)[1:6]

    def cepstra(magnitude):
        level = 10 * np.log10(magnitude**2 @ bank.T + 1e-10)
        return np.maximum(level, level.max() - 80) @ dct.T

    before, after, target = cepstra(content), cepstra(content * gain), cepstra(style)
    assert np.abs(after.mean(0) - target.mean(0)).sum() < 0.2 * np.abs(before.mean(0) - target.mean(0)).sum()
    spread = [x.std(0)[0] for x in (before, after, target)]  # of the first coefficient: brightness
    assert abs(spread[1] - spread[2]) < 0.3 * abs(spread[0] - spread[2])


def test_the_two_equalisers_are_averaged_by_cepstral_share():
    content, style = tones([60, 64, 67, 72]), tones([50, 55, 59], harmonics=8)
    spectra = [np.abs(spectral.stft(x, n_fft=2048, hop_length=512)) for x in (content, style)]
    results = {share: stylize_magnitude(*spectra, dataclasses.replace(TINY, iterations=0, cepstral_share=share))[0]
               for share in (0.0, 0.5, 1.0)}
    middle = (results[0.0] + results[1.0]) / 2  # log1p of the magnitudes: close to halfway, not exactly
    assert np.abs(results[0.5] - middle).mean() < 0.25 * np.abs(results[0.0] - results[1.0]).mean()


def test_strength_zero_reproduces_the_content():
    content = tones([60, 64, 67, 72])
    result = transfer_style(prepared(content), prepared(tones([50, 55], harmonics=8), "style"),
                            dataclasses.replace(TINY, strength=0.0, griffin_lim_iterations=2))
    assert result.audio.shape == content.shape
    assert np.corrcoef(result.audio, content)[0, 1] > 0.99


@pytest.mark.parametrize("method", ["stft", "sms"])
def test_transfer_moves_timbre_toward_the_target_and_keeps_the_pitches(method):
    melody, other = [60, 62, 64, 65, 67, 65, 64, 62], [55, 57, 59, 60, 62, 64]
    content, style, target = tones(melody), tones(other, harmonics=10), tones(melody, harmonics=10)
    config = TINY if method == "stft" else SinusoidalConfig(sinusoids=12, transfer=TINY)
    result = stylize(content, RATE, style, RATE, config=config)
    assert result.audio.shape == content.shape and np.all(np.isfinite(result.audio))
    assert metrics.timbre_distance(result.audio, target, RATE) < metrics.timbre_distance(content, target, RATE)
    assert metrics.log_spectral_distance(result.audio, target, RATE) < metrics.log_spectral_distance(
        content, target, RATE)
    assert metrics.chroma_similarity(result.audio, content, RATE) > 0.8
    assert len(result.losses) == (config.transfer if method == "sms" else config).iterations


def test_long_content_in_chunks_keeps_its_length_and_has_no_gaps():
    content = tones([60, 62, 64, 65] * 4)  # 8 s in chunks of 1.5 s
    config = dataclasses.replace(TINY, chunk_seconds=1.5, overlap_seconds=0.3, iterations=2)
    result = stylize(content, RATE, tones([48, 52], harmonics=6), RATE, config=config)
    assert result.audio.shape == content.shape
    frame = RATE // 10
    level = [np.sqrt(np.mean(result.audio[i : i + frame] ** 2)) for i in range(0, len(content) - frame, frame)]
    assert min(level) > 0.05 * max(level)  # no silent hole where chunks meet (every 0.1 s has sound)
    assert len(result.losses) == 2 * len(spectral.frame_chunks(len(result.log_magnitude), chunk_frames=64,
                                                               overlap_frames=12))


def test_sinusoidal_mask_finds_the_strongest_partials():
    time = np.arange(RATE) / RATE
    audio = sum(a * np.sin(2 * np.pi * f * time) for a, f in [(1.0, 440), (0.5, 1000), (0.1, 3000)])
    magnitude = np.abs(spectral.stft(audio.astype(np.float32), n_fft=2048, hop_length=512))
    mask = sinusoidal_mask(magnitude, sinusoids=2, lobe_bins=1)
    frame = mask[len(mask) // 2]
    to_bin = lambda hz: round(hz * 2048 / RATE)  # noqa: E731
    assert frame[to_bin(440)] and frame[to_bin(1000)] and not frame[to_bin(3000)]
    assert frame.sum() <= 2 * 3


def test_input_is_checked_and_conversions_are_stated():
    stereo = np.stack([tones([60, 64]), tones([60, 64])], axis=1)
    result = spectral.prepare_audio(stereo, 44100, target_rate=RATE, what="content")
    assert result.sample_rate == RATE and result.samples.ndim == 1
    assert any("mixed down" in n for n in result.notes) and any("44100" in n for n in result.notes)
    for audio, problem in [(np.zeros(0), "empty"), (np.zeros(RATE), "silent"),
                           (np.array([0.1, np.nan] * 2000), "NaN")]:
        with pytest.raises(InputError, match=problem):
            spectral.prepare_audio(audio, RATE, target_rate=RATE, what="style")
    with pytest.raises(InputError, match="shorter than one analysis window"):
        stylize(tones([60, 62]), RATE, tones([60])[:1000], RATE, config=TINY)


def test_configs_round_trip_and_refuse_bad_values():
    assert StyleTransferConfig.from_json(PUBLISHED.to_json()) == PUBLISHED
    assert PUBLISHED.filters == 4096 and PUBLISHED.filter_widths == (11,) and PUBLISHED.iterations == 300
    sms = SinusoidalConfig(sinusoids=16)
    assert SinusoidalConfig(**sms.to_dict()) == sms
    for bad in [{"strength": 1.5}, {"n_fft": 1000}, {"optimizer": "sgd"}, {"filter_widths": ()},
                {"cepstral_share": -0.1}]:
        with pytest.raises(InputError):
            StyleTransferConfig(**bad)
    with pytest.raises(InputError, match="sinusoids"):
        SinusoidalConfig(sinusoids=0)


def test_adam_and_noise_start_also_run():
    content, style = tones([60, 64, 67]), tones([48, 52], harmonics=6)
    for changes in [{"optimizer": "adam"}, {"start": "noise", "phase": "random"}]:
        result = stylize(content, RATE, style, RATE, config=dataclasses.replace(TINY, **changes))
        assert result.audio.shape == content.shape and np.abs(result.audio).max() > 0.01
