"""Rendering speed: real-time factor (audio seconds / wall seconds) on Bach chorales.

midistyle's in-process renderer (one and two worker processes) beside the `fluidsynth` command line
and `pretty_midi.PrettyMIDI.fluidsynth`, all on the same MIDI files at 44.1 kHz, reverb and chorus off,
each writing a 16-bit WAV per file, with two SoundFonts: the embedded TimGM6mb and the default font
(MuseScore General when `make` installed it). Times include everything a user waits for: start-up,
SoundFont loading, synthesis, DC removal and level normalisation (midistyle only) and writing.

Per font, in the same run: the synthesis-only ceiling on two cores (twice the per-core speed of
FluidSynth's synthesis alone, from ``bench_render_profile``), the two-process rate as a multiple of
one process and as a share of that ceiling, and the first render in a new process (median of five).
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

BATCH_SIZE = 50


def _chorale_files(folder: Path, count: int) -> list[Path]:
    from midistyle.data.chorales import load_chorales
    from midistyle.music.io import write_score

    chorales = (load_chorales("test") + load_chorales("valid"))[:count]
    return [write_score(c, folder / f"{c.title}.mid") for c in chorales]


def _audio_seconds(paths: list[Path]) -> float:
    import soundfile

    return sum(soundfile.info(str(p)).duration for p in paths)


def _midistyle(files, out: Path, sample_rate: int, soundfont: str, workers: int) -> list[Path]:
    from midistyle.audio.batch import plan_jobs, render_files
    from midistyle.audio.render import RenderConfig

    config = RenderConfig(sample_rate=sample_rate, soundfont=soundfont)
    out.mkdir(parents=True, exist_ok=True)
    return render_files(plan_jobs(files, out), config, workers=workers, progress=False)


def _fluidsynth_cli(files, out: Path, sample_rate: int, soundfont: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in files:
        target = out / f"{path.stem}.wav"
        subprocess.run(["fluidsynth", "-ni", "-R", "0", "-C", "0", "-g", "0.5", "-r", str(sample_rate),
                        "-F", str(target), soundfont, str(path)], check=True, capture_output=True)
        written.append(target)
    return written


def _pretty_midi(files, out: Path, sample_rate: int, soundfont: str) -> list[Path]:
    import pretty_midi
    import soundfile

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in files:
        audio = pretty_midi.PrettyMIDI(str(path)).fluidsynth(fs=sample_rate, sf2_path=soundfont)
        target = out / f"{path.stem}.wav"
        soundfile.write(str(target), audio, sample_rate, subtype="PCM_16")
        written.append(target)
    return written


def run(quick: bool = False) -> list[dict]:
    from midistyle.audio.decoded_soundfont import playable_soundfont
    from midistyle.audio.soundfonts import embedded_soundfont, resolve_soundfont

    fonts = {"TimGM6mb (embedded)": str(embedded_soundfont())}
    default = resolve_soundfont()
    playable_soundfont(default)  # an SF3 is decoded once per machine (at setup): not part of the timings
    if default.resolve() != embedded_soundfont().resolve():
        fonts[f"{default.stem} (default)"] = str(default)
    batch = 4 if quick else BATCH_SIZE
    sample_rate = 44100
    rows = []
    with tempfile.TemporaryDirectory(prefix="midistyle-bench-") as folder:
        files = _chorale_files(Path(folder), batch)
        _midistyle(files[:1], Path(folder) / "warm", sample_rate, fonts["TimGM6mb (embedded)"], 1)  # page cache
        for font_name, soundfont in fonts.items():
            methods = {
                "midistyle (1 process)": lambda f, o, font=soundfont: _midistyle(f, o, sample_rate, font, 1),
                "midistyle (2 processes)": lambda f, o, font=soundfont: _midistyle(f, o, sample_rate, font, 2),
                "fluidsynth CLI": lambda f, o, font=soundfont: _fluidsynth_cli(f, o, sample_rate, font),
                "pretty_midi.fluidsynth": lambda f, o, font=soundfont: _pretty_midi(f, o, sample_rate, font),
            }
            for label, files_used in (("1 chorale", files[:1]), (f"{len(files)} chorales", files)):
                for method, function in methods.items():
                    if method.endswith("(2 processes)") and len(files_used) == 1:
                        continue
                    out = Path(folder) / f"{font_name[:8]}-{method[:9].strip()}-{len(files_used)}"
                    started = time.perf_counter()
                    written = function(files_used, out)
                    wall = time.perf_counter() - started
                    audio = _audio_seconds(written)
                    rows.append({"soundfont": font_name, "files": label, "method": method,
                                 "audio_s": round(audio, 1), "wall_s": round(wall, 2),
                                 "real_time_factor": round(audio / wall, 1)})
            rows += _scaling_rows(font_name, soundfont, files, rows)
    return rows


_SIDE_BY_SIDE = """
import sys, time
from midistyle.audio.render import RenderConfig, Renderer
renderer = Renderer(RenderConfig(soundfont=sys.argv[1]))
renderer.render(sys.argv[3])  # warm: font loaded, preset settled
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
started, audio = time.perf_counter(), 0.0
for path in sys.argv[3:]:
    rendering = renderer.render(path)
    audio += rendering.seconds
