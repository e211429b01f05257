"""What each figure of the figuration pass does, on the valid split (where its shares were chosen).

The 34 valid sopranos (with Bach's fermatas) are harmonized by the shipped joint decoder without
figuration, then given each figure alone and the shipped mix (``FigurationConfig``; the same seeds as
``harmonize`` uses). Columns: the critic's two-sample test against Bach's valid settings of the same
melodies, the style classifier's Fréchet distance to them, passing tones and suspensions per 100
quarter beats, neighbour notes per 100 quarter beats, the share of the lower voices' moves by a
semitone (the two-sample test's strongest feature alone), the share of their moves that repeat a note
(:func:`midistyle.music.metrics.repeated_pitch_share`: moves with no rest between), in the bass
alone too, and whether any critic rule rises above Bach's rate on the same melodies by the critic
issue's bound (:func:`midistyle.music.harmony.above_bach`: 1.25 ×, +0.1 where his is under 0.1). Ties are tried at
every place in the bass and at ``tie_share`` of them in the alto and tenor; two rows try each of
those alone, and one the shipped mix with the bass tied as the alto and tenor are. Neighbour notes,
tried at ``neighbour_share`` of the repeated notes before a tie, alone and at other shares.
"""

from __future__ import annotations

import dataclasses


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.evaluation.classifier import StyleClassifier
    from midistyle.evaluation.frechet import frechet_distance
    from midistyle.evaluation.harmonizer_report import melodies_of
    from midistyle.evaluation.report import set_windows
    from midistyle.evaluation.two_sample import two_sample_accuracy
    from midistyle.models.harmonize import Harmonizer
    from midistyle.music.figuration import FigurationConfig, add_figuration
    from midistyle.music.harmony import above_bach, critique, pooled_rates
    from midistyle.music.metrics import move_share, repeated_pitch_share

    valid = load_chorales("valid")[: 10 if quick else None]
    harmonizer = Harmonizer.load()
    none = FigurationConfig.none()
    plain = [harmonizer.harmonize(m, figuration=none)[0].score for m in melodies_of(valid)]
    classifier = StyleClassifier.load()
    reference, _ = classifier.embed_and_classify(set_windows(valid))
    bach_rates = pooled_rates([critique(s) for s in valid])
    shipped = FigurationConfig()
    configs = {
        "no figuration": none,
        "passing tones only": dataclasses.replace(none, passing_share=shipped.passing_share),
        "suspensions only": dataclasses.replace(none, suspension_share=shipped.suspension_share),
        "ties only": dataclasses.replace(none, tie_share=shipped.tie_share, bass_tie_share=shipped.bass_tie_share),
        "ties only, at every place": dataclasses.replace(none, tie_share=1.0, bass_tie_share=1.0),
        "ties only, in the alto and tenor": dataclasses.replace(none, tie_share=shipped.tie_share),
        "ties only, in the bass, at every place": dataclasses.replace(none, bass_tie_share=1.0),
        "neighbour notes only": dataclasses.replace(none, neighbour_share=shipped.neighbour_share),
        "shipped but the bass tied as the inner voices": dataclasses.replace(shipped, bass_tie_share=shipped.tie_share),
        "shipped": shipped,
        **{f"shipped but neighbour notes at {share:g} of the repeats":
           dataclasses.replace(shipped, neighbour_share=share)
           for share in (0.0, 0.1, 0.2, 0.3) if share != shipped.neighbour_share},
    }
    rows = []
    for name, config in [("Bach", None), *configs.items()]:
        pieces = valid if config is None else [add_figuration(s, config=config, seed=0) for s in plain]
        found = [critique(s) for s in pieces]
        quarters = sum(c.quarters for c in found)
        rates = pooled_rates(found)
        embeddings, _ = classifier.embed_and_classify(set_windows(pieces))
        rows.append({
            "figuration": name,
            "two-sample accuracy": None if config is None else round(two_sample_accuracy(pieces, valid), 3),
            "Frechet to Bach valid": round(float(frechet_distance(embeddings, reference)), 2),
            "passing /100": round(100 * sum(c.nonchord_tones["passing"] for c in found) / quarters, 1),
            "suspensions /100": round(100 * sum(c.nonchord_tones["suspension"] for c in found) / quarters, 1),
            "neighbours /100": round(100 * sum(c.nonchord_tones["neighbour"] for c in found) / quarters, 1),
            "semitone moves": round(move_share(pieces, (1,)), 3),
            "repeated notes": round(repeated_pitch_share(pieces), 3),
            "repeated notes, bass": round(repeated_pitch_share(pieces, voices=(3,)), 3),
            "rules above 1.25 x Bach": ", ".join(above_bach(rates, bach_rates)) or "none",
        })
    return rows
