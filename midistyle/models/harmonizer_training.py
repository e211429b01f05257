"""Train the harmonizer: seeded batches, a progress bar with losses, atomic checkpoints, resume.

``train_harmonizer(config, out_dir)`` writes into ``out_dir``:

* ``checkpoint/`` — generator, critic, both optimizers' state, the step and the loss history,
  replaced atomically every ``config.checkpoint_every`` steps (``resume=True`` continues from it);
* ``samples/step_NNNNNN.mid`` — a validation chorale's soprano harmonized at each checkpoint;
* ``losses.png`` and ``history.json`` — the loss curves so far;
* with ``select_by="valid_frechet"``, ``best/`` — the networks of the checkpoint that ``validate``
  scored lowest (the caller passes it: the Fréchet distance to Bach on the valid split, see
  :func:`midistyle.pipeline.train_harmonizer_model`);
* at the end, the final networks (``config.json``, ``generator.weights.h5``, ``critic.weights.h5``:
  the last step's, or the best checkpoint's) and ``training_report.json`` (wall time, steps,
  throughput, data split sizes, the validation scores and the step kept).

Batch ``k`` is drawn from ``np.random.default_rng([seed, k])``, so a resumed run sees the same data
as an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from midistyle.data.chorales import load_chorales
from midistyle.errors import InputError
from midistyle.models.checkpoints import (
    find_checkpoint,
    read_config_file,
    refuse_existing_checkpoint,
    replace_checkpoint,
)
from midistyle.models.harmonize import Harmonizer, to_model_window
from midistyle.models.harmonizer import HarmonizerConfig, keras, make_gan, save_networks
from midistyle.models.harmonizer_data import chorale_example, random_crops
from midistyle.music.io import write_score

TINY = dict(crop_steps=32, filters=(8, 16), critic_filters=(8, 16), noise_channels=4, batch_size=8,
            critic_steps=1, steps=6, checkpoint_every=3)


def named_config(name: str, *, steps: int | None = None, seed: int | None = None) -> HarmonizerConfig:
    """``network`` (shipped), ``unet`` (the plain U-Net GAN shipped before), ``deepcomposer``, ``tiny``
    (tests) or a path to a config JSON."""
    if name == "network":
        config = HarmonizerConfig.network()
    elif name == "unet":
        config = HarmonizerConfig()
    elif name == "deepcomposer":
        config = HarmonizerConfig.deepcomposer()
    elif name == "tiny":
        config = HarmonizerConfig(**TINY)
    elif name.endswith(".json"):
        config = read_config_file(name, HarmonizerConfig, "harmonizer")
    else:
        raise InputError(f"--config {name!r} is not network, unet, deepcomposer, tiny or a .json file")
    changes = {k: v for k, v in (("steps", steps), ("seed", seed)) if v is not None}
    if changes.get("steps", 1) < 1:
        raise InputError(f"--steps {steps} must be >= 1")
    return dataclasses.replace(config, **changes)


def training_examples(split: str = "train") -> list[tuple[np.ndarray, np.ndarray]]:
    """(condition, harmony) arrays for every chorale of a split that fits the model's window."""
    return [e for e in (chorale_example(c) for c in load_chorales(split)) if e is not None]


