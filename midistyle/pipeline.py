"""End-to-end jobs that the command line and notebooks call.

For now the demo reads the embedded melody, writes it back as MIDI and
MusicXML, draws its piano roll and renders it to WAV through FluidSynth; the
later stages (harmonize, stylize) will extend ``run_demo``.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from midistyle.errors import InputError
from midistyle.music.io import read_score, refuse_overwriting_input, write_score
from midistyle.music.plot import plot_pianoroll
from midistyle.music.score import Score


def embedded_melody_path() -> Path:
    """Path of the melody shipped in the package (Beethoven's "Ode to Joy", G major, 16 bars)."""
    return Path(str(resources.files("midistyle") / "assets" / "ode_to_joy.musicxml"))


def load_embedded_melody() -> Score:
    return read_score(embedded_melody_path())


def convert_score(source: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Read ``source`` and write it as ``target`` (format from each extension)."""
    source, target = Path(source), Path(target)
    refuse_overwriting_input(source, target)
    return write_score(read_score(source), target)


def run_demo(out_dir: str | os.PathLike) -> dict[str, Path]:
    """Run the demo job into ``out_dir``; return ``{what: path}`` of every output."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a directory")
    from midistyle.audio.files import write_audio
    from midistyle.audio.render import RenderConfig, Renderer

    melody = load_embedded_melody()
    outputs = {
        "melody MIDI": write_score(melody, out_dir / "melody.mid"),
        "melody MusicXML": write_score(melody, out_dir / "melody.musicxml"),
        "piano roll": plot_pianoroll(melody, out_dir / "melody_pianoroll.png"),
    }
    with Renderer(RenderConfig(instruments=("oboe",))) as renderer:
        rendering = renderer.render(melody)
    outputs["audio"] = write_audio(out_dir / "melody.wav", rendering.audio, rendering.sample_rate)
    return outputs

