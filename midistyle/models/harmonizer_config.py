"""What defines a harmonizer network and its training, as a dataclass that round-trips to JSON.

No TensorFlow here: the inference path reads this config beside ONNX networks, the training path
beside Keras weights (:mod:`midistyle.models.harmonizer`).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from midistyle.models.harmonizer_data import CONDITION_CHANNELS, HARMONY_VOICES, NUM_PITCHES


@dataclass
class HarmonizerConfig:
    """Everything that defines a harmonizer and its training; saved as JSON beside the weights."""

    architecture: str = "unet"  # or "deepcomposer"
    crop_steps: int = 64
    filters: tuple[int, ...] = (32, 64, 128)
    kernel_size: int = 3
    noise_channels: int = 16
    activation: str = "leaky_relu"  # or "tanh_linear": f(x) = tanh(x) + x / alpha
    tanh_linear_alphas: tuple[float, ...] = (2.0, 4.0, 8.0, 16.0)  # alpha per resolution level
    critic_filters: tuple[int, ...] = (32, 64, 128)
    loss: str = "wgan_gp"  # or "sign_normalized", or "reconstruction" (no critic)
    critic_norm: str = "none"  # or "spectral": spectral normalization of the critic's convolutions
    given_voices: bool = False  # the generator also sees a random subset of Bach's lower voices
    input_skip: bool = False  # a full-resolution layer over the output and the input planes, before the logits
    parallel_weight: float = 0.0  # weight of the expected parallel fifths/octaves between beats in the loss
    progressive_coarse_steps: int = 0  # progressive growing: steps trained at half resolution first,
    progressive_fade_steps: int = 0  # then steps over which the full-resolution output fades in (0 = off)
    gradient_penalty_weight: float = 10.0
    reconstruction_weight: float = 10.0
    critic_steps: int = 2
    batch_size: int = 32
    generator_learning_rate: float = 1e-3
    critic_learning_rate: float = 1e-3
    adam_beta_1: float = 0.5
    adam_beta_2: float = 0.9
    steps: int = 1000
    checkpoint_every: int = 250
    select_by: str = "last"  # or "valid_frechet": keep the checkpoint closest to Bach on the valid split
    seed: int = 0
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.architecture not in ("unet", "deepcomposer"):
            raise ValueError(f"architecture={self.architecture!r} must be 'unet' or 'deepcomposer'")
        if self.activation not in ("leaky_relu", "tanh_linear"):
            raise ValueError(f"activation={self.activation!r} must be 'leaky_relu' or 'tanh_linear'")
        if self.loss not in ("wgan_gp", "sign_normalized", "reconstruction"):
            raise ValueError(f"loss={self.loss!r} must be 'wgan_gp', 'sign_normalized' or 'reconstruction'")
        if self.progressive_coarse_steps < 0 or self.progressive_fade_steps < 0:
            raise ValueError("progressive_coarse_steps and progressive_fade_steps must be >= 0")
        if self.select_by not in ("last", "valid_frechet"):
            raise ValueError(f"select_by={self.select_by!r} must be 'last' or 'valid_frechet'")
        if self.critic_norm not in ("none", "spectral"):
            raise ValueError(f"critic_norm={self.critic_norm!r} must be 'none' or 'spectral'")
        if self.crop_steps % self.time_multiple:
            raise ValueError(f"crop_steps={self.crop_steps} must be a multiple of {self.time_multiple}")

    @property
    def time_multiple(self) -> int:
        """Inputs are padded to a multiple of this many steps (2 ** encoder depth)."""
        return 2 ** len(self.filters)

    @property
    def progressive(self) -> bool:
        return self.progressive_fade_steps > 0

    def fade_in_alpha(self, step: int) -> float:
        """Weight of the full-resolution output at training step ``step`` (0-based): 0, rising, 1."""
        if not self.progressive:
            return 1.0
        return min(max((step - self.progressive_coarse_steps) / self.progressive_fade_steps, 0.0), 1.0)

    @property
    def generator_channels(self) -> int:
        """Input planes of the generator: the melody's, plus onset, sustain and flag per given voice."""
        return CONDITION_CHANNELS + (3 * HARMONY_VOICES if self.given_voices else 0)

    @property
    def pitch_window(self) -> tuple[int, int]:
        """(lowest pitch, number of pitches) of the model's rolls."""
        return (0, 128) if self.architecture == "deepcomposer" else (36, NUM_PITCHES)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> HarmonizerConfig:
        fields = json.loads(text)
        for name in ("filters", "critic_filters", "tanh_linear_alphas"):
            fields[name] = tuple(fields[name])
        return cls(**fields)

    @classmethod
    def network(cls, **changes) -> HarmonizerConfig:
        """The shipped setup: the U-Net with given voices, the input skip and the parallels penalty."""
        return cls(**{**dict(given_voices=True, input_skip=True, parallel_weight=15.0), **changes})

    @classmethod
    def deepcomposer(cls, **changes) -> HarmonizerConfig:
        """AWS DeepComposer's shape: 32×128 windows, 64-512 filters, k4, z (2, 8, 512)."""
        base = dict(architecture="deepcomposer", crop_steps=32, filters=(64, 128, 256, 512), kernel_size=4,
                    noise_channels=512, critic_filters=(64, 128, 256, 512))
        return cls(**{**base, **changes})


def noise_shape(config: HarmonizerConfig, batch: int, num_steps: int) -> tuple[int, int, int, int]:
    """Shape of the generator's bottleneck noise for ``batch`` inputs of ``num_steps`` 16th steps."""
    _, num_pitches = config.pitch_window
    return (batch, num_steps // config.time_multiple, num_pitches // config.time_multiple, config.noise_channels)
