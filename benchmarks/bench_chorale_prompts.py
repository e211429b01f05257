"""Does a chorale end in the key it opens in? Continuing Bach's openings, and written freely.

Every Bach test chorale's first two bars (after the pickup) are a prompt; the generator writes 8 bars
from each (seed = the chorale's index), with the shipped defaults and with ``keep_home_key=False``
(the final cadence on the tonic of whatever key the finished piece is in, as before). Then as many
free chorales of 8 bars (seeds from 0), with the defaults (the opening drawn again until its first
chord is its key's tonic, the last phrase steered home) and with ``keep_home_key=False`` (neither).
Beside them, Bach's own endings of the same chorales, through the same code. The home key is
:func:`midistyle.music.cadences.home_key`: the key of the first chord (the prompt's, or the piece's
own); the tonic of the key each piece is written in is shown too, and whether the first chord is
the tonic of the key of the pickup and first full bar (:func:`midistyle.models.compose.opens_on_its_tonic`,
as the generator reads a free opening).
"""

from __future__ import annotations

import numpy as np


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.models.compose import ChoraleGenerator, cut_at_step, opens_on_its_tonic
    from midistyle.music.cadences import home_key
    from midistyle.music.harmony import critique

    chorales = load_chorales("test")[: 4 if quick else None]
    prompts = [cut_at_step(s, s.anacrusis_steps + 2 * s.steps_per_bar) for s in chorales]
    generator = ChoraleGenerator.load()
    sets = {"Bach's own ending": chorales}
    for label, keep in (("kept key (default)", True), ("key of the finished piece (before)", False)):
        sets[f"after his opening, {label}"] = [
            generator.generate(bars=8, seed=i, prompt=p, keep_home_key=keep).score for i, p in enumerate(prompts)]
    for label, keep in (("free, home: the opening's key (default)", True), ("free, the key of the finished piece "
                                                                           "(before)", False)):
        sets[label] = [generator.generate(bars=8, seed=i, keep_home_key=keep).score for i in range(len(chorales))]
    rows = []
    for label, scores in sets.items():
        openings = prompts if label.startswith("after") else scores
        homes = [home_key(s) for s in openings]
        on_tonic = [opens_on_its_tonic(s) for s in openings]  # its pickup and first full bar
        finals = [critique(s.replace(key=home)).cadences[-1] if home else None for s, home in zip(scores, homes)]
        on_home = [f is not None and f.on_tonic for f in finals]  # read in the home key: its tonic is the root
        rows.append({"set": label, "pieces": len(scores),
                     "opening on a major or minor triad": round(float(np.mean([h is not None for h in homes])), 3),
                     "opening on its key's tonic": round(float(np.mean(on_tonic)), 3),
                     "final chord on the opening's root": round(float(np.mean(on_home)), 3),
                     "perfect V-I there": round(float(np.mean(
                         [f is not None and f.perfect and on for f, on in zip(finals, on_home)])), 3),
                     "final chord on the written key's tonic": round(float(np.mean(
                         [critique(s).cadences[-1].on_tonic for s in scores])), 3)})
    return rows
