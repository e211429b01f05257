"""Our BS.1770-4 meter against pyloudnorm (the reference) on ten rendered chorales: agreement and time."""

from __future__ import annotations

import time


def run(quick: bool = False) -> list[dict]:
    import numpy as np
    import pyloudnorm

    from midistyle.audio.level import loudness_lufs
    from midistyle.audio.render import RenderConfig, Renderer
    from midistyle.audio.soundfonts import embedded_soundfont
    from midistyle.data.chorales import load_chorales

    rate = 44100
    with Renderer(RenderConfig(sample_rate=rate, soundfont=str(embedded_soundfont()), loudness_lufs=None)) as r:
        renders = [r.render(c).audio for c in load_chorales("test")[: 3 if quick else 10]]
    seconds = sum(a.shape[0] for a in renders) / rate
    started = time.perf_counter()
    reference = [pyloudnorm.Meter(rate).integrated_loudness(a.astype(np.float64)) for a in renders]
    reference_s = time.perf_counter() - started
    started = time.perf_counter()
    ours = [loudness_lufs(a, rate) for a in renders]
    ours_s = time.perf_counter() - started
    return [{"meter": "pyloudnorm", "audio_s": round(seconds), "wall_s": round(reference_s, 3), "max_diff_lu": 0.0},
            {"meter": "midistyle.audio.level", "audio_s": round(seconds), "wall_s": round(ours_s, 3),
             "max_diff_lu": float(f"{max(abs(a - b) for a, b in zip(reference, ours)):.2g}"),
             "speed-up": round(reference_s / ours_s, 1)}]
