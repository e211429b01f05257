"""Export trained Keras networks to ONNX, for :mod:`midistyle.models.onnx_networks` to run without TensorFlow.

Training writes the export itself; ``midistyle export-onnx`` writes it for a folder of weights (the
shipped ones were exported that way). The conversion is tf2onnx's, from a ``tf.function`` with a
fixed input signature:

* harmonizer: the generator, ``condition (B, T, P, C), noise (B, T/8, P/8, Z) -> harmony (B, T, P, 6)``,
  and the critic, ``condition (B, T, P, 5), harmony (B, T, P, 6) -> score (B, 1)``; batch and time
  stay free (the U-Net is fully convolutional along time);
* chorale Transformer: the one-token step reading its cache, ``token (B, 1), position (), cache (L,
  2, B, H, C, Dh) -> logits (B, V), new keys and values (L, 2, B, H, 1, Dh)``, which the caller
  writes into the cache (one step then writes 2 x 32 numbers per head, not a new 1 MB cache).

Each export is checked against the Keras network on random inputs before it is written, and the
manifest ``onnx.json`` records the SHA-256 of the weights it came from, the opset and the largest
difference seen. TensorFlow's exact GELU uses ``erfc``, which tf2onnx does not convert; it is
written here as ``1 - erf``, ONNX's own operator (differences stay below 1e-5).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from midistyle.errors import InputError, MissingDependencyError
from midistyle.keras_backend import START_UP_NOISE, import_keras, native_stderr_filtered
from midistyle.models.onnx_networks import CHORALE_FILES, HARMONIZER_FILES, MANIFEST, sha256_of

OPSET = 17
MAX_DIFFERENCE = 1e-4  # largest output difference against Keras that an export may show
_erfc_registered = False
# What TensorFlow's graph optimizer logs while tf2onnx freezes a function (its C++ info logs)
CONVERSION_NOISE = START_UP_NOISE + ("oneDNN custom operations", "devices.cc", "single_machine.cc",
                                     "mlir_graph_optimization_pass.cc")


def _tf2onnx():
    import_keras()  # TensorFlow's quiet start
    try:
        import tf2onnx
        from tf2onnx import utils
        from tf2onnx.handler import tf_op
    except ImportError:
        raise MissingDependencyError("exporting to ONNX needs tf2onnx: pip install 'midistyle[cpu]'") from None
    global _erfc_registered
    if not _erfc_registered:
        _register_erfc(tf_op, utils)
        _erfc_registered = True
    return tf2onnx


def _register_erfc(tf_op, utils) -> None:
    @tf_op("Erfc")
    class Erfc:  # noqa: F841  (registered by the decorator)
        @classmethod
        def version_9(cls, ctx, node, **kwargs):
            """erfc(x) = 1 - erf(x), with ONNX's Erf (opset 9+)."""
            erf = ctx.make_node("Erf", [node.input[0]], op_name_scope=node.name)
            one = ctx.make_const(utils.make_name(f"{node.name}_one"), np.array(1.0, np.float32))
            output, name = node.output[0], node.name
            ctx.remove_node(name)
            ctx.make_node("Sub", [one.output[0], erf.output[0]], outputs=[output], name=name)


def _write_export(folder: Path, exported: dict[str, tuple[bytes, str, float]]) -> None:
    """Write the ONNX files and their manifest atomically (each via a temporary file and a rename)."""
    manifest = {"opset": OPSET, "files": {}}
    for name, (model_bytes, weights_name, difference) in exported.items():
        _atomic_write(folder / name, model_bytes)
        manifest["files"][name] = {"weights": weights_name, "weights_sha256": sha256_of(folder / weights_name),
                                   "max_difference_vs_keras": float(difference)}
    _atomic_write(folder / MANIFEST, (json.dumps(manifest, indent=1) + "\n").encode())


