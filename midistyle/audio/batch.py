"""Render many score files to audio files: inputs checked first, one Renderer per worker process.

Every input is read and checked before anything is rendered, so a bad file
stops the batch with one error and no output at all. Each worker process
loads the SoundFont once and renders its share; a progress bar counts files.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from midistyle.audio.files import audio_subtype, write_audio
from midistyle.audio.render import RenderConfig, Renderer, playable_tracks
from midistyle.errors import InputError
from midistyle.music.io import refuse_overwriting_input


@dataclass(frozen=True)
class RenderJob:
    """One input and where its mix (and stems, named ``<stem>.<voice>.<ext>``) go."""

    source: Path
    target: Path

    def stem_path(self, voice: str) -> Path:
        return self.target.with_name(f"{self.target.stem}.{voice}{self.target.suffix}")


def plan_jobs(sources: Sequence[str | os.PathLike], out: str | os.PathLike, *,
              audio_format: str = "wav") -> list[RenderJob]:
    """Decide output paths: ``out`` is a file for one input, else a folder (``<name>.<format>`` inside).

    Raises
    ------
    InputError
        No inputs, an output that is not a folder for several inputs, two inputs with one name,
        or an output that would overwrite an input.
    """
    if not sources:
        raise InputError("no input files given")
    out = Path(out)
    as_folder = len(sources) > 1 or out.is_dir() or str(out).endswith(("/", os.sep))
    if len(sources) > 1 and out.exists() and not out.is_dir():
        raise InputError(f"{out}: several inputs need an output folder, and this is a file")
    jobs = [RenderJob(Path(s), out / f"{Path(s).stem}.{audio_format}" if as_folder else out) for s in sources]
    targets = [job.target for job in jobs]
    if len(set(targets)) != len(targets):
        raise InputError(f"{out}: two inputs share a file name; render them into different folders")
    for job in jobs:
        refuse_overwriting_input(job.source, job.target)
    return jobs


def render_files(jobs: Sequence[RenderJob], config: RenderConfig, *, stems: bool = False,
                 bits: str = "16", workers: int = 1, progress: bool = True) -> list[Path]:
    """Render every job; return the paths written (mixes, then stems, in job order).

    Parameters
    ----------
    jobs : sequence of RenderJob
    config : RenderConfig
    stems : bool, keyword-only
        Also write one file per voice beside each mix.
    bits : str, keyword-only
        ``"16"``, ``"24"`` or ``"float"``.
    workers : int, keyword-only
        Processes to render in; each loads the SoundFont once.
    progress : bool, keyword-only
        Show a progress bar on stderr.
    """
    from tqdm import tqdm

    for job in jobs:  # check every input and output before any work
        audio_subtype(job.target, bits, sample_rate=config.sample_rate)
        playable_tracks(job.source, config)
    workers = max(1, min(workers, len(jobs)))
    bar = tqdm(total=len(jobs), desc="rendering", unit="file", disable=not progress)
    written: list[list[Path]] = [[] for _ in jobs]
    if workers == 1:
        with Renderer(config) as renderer:
            for index, job in enumerate(jobs):
                written[index] = _render_one(renderer, job, stems, bits)
                bar.update()
    else:
        # spawn, not fork: a forked child would inherit FluidSynth's threads and locks mid-state
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=spawn, initializer=_start_worker,
                                 initargs=(config,)) as pool:
            futures = {pool.submit(_render_in_worker, job, stems, bits): i for i, job in enumerate(jobs)}
            for future in as_completed(futures):
                written[futures[future]] = future.result()
                bar.update()
    bar.close()
    return [path for paths in written for path in paths]


_worker_renderer: Renderer | None = None  # one per worker process, SoundFont loaded once


def _start_worker(config: RenderConfig) -> None:
    global _worker_renderer
    _worker_renderer = Renderer(config)


def _render_in_worker(job: RenderJob, stems: bool, bits: str) -> list[Path]:
    return _render_one(_worker_renderer, job, stems, bits)


def _render_one(renderer: Renderer, job: RenderJob, stems: bool, bits: str) -> list[Path]:
    rendering = renderer.render(job.source, stems=stems)
    paths = [write_audio(job.target, rendering.audio, rendering.sample_rate, bits=bits)]
    for voice, audio in rendering.stems.items():
        paths.append(write_audio(job.stem_path(voice), audio, rendering.sample_rate, bits=bits))
    return paths
