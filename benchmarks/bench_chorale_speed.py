"""Chorale generation speed: tokens/s with and without the key/value cache, time per 16-bar chorale.

Sampling is token by token either way; "without cache" recomputes the whole window each step.
Training throughput is read from the shipped model's maximum-likelihood training report.
"""

from __future__ import annotations

import json
import time


def run(quick: bool = False) -> list[dict]:
    import numpy as np

    from midistyle.models.chorale_sampling import generate_tokens
    from midistyle.models.compose import WEIGHTS_DIR, ChoraleGenerator

    generator = ChoraleGenerator.load()
    generator.generate(bars=2, seed=0)  # trace the compiled step once
    rows = []
    tokens = 64 if quick else 256
    for use_cache in (True, False):
        started = time.perf_counter()
        out = generate_tokens(generator.model, [generator.tokenizer.bos_id], max_new_tokens=tokens,
                              rng=np.random.default_rng(0), use_cache=use_cache,
                              banned_tokens=(generator.tokenizer.eos_id,))
        seconds = time.perf_counter() - started
        rows.append({"what": f"sampling {len(out) - 1} tokens, {'with' if use_cache else 'without'} cache",
                     "value": round((len(out) - 1) / seconds, 1), "unit": "tokens/s"})
    pieces = 2 if quick else 10
    for retries, label in ((3, "with voice-leading retries (default)"), (0, "network alone, no retries")):
        started = time.perf_counter()
        for seed in range(pieces):
            generator.generate(bars=16, seed=seed, voice_leading_retries=retries)
        rows.append({"what": f"one 16-bar chorale, {label} (mean of {pieces})",
                     "value": round((time.perf_counter() - started) / pieces, 2), "unit": "s"})
    report = json.loads((WEIGHTS_DIR / "base_training_report.json").read_text())
    rows.append({"what": "training throughput of the shipped model's maximum-likelihood stage (from its report)",
                 "value": report["train_tokens_per_second"], "unit": "tokens/s"})
    return rows
