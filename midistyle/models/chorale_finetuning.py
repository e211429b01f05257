"""What both ways of fine-tuning a trained chorale model share: start, checkpoint, resume, finish.

A fine-tuning run reads a trained model folder (``--init``, never changed) and writes another
(``--out``) that :class:`~midistyle.models.compose.ChoraleGenerator` loads: the same tokenizer and
model config, new weights, the run's own config as ``<name>.json`` and ``training_report.json``.
Until the run ends, ``--out`` holds only its checkpoint and the run's own files (no model to load).
Checkpoints hold the weights, the optimizer state, the run's config and its step and history; a
resumed run may only raise one count of its config (``growable``: more steps, more rounds).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from midistyle.errors import InputError
from midistyle.models.checkpoints import find_checkpoint, refuse_existing_checkpoint, replace_checkpoint
from midistyle.models.chorale import ChoraleConfig, build_model, keras
from midistyle.models.chorale_training import split_nll
from midistyle.music.tokens import ScoreTokenizer


@dataclass
class FineTuning:
    """A run in progress: where it writes, its config, the model and where it stands."""

    init_dir: Path
    out_dir: Path
    config: object  # the run's config dataclass (has learning_rate, seed, to_json)
    config_name: str  # e.g. "distillation_config": the file name without .json
    model_config: ChoraleConfig
    tokenizer: ScoreTokenizer
    model: object
    optimizer: object
    step: int = 0
    history: list = field(default_factory=list)
    seconds_before: float = 0.0

    def checkpoint(self, step: int, seconds: float) -> None:
        """Replace ``out_dir/checkpoint`` with the state after ``step`` steps (atomically)."""
        def fill(folder: Path) -> None:
            self.model.save_weights(str(folder / "model.weights.h5"))
            np.savez(folder / "optimizer.npz", *[v.numpy() for v in self.optimizer.variables])
            (folder / f"{self.config_name}.json").write_text(self.config.to_json() + "\n")
            state = {"step": step, "seconds": self.seconds_before + seconds, "history": self.history}
            (folder / "state.json").write_text(json.dumps(state))

        replace_checkpoint(self.out_dir, fill)

    def finish(self, seconds: float, **report) -> dict:
        """Write the model folder's weights, configs and ``training_report.json``; return the report."""
        shutil.copyfile(self.init_dir / "tokenizer.json", self.out_dir / "tokenizer.json")
        self.model.save_weights(str(self.out_dir / "model.weights.h5"))
        (self.out_dir / "config.json").write_text(self.model_config.to_json() + "\n")
        (self.out_dir / f"{self.config_name}.json").write_text(self.config.to_json() + "\n")
        report = {**report, "parameters": int(self.model.count_params()),
                  "train_seconds": round(self.seconds_before + seconds, 1),
                  "valid": split_nll(self.model, self.tokenizer, "valid"),
                  "test": split_nll(self.model, self.tokenizer, "test"), "history": self.history}
        (self.out_dir / "training_report.json").write_text(json.dumps(report, indent=1) + "\n")
        return report


def start_fine_tuning(init_dir: str | os.PathLike, out_dir: str | os.PathLike, config, *, config_name: str,
                      growable: str, resume: bool) -> FineTuning:
    """Load the model in ``init_dir`` for a run writing into ``out_dir`` (resumed from its checkpoint).

    Raises
    ------
    InputError
        No model in ``init_dir``, ``out_dir`` equal to it, a checkpoint without ``resume``, or a
        checkpoint made with another config (only ``growable`` may be larger).
    """
    init_dir, out_dir = Path(init_dir), Path(out_dir)
    if not (init_dir / "config.json").exists():
        raise InputError(f"no trained chorale model in {init_dir}")
    if init_dir.resolve() == out_dir.resolve():
        raise InputError("--out must differ from --init (the starting model is never overwritten)")
    out_dir.mkdir(parents=True, exist_ok=True)
    if not resume:
        refuse_existing_checkpoint(out_dir)
    keras.utils.set_random_seed(config.seed)
    model_config = ChoraleConfig.from_json((init_dir / "config.json").read_text())
    model = build_model(model_config)
    model.load_weights(str(init_dir / "model.weights.h5"))
    optimizer = keras.optimizers.Adam(config.learning_rate)
    optimizer.build(model.trainable_variables)
    run = FineTuning(init_dir, out_dir, config, config_name, model_config,
                     ScoreTokenizer.load(init_dir / "tokenizer.json"), model, optimizer)
    if resume:
        _restore(run, growable)
    return run


def _restore(run: FineTuning, growable: str) -> None:
    folder = find_checkpoint(run.out_dir)
    saved = type(run.config).from_json((folder / f"{run.config_name}.json").read_text())
    grown = getattr(run.config, growable)
    if dataclasses.replace(saved, **{growable: grown}) != run.config or grown < getattr(saved, growable):
        raise InputError(f"--resume: the checkpoint in {run.out_dir} was made with a different config "
                         f"(only {growable} may grow)")
    run.model.load_weights(str(folder / "model.weights.h5"))
    arrays = np.load(folder / "optimizer.npz")
    for i, variable in enumerate(run.optimizer.variables):
        variable.assign(arrays[f"arr_{i}"])
    state = json.loads((folder / "state.json").read_text())
    run.step, run.history, run.seconds_before = state["step"], state["history"], state["seconds"]
