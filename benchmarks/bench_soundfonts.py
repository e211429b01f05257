"""SoundFonts side by side: file size, load time (whole font, and with dynamic sample loading as the
renderer does it), render speed and DC offset on 10 test chorales at 44.1 kHz (organ ensemble, one
process, loudness normalisation on), for every General MIDI font installed on this machine.

The default font was chosen from this table (see soundfonts/README.md).
"""

from __future__ import annotations

import time
from pathlib import Path

CANDIDATES = ("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3", "/usr/share/sounds/sf3/MuseScore_General.sf3",
              "/usr/share/sounds/sf2/FluidR3_GM.sf2")


def _load_seconds(path: str, dynamic: bool) -> float:
    from midistyle.audio.render import _import_fluidsynth

    fluidsynth = _import_fluidsynth()
    started = time.perf_counter()
    synth = fluidsynth.Synth(samplerate=44100.0, **{"synth.dynamic-sample-loading": int(dynamic)})
    font = synth.sfload(path)
    synth.program_select(0, font, 0, 19)  # church organ: dynamic loading decodes it here
    seconds = time.perf_counter() - started
    synth.delete()
    return seconds


def run(quick: bool = False) -> list[dict]:
    import numpy as np

    from midistyle.audio.render import RenderConfig, Renderer
    from midistyle.audio.soundfonts import embedded_soundfont
    from midistyle.data.chorales import load_chorales

    chorales = load_chorales("test")[: 2 if quick else 10]
    fonts = {}  # one path per distinct file (Debian links one name to another)
    for path in (str(embedded_soundfont()), *CANDIDATES):
        if Path(path).is_file():
            fonts.setdefault(Path(path).resolve(), path)
    rows = []
    for path in fonts.values():
        load_all, load_dynamic = _load_seconds(path, False), _load_seconds(path, True)
        with Renderer(RenderConfig(soundfont=path, ensemble="organ")) as renderer:
            renderer.render(chorales[0])  # settles the organ preset once
            started, audio_seconds, offsets = time.perf_counter(), 0.0, []
            for chorale in chorales:
                rendering = renderer.render(chorale)
                audio_seconds += rendering.seconds
                offsets.append(float(np.abs(rendering.audio.mean(axis=0, dtype=np.float64)).max()))
            wall = time.perf_counter() - started
        rows.append({"soundfont": Path(path).name, "size_mb": round(Path(path).stat().st_size / 1e6, 1),
                     "load_whole_s": round(load_all, 2), "load_dynamic_s": round(load_dynamic, 3),
                     "render_x_real_time": round(audio_seconds / wall, 1),
                     "max_abs_mean": float(f"{max(offsets):.2g}")})
    return rows
