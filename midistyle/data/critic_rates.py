"""Bach's own rates for every rule of the harmony critic: the calibration ``check`` compares with.

``build_critic_rates`` runs :func:`midistyle.music.harmony.critique` over every chorale of each
split of the dataset (with Bach's fermatas) and writes ``midistyle/music/bach_critic_rates.json``
(committed; about 2 s to rebuild with ``midistyle data build --critic-rates``): per split, the
marks per 100 quarter beats of each rule, pooled over the pieces, the cadence kinds at phrase
ends, and the non-chord tones by kind.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

from midistyle.data.chorales import SPLITS, load_chorales
from midistyle.music.harmony import BACH_RATES_PATH, critique, pooled_cadence_shares, pooled_rates
from midistyle.music.io import write_atomically

COMMAND = "midistyle data build --critic-rates"


def build_critic_rates(out_path: str | os.PathLike | None = None, *, dataset_dir=None) -> dict:
    """Measure Bach's rates on every split and write them as JSON (atomically); return them."""
    table: dict = {"command": COMMAND, "unit": "marks per 100 quarter-note beats, pooled over the pieces"}
    for split in SPLITS:
        critiques = [critique(score) for score in load_chorales(split, dataset_dir)]
        nonchord = Counter()
        for c in critiques:
            nonchord.update(c.nonchord_tones)
        quarters = sum(c.quarters for c in critiques)
        table[split] = {
            "chorales": len(critiques),
            "quarters": quarters,
            "phrase_ends": sum(len(c.cadences) for c in critiques),
            "rates": {rule: round(rate, 4) for rule, rate in pooled_rates(critiques).items()},
            "cadence_shares": {k: round(v, 4) for k, v in pooled_cadence_shares(critiques).items()},
            "nonchord_tones_per_100_quarters": {k: round(100 * v / quarters, 3) for k, v in nonchord.items()},
        }
    path = Path(out_path) if out_path is not None else BACH_RATES_PATH
    text = json.dumps(table, indent=1) + "\n"
    write_atomically(path, lambda temporary: temporary.write_text(text))
    return table
