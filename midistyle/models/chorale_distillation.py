"""Teach a trained chorale model what its voice-leading retries write (self-distillation).

Sampled on its own, the maximum-likelihood Transformer writes about four times Bach's rate of
parallel fifths and octaves, although the Bach it learned from has few: small errors in the states
it reaches while sampling compound (exposure bias). With the voice-leading retries of
:mod:`midistyle.models.compose`, the same model writes fewer than Bach. This module distils that
sampler into the network, in rounds (expert iteration):

1. the current model writes ``teacher_pieces`` chorales of ``teacher_bars`` bars *with* the retries
   (seeds from 10 000 on, apart from the evaluation seeds), re-encoded as the tokenizer would;
2. the model is trained on those pieces together with the usual Bach windows (half of each batch
   each), so it learns to continue its own openings the way the retries would, and stays on Bach.

The retry rule is used only to make training material; sampling afterwards is the network alone
(``voice_leading_retries=0``).

``distil_retries(init_dir, out_dir, config)`` writes a model folder that
:class:`~midistyle.models.compose.ChoraleGenerator` loads: ``config.json``, ``tokenizer.json``,
``model.weights.h5``, ``distillation_config.json`` and ``training_report.json`` (valid and test NLL
per note, each round's pool parallels and curve).
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
from midistyle.models.chorale_data import bach_sequences, random_windows
from midistyle.models.chorale_finetuning import start_fine_tuning
from midistyle.models.chorale_training import masked_loss, split_nll
from midistyle.models.compose import ChoraleGenerator
from midistyle.music.metrics import beat_pitches, count_parallel_perfect_intervals

TEACHER_SEED_BASE = 10_000  # evaluation uses seeds 0-99, tuning 1000-1019


@dataclass
class DistillationConfig:
    """The distillation run; saved as ``distillation_config.json`` beside the weights."""

    rounds: int = 2
    teacher_pieces: int = 120  # per round
    teacher_bars: int = 8
    teacher_retries: int = 3
    teacher_parallel_guard: bool = False  # the teacher samples with the parallel guard (the shipped run: without)
    temperature: float = 0.8
    top_p: float = 0.95
    steps_per_round: int = 300
    batch_size: int = 8  # Bach windows per step; as many teacher windows again
    learning_rate: float = 1e-4
    report_every: int = 50
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("rounds", "teacher_pieces", "teacher_bars", "steps_per_round", "batch_size", "report_every"):
            if getattr(self, name) < 1:
                raise InputError(f"{name}={getattr(self, name)} must be >= 1")
        if not 1 <= self.teacher_retries <= 10:
            raise InputError(f"teacher_retries={self.teacher_retries} must be in 1..10")
        if not isinstance(self.teacher_parallel_guard, bool):
            raise InputError(f"teacher_parallel_guard={self.teacher_parallel_guard!r} must be true or false")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> DistillationConfig:
        return cls(**json.loads(text))


def teacher_pool(generator: ChoraleGenerator, config: DistillationConfig, round_index: int, *,
                 progress: bool = True) -> tuple[list[np.ndarray], dict]:
    """The pieces the retry sampler writes with the current model, as BOS + tokens, and their parallels.

    Returns
    -------
    sequences : list of np.ndarray, each shape=(T_i,), int32
    summary : dict
        ``pieces``, ``failed`` (no valid piece in the generator's attempts), ``parallels_per_100`` over
        the pool, ``seconds``.

    Raises
    ------
    InputError
        When the model writes no valid piece at all.
    """
    from tqdm import tqdm

    started, sequences, parallels, transitions, failed = time.perf_counter(), [], 0, 0, 0
    first = TEACHER_SEED_BASE + round_index * config.teacher_pieces
    for seed in tqdm(range(first, first + config.teacher_pieces), desc=f"round {round_index + 1}: teacher",
                     unit="piece", disable=not progress):
        try:
            # the teacher the shipped model was distilled from: retries, no phrase plan (whole bars)
            piece = generator.generate(bars=config.teacher_bars, seed=seed, temperature=config.temperature,
                                       top_p=config.top_p, voice_leading_retries=config.teacher_retries,
                                       parallel_guard=config.teacher_parallel_guard,
                                       phrase_plan=False).score
        except InputError:  # not four voices of whole bars in its attempts: counted, left out
            failed += 1
            continue
        sequences.append(np.array([generator.tokenizer.bos_id, *generator.tokenizer.encode(piece)], dtype=np.int32))
        parallels += count_parallel_perfect_intervals(piece)
        transitions += max(len(beat_pitches(piece)) - 1, 0)
    if not sequences:
        raise InputError(f"the model wrote no valid piece in {config.teacher_pieces} tries: train it further first")
    return sequences, {"pieces": len(sequences), "failed": failed,
                       "parallels_per_100": 100.0 * parallels / max(transitions, 1),
                       "seconds": round(time.perf_counter() - started, 1)}


def distil_retries(
    init_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    config: DistillationConfig,
    *,
    resume: bool = False,
    progress: bool = True,
) -> dict:
    """Distil the retry sampler into the model in ``init_dir``; write a model folder ``out_dir``."""
    import tensorflow as tf
    from tqdm import tqdm

    run = start_fine_tuning(init_dir, out_dir, config, config_name="distillation_config", growable="rounds",
                            resume=resume)
    model, tokenizer, optimizer, step = run.model, run.tokenizer, run.optimizer, run.step
    bach = bach_sequences(tokenizer, "train", augment=run.model_config.augment)
    generator = ChoraleGenerator(run.model_config, model, tokenizer)
    length = run.model_config.context + 1

    @tf.function
    def train_step(data, taught):
        with tf.GradientTape() as tape:
            bach_loss, _, _ = masked_loss(data[:, 1:], model(data[:, :-1], training=True), tokenizer.pad_id)
            taught_loss, _, _ = masked_loss(taught[:, 1:], model(taught[:, :-1], training=True), tokenizer.pad_id)
            loss = 0.5 * (bach_loss + taught_loss)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return bach_loss, taught_loss

    started = time.perf_counter()
    total_steps = config.rounds * config.steps_per_round
    pool, losses = None, []
    while step < total_steps:
        round_index = step // config.steps_per_round
        if pool is None or step % config.steps_per_round == 0:
            pool, summary = _pool_for_round(generator, config, round_index, run.out_dir, progress)
            if progress:
                print(f"round {round_index + 1}: the teacher's {summary['pieces']} pieces have "
                      f"{summary['parallels_per_100']:.1f} parallels per 100 transitions", flush=True)
        end = (round_index + 1) * config.steps_per_round
        bar = tqdm(range(step, end), desc=f"round {round_index + 1}: training", unit="step",
                   disable=not progress, initial=step - round_index * config.steps_per_round,
                   total=config.steps_per_round)
        for step in bar:
            rng = np.random.default_rng([config.seed, step])
            data = random_windows(bach, length, config.batch_size, tokenizer.pad_id, rng)
            taught = random_windows(pool, length, config.batch_size, tokenizer.pad_id, rng)
            losses.append([float(x) for x in train_step(data, taught)])
            bar.set_postfix(bach=f"{np.mean([a for a, _ in losses[-20:]]):.3f}",
                            taught=f"{np.mean([b for _, b in losses[-20:]]):.3f}")
            if (step + 1) % config.report_every == 0 or step + 1 == end:
                valid = split_nll(model, tokenizer, "valid")
                run.history.append({"step": step + 1, "round": round_index + 1, "teacher": summary,
                                    "bach_nll_per_token": float(np.mean([a for a, _ in losses])),
                                    "teacher_nll_per_token": float(np.mean([b for _, b in losses])),
                                    "valid_nll_per_note": valid["nll_per_note"]})
                losses = []
                if progress:
                    print(f"step {step + 1}: valid NLL {valid['nll_per_note']:.3f}/note", flush=True)
                run.checkpoint(step + 1, time.perf_counter() - started)
        step += 1
    return run.finish(time.perf_counter() - started, model="transformer, retries distilled", init=str(init_dir),
                      steps=total_steps)


def _pool_for_round(generator: ChoraleGenerator, config: DistillationConfig, round_index: int, out_dir: Path,
                    progress: bool) -> tuple[list[np.ndarray], dict]:
    """The round's teacher pool, from ``out_dir/pool_round{k}.npz`` when a resumed run already made it."""
    path = out_dir / f"pool_round{round_index + 1}.npz"
    if path.exists():
        saved = np.load(path)
        summary = json.loads(str(saved["summary"]))
        return [saved[f"piece_{i}"] for i in range(summary["pieces"])], summary
    sequences, summary = teacher_pool(generator, config, round_index, progress=progress)
    temporary = path.with_suffix(".tmp.npz")
    np.savez(temporary, summary=json.dumps(summary), **{f"piece_{i}": s for i, s in enumerate(sequences)})
    temporary.replace(path)
    return sequences, summary
