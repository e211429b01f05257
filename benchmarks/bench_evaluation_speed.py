"""How long the yardstick takes: symbolic metrics per chorale, classifier load and throughput, audio metrics.

librosa compiles with numba on first use, so every audio function is called once before timing.
"""

from __future__ import annotations

import time


def _seconds(function, repeat: int = 1) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - started) / repeat


def run(quick: bool = False) -> list[dict]:
    from midistyle.audio import metrics as audio_metrics
    from midistyle.audio.render import render
    from midistyle.data.chorales import load_chorales
    from midistyle.evaluation.classifier import StyleClassifier
    from midistyle.evaluation.report import set_windows
    from midistyle.keras_backend import import_keras
    from midistyle.music.metrics import compute_metrics

    test = load_chorales("test")[: 8 if quick else None]
    rows = [{"what": "all symbolic metrics, per test chorale",
             "value": round(1000 * _seconds(lambda: [compute_metrics(c) for c in test]) / len(test), 1),
             "unit": "ms"}]
    started = time.perf_counter()
    import_keras()
    rows.append({"what": "import Keras + TensorFlow (0 if an earlier benchmark did)",
                 "value": round(time.perf_counter() - started, 2), "unit": "s"})
    started = time.perf_counter()
    classifier = StyleClassifier.load()
    rows.append({"what": "style classifier load", "value": round(time.perf_counter() - started, 2), "unit": "s"})
    windows = set_windows(test)
    classifier.embed_and_classify(windows[:8])  # warm the graph
    seconds = _seconds(lambda: classifier.embed_and_classify(windows))
    rows.append({"what": f"classifier embed+classify ({len(windows)} windows)", "value": round(len(windows) / seconds),
                 "unit": "windows/s"})
    audio = render(test[0], sample_rate=22050)
    reference = render(test[1], sample_rate=22050)[: len(audio)]
    if len(reference) < len(audio):
        audio = audio[: len(reference)]
    audio_metrics.audio_metrics(audio[:22050], 22050, content=reference[:22050])  # numba warm-up
    seconds = _seconds(lambda: audio_metrics.audio_metrics(audio, 22050, content=reference, target=reference,
                                                           style=reference))
    rows.append({"what": f"audio_metrics with 3 references, {len(audio) / 22050:.1f} s at 22.05 kHz",
                 "value": round(seconds, 2), "unit": "s"})
    rows.append({"what": "  = real-time factor", "value": round(len(audio) / 22050 / seconds, 1), "unit": "x"})
    return rows
