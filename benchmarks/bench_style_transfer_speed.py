"""Style-transfer speed and peak memory for 3, 10 and 30 s of 22.05 kHz audio: default vs published.

Each measurement runs in a fresh Python process (peak memory is that process's maximum resident
set size, imports included) after a warm-up call on 1 s of audio. The content is a rendered
test-split chorale (looped to length), the style the embedded cello clip. The published settings
run 300 L-BFGS iterations; at 10 s and 30 s that takes many minutes, so there they run
``PUBLISHED_ITERATIONS_MEASURED`` iterations, once more with none, and the row gives the fixed
cost plus the per-iteration cost times 300 (constant per iteration), marked as projected.
"""

from __future__ import annotations

import json
import subprocess
import sys

LENGTHS_SECONDS = (3, 10, 30)
PUBLISHED_ITERATIONS_MEASURED = 20

CHILD = r"""
import json, resource, sys, time, dataclasses
import numpy as np
from midistyle.audio.files import read_audio
from midistyle.audio.render import RenderConfig, Renderer
from midistyle.audio.soundfonts import embedded_soundfont
from midistyle.audio.style_transfer import PUBLISHED, StyleTransferConfig
from midistyle.audio.stylize import stylize
from midistyle.data.chorales import load_chorales
from midistyle.pipeline import embedded_style_clip_path

seconds, which, iterations = float(sys.argv[1]), sys.argv[2], int(sys.argv[3])
config = dataclasses.replace(PUBLISHED if which == "published" else StyleTransferConfig(), iterations=iterations)
with Renderer(RenderConfig(sample_rate=22050, ensemble="organ", soundfont=str(embedded_soundfont()))) as r:
    chorale = r.render(load_chorales("test")[0]).audio.mean(axis=1)
content = np.tile(chorale, int(np.ceil(seconds * 22050 / len(chorale))))[: int(seconds * 22050)]
style, style_rate = read_audio(embedded_style_clip_path())
stylize(content[:22050], 22050, style, style_rate, config=dataclasses.replace(config, iterations=1,
        griffin_lim_iterations=1))
start = time.perf_counter()
stylize(content, 22050, style, style_rate, config=config)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(seconds: float, which: str, iterations: int) -> dict:
    result = subprocess.run([sys.executable, "-c", CHILD, str(seconds), which, str(iterations)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[dict]:
    from midistyle.audio.style_transfer import PUBLISHED, StyleTransferConfig

    rows = []
    for seconds in (3,) if quick else LENGTHS_SECONDS:
        default = measure(seconds, "default", StyleTransferConfig().iterations)
        rows.append({"audio_s": seconds, "settings": "default", "wall_s": default["seconds"],
                     "x_real_time": seconds / default["seconds"], "peak_mb": default["peak_mb"]})
        full = seconds == 3 and not quick
        iterations = PUBLISHED.iterations if full else PUBLISHED_ITERATIONS_MEASURED
        published = measure(seconds, "published", iterations)
        total, label = published["seconds"], "published"
        if not full:  # fixed cost (STFT, Griffin-Lim 500) + per-iteration cost x 300
            fixed = measure(seconds, "published", 0)["seconds"]
            total = fixed + (published["seconds"] - fixed) * PUBLISHED.iterations / iterations
            label = f"published (projected from {iterations} iterations)"
        rows.append({"audio_s": seconds, "settings": label, "wall_s": total, "x_real_time": seconds / total,
                     "peak_mb": published["peak_mb"]})
    return rows
