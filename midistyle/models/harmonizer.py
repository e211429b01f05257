"""The harmonizer: a conditional U-Net generator and a critic, trained as a GAN (Keras 3).

    condition (B, T, P, 5) ──► U-Net encoder ── conv s2 ×L ──► bottleneck ⊕ noise (B, T/2^L, P/2^L, Z)
                                     │ skips                          │
                                     └──────────► decoder: upsample, conv, concat skip ×L
                                                                      ▼
                          logits (B, T, P, 6) ──► sustain: softmax over pitch per voice and step
                                                  onset: sigmoid × sustain      ──► harmony (B, T, P, 6)

    critic: condition ⊕ harmony ── conv s2 ×L ── mean over positions ── Dense(1)

Both networks are fully convolutional along time (the ``unet`` config), so a melody of any length
is harmonized in one pass. The ``deepcomposer`` config reproduces AWS DeepComposer's shape instead:
fixed 32×128 windows, 4 × [Conv k4 s2, LeakyReLU, BN] with 64-512 filters, z of (2, 8, 512) at
the bottleneck, a flatten + Dense critic (see ``../shared/GUIDE.md``).

Losses: WGAN-GP (default), or the sign-normalized loss of the progressive-GAN audio work; both add
the gradient penalty and a reconstruction term (cross-entropy against Bach's own voices, weight
``reconstruction_weight``, as in pix2pix) to the generator.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from midistyle.keras_backend import import_keras
from midistyle.models.harmonizer_data import CONDITION_CHANNELS, HARMONY_VOICES, NUM_PITCHES

keras = import_keras()
ops = keras.ops
layers = keras.layers


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
    loss: str = "wgan_gp"  # or "sign_normalized"
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
    seed: int = 0
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.architecture not in ("unet", "deepcomposer"):
            raise ValueError(f"architecture={self.architecture!r} must be 'unet' or 'deepcomposer'")
        if self.activation not in ("leaky_relu", "tanh_linear"):
            raise ValueError(f"activation={self.activation!r} must be 'leaky_relu' or 'tanh_linear'")
        if self.loss not in ("wgan_gp", "sign_normalized"):
            raise ValueError(f"loss={self.loss!r} must be 'wgan_gp' or 'sign_normalized'")
        if self.crop_steps % self.time_multiple:
            raise ValueError(f"crop_steps={self.crop_steps} must be a multiple of {self.time_multiple}")

    @property
    def time_multiple(self) -> int:
        """Inputs are padded to a multiple of this many steps (2 ** encoder depth)."""
        return 2 ** len(self.filters)

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
    def deepcomposer(cls, **changes) -> HarmonizerConfig:
        """AWS DeepComposer's shape: 32×128 windows, 64-512 filters, k4, z (2, 8, 512)."""
        base = dict(architecture="deepcomposer", crop_steps=32, filters=(64, 128, 256, 512), kernel_size=4,
                    noise_channels=512, critic_filters=(64, 128, 256, 512))
        return cls(**{**base, **changes})


# -- layers ----------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="midistyle")
class TanhLinear(layers.Layer):
    """f(x) = tanh(x) + x / alpha: bounded near zero, never saturating (progressive-GAN audio work)."""

    def __init__(self, alpha: float, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, x):
        return ops.tanh(x) + x / self.alpha

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


@keras.saving.register_keras_serializable(package="midistyle")
class HarmonyHead(layers.Layer):
    """Logits (B, T, P, 6) -> per voice: sustain = softmax over pitch, onset = sigmoid × sustain.

    Everything is multiplied by whether the melody sounds at that step (voices rest with it).
    """

    def call(self, logits, melody_sustain):
        sounding = ops.max(melody_sustain, axis=2, keepdims=True)  # (B, T, 1)
        channels = []
        for v in range(HARMONY_VOICES):
            sustain = ops.softmax(logits[..., 2 * v + 1], axis=2) * sounding  # (B, T, P)
            onset = ops.sigmoid(logits[..., 2 * v]) * sustain
            channels += [onset, sustain]
        return ops.stack(channels, axis=-1)


def _activation(config: HarmonizerConfig, level: int, name: str):
    if config.activation == "tanh_linear":
        return TanhLinear(config.tanh_linear_alphas[min(level, len(config.tanh_linear_alphas) - 1)], name=name)
    return layers.LeakyReLU(0.2, name=name)


