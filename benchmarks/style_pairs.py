"""Ground-truth timbre-transfer pairs for the style-transfer benchmarks (Cífka et al.'s protocol).

Pair i takes chorale i of a split and the one half the split further on, keeps their first two bars,
and renders
content = chorale A on instrument P, style = chorale B on instrument Q, target = chorale A on Q,
all at 22.05 kHz with the embedded TimGM6mb SoundFont, cut to ``seconds`` (3 s: the published
method's running time makes longer clips impractical for 20 pairs).
"""

from __future__ import annotations

import numpy as np

# (content instrument, target instrument): every pair changes instrument family.
PROGRAMS = [
    ("acoustic grand piano", "violin"), ("church organ", "flute"), ("cello", "trumpet"),
    ("clarinet", "acoustic grand piano"), ("choir aahs", "vibraphone"), ("french horn", "oboe"),
    ("acoustic guitar (nylon)", "cello"), ("flute", "bassoon"), ("trumpet", "church organ"),
    ("violin", "acoustic guitar (nylon)"),
]
SAMPLE_RATE = 22050


def _opening(score, steps: int = 32):
    voices = [v.__class__(v.name, tuple(n for n in v.notes if n.end_step <= steps), v.program) for v in score.voices]
    return score.replace(voices=tuple(voices))


def make_pairs(split: str, count: int, *, seconds: float = 3.0) -> list[dict]:
    """``count`` pairs as dicts of mono float32 arrays (content, style, target) and their instruments."""
    from midistyle.audio.pairs import make_timbre_pair
    from midistyle.audio.soundfonts import embedded_soundfont
    from midistyle.data.chorales import load_chorales

    chorales = load_chorales(split)
    font = str(embedded_soundfont())
    samples = int(seconds * SAMPLE_RATE)
    pairs = []
    for index in range(count):
        content_name, target_name = PROGRAMS[index % len(PROGRAMS)]
        content_score, style_score = chorales[index], chorales[(index + len(chorales) // 2) % len(chorales)]
        pair = make_timbre_pair(_opening(content_score), _opening(style_score),
                                content_program=content_name, target_program=target_name,
                                sample_rate=SAMPLE_RATE, soundfont=font)
        pairs.append({
            "content": pair.content.mean(axis=1)[:samples], "style": pair.style.mean(axis=1)[:samples],
            "target": pair.target.mean(axis=1)[:samples], "instruments": f"{content_name} -> {target_name}",
        })
    return pairs


def score_output(output: np.ndarray, pair: dict) -> dict:
    """Distances to the target and pitch preservation against the content."""
    from midistyle.audio import metrics

    return {
        "lsd_target_db": metrics.log_spectral_distance(output, pair["target"], SAMPLE_RATE),
        "timbre_target": metrics.timbre_distance(output, pair["target"], SAMPLE_RATE),
        "chroma_content": metrics.chroma_similarity(output, pair["content"], SAMPLE_RATE),
    }


def summarise(name: str, scores: list[dict], seconds: list[float], baseline: list[dict] | None = None,
              published: list[dict] | None = None) -> dict:
    """One table row: means over pairs, and how often this method beats the content and the published one."""
    row = {"method": name, "pairs": len(scores)}
    for key in ("lsd_target_db", "timbre_target", "chroma_content"):
        row[key] = float(np.mean([s[key] for s in scores]))
    for label, reference in (("beats content", baseline), ("beats published", published)):
        row[label] = None
        if reference is not None and reference is not scores:
            wins = sum(s["lsd_target_db"] < r["lsd_target_db"] and s["timbre_target"] < r["timbre_target"]
                       for s, r in zip(scores, reference))
            row[label] = f"{wins}/{len(scores)}"
    row["seconds_per_pair"] = float(np.mean(seconds))
    return row
