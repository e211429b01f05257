"""Where a render's time goes, per font: FluidSynth's synthesis against everything else.

Ten test chorales as MIDI files with their own instrument (program 0, the grand piano), 44.1 kHz,
one renderer: the first render (font loading, the piano's samples decoded, every key settled) apart,
then the other nine, with the time spent inside FluidSynth's ``fluid_synth_write_float`` measured.
Run alone.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path


def run(quick: bool = False) -> list[dict]:
    from midistyle.audio.render import RenderConfig, Renderer
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
            started = time.perf_counter()
            renderer = Renderer(RenderConfig(soundfont=font))
            renderer.render(files[0])
            first = time.perf_counter() - started
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
            rows.append({"soundfont": name, "first render s (load, decode, settle)": round(first, 2),
                         "files": len(files) - 1, "real_time_factor": round(audio / total),
                         "synthesis share": f"{synthesis[0] / total:.0%}",
                         "synthesis alone x real time": round(audio / synthesis[0])})
    return rows
