"""Which key a melody is harmonized in: its notes alone, the relative key it ends in, or its file's
key signature where that ends it.

For each split's Bach sopranos: the key detected from the notes alone
(:func:`midistyle.models.harmonizer_data.detect_key`) against the key the harmonizer takes
(:func:`midistyle.models.harmonizer_data.choose_key`: the detected key, or its relative where the
melody ends on that one's tonic (:func:`midistyle.music.keys.ending_key`), unless
:func:`midistyle.music.keys.signature_key` lets the file's signature win). Twice: with the key
signatures of Bach's files, and with every file's signature replaced by C major, as a notation
program leaves it when nobody sets one (there, a signature that wins is the rule's mistake, unless
the tune is in C major or A minor).

Right is the key's tonic being the root of the final chord of Bach's own setting. The last column
compares with the key of Bach's file instead, mode too. That measure is
blind to the mode, and most of Bach's chorales end on their tonic, but not all (half and Phrygian
closes): it compares the two choices, it does not grade either on its own.
"""

from __future__ import annotations


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.models.harmonizer_data import choose_key, detect_key
    from midistyle.music.chords import label_chords, onset_slices
    from midistyle.music.keys import same_scale
    from midistyle.music.score import Key

    rows = []
    for signature in ("Bach's files", "C major in every file"):
        for split in ("train", "valid", "test"):
            chorales = load_chorales(split)[: 20 if quick else None]
            counts = {"sopranos": len(chorales),
                      "the signature wins": 0, "of them, detection right": 0, "of them, the signature right": 0,
                      "the ending picks the relative key": 0, "of those, detection right": 0,
                      "of those, the ending right": 0,
                      "detection right (all)": 0, "harmonizer's key right (all)": 0,
                      "harmonizer's key is the file's, mode too (all)": 0}
            for chorale in chorales:
                melody = chorale.select_voices([0])
                if signature != "Bach's files":
                    melody = melody.replace(key=Key(0, "major"))
                detected, chosen = detect_key(melody), choose_key(melody)[0]
                final_root = int(label_chords(onset_slices(chorale)).roots[-1])
                detection_right, chosen_right = (k.tonic_pitch_class == final_root for k in (detected, chosen))
                counts["detection right (all)"] += detection_right
                counts["harmonizer's key right (all)"] += chosen_right
                counts["harmonizer's key is the file's, mode too (all)"] += chosen == chorale.key
                if chosen == detected:
                    continue
                if same_scale(chosen, detected):  # the relative it ends in (a winning signature: another scale)
                    counts["the ending picks the relative key"] += 1
                    counts["of those, detection right"] += detection_right
                    counts["of those, the ending right"] += chosen_right
                else:
                    counts["the signature wins"] += 1
                    counts["of them, detection right"] += detection_right
                    counts["of them, the signature right"] += chosen_right
            rows.append({"signatures": signature, "split": split, **counts})
    return rows
