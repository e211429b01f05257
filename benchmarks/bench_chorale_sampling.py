"""Sampling temperature against variety and voice leading, with the phrase plan, on the tuning seeds.

The shipped model as ``midistyle chorale`` runs it (phrase plan, cadence draws, 3 voice-leading
retries), 16 bars, at several temperatures, and hotter in the first half of each phrase only; 60
chorales each with seeds 1000-1059 (the tuning seeds, never the evaluation seeds 0-99 of
``bench_chorale``), top-p 0.95. Variety: the Fréchet distance to Bach's test split, pitch-class
entropy and voice crossings; voice leading: the harmony critic's parallel fifths and octaves at
every onset; the phrases: ends closed by a cadence, and V-I at the end.
"""

from __future__ import annotations

TEMPERATURES = (0.8, 0.9, 1.0)
SEEDS = range(1000, 1060)


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.evaluation.report import evaluate_sets
    from midistyle.models.compose import ChoraleGenerator
    from midistyle.music.harmony import critique, pooled_cadence_shares

    generator = ChoraleGenerator.load()
    seeds = SEEDS[:4] if quick else SEEDS
    sets = {f"T {t:g}": [generator.generate(bars=16, seed=seed, temperature=t).score for seed in seeds]
            for t in TEMPERATURES}
    sets["T 1 opening each phrase, 0.8 to its cadence"] = [
        generator.generate(bars=16, seed=seed, temperature=0.8, opening_temperature=1.0).score for seed in seeds]
    sets["Bach test"] = load_chorales("test")
    table = evaluate_sets(sets)
    rows = []
    for name, scores in sets.items():
        shares = pooled_cadence_shares([critique(s) for s in scores])
        values = table[name]
        rows.append({"set": name, "pieces": len(scores), "Frechet distance": round(values["frechet_distance"], 2),
                     "pitch-class entropy": round(values["pitch_class_entropy"], 3),
                     "voice crossings": round(values["voice_crossings"], 2),
                     "parallel fifths": round(values["critic: parallel_fifths"], 2),
                     "parallel octaves": round(values["critic: parallel_octaves"], 2),
                     "phrase ends closed": round(1 - shares["cadence_none"], 3),
                     "ends V-I on the tonic": round(shares["ends_authentic_on_tonic"], 3)})
    return rows
