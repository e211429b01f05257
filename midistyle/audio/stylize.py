"""Style transfer on arrays and files: choose the method, check the input, write the result.

``stylize`` is the public entry point on arrays; ``stylize_file`` is what ``midistyle stylize``
runs. Both methods work at one sample rate (22 050 Hz unless configured) in mono: inputs at other
rates or with several channels are converted, and the returned notes say so.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from midistyle.audio.sms import SinusoidalConfig, transfer_style_sms
from midistyle.audio.spectral import PreparedAudio, prepare_audio
from midistyle.audio.style_transfer import StyledAudio, StyleTransferConfig, transfer_style
from midistyle.errors import InputError

METHODS = ("stft", "sms")


def default_config(method: str) -> StyleTransferConfig | SinusoidalConfig:
    if method not in METHODS:
        raise InputError(f"method={method!r} must be one of {', '.join(METHODS)}")
    return StyleTransferConfig() if method == "stft" else SinusoidalConfig()


def working_rate(config: StyleTransferConfig | SinusoidalConfig) -> int:
    return (config.transfer if isinstance(config, SinusoidalConfig) else config).sample_rate


def stylize(content: np.ndarray, content_rate: int, style: np.ndarray, style_rate: int, *,
            config: StyleTransferConfig | SinusoidalConfig | None = None, progress: bool = False) -> StyledAudio:
    """The content's notes with the style's timbre.

    Parameters
    ----------
    content, style : np.ndarray, shape=(N,) or (N, channels)
        Float audio in [-1, 1]; any length, rate and channel count.
    content_rate, style_rate : int
        Their sample rates in Hz.
    config : StyleTransferConfig (method stft, the default) or SinusoidalConfig (method sms)

    Returns
    -------
    StyledAudio
        Mono audio at the configured working rate, shape=(N',), with notes on every conversion.
    """
    config = config or StyleTransferConfig()
    rate = working_rate(config)
    prepared_content = prepare_audio(content, content_rate, target_rate=rate, what="content")
    prepared_style = prepare_audio(style, style_rate, target_rate=rate, what="style")
    return _run(prepared_content, prepared_style, config, progress)


def _run(content: PreparedAudio, style: PreparedAudio, config, progress: bool) -> StyledAudio:
    if isinstance(config, SinusoidalConfig):
        return transfer_style_sms(content, style, config, progress=progress)
    return transfer_style(content, style, config, progress=progress)


def stylize_file(content_path: str | os.PathLike, style_path: str | os.PathLike, out_path: str | os.PathLike, *,
                 config: StyleTransferConfig | SinusoidalConfig | None = None,
                 figure: str | os.PathLike | None = None, bits: str = "16", progress: bool = True,
                 report=print) -> list[Path]:
    """Read two audio files, restyle, and write ``out_path`` (and a spectrogram PNG when ``figure`` is given).

    Every check happens before the work, and nothing is written unless everything succeeded.
    """
    from midistyle.audio.files import audio_subtype, read_audio, write_audio
    from midistyle.music.io import refuse_overwriting_input

    audio_subtype(out_path, bits)
    if figure is not None and Path(figure).suffix.lower() != ".png":
        raise InputError(f"{figure}: figures are written as .png")
    for target in [out_path] + ([figure] if figure is not None else []):
        for source in (content_path, style_path):
            refuse_overwriting_input(source, target)
    content, content_rate = read_audio(content_path)
    style, style_rate = read_audio(style_path)
    result = stylize(content, content_rate, style, style_rate, config=config, progress=progress)
    for note in result.notes:
        report(note)
    drawn = write_figure(figure, result) if figure is not None else None  # first: drawing can fail too
    try:
        written = [write_audio(out_path, result.audio, result.sample_rate, bits=bits)]
    except BaseException:
        if drawn is not None:  # no figure without its audio
            drawn.unlink(missing_ok=True)
        raise
    report(f"{written[0]}  ({len(result.audio) / result.sample_rate:.1f} s, {result.sample_rate} Hz mono)")
    if drawn is not None:
        written.append(drawn)
        report(str(drawn))
    return written


def write_figure(path: str | os.PathLike, result: StyledAudio) -> Path:
    """Spectrograms of the content and style as processed, and of the result."""
    from midistyle.audio.plot import plot_spectrograms

    clips = {"content": result.content, "style": result.style, "result": result.audio}
    return plot_spectrograms(clips, result.sample_rate, path)