# -- networks --------------------------------------------------------------------------------------
def build_generator(config: HarmonizerConfig):
    """U-Net: condition (B, T, P, 5) and noise (B, T/2^L, P/2^L, Z) -> harmony (B, T, P, 6)."""
    _, num_pitches = config.pitch_window
    time_steps = None if config.architecture == "unet" else config.crop_steps
    condition = keras.Input((time_steps, num_pitches, CONDITION_CHANNELS), name="condition")
    noise = keras.Input((None if time_steps is None else time_steps // config.time_multiple,
                         num_pitches // config.time_multiple, config.noise_channels), name="noise")
    x, skips = condition, []
    for level, filters in enumerate(config.filters):  # encoder: halve time and pitch each level
        x = layers.Conv2D(filters, config.kernel_size, strides=2, padding="same", name=f"down{level}")(x)
        x = _activation(config, level, f"down{level}_act")(x)
        x = layers.BatchNormalization(name=f"down{level}_bn")(x)
        skips.append(x)
    x = layers.Concatenate(name="bottleneck_noise")([x, noise])
    for level in reversed(range(len(config.filters) - 1)):  # decoder: double, convolve, join the skip
        x = layers.UpSampling2D(2, name=f"up{level}")(x)
        x = layers.Conv2D(config.filters[level], config.kernel_size, padding="same", name=f"up{level}_conv")(x)
        x = layers.BatchNormalization(name=f"up{level}_bn")(x)
        x = _activation(config, level, f"up{level}_act")(x)
        x = layers.Concatenate(name=f"skip{level}")([x, skips[level]])
    x = layers.UpSampling2D(2, name="up_out")(x)
    logits = layers.Conv2D(2 * HARMONY_VOICES, config.kernel_size, padding="same", name="logits")(x)
    harmony = HarmonyHead(name="harmony")(logits, condition[..., 1])
    return keras.Model([condition, noise], harmony, name=f"{config.architecture}_generator")


def build_critic(config: HarmonizerConfig):
    """Critic: condition ⊕ harmony -> one realness score per example, shape (B, 1)."""
    _, num_pitches = config.pitch_window
    time_steps = None if config.architecture == "unet" else config.crop_steps
    condition = keras.Input((time_steps, num_pitches, CONDITION_CHANNELS), name="condition")
    harmony = keras.Input((time_steps, num_pitches, 2 * HARMONY_VOICES), name="harmony")
    x = layers.Concatenate()([condition, harmony])
    for level, filters in enumerate(config.critic_filters):
        x = layers.Conv2D(filters, config.kernel_size, strides=2, padding="same", name=f"critic{level}")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x) if config.architecture == "deepcomposer" else layers.GlobalAveragePooling2D()(x)
    return keras.Model([condition, harmony], layers.Dense(1, name="score")(x), name="critic")


def noise_shape(config: HarmonizerConfig, batch: int, num_steps: int) -> tuple[int, int, int, int]:
    _, num_pitches = config.pitch_window
    return (batch, num_steps // config.time_multiple, num_pitches // config.time_multiple, config.noise_channels)


# -- the GAN ---------------------------------------------------------------------------------------
class HarmonizerGAN(keras.Model):
    """Generator + critic with a WGAN-GP (or sign-normalized) ``train_step``.

    ``fit`` takes ``(condition, harmony)`` batches; the metrics are the critic loss, the generator's
    adversarial loss, the reconstruction cross-entropy and the gradient penalty.
    """

    def __init__(self, config: HarmonizerConfig, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.generator = build_generator(config)
        self.critic = build_critic(config)
        self.seed_generator = keras.random.SeedGenerator(config.seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("d_loss", "g_adv", "g_rec", "gp")}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    def noise(self, batch: int, num_steps: int):
        return keras.random.normal(noise_shape(self.config, batch, num_steps), seed=self.seed_generator)

    def _adversarial_losses(self, real_score, fake_score):
        """(critic loss, generator adversarial loss) from scores of shape (B, 1)."""
        if self.config.loss == "wgan_gp":
            return ops.mean(fake_score) - ops.mean(real_score), -ops.mean(fake_score)
        gap = fake_score - real_score
        sign = ops.stop_gradient(gap / (ops.abs(gap) + 1e-12))
        d_loss = ops.mean((sign + 1e-4) * real_score + (sign + 9.99e-4) * fake_score)
        g_loss = ops.mean((sign + 1e-4) * fake_score + ops.abs(gap))
        return d_loss, g_loss

    def train_step(self, data):
        import tensorflow as tf

        condition, real = data
        batch, num_steps = ops.shape(condition)[0], ops.shape(condition)[1]
        for _ in range(self.config.critic_steps):
            fake = self.generator([condition, self.noise(batch, num_steps)], training=True)
            with tf.GradientTape() as tape:
                real_score = self.critic([condition, real], training=True)
                fake_score = self.critic([condition, fake], training=True)
                d_loss, _ = self._adversarial_losses(real_score, fake_score)
                penalty = self._gradient_penalty(condition, real, fake)
                total = d_loss + self.config.gradient_penalty_weight * penalty
            grads = tape.gradient(total, self.critic.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.critic.trainable_weights))
        with tf.GradientTape() as tape:
            fake = self.generator([condition, self.noise(batch, num_steps)], training=True)
            real_score = self.critic([condition, real], training=True)
            fake_score = self.critic([condition, fake], training=True)
            _, g_adv = self._adversarial_losses(real_score, fake_score)
            g_rec = reconstruction_loss(real, fake)
            g_total = g_adv + self.config.reconstruction_weight * g_rec
        grads = tape.gradient(g_total, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        for name, value in (("d_loss", d_loss), ("g_adv", g_adv), ("g_rec", g_rec), ("gp", penalty)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def _gradient_penalty(self, condition, real, fake):
        import tensorflow as tf

        batch = ops.shape(real)[0]
        mix = keras.random.uniform((batch, 1, 1, 1), seed=self.seed_generator)
        between = mix * real + (1 - mix) * fake
        with tf.GradientTape() as tape:
            tape.watch(between)
            score = self.critic([condition, between], training=True)
        grads = tape.gradient(score, between)
        norms = ops.sqrt(ops.sum(ops.square(grads), axis=(1, 2, 3)) + 1e-12)
        return ops.mean(ops.square(norms - 1.0))


def reconstruction_loss(real, fake):
    """Cross-entropy of the generated pitch distributions and onsets against Bach's, where Bach sounds.

    Parameters
    ----------
    real, fake : tensors, shape=(B, T, P, 6)
    """
    total = 0.0
    for v in range(HARMONY_VOICES):
        real_sustain, fake_sustain = real[..., 2 * v + 1], fake[..., 2 * v + 1]
        sounding = ops.max(real_sustain, axis=2)  # (B, T)
        pitch_ce = -ops.sum(real_sustain * ops.log(fake_sustain + 1e-7), axis=2)
        total += ops.sum(pitch_ce * sounding) / (ops.sum(sounding) + 1.0)
        real_onset = ops.max(real[..., 2 * v], axis=2)
        fake_onset = ops.sum(fake[..., 2 * v] * real_sustain, axis=2)  # onset prob at Bach's pitch
        onset_bce = -(real_onset * ops.log(fake_onset + 1e-7) + (1 - real_onset) * ops.log(1 - fake_onset + 1e-7))
        total += ops.sum(onset_bce * sounding) / (ops.sum(sounding) + 1.0)
    return total / HARMONY_VOICES


def make_gan(config: HarmonizerConfig) -> HarmonizerGAN:
    """A compiled GAN with Adam optimizers as the config says."""
    gan = HarmonizerGAN(config)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(config.critic_learning_rate, config.adam_beta_1, config.adam_beta_2),
        g_optimizer=keras.optimizers.Adam(config.generator_learning_rate, config.adam_beta_1, config.adam_beta_2),
    )
    return gan


def save_networks(gan: HarmonizerGAN, folder: Path) -> None:
    """Generator and critic weights plus the config, in ``folder`` (written by the caller atomically)."""
    gan.generator.save_weights(str(folder / "generator.weights.h5"))
    gan.critic.save_weights(str(folder / "critic.weights.h5"))
    (folder / "config.json").write_text(gan.config.to_json() + "\n")


def load_networks(folder: Path) -> tuple[HarmonizerConfig, object, object]:
    """(config, generator, critic) from a folder written by ``save_networks``."""
    config = HarmonizerConfig.from_json((folder / "config.json").read_text())
    generator, critic = build_generator(config), build_critic(config)
    generator.load_weights(str(folder / "generator.weights.h5"))
    critic.load_weights(str(folder / "critic.weights.h5"))
    return config, generator, critic


def count_parameters(config: HarmonizerConfig) -> tuple[int, int]:
    """(generator, critic) parameter counts."""
    return int(build_generator(config).count_params()), int(build_critic(config).count_params())

