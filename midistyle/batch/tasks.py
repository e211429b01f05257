"""What one worker does to one input, for each batch command. Models load once per worker.

A task class knows its input extensions and its output paths without loading anything (the
driver plans the whole batch with them); an instance holds what the work needs (the harmonizer,
a FluidSynth renderer, the style clip) and is built once in each worker process or Ray actor.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path

from midistyle.batch.inputs import BatchInput
from midistyle.errors import MidistyleError
from midistyle.music.io import SCORE_EXTENSIONS

AUDIO_INPUT_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")


class HarmonizeTask:
    """``OUT/<relative>.mid`` (and ``.musicxml``, ``.svg`` when asked): the melody harmonized."""

    extensions = SCORE_EXTENSIONS + AUDIO_INPUT_EXTENSIONS  # recordings are transcribed first

    @staticmethod
    def output_paths(item: BatchInput, out_dir: Path, options: dict) -> list[Path]:
        base = out_dir / item.relative
        return [base.with_suffix(".mid")] + ([base.with_suffix(".musicxml")] if options.get("musicxml") else []) \
            + ([base.with_suffix(".svg")] if options.get("svg") else [])

    def __init__(self, options: dict) -> None:
        from midistyle.models.harmonize import Harmonizer

        self.options = options
        self.harmonizer = Harmonizer.load()

    def run(self, source: Path, outputs: list[Path]) -> dict:
        from midistyle.music.io import write_atomically, write_score
        from midistyle.music.keys import key_warning
        from midistyle.music.score import Key
        from midistyle.pipeline import read_melody_input

        notes: list[str] = []
        melody = read_melody_input(source, track=self.options.get("track"), tune=self.options.get("tune"),
                             top_line=self.options.get("top_line", False), report=notes.append)
        key = self.options.get("key")
        warning = key_warning(melody.score, Key.parse(key)) if key else None
        if warning:
            notes.append(warning)
        result = self.harmonizer.harmonize(melody.score, seed=self.options.get("seed", 0),
                                           temperature=self.options.get("temperature", 0.0),
                                           decoder=self.options.get("decoder", "joint"),
                                           key=Key.parse(key) if key else None)[0]
        score = melody.with_exact_soprano(result.score).replace(
            title=f"{melody.score.title or source.stem} (harmonized)")
        svg = None
        if any(p.suffix == ".svg" for p in outputs):
            from midistyle.music.engrave import EngraveConfig, engrave_svg, stack_pages

            svg = stack_pages(engrave_svg(score, EngraveConfig(long_page=True)))
        for path in outputs:
            if path.suffix == ".svg":
                write_atomically(path, lambda temporary: temporary.write_text(svg))
            else:
                write_score(score, path)
        return {"notes": notes, "key": str(result.placement.key), "key_source": result.placement.key_source or "given",
                "critic": round(result.critic_score, 4)}


class RenderTask:
    """``OUT/<relative>.<format>``: the score rendered through FluidSynth."""

    extensions = SCORE_EXTENSIONS

    @staticmethod
    def output_paths(item: BatchInput, out_dir: Path, options: dict) -> list[Path]:
        return [(out_dir / item.relative).with_suffix("." + options.get("format", "wav"))]

    def __init__(self, options: dict) -> None:
        from midistyle.audio.render import RenderConfig, Renderer

        self.options = options
        self.renderer = Renderer(RenderConfig(**options.get("render", {})))

    def run(self, source: Path, outputs: list[Path]) -> dict:
        from midistyle.audio.files import write_audio

        rendering = self.renderer.render(source)
        write_audio(outputs[0], rendering.audio, rendering.sample_rate, bits=self.options.get("bits", "16"))
        return {"audio_seconds": round(rendering.seconds, 3)}


class StylizeTask:
    """``OUT/<relative>.wav``: the audio with the style clip's timbre."""

    extensions = AUDIO_INPUT_EXTENSIONS

    @staticmethod
    def output_paths(item: BatchInput, out_dir: Path, options: dict) -> list[Path]:
        return [(out_dir / item.relative).with_suffix(".wav")]

    def __init__(self, options: dict) -> None:
        from midistyle.audio.files import read_audio
        from midistyle.audio.stylize import default_config

        self.style, self.style_rate = read_audio(options["style"])
        self.config = default_config(options.get("method", "stft"))

    def run(self, source: Path, outputs: list[Path]) -> dict:
        from midistyle.audio.files import read_audio, write_audio
        from midistyle.audio.stylize import stylize

        content, rate = read_audio(source)
        result = stylize(content, rate, self.style, self.style_rate, config=self.config)
        write_audio(outputs[0], result.audio, result.sample_rate)
        return {"notes": list(result.notes)}


class EvaluateTask:
    """No file per input: its symbolic metrics go into the manifest, then ``metrics.csv``/``.json``."""

    extensions = SCORE_EXTENSIONS

    @staticmethod
    def output_paths(item: BatchInput, out_dir: Path, options: dict) -> list[Path]:
        return []

    def __init__(self, options: dict) -> None:
        self.options = options

    def run(self, source: Path, outputs: list[Path]) -> dict:
        from midistyle.music.io import read_score
        from midistyle.music.metrics import compute_metrics

        return {"metrics": {k: round(float(v), 6) for k, v in compute_metrics(read_score(source)).items()}}


TASKS = {"harmonize": HarmonizeTask, "render": RenderTask, "stylize": StylizeTask, "evaluate": EvaluateTask}


def run_one(task, source: str, outputs: list[str]) -> dict:
    """Do one input and return its manifest record; an error is recorded, never raised."""
    started = time.perf_counter()
    record = {"input": source, "outputs": outputs, "status": "ok", "error": None}
    try:
        record.update(task.run(Path(source), [Path(p) for p in outputs]))
    except MidistyleError as error:  # a model's error does not know the file: the record names it
        message = str(error)
        record.update(status="error", error=message if message.startswith(source) else f"{source}: {message}")
    except Exception as error:  # a bug on one input must not stop the corpus
        last = traceback.extract_tb(error.__traceback__)[-1]
        record.update(status="error", error=f"internal error ({type(error).__name__}: {error} at "
                                            f"{Path(last.filename).name}:{last.lineno})")
    record["seconds"] = round(time.perf_counter() - started, 3)
    return record
