"""Ground-truth timbre-transfer triples from MIDI, the evaluation of Cífka et al. (ICASSP 2021).

A style-transfer method gets a *content* recording and a *style* recording and should return the
content's notes played with the style's timbre. With MIDI and a synthesizer that answer exists:

* ``content`` — score A played with program ``content_program``;
* ``style``   — a different score B played with ``target_program``;
* ``target``  — score A played with ``target_program``: the true answer.

Every voice of a score gets the same program, so the timbre is one instrument's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from midistyle.audio.instruments import program_of
from midistyle.audio.render import RenderConfig, Renderer
from midistyle.errors import InputError
from midistyle.music.score import Score


@dataclass(frozen=True)
class TimbrePair:
    """Audio of one triple, each shape=(N, 2) float32 at ``sample_rate``."""

    content: np.ndarray
    style: np.ndarray
    target: np.ndarray
    sample_rate: int
    content_program: int
    target_program: int


def render_with_program(renderer: Renderer, score: Score, program: int) -> np.ndarray:
    """``score`` rendered with every voice on one General MIDI program, shape=(N, 2)."""
    voices = tuple(v.__class__(v.name, v.notes, program) for v in score.voices)
    return renderer.render(score.replace(voices=voices)).audio


def make_timbre_pair(
    content_score: Score,
    style_score: Score,
    *,
    content_program: int | str,
    target_program: int | str,
    sample_rate: int = 22050,
    soundfont: str | None = None,
) -> TimbrePair:
    """Render the triple (content, style, target) for two scores and two programs.

    Parameters
    ----------
    content_score, style_score : Score
        Different pieces (the style example must not contain the answer's notes).
    content_program, target_program : int or str
        General MIDI numbers (0-127) or names (``"violin"``); they must differ.
    """
    content_program, target_program = program_of(content_program), program_of(target_program)
    if content_program == target_program:
        raise InputError(f"content and target programs are both {content_program}; a pair needs two timbres")
    if content_score == style_score:
        raise InputError("the style example must be a different score from the content")
    config = RenderConfig(sample_rate=sample_rate, soundfont=soundfont, tail_seconds=0.5)
    with Renderer(config) as renderer:
        return TimbrePair(
            content=render_with_program(renderer, content_score, content_program),
            style=render_with_program(renderer, style_score, target_program),
            target=render_with_program(renderer, content_score, target_program),
            sample_rate=sample_rate,
            content_program=content_program,
            target_program=target_program,
        )
