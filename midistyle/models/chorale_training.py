"""Train a chorale model: seeded batches, progress bar, validation NLL per epoch, atomic checkpoints, resume.

``train_chorale_model(config, out_dir)`` writes into ``out_dir``:

* ``tokenizer.json`` — the tokenizer (BPE learned on the train split, when configured);
* ``checkpoint/`` after every epoch — weights, optimizer state, epoch, history (replaced atomically);
* at the end: ``config.json``, ``model.weights.h5`` and ``training_report.json`` with the
  validation and test negative log-likelihood per token and **per note** (tokenizations compare by
  the latter), wall time and throughput.

Batch ``k`` of epoch ``e`` is drawn from ``np.random.default_rng([seed, e, k])``, so a resumed run
sees what an uninterrupted one would have.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
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
from midistyle.models.chorale import ChoraleConfig, build_model, keras, ops
from midistyle.models.chorale_data import bach_sequences, evaluation_windows, random_windows
from midistyle.music.tokens import ScoreTokenizer, TokenizerConfig, build_tokenizer

TINY = dict(
    d_model=32,
    heads=2,
    layers=2,
    ff_dim=64,
    lstm_units=32,
    lstm_layers=1,
    context=64,
    dropout=0.0,
    bpe_vocab_size=0,
    augment=False,
    batch_size=8,
    epochs=2,
    steps_per_epoch=3,
)


def named_config(name: str, *, model: str = "transformer", **changes) -> ChoraleConfig:
    """``default`` (the shipped setup), ``tiny`` (tests) or a config JSON file; ``model`` picks the network."""
    if name == "default":
        config = ChoraleConfig(model=model)
    elif name == "tiny":
        config = ChoraleConfig(model=model, **TINY)
    elif name.endswith(".json"):
        config = read_config_file(name, ChoraleConfig, "chorale")
    else:
        raise InputError(f"--config {name!r} is not default, tiny or a .json file")
    if changes.get("epochs") is not None and changes["epochs"] < 1:
        raise InputError(f"--epochs {changes['epochs']} must be >= 1")
    return dataclasses.replace(config, **{k: v for k, v in changes.items() if v is not None})


def prepare_tokenizer(config: ChoraleConfig) -> ScoreTokenizer:
    """REMI over 4 voices; BPE to ``config.bpe_vocab_size`` learned on the train split (as written)."""
    tokenizer = build_tokenizer(TokenizerConfig())
    if config.bpe_vocab_size:
        tokenizer.train_bpe(load_chorales("train"), vocab_size=config.bpe_vocab_size)
    return tokenizer


def masked_loss(targets, logits, pad_id: int):
    """Mean next-token cross-entropy over non-PAD targets; also returns the summed loss and the count."""
    losses = keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True)
    mask = ops.cast(ops.not_equal(targets, pad_id), "float32")
    total, count = ops.sum(losses * mask), ops.sum(mask)
    return total / ops.maximum(count, 1.0), total, count


def split_nll(model, tokenizer: ScoreTokenizer, split: str, batch_size: int = 32) -> dict[str, float]:
    """Negative log-likelihood of a split's chorales (as written) in nats, per token and per note."""
    scores = load_chorales(split)
    windows = evaluation_windows(
        bach_sequences(tokenizer, split, augment=False), model.config.context + 1, tokenizer.pad_id
    )
    total = count = 0.0
    for start in range(0, len(windows), batch_size):
        batch = windows[start : start + batch_size]
        _, batch_total, batch_count = masked_loss(batch[:, 1:], model(batch[:, :-1]), tokenizer.pad_id)
        total, count = total + float(batch_total), count + float(batch_count)
    notes = sum(score.num_notes for score in scores)
    return {"nll_per_token": total / count, "nll_per_note": total / notes, "tokens_per_note": count / notes}