def train_harmonizer(
    config: HarmonizerConfig,
    out_dir: str | os.PathLike,
    *,
    resume: bool = False,
    progress: bool = True,
    examples: list | None = None,
    stop_after_steps: int | None = None,
    validate: Callable[[Harmonizer], float] | None = None,
) -> dict:
    """Train (or continue training) and return the training report.

    Parameters
    ----------
    validate : callable or None, keyword-only
        Needed when ``config.select_by == "valid_frechet"``: scores a harmonizer at each checkpoint
        (lower is better); the best checkpoint's networks are the ones saved at the end.
    stop_after_steps : int or None, keyword-only
        Stop early after this many steps of *this call* (tests use it to simulate an interruption).
    """
    import tensorflow as tf
    from tqdm import tqdm

    if config.select_by == "valid_frechet" and validate is None:
        raise ValueError("select_by='valid_frechet' needs a validate function")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(config.seed)
    examples = training_examples("train") if examples is None else examples
    gan = make_gan(config)
    step, history, seconds_before, validation = 0, [], 0.0, []
    if resume:
        step, history, seconds_before, validation = _restore(gan, out_dir, config)
    else:
        refuse_existing_checkpoint(out_dir)
    train_step = tf.function(gan.train_step)
    sample_melody = load_chorales("valid")[0]
    started, last_step = time.perf_counter(), step
    bar = tqdm(total=config.steps, initial=step, desc="harmonizer", disable=not progress, unit="step")
    while step < config.steps:
        if stop_after_steps is not None and step - last_step >= stop_after_steps:
            break
        rng = np.random.default_rng([config.seed, step])
        condition, harmony = random_crops(examples, config.crop_steps, config.batch_size, rng)
        if config.progressive:
            gan.generator.get_layer("fade_in").alpha.assign(config.fade_in_alpha(step))
        losses = train_step((to_model_window(condition, config), to_model_window(harmony, config)))
        step += 1
        losses = {k: float(v) for k, v in losses.items()}
        if config.progressive:
            losses["fade_in"] = config.fade_in_alpha(step - 1)
        history.append({"step": step, **losses})
        bar.update(1)
        bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items()})
        if step % config.checkpoint_every == 0 or step == config.steps:
            if config.select_by == "valid_frechet":
                score = float(validate(Harmonizer(config, gan.generator, gan.critic)))
                if not validation or score < min(v["score"] for v in validation):
                    replace_checkpoint(out_dir, lambda folder: save_networks(gan, folder), name="best")
                validation.append({"step": step, "score": round(score, 4)})
                bar.write(f"step {step}: validation score {score:.3f}")
            seconds = seconds_before + time.perf_counter() - started
            _checkpoint(gan, out_dir, step, history, seconds, validation)
            _write_sample(gan, sample_melody, out_dir / "samples" / f"step_{step:06d}.mid", config)
            plot_losses(history, out_dir / "losses.png")
    bar.close()
    seconds = seconds_before + time.perf_counter() - started
    if step < config.steps:
        return {"stopped_at_step": step}
    if config.progressive:
        gan.generator.get_layer("fade_in").alpha.assign(config.fade_in_alpha(step))
    if config.select_by == "valid_frechet":
        best = find_checkpoint(out_dir, "best")
        gan.generator.load_weights(str(best / "generator.weights.h5"))
        gan.critic.load_weights(str(best / "critic.weights.h5"))
    save_networks(gan, out_dir)
    report = {
        "steps": step,
        "train_seconds": round(seconds, 1),
        "examples_per_second": round(step * config.batch_size / seconds, 1),
        "train_chorales": len(examples),
        "final_losses": {
            name: round(float(np.mean([h[name] for h in history[-50:]])), 4) for name in history[-1] if name != "step"
        },
    }
    if validation:
        report["validation"] = validation
        report["selected_step"] = min(validation, key=lambda v: v["score"])["step"]
    (out_dir / "training_report.json").write_text(json.dumps(report, indent=1) + "\n")
    return report


def _checkpoint(gan, out_dir: Path, step: int, history: list, seconds: float, validation: list) -> None:
    """Write the whole training state to ``checkpoint/``, replacing the old one atomically."""

    def fill(folder: Path) -> None:
        save_networks(gan, folder)
        optimizers = {f"d_{i}": v.numpy() for i, v in enumerate(gan.d_optimizer.variables)}
        optimizers |= {f"g_{i}": v.numpy() for i, v in enumerate(gan.g_optimizer.variables)}
        np.savez(folder / "optimizers.npz", seed_state=np.asarray(gan.seed_generator.state.numpy()), **optimizers)
        (folder / "state.json").write_text(json.dumps({"step": step, "seconds": seconds, "history": history,
                                                        "validation": validation}))

    replace_checkpoint(out_dir, fill)


def _restore(gan, out_dir: Path, config: HarmonizerConfig) -> tuple[int, list, float, list]:
    folder = find_checkpoint(out_dir)
    saved = HarmonizerConfig.from_json((folder / "config.json").read_text())
    if saved != config:
        raise InputError(f"--resume: the checkpoint in {out_dir} was trained with a different config")
    gan.generator.load_weights(str(folder / "generator.weights.h5"))
    gan.critic.load_weights(str(folder / "critic.weights.h5"))
    gan.d_optimizer.build(gan.critic.trainable_weights)
    gan.g_optimizer.build(gan.generator.trainable_weights)
    arrays = np.load(folder / "optimizers.npz")
    for i, variable in enumerate(gan.d_optimizer.variables):
        variable.assign(arrays[f"d_{i}"])
    for i, variable in enumerate(gan.g_optimizer.variables):
        variable.assign(arrays[f"g_{i}"])
    gan.seed_generator.state.assign(arrays["seed_state"])
    state = json.loads((folder / "state.json").read_text())
    return state["step"], state["history"], state["seconds"], state.get("validation", [])


def _write_sample(gan, chorale, path: Path, config: HarmonizerConfig) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    harmonizer = Harmonizer(config, gan.generator, gan.critic)
    result = harmonizer.harmonize(chorale.select_voices([0]), key=chorale.key)[0]
    write_score(result.score.replace(title=f"{chorale.title} harmonized"), path)


def plot_losses(history: list[dict], path: Path) -> None:
    """Loss curves (running mean over 25 steps) to a PNG."""
    from matplotlib.figure import Figure  # not pyplot: no global backend switch

    names = [k for k in history[0] if k != "step"]
    figure = Figure(figsize=(4 * len(names), 3))
    axes = figure.subplots(1, len(names))
    steps = np.array([h["step"] for h in history])
    for axis, name in zip(np.atleast_1d(axes), names):
        values = np.array([h[name] for h in history])
        window = min(25, len(values))
        smooth = np.convolve(values, np.ones(window) / window, mode="valid")
        axis.plot(steps[window - 1 :], smooth)
        axis.set_title(name)
        axis.set_xlabel("step")
    figure.tight_layout()
    temporary = path.with_suffix(".tmp.png")
    figure.savefig(temporary, dpi=80)
    os.replace(temporary, path)
