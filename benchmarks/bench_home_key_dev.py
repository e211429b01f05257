"""How much the last phrase's unraised seventh should cost in a minor home key: the development runs.

Free chorales of 8 bars from seeds 100-139 (none of the other benchmarks draw them), written with
each candidate ``subtonic_penalty`` of :func:`midistyle.models.home_key_bias.home_key_bias` (the
shipped ``SUBTONIC_PENALTY`` was chosen here), everything else as shipped. Rows: per penalty, the
pieces that end with a perfect V-I on the tonic of their home key (the key of their first chord),
all of them and those in minor, and the harmony critic's rates of a few rules, per 100 quarter beats
at every onset. ``python -m benchmarks chorale_prompts`` then measures the shipped value on its own
seeds.
"""

from __future__ import annotations

PENALTIES = (0.0, 1.5, 3.0, 4.5, 6.0)
SEEDS = range(100, 140)
RULES = ("augmented_diminished_interval", "clash", "unexplained_nonchord_tone", "seventh_leap")


def run(quick: bool = False) -> list[dict]:
    import functools

    from midistyle.models import compose
    from midistyle.models.home_key_bias import SUBTONIC_PENALTY, home_key_bias
    from midistyle.music.cadences import home_key
    from midistyle.music.harmony import critique, pooled_rates

    generator = compose.ChoraleGenerator.load()
    seeds = SEEDS[:4] if quick else SEEDS
    rows = []
    for penalty in PENALTIES[::2] if quick else PENALTIES:
        compose.home_key_bias = functools.partial(home_key_bias, subtonic_penalty=penalty)
        try:
            scores = [generator.generate(bars=8, seed=seed).score for seed in seeds]
        finally:
            compose.home_key_bias = home_key_bias
        homes = [home_key(s) for s in scores]
        finals = [critique(s.replace(key=h)).cadences[-1] for s, h in zip(scores, homes)]
        home = [f.on_tonic and f.perfect for f in finals]
        minor = [ok for ok, h in zip(home, homes) if h.mode == "minor"]
        rates = pooled_rates([critique(s) for s in scores])
        rows.append({"subtonic penalty": penalty, "shipped": "yes" if penalty == SUBTONIC_PENALTY else "",
                     "pieces": len(scores), "perfect V-I at home": sum(home),
                     "in minor": len(minor), "of them perfect V-I at home": sum(minor),
                     **{rule: round(rates[rule], 2) for rule in RULES}})
    return rows
