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
``reconstruction_weight``, as in pix2pix) to the generator. ``loss="reconstruction"`` trains the
generator on that term alone (no critic steps), the ablation that shows what the critic adds.
``critic_norm="spectral"`` wraps the critic's convolutions in spectral normalization.

**Progressive growing** (``progressive_fade_steps`` > 0, after Karras et al.): the generator first
trains with its output taken at half the time and pitch resolution (a convolution on the last
decoder level, upsampled), then the full-resolution output fades in over ``progressive_fade_steps``
steps through :class:`FadeIn`, whose weight the training loop raises from 0 to 1.

**Given voices** (``given_voices=True``, Coconet's idea): the generator also sees some of Bach's
lower voices — per example a random subset of 0, 1 or 2 of alto, tenor and bass, as onset, sustain
and a "given" flag plane each (9 more input planes) — and learns to write the others to fit them.
Its reconstruction loss counts only the voices it was not given, and the critic sees the given
voices as Bach wrote them. At inference the network can then write one voice at a time, each
conditioned on the ones already written (``harmony_decoding``), which is how a harmony that hangs
together comes out of the network without rules.

**Input skip** (``input_skip=True``): the U-Net's top level. Without it the logits come from
features at half the time resolution, upsampled, and the network's onsets and pitch changes drift
by a 16th around the melody's; with it a last convolution sees the input planes at full resolution.
"""

from __future__ import annotations

from pathlib import Path

from midistyle.keras_backend import import_keras
from midistyle.models.harmonizer_config import HarmonizerConfig, noise_shape
from midistyle.models.harmonizer_data import CONDITION_CHANNELS, HARMONY_VOICES, given_planes

keras = import_keras()
ops = keras.ops
layers = keras.layers


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


@keras.saving.register_keras_serializable(package="midistyle")
class FadeIn(layers.Layer):
    """``(1 - alpha) * coarse + alpha * fine`` (progressive growing, Karras et al. 2018).

    ``alpha`` is a non-trainable weight that the training loop raises from 0 to 1; it is saved with
    the weights, so a trained generator uses the full-resolution output alone.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.alpha = self.add_weight(shape=(), initializer="zeros", trainable=False, name="alpha")

    def call(self, coarse, fine):
        return (1.0 - self.alpha) * coarse + self.alpha * fine


def _activation(config: HarmonizerConfig, level: int, name: str):
    if config.activation == "tanh_linear":
        return TanhLinear(config.tanh_linear_alphas[min(level, len(config.tanh_linear_alphas) - 1)], name=name)
    return layers.LeakyReLU(0.2, name=name)


# -- networks --------------------------------------------------------------------------------------
def build_generator(config: HarmonizerConfig):
    """U-Net: condition (B, T, P, C) and noise (B, T/2^L, P/2^L, Z) -> harmony (B, T, P, 6).

    C is ``config.generator_channels``: the 5 melody planes, then (with ``given_voices``) the planes
    of :func:`given_planes`.
    """
    _, num_pitches = config.pitch_window
    time_steps = None if config.architecture == "unet" else config.crop_steps
    condition = keras.Input((time_steps, num_pitches, config.generator_channels), name="condition")
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
    if config.progressive:  # the output at half resolution, upsampled: what training starts on
        coarse = layers.Conv2D(2 * HARMONY_VOICES, config.kernel_size, padding="same", name="coarse_logits")(x)
        coarse = layers.UpSampling2D(2, name="coarse_up")(coarse)
    x = layers.UpSampling2D(2, name="up_out")(x)
    if config.input_skip:  # the U-Net's top skip: notes line up with the melody's 16th-note onsets
        x = layers.Concatenate(name="skip_input")([x, condition])
        x = layers.Conv2D(config.filters[0], config.kernel_size, padding="same", name="out_conv")(x)
        x = _activation(config, 0, "out_act")(x)
    logits = layers.Conv2D(2 * HARMONY_VOICES, config.kernel_size, padding="same", name="logits")(x)
    if config.progressive:
        logits = FadeIn(name="fade_in")(coarse, logits)
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
        conv = layers.Conv2D(filters, config.kernel_size, strides=2, padding="same", name=f"critic{level}")
        if config.critic_norm == "spectral":
            conv = layers.SpectralNormalization(conv, name=f"critic{level}_sn")
        x = conv(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x) if config.architecture == "deepcomposer" else layers.GlobalAveragePooling2D()(x)
    return keras.Model([condition, harmony], layers.Dense(1, name="score")(x), name="critic")


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

    def random_given(self, batch):
        """Which voices each example is given, shape (B, 3): 0, 1 or 2 of them, equally often, at random."""
        if not self.config.given_voices:
            return ops.zeros((batch, HARMONY_VOICES))
        count = keras.random.randint((batch, 1), 0, HARMONY_VOICES, seed=self.seed_generator)
        draws = keras.random.uniform((batch, HARMONY_VOICES), seed=self.seed_generator)
        ranks = ops.argsort(ops.argsort(draws, axis=1), axis=1)  # a random order of the voices
        return ops.cast(ranks < count, "float32")

    def generate(self, condition, real, given, batch, num_steps):
        """The generator's harmony with the given voices put back as Bach wrote them, shape (B, T, P, 6)."""
        inputs = condition
        if self.config.given_voices:
            inputs = ops.concatenate([condition, given_planes(real, given, xp=ops)], axis=-1)
        fake = self.generator([inputs, self.noise(batch, num_steps)], training=True)
        keep = ops.repeat(given, 2, axis=1)[:, None, None, :]  # (B, 1, 1, 6)
        return keep * real + (1 - keep) * fake

    def train_step(self, data):
        import tensorflow as tf

        condition, real = data
        batch, num_steps = ops.shape(condition)[0], ops.shape(condition)[1]
        given = self.random_given(batch)
        if self.config.loss == "reconstruction":
            with tf.GradientTape() as tape:
                fake = self.generate(condition, real, given, batch, num_steps)
                g_rec = reconstruction_loss(real, fake, 1 - given)
                g_total = self.config.reconstruction_weight * g_rec
                if self.config.parallel_weight:
                    g_total += self.config.parallel_weight * expected_parallels(condition, fake)
            grads = tape.gradient(g_total, self.generator.trainable_weights)
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
            zero = ops.zeros(())
            for name, value in (("d_loss", zero), ("g_adv", zero), ("g_rec", g_rec), ("gp", zero)):
                self.trackers[name].update_state(value)
            return {name: tracker.result() for name, tracker in self.trackers.items()}
        for _ in range(self.config.critic_steps):
            fake = self.generate(condition, real, given, batch, num_steps)
            with tf.GradientTape() as tape:
                real_score = self.critic([condition, real], training=True)
                fake_score = self.critic([condition, fake], training=True)
                d_loss, _ = self._adversarial_losses(real_score, fake_score)
                penalty = self._gradient_penalty(condition, real, fake)
                total = d_loss + self.config.gradient_penalty_weight * penalty
            grads = tape.gradient(total, self.critic.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.critic.trainable_weights))
        with tf.GradientTape() as tape:
            fake = self.generate(condition, real, given, batch, num_steps)
            real_score = self.critic([condition, real], training=True)
            fake_score = self.critic([condition, fake], training=True)
            _, g_adv = self._adversarial_losses(real_score, fake_score)
            g_rec = reconstruction_loss(real, fake, 1 - given)
            g_total = g_adv + self.config.reconstruction_weight * g_rec
            if self.config.parallel_weight:
                g_total += self.config.parallel_weight * expected_parallels(condition, fake)
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


