"""Chorale generation speed: tokens/s with and without the key/value cache, time per 16-bar chorale.

Sampling is token by token either way; "without cache" recomputes the whole window each step (the
Keras model: the ONNX export is the cached step only). The chorales are generated as the command
line does (the ONNX step), with the phrase plan, with and without the voice-leading retries, and
without the plan (the generator before it). Training throughput is read from the shipped model's
maximum-likelihood training report.
"""

from __future__ import annotations

import json
import os
import time


def run(quick: bool = False) -> list[dict]:
    import numpy as np

    from midistyle.models.chorale_sampling import generate_tokens
    from midistyle.models.compose import WEIGHTS_DIR, ChoraleGenerator

    generator = ChoraleGenerator.load()  # the ONNX step, as the command line runs it
    os.environ["MIDISTYLE_BACKEND"] = "keras"
    try:
        keras_generator = ChoraleGenerator.load()
    finally:
        del os.environ["MIDISTYLE_BACKEND"]
    generator.generate(bars=2, seed=0)
    keras_generator.generate(bars=2, seed=0)  # trace the compiled step once
    rows = []
    tokens = 64 if quick else 256
    for label, model, use_cache in (("ONNX step, with cache", generator.model, True),
                                    ("Keras compiled step, with cache", keras_generator.model, True),
                                    ("Keras, without cache", keras_generator.model, False)):
        started = time.perf_counter()
        out = generate_tokens(model, [generator.tokenizer.bos_id], max_new_tokens=tokens,
                              rng=np.random.default_rng(0), use_cache=use_cache,
                              banned_tokens=(generator.tokenizer.eos_id,))
        seconds = time.perf_counter() - started
        rows.append({"what": f"sampling {len(out) - 1} tokens, {label}",
                     "value": round((len(out) - 1) / seconds, 1), "unit": "tokens/s"})
    pieces = 2 if quick else 10
    for options, label in (({}, "phrase plan and voice-leading retries (default)"),
                           ({"voice_leading_retries": 0}, "phrase plan, no retries"),
                           ({"phrase_plan": False}, "before phrase plans, retries")):
        started = time.perf_counter()
        for seed in range(pieces):
            generator.generate(bars=16, seed=seed, **options)
        rows.append({"what": f"one 16-bar chorale, {label} (mean of {pieces})",
                     "value": round((time.perf_counter() - started) / pieces, 2), "unit": "s"})
    report = json.loads((WEIGHTS_DIR / "base_training_report.json").read_text())
    rows.append({"what": "training throughput of the shipped model's maximum-likelihood stage (from its report)",
                 "value": report["train_tokens_per_second"], "unit": "tokens/s"})
    return rows
