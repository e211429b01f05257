"""Style-transfer quality against ground truth: 20 test pairs, every method side by side in one run.

Rows: the unchanged content (the floor to beat), the style clip itself (a reference, not a method:
the style's timbre with the wrong notes, which is where a method that copies the style ends up),
the published settings (noise start, 4096 filters of width 11, L-BFGS 300, 500 Griffin-Lim
iterations), this project's stft default and the sms variant. Columns: mel log-spectral distance
and MFCC timbre distance to the target (lower is better), chroma similarity to the content (pitch
kept; the floor is 0.8), and in how many pairs a method is closer to the target on both distances
than the content, and than the published settings.
Defaults were chosen on valid-split pairs (``style_transfer_ablation``), never on these.
"""

from __future__ import annotations

import time

STYLE_CLIP = "style clip"  # a row that scores the style clip itself as if it were the output


def methods() -> dict:
    from midistyle.audio.sms import SinusoidalConfig
    from midistyle.audio.style_transfer import PUBLISHED, StyleTransferConfig

    return {"content (unchanged)": None, "style clip (reference)": STYLE_CLIP, "published settings": PUBLISHED,
            "stft (default)": StyleTransferConfig(), "sms (default)": SinusoidalConfig()}


def evaluate(pairs: list[dict], configs: dict) -> list[dict]:
    from benchmarks.style_pairs import SAMPLE_RATE, score_output, summarise
    from midistyle.audio.stylize import stylize

    scores, seconds = {}, {}
    for name, config in configs.items():
        scores[name], seconds[name] = [], []
        for pair in pairs:
            start = time.perf_counter()
            if config is None or config == STYLE_CLIP:
                output = pair["content"] if config is None else pair["style"]
            else:
                output = stylize(pair["content"], SAMPLE_RATE, pair["style"], SAMPLE_RATE, config=config).audio
            seconds[name].append(time.perf_counter() - start)
            scores[name].append(score_output(output, pair))
        print(f"  {name}: done", flush=True)
    names = list(configs)
    baseline = scores[names[0]]
    published = scores.get("published settings")
    return [summarise(name, scores[name], seconds[name], baseline, published) for name in names]


def run(quick: bool = False) -> list[dict]:
    from benchmarks.style_pairs import make_pairs

    pairs = make_pairs("test", 2 if quick else 20)
    configs = methods()
    if quick:
        import dataclasses

        configs["published settings"] = dataclasses.replace(configs["published settings"], iterations=5,
                                                            griffin_lim_iterations=10)
    return evaluate(pairs, configs)
