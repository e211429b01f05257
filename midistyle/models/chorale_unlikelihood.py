"""Teach a trained chorale model to avoid its own parallel fifths and octaves (unlikelihood fine-tuning).

Sampled without the voice-leading retries, the maximum-likelihood Transformer writes about four times
Bach's rate of parallel fifths and octaves: the data never shows it what *not* to write. Sequence-level
unlikelihood training (Welleck et al., ICLR 2020) does: every step

1. samples ``samples_per_step`` pieces of ``sample_tokens`` tokens from the current model with the
   default sampling (temperature 0.8, top-p 0.95), all in one batch;
2. decodes each prefix and finds the tokens at which the parallel count rises: the token that
   completes a parallel fifth or octave (a note, or the duration that carries it onto the next beat);
3. lowers the probability of exactly those tokens, ``-log(1 - p(token | prefix))``, while the usual
   next-token loss on a batch of Bach windows keeps the model on the data.

The rule is used only to pick the training signal, as the harmonizer's parallels penalty is: sampling
afterwards is the network alone (``voice_leading_retries=0``).

``finetune_unlikelihood(init_dir, out_dir, config)`` starts from a trained model folder and writes a
model folder that :class:`~midistyle.models.compose.ChoraleGenerator` loads: ``config.json``,
``tokenizer.json``, ``model.weights.h5``, ``unlikelihood_config.json`` and ``training_report.json``
(valid and test NLL per note, and the curve of parallels in the training samples).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from midistyle.errors import InputError
from midistyle.models.chorale import ChoraleConfig, ops, sample_batch
from midistyle.models.chorale_data import bach_sequences, random_windows
from midistyle.models.chorale_finetuning import start_fine_tuning
from midistyle.models.chorale_training import masked_loss, split_nll
from midistyle.models.compose import make_monophonic
from midistyle.music.metrics import beat_pitches, count_parallel_perfect_intervals
from midistyle.music.tokens import ScoreTokenizer


@dataclass
class UnlikelihoodConfig:
    """The fine-tuning run; saved as ``unlikelihood_config.json`` beside the weights."""

    steps: int = 300
    samples_per_step: int = 8
    sample_tokens: int = 160  # about 7 bars with BPE 1000
    data_batch_size: int = 8
    unlikelihood_weight: float = 1.0
    learning_rate: float = 1e-4
    temperature: float = 0.8
    top_p: float = 0.95
    report_every: int = 25  # steps between checkpoints and curve points
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps < 1 or self.samples_per_step < 1 or self.data_batch_size < 1:
            raise InputError("steps, samples_per_step and data_batch_size must be >= 1")
        if self.unlikelihood_weight < 0:
            raise InputError(f"unlikelihood_weight={self.unlikelihood_weight} must be >= 0")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> UnlikelihoodConfig:
        return cls(**json.loads(text))


def parallel_rises(tokenizer: ScoreTokenizer, tokens: np.ndarray) -> tuple[list[int], int, int]:
    """Indices of the tokens at which the decoded prefix gains parallel fifths/octaves.

    Parameters
    ----------
    tokens : np.ndarray, shape=(T,), int
        A sampled sequence (BOS first).

    Returns
    -------
    rises : list of int
        Token indices ``t`` such that ``tokens[: t + 1]`` has more parallels than any shorter prefix.
    parallels : int
        Parallels in the whole sequence.
    transitions : int
        Beat-to-beat transitions in the whole sequence (for a rate per 100).
    """
    rises, best, score = [], 0, None
    for end in range(2, len(tokens) + 1):
        try:
            score = make_monophonic(tokenizer.decode(tokens[:end]))[0]
        except Exception:  # a half-written prefix may not decode yet (miditok raises several types)
            continue
        count = count_parallel_perfect_intervals(score)
        if count > best:
            rises.append(end - 1)
            best = count
    transitions = max(len(beat_pitches(score)) - 1, 0) if score is not None else 0
    return rises, best, transitions


def finetune_unlikelihood(
    init_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    config: UnlikelihoodConfig,
    *,
    resume: bool = False,
    progress: bool = True,
) -> dict:
    """Fine-tune the model in ``init_dir`` and write a loadable model folder ``out_dir`` (see the module)."""
    import tensorflow as tf
    from tqdm import tqdm

    config_path = Path(init_dir) / "config.json"
    if config_path.exists() and ChoraleConfig.from_json(config_path.read_text()).model != "transformer":
        raise InputError("unlikelihood fine-tuning is for the Transformer (sample_batch needs its cache)")
    run = start_fine_tuning(init_dir, out_dir, config, config_name="unlikelihood_config", growable="steps",
                            resume=resume)
    model, tokenizer, optimizer, step = run.model, run.tokenizer, run.optimizer, run.step
    sequences = bach_sequences(tokenizer, "train", augment=run.model_config.augment)
    banned = (tokenizer.eos_id, tokenizer.pad_id)

    @tf.function
    def train_step(data, samples, negatives):
        with tf.GradientTape() as tape:
            data_loss, _, _ = masked_loss(data[:, 1:], model(data[:, :-1], training=True), tokenizer.pad_id)
            log_p = ops.log_softmax(model(samples[:, :-1], training=True), axis=-1)  # (B, T-1, V)
            chosen = ops.take_along_axis(log_p, samples[:, 1:, None], axis=-1)[..., 0]  # (B, T-1)
            avoid = -ops.log(ops.clip(1.0 - ops.exp(chosen), 1e-5, 1.0)) * negatives
            unlikely = ops.sum(avoid) / ops.maximum(ops.sum(negatives), 1.0)
            loss = data_loss + config.unlikelihood_weight * unlikely
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return data_loss, unlikely

    started = time.perf_counter()
    bar = tqdm(range(step, config.steps), desc="unlikelihood", unit="step", disable=not progress,
               initial=step, total=config.steps)
    window = {"data": [], "unlikely": [], "parallels": 0, "transitions": 0}
    for step in bar:
        rng = np.random.default_rng([config.seed, step])
        samples = sample_batch(model, [tokenizer.bos_id], batch_size=config.samples_per_step,
                               new_tokens=config.sample_tokens, rng=rng, temperature=config.temperature,
                               top_p=config.top_p, banned_tokens=banned)
        negatives = np.zeros((samples.shape[0], samples.shape[1] - 1), dtype=np.float32)
        for row, sample in enumerate(samples):
            rises, parallels, transitions = parallel_rises(tokenizer, sample)
            negatives[row, [t - 1 for t in rises]] = 1.0  # token t is predicted at input position t - 1
            window["parallels"] += parallels
            window["transitions"] += transitions
        data = random_windows(sequences, run.model_config.context + 1, config.data_batch_size, tokenizer.pad_id,
                              rng)
        data_loss, unlikely = train_step(data, samples, negatives)
        window["data"].append(float(data_loss))
        window["unlikely"].append(float(unlikely))
        rate = 100.0 * window["parallels"] / max(window["transitions"], 1)
        bar.set_postfix(nll=f"{np.mean(window['data']):.3f}", parallels=f"{rate:.1f}")
        if (step + 1) % config.report_every == 0 or step + 1 == config.steps:
            run.history.append(_curve_point(model, tokenizer, step + 1, window, rate))
            window = {"data": [], "unlikely": [], "parallels": 0, "transitions": 0}
            if progress:
                point = run.history[-1]
                print(f"step {point['step']}: samples' parallels {point['sample_parallels_per_100']:.1f}/100, "
                      f"valid NLL {point['valid_nll_per_note']:.3f}/note", flush=True)
            run.checkpoint(step + 1, time.perf_counter() - started)
    return run.finish(time.perf_counter() - started, model="transformer, unlikelihood fine-tuned",
                      init=str(init_dir), steps=config.steps)


def _curve_point(model, tokenizer: ScoreTokenizer, step: int, window: dict, rate: float) -> dict:
    valid = split_nll(model, tokenizer, "valid")
    return {"step": step, "data_nll_per_token": float(np.mean(window["data"])),
            "unlikelihood": float(np.mean(window["unlikely"])), "sample_parallels_per_100": rate,
            "valid_nll_per_note": valid["nll_per_note"]}
