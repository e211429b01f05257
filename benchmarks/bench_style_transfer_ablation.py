"""How the style-transfer default was chosen: variants on 10 valid-split pairs (never the test pairs).

The published settings and the style clip itself (a reference: the style's timbre with the wrong
notes) are scored on the same pairs. Each other row changes one thing against the default so that
what wins and what does not is visible: the equalisers alone and each of the two without the
other, the Gram loss alone (as published but from the content), the style share, filter count and
widths, noise start, random-phase Griffin-Lim, Adam, and the sms variant's sinusoid count and
residual.
"""

from __future__ import annotations

import dataclasses


def variants() -> dict:
    from benchmarks.bench_style_transfer import STYLE_CLIP
    from midistyle.audio.sms import SinusoidalConfig
    from midistyle.audio.style_transfer import PUBLISHED, StyleTransferConfig

    default = StyleTransferConfig()
    change = dataclasses.replace
    return {
        "content (unchanged)": None,
        "style clip (reference)": STYLE_CLIP,
        "published settings": PUBLISHED,
        "stft default": default,
        "equalisers only (no Gram)": change(default, iterations=0),
        "band equaliser only (cepstral share 0)": change(default, cepstral_share=0.0),
        "cepstral equaliser only (share 1)": change(default, cepstral_share=1.0),
        "cepstral share 0.25": change(default, cepstral_share=0.25),
        "Gram only (no equaliser)": change(default, envelope_bands=0),
        "Gram only, style share 1.0": change(default, envelope_bands=0, style_share=1.0),
        "band equaliser on means only": change(default, envelope_statistics="mean"),
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
        "sms default (150 sinusoids)": SinusoidalConfig(),
        "sms 16 sinusoids": SinusoidalConfig(sinusoids=16),
        "sms 24 sinusoids": SinusoidalConfig(sinusoids=24),
        "sms, no residual": SinusoidalConfig(residual=False),
    }


def run(quick: bool = False) -> list[dict]:
    from benchmarks.bench_style_transfer import evaluate
    from benchmarks.style_pairs import make_pairs

    configs = variants()
    if quick:
        configs = {k: configs[k] for k in ("content (unchanged)", "style clip (reference)", "stft default")}
    return evaluate(make_pairs("valid", 2 if quick else 10), configs)
