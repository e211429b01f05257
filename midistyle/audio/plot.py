"""Draw spectrograms of several clips one above the other (content, style, result) to a PNG."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from midistyle.errors import InputError
from midistyle.music.plot import save_png

MAX_SECONDS = 30.0  # longer clips are drawn from their start only, so the figure stays readable


def plot_spectrograms(clips: dict[str, np.ndarray], sample_rate: int, path: str | os.PathLike, *,
                      n_fft: int = 2048, hop_length: int = 512, dots_per_inch: int = 110) -> Path:
    """Write a PNG with one log-frequency spectrogram (dB) per clip, titled by its key; return the path.

    Parameters
    ----------
    clips : dict of str to np.ndarray, each shape=(N,) mono at ``sample_rate``
    """
    import librosa
    import librosa.display
    from matplotlib.figure import Figure

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise InputError(f"{path}: figures are written as .png")
    figure = Figure(figsize=(10, 2.6 * len(clips)))
    axes = figure.subplots(len(clips), 1, squeeze=False)
    for axis, (name, audio) in zip(axes[:, 0], clips.items()):
        shown = audio[: int(MAX_SECONDS * sample_rate)]
        level_db = librosa.amplitude_to_db(np.abs(librosa.stft(shown, n_fft=n_fft, hop_length=hop_length)),
                                           ref=1.0, top_db=80.0)
        image = librosa.display.specshow(level_db, sr=sample_rate, hop_length=hop_length, x_axis="time",
                                         y_axis="log", ax=axis, vmin=-80, vmax=level_db.max())
        clipped = " (first 30 s)" if len(audio) > len(shown) else ""
        axis.set_title(f"{name}{clipped}", fontsize=10)
        figure.colorbar(image, ax=axis, format="%+.0f dB")
    return save_png(figure, path, dots_per_inch)
