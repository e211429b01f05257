"""Continuing a given opening: does the generated chorale end in the opening's key?

Every Bach test chorale's first two bars (after the pickup) are a prompt; the generator writes 8 bars
from each (seed = the chorale's index), with the shipped defaults and with ``keep_prompt_key=False``
(the final cadence on the tonic of whatever key the finished piece is in, as before). Beside them,
Bach's own endings of the same chorales, through the same code. The home key is
:func:`midistyle.music.keys.home_key` of the prompt: its signature's key, major or relative minor as
its music says.
"""

from __future__ import annotations

import numpy as np


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.models.compose import ChoraleGenerator, cut_at_step
    from midistyle.music.harmony import critique
    from midistyle.music.keys import home_key

    chorales = [c for c in load_chorales("test")[: 4 if quick else None] if c.key is not None]  # all of them
    prompts = [cut_at_step(s, s.anacrusis_steps + 2 * s.steps_per_bar) for s in chorales]
    homes = [home_key(p) for p in prompts]
    generator = ChoraleGenerator.load()
    sets = {"Bach's own ending": chorales}
    for label, keep in (("kept key (default)", True), ("key of the finished piece (before)", False)):
        sets[label] = [generator.generate(bars=8, seed=i, prompt=p, keep_prompt_key=keep).score
                       for i, p in enumerate(prompts)]
    rows = []
    for label, scores in sets.items():
        finals = [critique(s.replace(key=home)).cadences[-1] for s, home in zip(scores, homes)]
        on_home = [f.on_tonic for f in finals]  # read in the home key: the final chord's root is its tonic
        rows.append({"set": label, "pieces": len(scores),
                     "final chord on the home tonic": round(float(np.mean(on_home)), 3),
                     "perfect V-I on the home tonic": round(float(np.mean(
                         [f.perfect and on for f, on in zip(finals, on_home)])), 3),
                     "written in the home key": round(float(np.mean(
                         [s.key == home for s, home in zip(scores, homes)])), 3)})
    return rows
