"""A second look at the default's choice on valid pairs it was not chosen on (valid chorales 10-19).

``style_transfer_ablation`` picks the defaults on the first 10 valid-split pairs. This runs the
kept choices against what they replaced on the next 10 pairs of the same split (still never the
test pairs): the band equaliser alone (the previous default) against the averaged equalisers,
and sms with 24 sinusoids (the paper's range) against 150.
"""

from __future__ import annotations

import dataclasses


def variants() -> dict:
    from benchmarks.bench_style_transfer import STYLE_CLIP
    from midistyle.audio.sms import SinusoidalConfig
    from midistyle.audio.style_transfer import StyleTransferConfig

    default = StyleTransferConfig()
    return {
        "content (unchanged)": None,
        "style clip (reference)": STYLE_CLIP,
        "band equaliser only (previous default)": dataclasses.replace(default, cepstral_share=0.0),
        "stft default": default,
        "sms 24 sinusoids": SinusoidalConfig(sinusoids=24),
        "sms default (150 sinusoids)": SinusoidalConfig(),
    }


def run(quick: bool = False) -> list[dict]:
    from benchmarks.bench_style_transfer import evaluate
    from benchmarks.style_pairs import make_pairs

    first, count = (10, 2) if quick else (10, 10)
    return evaluate(make_pairs("valid", first + count)[first:], variants())