print(audio, time.perf_counter() - started)
"""


def _side_by_side(soundfont: str, files: list[Path], processes: int) -> float:
    """Real-time factor of ``processes`` warmed renderers started at one instant, no pool, no writing.

    What the machine gives two renderers that share nothing but its memory system and caches.
    """
    import sys

    start_at = time.time() + 8.0  # after every process has imported and warmed up
    shares = [files[i::processes] for i in range(processes)]
    running = [subprocess.Popen([sys.executable, "-c", _SIDE_BY_SIDE, soundfont, str(start_at),
                                 *map(str, share)], stdout=subprocess.PIPE, text=True) for share in shares]
    results = [tuple(map(float, p.communicate()[0].split())) for p in running]
    return sum(audio for audio, _ in results) / max(wall for _, wall in results)


def _scaling_rows(font_name: str, soundfont: str, files: list[Path], rows: list[dict]) -> list[dict]:
    """Two processes against one, against two bare renderers side by side and against the
    synthesis-only ceiling; the first render."""
    from benchmarks.bench_render_profile import profile_font

    profile = profile_font(soundfont, files[:10])
    ceiling = 2 * profile["synthesis alone x real time"]
    bare_one = _side_by_side(soundfont, files, 1)
    bare_two = _side_by_side(soundfont, files, 2)
    many = f"{len(files)} chorales"
    rate = {row["method"]: row["real_time_factor"] for row in rows
            if row["soundfont"] == font_name and row["files"] == many}
    one, two = rate["midistyle (1 process)"], rate["midistyle (2 processes)"]
    return [{"soundfont": font_name, "files": "10 chorales", "method": "synthesis alone, 2 cores (ceiling)",
             "real_time_factor": ceiling},
            {"soundfont": font_name, "files": many, "method": "1 bare renderer (warm, no writing)",
             "real_time_factor": round(bare_one, 1)},
            {"soundfont": font_name, "files": many, "method": "2 bare renderers side by side",
             "real_time_factor": f"{bare_two:.1f} ({bare_two / bare_one:.2f}x one)"},
            {"soundfont": font_name, "files": many, "method": "2 processes / 1 process",
             "real_time_factor": f"{two / one:.2f}x (target 1.8x)"},
            {"soundfont": font_name, "files": many, "method": "2 processes / ceiling",
             "real_time_factor": f"{two / ceiling:.0%} (target 85 %)"},
            {"soundfont": font_name, "files": "1 chorale", "method": "first render, new process (median of 5)",
             "wall_s": profile["first render s (new process)"]},
            {"soundfont": font_name, "files": "1 chorale", "method": "same file, warm",
             "wall_s": profile["same file warm s"]}]
