"""Phrase ends found without fermatas, against Bach's fermatas; and Bach's phrase lengths.

For every chorale of the train and test splits, the soprano is given to
:func:`midistyle.music.phrases.find_phrase_ends` without its fermatas (and without its key), and the
ends it finds are compared with Bach's (his fermatas and the last note): precision, recall, F1, an
end counting only on the exact onset. Train is where the weights were set. Also Bach's phrase
lengths in bars (the prior's typical length).
"""

from __future__ import annotations


def run(quick: bool = False) -> list[dict]:
    import numpy as np

    from midistyle.data.chorales import load_chorales
    from midistyle.music.phrases import find_phrase_ends, phrase_ends

    rows = []
    for split in ("train", "test"):
        chorales = load_chorales(split)[: 20 if quick else None]
        found_right = found_all = true_all = 0
        lengths = []
        for chorale in chorales:
            soprano = chorale.select_voices([0])
            truth = set(phrase_ends(soprano).steps)
            found = set(find_phrase_ends(soprano.replace(key=None, fermata_steps=())))
            found_right, found_all, true_all = found_right + len(found & truth), found_all + len(found), \
                true_all + len(truth)
            ends = [0, *sorted(truth)]
            lengths += [(b - a) / chorale.steps_per_bar for a, b in zip(ends, ends[1:])]
        precision, recall = found_right / found_all, found_right / true_all
        quartiles = np.percentile(lengths, [25, 50, 75])
        rows.append({"split": split, "chorales": len(chorales), "Bach's phrase ends": true_all,
                     "found": found_all, "precision": round(precision, 3), "recall": round(recall, 3),
                     "F1": round(2 * precision * recall / (precision + recall), 3),
                     "Bach's phrase bars (25/50/75 %)": " / ".join(f"{q:g}" for q in quartiles)})
    return rows
