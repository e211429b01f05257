"""How the style-transfer default was chosen: variants on 10 valid-split pairs (never the test pairs).

Each row changes one thing against the default (or against the published settings) so that what
wins and what does not is visible: the envelope equaliser alone, the Gram loss alone (as published
but from the content), the style share, filter count and widths, noise start, random-phase
Griffin-Lim, Adam, and the sms variant's sinusoid count and residual.
"""

from __future__ import annotations

import dataclasses


def variants() -> dict:
    from midistyle.audio.sms import SinusoidalConfig
    from midistyle.audio.style_transfer import StyleTransferConfig

    default = StyleTransferConfig()
    change = dataclasses.replace
    return {
        "content (unchanged)": None,
        "stft default": default,
        "equaliser only (no Gram)": change(default, iterations=0),
        "Gram only (no equaliser)": change(default, envelope_bands=0),
        "Gram only, style share 1.0": change(default, envelope_bands=0, style_share=1.0),
        "equaliser on means only": change(default, envelope_statistics="mean"),
        "equaliser on means, 32 bands, share 0.1": change(default, envelope_statistics="mean", envelope_bands=32,
                                                          style_share=0.1),
        "8 bands": change(default, envelope_bands=8),
        "32 bands": change(default, envelope_bands=32),
        "style share 0.1": change(default, style_share=0.1),
        "style share 0.3": change(default, style_share=0.3),
        "4096 filters": change(default, filters=4096),
        "widths 3+11+31": change(default, filter_widths=(3, 11, 31)),
        "L-BFGS 50 iterations": change(default, iterations=50),
        "Adam 100 steps": change(default, optimizer="adam", iterations=100),
        "noise start (share 0.5, 150 iterations)": change(default, start="noise", style_share=0.5, iterations=150),
        "random phase, fast GL 32": change(default, phase="random"),
        "strength 0.5": change(default, strength=0.5),
        "sms 24 sinusoids": SinusoidalConfig(),
        "sms 16 sinusoids": SinusoidalConfig(sinusoids=16),
        "sms 150 sinusoids": SinusoidalConfig(sinusoids=150),
        "sms, no residual": SinusoidalConfig(residual=False),
    }


def run(quick: bool = False) -> list[dict]:
    from benchmarks.bench_style_transfer import evaluate
    from benchmarks.style_pairs import make_pairs

    configs = variants()
    if quick:
        configs = {k: configs[k] for k in list(configs)[:3]}
    return evaluate(make_pairs("valid", 2 if quick else 10), configs)