def _atomic_write(path: Path, data: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def _convert(function, signature) -> bytes:
    tf2onnx = _tf2onnx()
    with native_stderr_filtered(CONVERSION_NOISE):
        model, _ = tf2onnx.convert.from_function(function, input_signature=signature, opset=OPSET)
    return model.SerializeToString()


def _checked(model_bytes: bytes, feeds: dict, expected: list[np.ndarray], what: str) -> float:
    """Largest absolute difference between the ONNX model's outputs and Keras's on the same inputs."""
    import onnxruntime

    session = onnxruntime.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    outputs = session.run(None, feeds)
    difference = max(float(np.max(np.abs(np.asarray(a) - b))) for a, b in zip(expected, outputs))
    if not difference <= MAX_DIFFERENCE:
        raise RuntimeError(f"the ONNX {what} differs from Keras by {difference:.2e} (> {MAX_DIFFERENCE})")
    return difference


def export_harmonizer(folder: str | os.PathLike, seed: int = 0) -> dict[str, float]:
    """Write ``generator.onnx``, ``critic.onnx`` and ``onnx.json`` beside a harmonizer's weights.

    Returns
    -------
    dict
        ONNX file name -> largest difference from Keras on random inputs (2 examples of 128 steps).
    """
    import_keras()
    import tensorflow as tf

    from midistyle.models.harmonizer import load_networks
    from midistyle.models.harmonizer_config import noise_shape
    from midistyle.models.harmonizer_data import CONDITION_CHANNELS, HARMONY_VOICES

    folder = Path(folder)
    config, generator, critic = load_networks(folder)
    _, pitches = config.pitch_window
    steps = None if config.architecture == "unet" else config.crop_steps
    noise_steps = None if steps is None else steps // config.time_multiple
    generator_signature = [
        tf.TensorSpec((None, steps, pitches, config.generator_channels), tf.float32, name="condition"),
        tf.TensorSpec((None, noise_steps, pitches // config.time_multiple, config.noise_channels), tf.float32,
                      name="noise")]
    critic_signature = [
        tf.TensorSpec((None, steps, pitches, CONDITION_CHANNELS), tf.float32, name="condition"),
        tf.TensorSpec((None, steps, pitches, 2 * HARMONY_VOICES), tf.float32, name="harmony")]
    generate = tf.function(lambda condition, noise: generator([condition, noise], training=False),
                           input_signature=generator_signature)
    judge = tf.function(lambda condition, harmony: critic([condition, harmony], training=False),
                        input_signature=critic_signature)

    rng = np.random.default_rng(seed)
    num_steps = steps or 128
    condition = (rng.random((2, num_steps, pitches, config.generator_channels)) < 0.1).astype(np.float32)
    noise = rng.standard_normal(noise_shape(config, 2, num_steps)).astype(np.float32)
    harmony = rng.random((2, num_steps, pitches, 2 * HARMONY_VOICES)).astype(np.float32)
    generator_bytes = _convert(generate, generator_signature)
    critic_bytes = _convert(judge, critic_signature)
    differences = {
        "generator.onnx": _checked(generator_bytes, {"condition": condition, "noise": noise},
                                   [generator([condition, noise], training=False)], "generator"),
        "critic.onnx": _checked(critic_bytes, {"condition": condition[..., :CONDITION_CHANNELS], "harmony": harmony},
                                [critic([condition[..., :CONDITION_CHANNELS], harmony], training=False)], "critic"),
    }
    _write_export(folder, {"generator.onnx": (generator_bytes, HARMONIZER_FILES["generator.onnx"],
                                              differences["generator.onnx"]),
                           "critic.onnx": (critic_bytes, HARMONIZER_FILES["critic.onnx"], differences["critic.onnx"])})
    return differences


def export_chorale(folder: str | os.PathLike, seed: int = 0) -> dict[str, float]:
    """Write ``step.onnx`` and ``onnx.json`` beside a chorale Transformer's weights.

    Returns
    -------
    dict
        ``{"step.onnx": largest difference from Keras's logits and cache over 40 random tokens}``.
    """
    import_keras()
    import tensorflow as tf

    from midistyle.models.chorale import build_model
    from midistyle.models.chorale_config import ChoraleConfig

    folder = Path(folder)
    config = ChoraleConfig.from_json((folder / "config.json").read_text())
    if config.model != "transformer":
        raise InputError(f"ONNX export is for the Transformer; {folder} holds an {config.model.upper()}")
    model = build_model(config)
    model.load_weights(str(folder / CHORALE_FILES["step.onnx"]))
    layers, heads, context, head_dim = config.layers, config.heads, config.context, config.d_model // config.heads
    signature = [tf.TensorSpec((None, 1), tf.int32, name="token"), tf.TensorSpec((), tf.int32, name="position"),
                 tf.TensorSpec((layers, 2, None, heads, context, head_dim), tf.float32, name="cache")]

    @tf.function(input_signature=signature)
    def step(token, position, cache):
        per_layer = [[cache[i, 0], cache[i, 1]] for i in range(layers)]
        logits, new = model.step_reading(token, per_layer, position)
        return logits, tf.stack([tf.stack(key_value) for key_value in new])

    step_bytes = _convert(step, signature)
    import onnxruntime

    from midistyle.models.onnx_networks import write_key_value

    session = onnxruntime.InferenceSession(step_bytes, providers=["CPUExecutionProvider"])
    keras_step, keras_cache = model.step_function(), model.empty_cache()
    onnx_cache = np.zeros((layers, 2, 1, heads, context, head_dim), np.float32)
    difference = 0.0
    for position, token in enumerate(np.random.default_rng(seed).integers(0, config.vocab_size, 40)):
        feed = np.array([[token]], np.int32)
        keras_logits, keras_cache = keras_step(feed, keras_cache, np.int32(position))
        onnx_logits, new = session.run(None, {"token": feed, "position": np.array(position, np.int32),
                                              "cache": onnx_cache})
        write_key_value(onnx_cache, new, position)
        difference = max(difference, float(np.max(np.abs(np.asarray(keras_logits) - onnx_logits))))
    if not difference <= MAX_DIFFERENCE:
        raise RuntimeError(f"the ONNX chorale step differs from Keras by {difference:.2e} (> {MAX_DIFFERENCE})")
    _write_export(folder, {"step.onnx": (step_bytes, CHORALE_FILES["step.onnx"], difference)})
    return {"step.onnx": difference}