def train_chorale_model(
    config: ChoraleConfig,
    out_dir: str | os.PathLike,
    *,
    resume: bool = False,
    progress: bool = True,
    stop_after_epochs: int | None = None,
) -> dict:
    """Train (or continue) a chorale model and return its report (see the module docstring)."""
    import tensorflow as tf
    from tqdm import tqdm

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not resume:
        refuse_existing_checkpoint(out_dir)
    keras.utils.set_random_seed(config.seed)
    tokenizer = ScoreTokenizer.load(out_dir / "tokenizer.json") if resume else prepare_tokenizer(config)
    tokenizer.save(out_dir / "tokenizer.json")
    config = dataclasses.replace(config, vocab_size=tokenizer.vocab_size)
    sequences = bach_sequences(tokenizer, "train", augment=config.augment)
    model = build_model(config)
    optimizer = keras.optimizers.Adam(config.learning_rate)
    optimizer.build(model.trainable_variables)
    epoch, history, seconds_before = _restore(model, optimizer, out_dir, config) if resume else (0, [], 0.0)

    @tf.function
    def train_step(batch):
        with tf.GradientTape() as tape:
            loss, _, count = masked_loss(batch[:, 1:], model(batch[:, :-1], training=True), tokenizer.pad_id)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss, count

    started, first_epoch, tokens_seen = time.perf_counter(), epoch, 0.0
    while epoch < config.epochs:
        if stop_after_epochs is not None and epoch - first_epoch >= stop_after_epochs:
            break
        bar = tqdm(
            range(config.steps_per_epoch),
            desc=f"{config.model} epoch {epoch + 1}/{config.epochs}",
            disable=not progress,
            unit="step",
        )
        losses = []
        for step in bar:
            rng = np.random.default_rng([config.seed, epoch, step])
            batch = random_windows(sequences, config.context + 1, config.batch_size, tokenizer.pad_id, rng)
            loss, count = train_step(batch)
            losses.append(float(loss))
            tokens_seen += float(count)
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
        epoch += 1
        valid = split_nll(model, tokenizer, "valid")
        history.append(
            {"epoch": epoch, "train_loss": float(np.mean(losses)), **{f"valid_{k}": v for k, v in valid.items()}}
        )
        if progress:
            print(
                f"epoch {epoch}: train {history[-1]['train_loss']:.3f}, valid NLL {valid['nll_per_token']:.3f}/token "
                f"{valid['nll_per_note']:.3f}/note",
                flush=True,
            )
        _checkpoint(model, optimizer, out_dir, config, epoch, history, seconds_before + time.perf_counter() - started)
    seconds = seconds_before + time.perf_counter() - started
    if epoch < config.epochs:
        return {"stopped_at_epoch": epoch}
    model.save_weights(str(out_dir / "model.weights.h5"))
    (out_dir / "config.json").write_text(config.to_json() + "\n")
    report = {
        "model": config.model,
        "parameters": int(model.count_params()),
        "epochs": epoch,
        "train_seconds": round(seconds, 1),
        "train_tokens_per_second": round(tokens_seen / max(time.perf_counter() - started, 1e-9), 1),
        "train_sequences": len(sequences),
        "valid": split_nll(model, tokenizer, "valid"),
        "test": split_nll(model, tokenizer, "test"),
        "history": history,
    }
    (out_dir / "training_report.json").write_text(json.dumps(report, indent=1) + "\n")
    return report


def _checkpoint(model, optimizer, out_dir: Path, config: ChoraleConfig, epoch: int, history: list, seconds: float):
    def fill(folder: Path) -> None:
        model.save_weights(str(folder / "model.weights.h5"))
        np.savez(folder / "optimizer.npz", *[v.numpy() for v in optimizer.variables])
        (folder / "config.json").write_text(config.to_json() + "\n")
        (folder / "state.json").write_text(json.dumps({"epoch": epoch, "seconds": seconds, "history": history}))

    replace_checkpoint(out_dir, fill)


def _restore(model, optimizer, out_dir: Path, config: ChoraleConfig) -> tuple[int, list, float]:
    folder = find_checkpoint(out_dir)
    saved = ChoraleConfig.from_json((folder / "config.json").read_text())
    if dataclasses.replace(saved, epochs=config.epochs) != config:  # only the number of epochs may grow
        raise InputError(f"--resume: the checkpoint in {out_dir} was trained with a different config")
    model.load_weights(str(folder / "model.weights.h5"))
    arrays = np.load(folder / "optimizer.npz")
    for i, variable in enumerate(optimizer.variables):
        variable.assign(arrays[f"arr_{i}"])
    state = json.loads((folder / "state.json").read_text())
    return state["epoch"], state["history"], state["seconds"]
