"""Harmonizer speed and memory: model load, one 16-bar melody (model loaded), training throughput.

The decoders of a generator trained on given voices run it several times: ``greedy`` and ``sample``
9 passes (3 voices, then 2 rounds of rewriting), ``joint`` 12 (a greedy draft, then 3 conditionals).

Training throughput is measured over 20 steps after 3 warm-up steps (tracing excluded), for the
shipped U-Net config and the DeepComposer-shaped config, at each config's batch size.
"""

from __future__ import annotations

import resource
import time


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _batch(examples, config, rng):
    from midistyle.models.harmonize import to_model_window
    from midistyle.models.harmonizer_data import random_crops

    condition, harmony = random_crops(examples, config.crop_steps, config.batch_size, rng)
    return to_model_window(condition, config), to_model_window(harmony, config)


def run(quick: bool = False) -> list[dict]:
    import numpy as np
    import tensorflow as tf

    from midistyle.keras_backend import import_keras

    import_keras()
    from midistyle.models.harmonize import Harmonizer
    from midistyle.models.harmonizer import HarmonizerConfig, make_gan
    from midistyle.models.harmonizer_training import training_examples
    from midistyle.pipeline import load_embedded_melody

    started = time.perf_counter()
    harmonizer = Harmonizer.load()
    rows = [{"what": "load shipped harmonizer (TensorFlow already imported)",
             "value": round(time.perf_counter() - started, 2), "unit": "s"}]
    melody = load_embedded_melody()  # Ode to Joy, 16 bars of 4/4
    harmonizer.harmonize(melody)  # warm-up: graph tracing, music21 key analysis imports
    repeats = 2 if quick else 5
    for decoder in ("joint", "greedy", "sample"):
        started = time.perf_counter()
        for _ in range(repeats):
            harmonizer.harmonize(melody, decoder=decoder)
        rows.append({"what": f"harmonize a 16-bar melody, {decoder} decoder (incl. key detection)",
                     "value": round((time.perf_counter() - started) / repeats, 3), "unit": "s"})
    rows.append({"what": "peak memory so far", "value": round(_peak_rss_mb()), "unit": "MB"})
    examples = training_examples("train")
    configs = (("U-Net (shipped)", harmonizer.config), ("U-Net (previous, no given voices)", HarmonizerConfig()),
               ("DeepComposer shape", HarmonizerConfig.deepcomposer()))
    for name, config in configs:
        gan = make_gan(config)
        step = tf.function(gan.train_step)
        rng = np.random.default_rng(0)
        steps = 3 if quick else 20

        for _ in range(3):
            step(_batch(examples, config, rng))
        started = time.perf_counter()
        for _ in range(steps):
            step(_batch(examples, config, rng))
        seconds = (time.perf_counter() - started) / steps
        rows.append({"what": f"training, {name}: batch {config.batch_size}, {config.critic_steps} critic steps",
                     "value": round(seconds, 3), "unit": "s/step"})
        rows.append({"what": f"  = throughput, {name}", "value": round(config.batch_size / seconds, 1),
                     "unit": "examples/s"})
    rows.append({"what": "peak memory after training steps", "value": round(_peak_rss_mb()), "unit": "MB"})
    return rows
