"""Spectrogram style transfer (Ulyanov & Lebedev 2016) that gives the content's notes the style's timbre.

The log-magnitude STFT ``X = log(1 + |S|)``, shape=(frames, bins), is a one-row image whose
channels are the ``bins`` frequency bins. One convolution over time with fixed random filters and
a ReLU turns it into features ``F``, shape=(frames', filters); their Gram matrix ``FᵀF / frames'``
describes which spectral patterns occur together, not when: that is the *style*. The result is the
spectrogram that minimises

    share · style_loss / style_loss(content) + (1 - share) · content_loss / |F_content|²

with ``style_loss = Σ |G - G_style|²``, ``content_loss = Σ |F - F_content|²`` and
``share = strength · style_share``, optimised with L-BFGS (scipy) or Adam, then made audible by
phase reconstruction (:func:`midistyle.audio.spectral.griffin_lim`). ``strength`` (0..1) also
scales the equaliser's gains in dB, so 0 returns the content and 1 is the full transfer.

This project's default differs from the published settings in four ways, each measured on
valid-split pairs (``python -m benchmarks style_transfer_ablation``): it first equalises the
content frame by frame so that its 16 mel-band levels take the style's mean and covariance over
frames, and its cepstrum the style's mean and spread, averaging the two equalisers' gains in dB
(:mod:`midistyle.audio.equaliser`), which is what moves the timbre most; it then starts the
optimisation from that equalised content with a small style share (0.03); it reconstructs the
phase from the content's phase with fast Griffin-Lim; and it uses 512 filters and 10 L-BFGS
iterations, because more of either did not help. The published settings stay available as
:data:`PUBLISHED` for comparison.

The random network is one matrix multiplication, so its gradient is written out in numpy
(``loss_and_gradient``, checked against finite differences in the tests): no TensorFlow needed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from midistyle.audio import spectral
from midistyle.audio.equaliser import band_statistics_match, cepstral_statistics_match, envelope_match
from midistyle.errors import InputError

OPTIMIZERS = ("lbfgs", "adam")
STARTS = ("content", "noise")
PHASES = ("content", "random")
ENVELOPE_STATISTICS = ("mean", "covariance")
STYLE_GRAM_BLOCK_FRAMES = 512  # the style's Gram is accumulated over blocks of this many frames


@dataclass(frozen=True)
class StyleTransferConfig:
    """Every setting of the stft method; ``to_json``/``from_json`` round-trip it.

    ``content_weight`` set to a number switches to the published, unnormalised loss
    ``content_weight · content_loss + style_loss`` and ignores ``strength``.
    """

    sample_rate: int = 22050
    n_fft: int = 2048
    hop_length: int = 512
    filters: int = 512
    filter_widths: tuple[int, ...] = (11,)
    strength: float = 1.0
    style_share: float = 0.03
    content_weight: float | None = None
    envelope_bands: int = 16  # 0: no envelope matching
    envelope_statistics: str = "covariance"  # "mean": one gain per band; "covariance": per-frame gains
    cepstral_share: float = 0.5  # weight, in dB, of the fine cepstral equaliser against the band one
    iterations: int = 10
    optimizer: str = "lbfgs"
    learning_rate: float = 0.05  # Adam only
    start: str = "content"
    phase: str = "content"
    griffin_lim_iterations: int = 32
    momentum: float = 0.99
    chunk_seconds: float = 10.0
    overlap_seconds: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "filter_widths", tuple(int(w) for w in self.filter_widths))
        checks = [
            (self.sample_rate >= 8000, f"sample_rate={self.sample_rate} must be >= 8000 Hz"),
            (self.n_fft >= 64 and self.n_fft & (self.n_fft - 1) == 0, f"n_fft={self.n_fft} must be a power of 2 >= 64"),
            (0 < self.hop_length <= self.n_fft, f"hop_length={self.hop_length} must be in 1..n_fft"),
            (self.filters >= 1, f"filters={self.filters} must be >= 1"),
            (bool(self.filter_widths) and min(self.filter_widths) >= 1, "filter widths must be >= 1 frame"),
            (0.0 <= self.strength <= 1.0, f"strength={self.strength} must be in 0..1"),
            (0.0 <= self.style_share <= 1.0, f"style_share={self.style_share} must be in 0..1"),
            (self.content_weight is None or self.content_weight >= 0, "content_weight must be >= 0"),
            (0.0 <= self.cepstral_share <= 1.0, f"cepstral_share={self.cepstral_share} must be in 0..1"),
            (self.envelope_bands >= 0, f"envelope_bands={self.envelope_bands} must be >= 0"),
            (self.envelope_statistics in ENVELOPE_STATISTICS,
             f"envelope_statistics={self.envelope_statistics!r} must be one of {', '.join(ENVELOPE_STATISTICS)}"),
            (self.iterations >= 0, f"iterations={self.iterations} must be >= 0"),
            (self.optimizer in OPTIMIZERS, f"optimizer={self.optimizer!r} must be one of {', '.join(OPTIMIZERS)}"),
            (self.start in STARTS, f"start={self.start!r} must be one of {', '.join(STARTS)}"),
            (self.phase in PHASES, f"phase={self.phase!r} must be one of {', '.join(PHASES)}"),
            (self.griffin_lim_iterations >= 0, "griffin_lim_iterations must be >= 0"),
            (0.0 <= self.momentum < 1.0, f"momentum={self.momentum} must be in [0, 1)"),
            (self.chunk_seconds >= 1.0, f"chunk_seconds={self.chunk_seconds} must be >= 1"),
            (0.0 <= self.overlap_seconds < self.chunk_seconds / 2, "overlap_seconds must be under half a chunk"),
        ]
        for ok, message in checks:
            if not ok:
                raise InputError(message)

    @property
    def bins(self) -> int:
        return self.n_fft // 2 + 1

    @property
    def min_frames(self) -> int:
        """The shortest spectrogram one filter fits on."""
        return max(self.filter_widths)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> StyleTransferConfig:
        return cls(**json.loads(text))


# Ulyanov & Lebedev's code as evaluated by Ordiales & Martín Barrera (2019): noise start,
# 4096 filters of width 11, content weight 1e-2, L-BFGS for 300 iterations, 500 Griffin-Lim iterations.
PUBLISHED = StyleTransferConfig(
    filters=4096, filter_widths=(11,), content_weight=1e-2, envelope_bands=0, iterations=300,
    optimizer="lbfgs", start="noise", phase="random", griffin_lim_iterations=500, momentum=0.0,
    chunk_seconds=30.0,
)


class RandomFilterNetwork:
    """One 1-D convolution per width (valid padding, no bias) with fixed random filters, then ReLU.

    Weights follow Ulyanov & Lebedev: normal with std ``sqrt(2) · sqrt(2 / ((bins + filters) · width))``,
    drawn from ``seed``.
    """

    def __init__(self, bins: int, filters: int, widths: tuple[int, ...], seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.bins, self.widths = bins, widths
        self.kernels = []  # each shape=(width · bins, filters)
        for width in widths:
            std = np.sqrt(2.0) * np.sqrt(2.0 / ((bins + filters) * width))
            self.kernels.append((rng.standard_normal((width * bins, filters)) * std).astype(np.float32))

    @staticmethod
    def unfold(x: np.ndarray, width: int) -> np.ndarray:
        """Windows of ``width`` frames side by side: shape=(frames - width + 1, width · bins)."""
        windows = np.lib.stride_tricks.sliding_window_view(x, width, axis=0)  # (frames', bins, width)
        return np.ascontiguousarray(windows.transpose(0, 2, 1)).reshape(windows.shape[0], -1)

    def features(self, x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each width, the pre-activation ``Z`` and the features ``relu(Z)``, each shape=(frames', filters)."""
        out = []
        for width, kernel in zip(self.widths, self.kernels):
            z = self.unfold(x, width) @ kernel
            out.append((z, np.maximum(z, 0.0)))
        return out

    def backward(self, x_shape: tuple[int, int], grads_z: list[np.ndarray]) -> np.ndarray:
        """Gradient with respect to ``x`` (shape=x_shape) given gradients with respect to each ``Z``."""
        grad_x = np.zeros(x_shape, np.float32)
        for width, kernel, grad_z in zip(self.widths, self.kernels, grads_z):
            grad_windows = (grad_z @ kernel.T).reshape(grad_z.shape[0], width, self.bins)
            for offset in range(width):
                grad_x[offset : offset + grad_z.shape[0]] += grad_windows[:, offset]
        return grad_x

    def grams(self, x: np.ndarray, block_frames: int = STYLE_GRAM_BLOCK_FRAMES) -> list[np.ndarray]:
        """Gram matrices ``FᵀF / frames'``, each shape=(filters, filters), computed over blocks of frames."""
        grams = []
        for width, kernel in zip(self.widths, self.kernels):
            total, count = np.zeros((kernel.shape[1],) * 2, np.float64), 0
            for start in range(0, x.shape[0] - width + 1, block_frames):
                block = x[start : start + block_frames + width - 1]
                feature = np.maximum(self.unfold(block, width) @ kernel, 0.0)
                total += feature.T @ feature
                count += feature.shape[0]
            grams.append((total / count).astype(np.float32))
        return grams


