"""The shipped networks run by ONNX Runtime: inference on the command line's hot paths without TensorFlow.

``import tensorflow`` takes 4-5 s on a 2-core machine, most of a one-off ``midistyle harmonize``.
Training (Keras 3 on TensorFlow) therefore also writes each network as ONNX
(:mod:`midistyle.models.onnx_export`), beside its weights, with a manifest ``onnx.json`` that
records the SHA-256 of the Keras weights each ONNX file was exported from::

    weights/harmonizer/  generator.weights.h5  critic.weights.h5  generator.onnx  critic.onnx  onnx.json
    weights/chorale/     model.weights.h5  step.onnx  onnx.json

A folder's ONNX files are used only when the manifest's hashes match the weights beside them, so
retrained weights never run with a stale export; otherwise (or with ``MIDISTYLE_BACKEND=keras``)
the Keras networks are loaded, and TensorFlow with them. ``MIDISTYLE_BACKEND=onnx`` makes a missing
or stale export an error instead.

The objects here answer the calls the inference code makes of the Keras models:

* :class:`OnnxModel` — ``model([x, y, ...], training=False) -> np.ndarray``, as a Keras functional
  model is called (the harmonizer's generator and critic);
* :class:`OnnxChoraleModel` — ``config``, ``empty_cache(batch)``, ``step_function()`` and
  ``copy_cache``, what :mod:`midistyle.models.chorale_sampling` asks of a chorale model. Its cache
  is one array, shape (layers, 2, B, heads, context, head_dim): keys and values per layer, written
  in place by each step (the exported step returns only the new ones).
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from midistyle.errors import InputError
from midistyle.models.chorale_config import ChoraleConfig

MANIFEST = "onnx.json"
BACKENDS = ("auto", "onnx", "keras")
BACKEND_VARIABLE = "MIDISTYLE_BACKEND"
HARMONIZER_FILES = {"generator.onnx": "generator.weights.h5", "critic.onnx": "critic.weights.h5"}
CHORALE_FILES = {"step.onnx": "model.weights.h5"}


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def requested_backend() -> str:
    """``MIDISTYLE_BACKEND`` (``auto`` when unset), checked."""
    backend = os.environ.get(BACKEND_VARIABLE, "auto").strip().lower() or "auto"
    if backend not in BACKENDS:
        raise InputError(f"{BACKEND_VARIABLE}={backend!r} must be one of {', '.join(BACKENDS)}")
    return backend


def export_problem(folder: Path, files: dict[str, str]) -> str | None:
    """Why the ONNX files in ``folder`` cannot stand in for its Keras weights, or None when they can.

    Parameters
    ----------
    files : dict
        ONNX file name -> the Keras weights file it must have been exported from.
    """
    if find_spec("onnxruntime") is None:
        return "onnxruntime is not installed"
    manifest_path = folder / MANIFEST
    if not manifest_path.exists():
        return f"no {MANIFEST} in {folder} (run `midistyle export-onnx`)"
    exported = json.loads(manifest_path.read_text()).get("files", {})
    for onnx_name, weights_name in files.items():
        entry = exported.get(onnx_name)
        if entry is None or not (folder / onnx_name).exists():
            return f"{onnx_name} is missing from {folder}"
        if entry.get("weights_sha256") != sha256_of(folder / weights_name):
            return f"{onnx_name} was exported from other weights than {weights_name} (run `midistyle export-onnx`)"
    return None


def use_onnx(folder: Path, files: dict[str, str]) -> bool:
    """Whether to load ``folder``'s networks with ONNX Runtime, by ``MIDISTYLE_BACKEND`` and the export.

    Raises
    ------
    InputError
        With ``MIDISTYLE_BACKEND=onnx`` when the export is missing or stale.
    """
    backend = requested_backend()
    if backend == "keras":
        return False
    problem = export_problem(folder, files)
    if problem is not None and backend == "onnx":
        raise InputError(f"{BACKEND_VARIABLE}=onnx, but {problem}")
    return problem is None


def _session(path: Path, threads: int = 0):
    """An ONNX Runtime session on the CPU; ``threads`` 0 lets it choose (one per core)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only
    options.intra_op_num_threads = threads
    # its worker threads wait without spinning: a spinning pool takes the core of whatever else runs
    # (a second batch worker, FluidSynth)
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxModel:
    """One exported network, called like a Keras functional model: ``model([inputs...]) -> output``."""

    def __init__(self, path: Path):
        self.session = _session(path)
        self.input_names = [node.name for node in self.session.get_inputs()]

    def __call__(self, inputs, training: bool = False) -> np.ndarray:
        """The network's (first) output for ``inputs``, given in the order they were exported."""
        if training:
            raise ValueError("an ONNX network only infers (training=False)")
        if len(inputs) != len(self.input_names):
            raise ValueError(f"expected {len(self.input_names)} inputs ({', '.join(self.input_names)})")
        feeds = {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in zip(self.input_names, inputs)}
        return self.session.run(None, feeds)[0]


class OnnxChoraleModel:
    """The chorale Transformer's one-token step, exported with its key/value cache as one array."""

    def __init__(self, config: ChoraleConfig, path: Path):
        self.config = config
        self.session = _session(path, threads=1)  # one token's step is too small to share out between
        # threads (a second thread made it no faster on this machine)

    def empty_cache(self, batch: int = 1) -> np.ndarray:
        """Zero keys and values, shape (layers, 2, batch, heads, context, d_model / heads)."""
        c = self.config
        return np.zeros((c.layers, 2, batch, c.heads, c.context, c.d_model // c.heads), np.float32)

    def step_function(self):
        """``step(token (B, 1) int32, cache, position) -> (logits (B, V), cache)``; the cache is
        written in place at ``position`` (see :meth:`copy_cache`)."""

        def step(token, cache, position):
            logits, new = self.session.run(None, {
                "token": np.asarray(token, np.int32), "position": np.asarray(position, np.int32), "cache": cache})
            write_key_value(cache, new, int(position))
            return logits, cache

        return step

    def copy_cache(self, cache: np.ndarray | None) -> np.ndarray | None:
        """A copy to keep: this cache is written in place, unlike the Keras models' tensors."""
        return None if cache is None else cache.copy()

    def repeat_cache(self, cache: np.ndarray, count: int) -> np.ndarray:
        """``count`` copies of a batch-1 cache side by side (batch ``count``), for batched draws."""
        return np.repeat(cache, count, axis=2)

    def cache_row(self, cache: np.ndarray, index: int) -> np.ndarray:
        """Row ``index`` of a batched cache, as a batch-1 cache of its own."""
        return cache[:, :, index:index + 1].copy()


def write_key_value(cache: np.ndarray, new: np.ndarray, position: int) -> None:
    """Store one step's keys and values (layers, 2, B, H, 1, Dh) at ``position`` of ``cache``."""
    cache[:, :, :, :, position, :] = new[:, :, :, :, 0, :]
