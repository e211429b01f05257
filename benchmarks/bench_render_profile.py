"""Where a render's time goes, per font: FluidSynth's synthesis against everything else.

Ten test chorales as MIDI files with their own instrument (program 0, the grand piano), 44.1 kHz.
The first render is timed in new processes (median of 5), imports included (font loading, the piano's samples
read, every key settled), beside a warm render of the same file; then one renderer plays the other
nine, with the time spent inside FluidSynth's ``fluid_synth_write_float`` measured: that is the
synthesis-only ceiling (real time per core). An SF3 is read from its decoded SF2
(``midistyle.audio.decoded_soundfont``), built before timing. Run alone.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

FIRST_RENDER_PROCESSES = 5  # the first render is the median over this many new processes


def profile_font(font: str, files: list[Path]) -> dict:
    """First render in a fresh renderer, then synthesis's share of the others and its speed alone.

    The first render is timed in new processes (imports included), as a user of ``midistyle render``
    meets it: the median of ``FIRST_RENDER_PROCESSES``, since one process's time moves by 10-20 %
    between runs on this machine; the rest in this one.
    """
    import subprocess
    import sys

    import numpy as np

    from midistyle.audio.render import RenderConfig, Renderer

    first_script = ("import sys, time; started = time.perf_counter(); "
                    "from midistyle.audio.render import RenderConfig, Renderer; "
                    "Renderer(RenderConfig(soundfont=sys.argv[1])).render(sys.argv[2]); "
                    "print(time.perf_counter() - started)")
    firsts = [float(subprocess.run([sys.executable, "-c", first_script, font, str(files[0])], check=True,
                                   capture_output=True, text=True).stdout.split()[-1])
              for _ in range(FIRST_RENDER_PROCESSES)]
    first = float(np.median(firsts))
    renderer = Renderer(RenderConfig(soundfont=font))
    renderer.render(files[0])  # this process's first render
    warm_started = time.perf_counter()
    renderer.render(files[0])
    warm = time.perf_counter() - warm_started
    synthesis = [0.0]
    inner = renderer._render_into

    def timed(block, inner=inner, synthesis=synthesis):
        begun = time.perf_counter()
        inner(block)
        synthesis[0] += time.perf_counter() - begun

    renderer._render_into = timed
    started, audio = time.perf_counter(), 0.0
    for path in files[1:]:
        audio += renderer.render(path).seconds
    total = time.perf_counter() - started
    renderer.close()
    return {"first render s (new process)": round(first, 2), "same file warm s": round(warm, 2),
            "files": len(files) - 1, "real_time_factor": round(audio / total),
            "synthesis share": f"{synthesis[0] / total:.0%}",
            "synthesis alone x real time": round(audio / synthesis[0])}


def run(quick: bool = False) -> list[dict]:
    from midistyle.audio.decoded_soundfont import playable_soundfont
    from midistyle.audio.soundfonts import embedded_soundfont, resolve_soundfont
    from midistyle.data.chorales import load_chorales
    from midistyle.music.io import write_score

    fonts = {"TimGM6mb": str(embedded_soundfont())}
    if resolve_soundfont().resolve() != embedded_soundfont().resolve():
        fonts[resolve_soundfont().stem] = str(resolve_soundfont())
    rows = []
    with tempfile.TemporaryDirectory(prefix="midistyle-profile-") as folder:
        files = [write_score(c, Path(folder) / f"{c.title}.mid") for c in load_chorales("test")[: 3 if quick else 10]]
        for name, font in fonts.items():
            playable_soundfont(Path(font))  # decode once, outside the timings
            rows.append({"soundfont": name, **profile_font(font, files)})
    return rows