class StyleLoss:
    """The loss of one content chunk against the style's Grams, with its gradient in closed form."""

    def __init__(self, network: RandomFilterNetwork, content: np.ndarray, style_grams: list[np.ndarray],
                 config: StyleTransferConfig) -> None:
        self.network, self.shape, self.style_grams = network, content.shape, style_grams
        self.content_features = [f for _, f in network.features(content)]
        if config.content_weight is None:  # normalised: both terms are 1 at their natural scale
            content_grams = [f.T @ f / f.shape[0] for f in self.content_features]
            style_at_content = sum(float(np.sum((g - s) ** 2)) for g, s in zip(content_grams, style_grams))
            content_scale = sum(float(np.sum(f**2)) for f in self.content_features)
            share = config.strength * config.style_share
            self.style_weight = share / max(style_at_content, 1e-12)
            self.content_weight = (1.0 - share) / max(content_scale, 1e-12)
        else:
            self.style_weight, self.content_weight = 1.0, config.content_weight

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Loss and its gradient at ``x``, shape=(frames, bins)."""
        loss, grads_z = 0.0, []
        for (z, f), f_content, g_style in zip(self.network.features(x), self.content_features, self.style_grams):
            frames = f.shape[0]
            gram_error = f.T @ f / frames - g_style
            content_error = f - f_content
            loss += self.style_weight * float(np.sum(gram_error**2))
            loss += self.content_weight * float(np.sum(content_error**2))
            grad_f = (4.0 * self.style_weight / frames) * (f @ gram_error) + 2.0 * self.content_weight * content_error
            grads_z.append(grad_f * (z > 0))
        return loss, self.network.backward(self.shape, grads_z)


def optimise(loss: StyleLoss, start: np.ndarray, config: StyleTransferConfig,
             on_step: Callable[[float], None] | None = None) -> np.ndarray:
    """Minimise ``loss`` from ``start`` (shape=(frames, bins)) keeping the log-magnitude >= 0."""
    if config.iterations == 0:
        return start
    shape = start.shape
    last = {"loss": float("nan")}

    def flat_loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = loss(flat.reshape(shape).astype(np.float32))
        last["loss"] = value
        return value, grad.ravel().astype(np.float64)

    if config.optimizer == "lbfgs":
        from scipy.optimize import Bounds, minimize

        result = minimize(flat_loss, start.ravel().astype(np.float64), jac=True, method="L-BFGS-B",
                          bounds=Bounds(0.0, np.inf),
                          options={"maxiter": config.iterations, "maxfun": 2 * config.iterations, "ftol": 0.0,
                                   "gtol": 0.0},  # run the iterations asked for: the loss is normalised to ~1
                          callback=(lambda _x: on_step(last["loss"])) if on_step else None)
        return result.x.reshape(shape).astype(np.float32)
    x = start.astype(np.float32).copy()  # Adam, projected onto x >= 0
    moment, second = np.zeros_like(x), np.zeros_like(x)
    for step in range(1, config.iterations + 1):
        value, grad = loss(x)
        moment = 0.9 * moment + 0.1 * grad
        second = 0.999 * second + 0.001 * grad**2
        x -= config.learning_rate * (moment / (1 - 0.9**step)) / (np.sqrt(second / (1 - 0.999**step)) + 1e-8)
        np.maximum(x, 0.0, out=x)
        if on_step:
            on_step(value)
    return x


@dataclass
class StyledAudio:
    """The result: mono float32 audio, shape=(N,), at ``sample_rate``, and how it was reached."""

    audio: np.ndarray
    sample_rate: int
    losses: list[float]
    notes: list[str]
    log_magnitude: np.ndarray  # the optimised spectrogram, shape=(frames, bins)
    content: np.ndarray  # the inputs as processed: mono at ``sample_rate``, for figures and metrics
    style: np.ndarray


def check_lengths(content: spectral.PreparedAudio, style: spectral.PreparedAudio,
                  config: StyleTransferConfig) -> None:
    """Both clips at the working rate and at least one analysis window long, or an InputError."""
    shortest = max(config.n_fft, (config.min_frames - 1) * config.hop_length)
    for prepared, what in ((content, "content"), (style, "style")):
        if prepared.sample_rate != config.sample_rate:
            raise InputError(f"the {what} audio is at {prepared.sample_rate} Hz, not {config.sample_rate} Hz")
        if len(prepared.samples) < shortest:
            raise InputError(f"the {what} audio is shorter than one analysis window "
                             f"({len(prepared.samples)} < {shortest} samples at {config.sample_rate} Hz)")


def stylize_magnitude(content_magnitude: np.ndarray, style_magnitude: np.ndarray, config: StyleTransferConfig,
                      *, progress: bool = False) -> tuple[np.ndarray, list[float]]:
    """The stylised log-magnitude, shape=(frames, bins), for magnitudes of shape=(frames, bins) each.

    The content is processed in chunks of ``config.chunk_seconds`` that overlap by
    ``config.overlap_seconds`` and are cross-faded, so memory stays bounded for any length; the
    style's Gram matrices are computed once over the whole style clip. Returns the losses too.
    """
    if config.envelope_bands:
        match = envelope_match if config.envelope_statistics == "mean" else band_statistics_match
        gain = match(content_magnitude, style_magnitude, sample_rate=config.sample_rate,
                     n_fft=config.n_fft, bands=config.envelope_bands)
        if config.cepstral_share:  # average the two equalisers' gains in dB
            fine = cepstral_statistics_match(content_magnitude, style_magnitude, sample_rate=config.sample_rate,
                                             n_fft=config.n_fft)
            gain = gain ** (1 - config.cepstral_share) * fine**config.cepstral_share
        content_magnitude = content_magnitude * gain ** config.strength
    content_log = spectral.log_magnitude(content_magnitude)
    if config.iterations == 0 or (config.content_weight is None and config.strength * config.style_share == 0):
        return content_log, []
    network = RandomFilterNetwork(config.bins, config.filters, config.filter_widths, config.seed)
    style_grams = network.grams(spectral.log_magnitude(style_magnitude))
    rng = np.random.default_rng(config.seed)
    frames_per_second = config.sample_rate / config.hop_length
    ranges = spectral.frame_chunks(len(content_log), chunk_frames=int(config.chunk_seconds * frames_per_second),
                                   overlap_frames=max(int(config.overlap_seconds * frames_per_second),
                                                      config.min_frames))
    losses: list[float] = []
    bar = _progress_bar(config.iterations * len(ranges), enabled=progress)

    def on_step(value: float) -> None:
        losses.append(value)
        bar.update(1)
        bar.set_postfix(loss=f"{value:.4g}")

    chunks = []
    for start, stop in ranges:
        chunk = content_log[start:stop]
        loss = StyleLoss(network, chunk, style_grams, config)
        begin = chunk if config.start == "content" else (rng.standard_normal(chunk.shape) * 1e-3).astype(np.float32)
        chunks.append(optimise(loss, begin, config, on_step))
    bar.close()
    return spectral.crossfade_chunks(chunks, ranges, len(content_log)), losses


def transfer_style(content: spectral.PreparedAudio, style: spectral.PreparedAudio, config: StyleTransferConfig,
                   *, progress: bool = False) -> StyledAudio:
    """Give ``content`` the timbre of ``style`` (both prepared at ``config.sample_rate``): the stft method."""
    check_lengths(content, style, config)
    stft_args = {"n_fft": config.n_fft, "hop_length": config.hop_length}
    content_spectrum = spectral.stft(content.samples, **stft_args)
    style_spectrum = spectral.stft(style.samples, **stft_args)
    result_log, losses = stylize_magnitude(np.abs(content_spectrum), np.abs(style_spectrum), config,
                                           progress=progress)
    phase = np.angle(content_spectrum) if config.phase == "content" else None
    audio = spectral.griffin_lim(spectral.magnitude_from_log(result_log), **stft_args, length=len(content.samples),
                                 iterations=config.griffin_lim_iterations, momentum=config.momentum,
                                 initial_phase=phase, seed=config.seed)
    return StyledAudio(match_level(audio, content.samples, config.sample_rate), config.sample_rate, losses,
                       list(content.notes) + list(style.notes), result_log, content.samples, style.samples)


def match_level(audio: np.ndarray, reference: np.ndarray, sample_rate: int) -> np.ndarray:
    """``audio`` scaled to the loudness of ``reference`` (both shape=(N,)), its peak kept <= -1 dBFS."""
    from midistyle.audio.level import loudness_lufs, normalisation_gain

    if not np.any(np.abs(audio) > spectral.SILENCE_PEAK):
        raise InputError("the style transfer produced silence; try a higher --strength or fewer iterations")
    target = loudness_lufs(reference, sample_rate)
    gain_db = normalisation_gain(audio, sample_rate, target_lufs=target, ceiling_dbfs=-1.0).gain_db
    return (audio * 10 ** (gain_db / 20)).astype(np.float32)


def _progress_bar(total: int, *, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc="style transfer", unit="it", disable=not enabled, leave=False)
