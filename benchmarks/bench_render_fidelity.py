"""What the rendering tests check, as numbers: reproducibility, stems, pitch content, timbre.

- first-use difference: a fresh synthesizer rendering a chorale with preset settling skipped on
  purpose, against the settled render (the reason settling exists);
- order dependence: the same chorale rendered by two renderers after different pieces;
- stems: largest |sum of stems - mix|;
- chroma: mean per-frame correlation between the rendered chroma (librosa) and the score's pitch
  classes, organ ensemble, 22.05 kHz, and the same against the score shifted a semitone (control);
- timbre: mean spectral centroid of one melody on trumpet and on bassoon;
- DC: |mean| of each organ render over the whole piece, its first and last second, and, for scale,
  the largest |mean| of any 1-second window inside the piece (music itself is not zero-mean over a
  second).
With the embedded TimGM6mb SoundFont and with the default font (MuseScore General when installed).
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 22050


def _chroma_correlation(renderer, chorale, shift: int = 0) -> float:
    import librosa

    hop = 2048
    mono = renderer.render(chorale).audio.mean(axis=1)
    heard = librosa.feature.chroma_stft(y=mono, sr=SAMPLE_RATE, hop_length=hop, n_fft=4096)
    written = np.zeros_like(heard)
    seconds_per_step = 60 / chorale.tempo_qpm / chorale.steps_per_quarter
    for voice in chorale.voices:
        for note in voice.notes:
            start = int(note.onset_step * seconds_per_step * SAMPLE_RATE / hop)
            end = int(note.end_step * seconds_per_step * SAMPLE_RATE / hop)
            written[(note.pitch + shift) % 12, start : max(end, start + 1)] += 1
    frames = np.nonzero(written.sum(0) > 0)[0]
    return float(np.nanmean([np.corrcoef(heard[:, i], written[:, i])[0, 1] for i in frames]))


def run(quick: bool = False) -> list[dict]:
    from midistyle.audio.soundfonts import embedded_soundfont, resolve_soundfont

    fonts = {"TimGM6mb": str(embedded_soundfont())}
    if resolve_soundfont().resolve() != embedded_soundfont().resolve():
        fonts[resolve_soundfont().stem] = str(resolve_soundfont())
    rows = []
    for name, font in fonts.items():
        rows += [{"soundfont": name, **row} for row in _checks(font, quick)]
    return rows


def _checks(font: str, quick: bool) -> list[dict]:
    import librosa

    from midistyle.audio.render import RenderConfig, Renderer
    from midistyle.data.chorales import load_chorales
    from midistyle.music.score import Note, Score, make_voices

    config = RenderConfig(sample_rate=SAMPLE_RATE, soundfont=font, loudness_lufs=None, ceiling_dbfs=0.0)
    chorales = load_chorales("test")[: 2 if quick else 6]
    rows = []

    with Renderer(config) as settled:
        reference = settled.render(chorales[0]).audio
        peak = float(np.abs(reference).max())
    with Renderer(config) as unsettled:
        unsettled._settled_presets.extend((0, p) for p in range(128))  # skip settling on purpose
        first_use = float(np.abs(unsettled.render(chorales[0]).audio - reference).max())
    rows.append({"check": "first use, settling skipped (max abs diff)", "value": first_use,
                 "note": f"{20 * np.log10(first_use / peak):.0f} dB re peak {peak:.3f}"})
    with Renderer(config) as other:
        other.render(chorales[1])
        order = float(np.abs(other.render(chorales[0]).audio - reference).max())
        stems = other.render(chorales[0], stems=True)
    rows.append({"check": "same chorale after another piece (max abs diff)", "value": order, "note": ""})
    rows.append({"check": "stems sum vs mix (max abs diff)",
                 "value": float(np.abs(sum(stems.stems.values()) - stems.audio).max()), "note": ""})

    with Renderer(RenderConfig(sample_rate=SAMPLE_RATE, soundfont=font, ensemble="organ")) as organ:
        for chorale in chorales:
            own, shifted = _chroma_correlation(organ, chorale), _chroma_correlation(organ, chorale, 1)
            rows.append({"check": f"chroma correlation {chorale.title}", "value": round(own, 3),
                         "note": f"score shifted a semitone: {shifted:.3f}"})
        for chorale in chorales:
            rows.append({"check": f"DC {chorale.title}: |mean| whole / first s / last s",
                         "value": float(f"{_abs_mean(organ.render(chorale).audio):.2g}"),
                         "note": _dc_note(organ.render(chorale).audio)})

    melody = Score(make_voices([[Note(4 * i, 60 + (i * 5) % 12, 4) for i in range(8)]]))
    for instrument in ("trumpet", "bassoon"):
        with Renderer(RenderConfig(sample_rate=SAMPLE_RATE, soundfont=font, instruments=(instrument,))) as r:
            mono = r.render(melody).audio.mean(axis=1)
        centroid = float(np.mean(librosa.feature.spectral_centroid(y=mono, sr=SAMPLE_RATE)))
        rows.append({"check": f"spectral centroid, {instrument}", "value": round(centroid), "note": "Hz"})
    return rows


def _abs_mean(audio: np.ndarray) -> float:
    return float(np.abs(audio.mean(axis=0, dtype=np.float64)).max())


def _dc_note(audio: np.ndarray) -> str:
    second = SAMPLE_RATE
    inner = audio[second : (audio.shape[0] // second - 1) * second]
    windows = inner.reshape(-1, second, audio.shape[1]).mean(axis=1, dtype=np.float64)
    return (f"first s {_abs_mean(audio[:second]):.1e}, last s {_abs_mean(audio[-second:]):.1e}; "
            f"1-s windows inside the piece up to {np.abs(windows).max():.1e}")