def reconstruction_loss(real, fake, weight=None):
    """Cross-entropy of the generated pitch distributions and onsets against Bach's, where Bach sounds.

    Parameters
    ----------
    real, fake : tensors, shape=(B, T, P, 6)
    weight : tensor or None, shape=(B, 3)
        Per example and voice, how much it counts (0 for a voice the generator was given).
    """
    total = 0.0
    for v in range(HARMONY_VOICES):
        real_sustain, fake_sustain = real[..., 2 * v + 1], fake[..., 2 * v + 1]
        sounding = ops.max(real_sustain, axis=2)  # (B, T)
        if weight is not None:
            sounding = sounding * weight[:, v : v + 1]
        pitch_ce = -ops.sum(real_sustain * ops.log(fake_sustain + 1e-7), axis=2)
        total += ops.sum(pitch_ce * sounding) / (ops.sum(sounding) + 1.0)
        real_onset = ops.max(real[..., 2 * v], axis=2)
        fake_onset = ops.sum(fake[..., 2 * v] * real_sustain, axis=2)  # onset prob at Bach's pitch
        onset_bce = -(real_onset * ops.log(fake_onset + 1e-7) + (1 - real_onset) * ops.log(1 - fake_onset + 1e-7))
        total += ops.sum(onset_bce * sounding) / (ops.sum(sounding) + 1.0)
    return total / HARMONY_VOICES


def expected_parallels(condition, harmony, beat_steps: int = 4):
    """Expected parallel fifths and octaves per beat-to-beat transition, under the generator's pitch
    distributions (a differentiable stand-in for ``music.metrics.count_parallel_perfect_intervals``).

    For each pair among soprano (the melody), alto, tenor and bass and each beat step t, the chance
    that the two voices stand a perfect fifth or an octave/unison apart (by pitch class) at t and
    again at t + ``beat_steps``, minus the chance that neither voice moved. Voices are treated as
    independent at each step, so this is a penalty, not an exact count.

    Parameters
    ----------
    condition : tensor, shape=(B, T, P, 5)
        Only the melody sustain (plane 1) and the beat plane (2) are read.
    harmony : tensor, shape=(B, T, P, 6)

    Returns
    -------
    scalar tensor
    """
    num_pitches = ops.shape(harmony)[2]
    voices = [condition[..., 1]] + [harmony[..., 2 * v + 1] for v in range(HARMONY_VOICES)]  # (B, T, P) each

    def pitch_classes(x):  # (B, T', P) -> (B, T', 12); our windows start on a C
        return ops.sum(ops.reshape(x, (ops.shape(x)[0], ops.shape(x)[1], num_pitches // 12, 12)), axis=2)

    now = [pitch_classes(x[:, :-beat_steps]) for x in voices]
    later = [pitch_classes(x[:, beat_steps:]) for x in voices]
    held = [pitch_classes(x[:, :-beat_steps] * x[:, beat_steps:]) for x in voices]  # same pitch at both
    beats = condition[:, :-beat_steps, 0, 2]  # (B, T')
    total = 0.0
    for i in range(len(voices)):
        for j in range(i + 1, len(voices)):
            for interval in (0, 7):  # pitch class of voice j = that of voice i - interval
                both = (ops.sum(now[i] * ops.roll(now[j], interval, axis=-1), axis=-1)
                        * ops.sum(later[i] * ops.roll(later[j], interval, axis=-1), axis=-1))
                still = ops.sum(held[i] * ops.roll(held[j], interval, axis=-1), axis=-1)
                total += ops.sum(beats * ops.maximum(both - still, 0.0))
    return total / (ops.sum(beats) + 1.0)


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

