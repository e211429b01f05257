"""Which key a melody is harmonized in: its notes alone, or its file's key signature where that ends it.

For each split's Bach sopranos: the key detected from the notes alone
(:func:`midistyle.models.harmonizer_data.detect_key`) against the key the harmonizer takes
(:func:`midistyle.models.harmonizer_data.place_melody`: the detected key unless
:func:`midistyle.music.keys.signature_key` lets the file's signature win). Twice: with the key
signatures of Bach's files, and with every file's signature replaced by C major, as a notation
program leaves it when nobody sets one (there, a signature that wins is the rule's mistake, unless
the tune is in C major or A minor).

Right is the key's tonic being the root of the final chord of Bach's own setting. That measure is
blind to the mode, and most of Bach's chorales end on their tonic, but not all (half and Phrygian
closes): it compares the two choices, it does not grade either on its own.
"""

from __future__ import annotations


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.models.harmonizer_data import detect_key, place_melody
    from midistyle.music.chords import label_chords, onset_slices
    from midistyle.music.score import Key

    rows = []
    for signature in ("Bach's files", "C major in every file"):
        for split in ("train", "valid", "test"):
            chorales = load_chorales(split)[: 20 if quick else None]
            counts = {"sopranos": len(chorales), "the signature wins": 0, "of them, detection right": 0,
                      "of them, the signature right": 0, "detection right (all)": 0,
                      "harmonizer's key right (all)": 0}
            for chorale in chorales:
                melody = chorale.select_voices([0])
                if signature != "Bach's files":
                    melody = melody.replace(key=Key(0, "major"))
                detected, chosen = detect_key(melody), place_melody(melody).key
                final_root = int(label_chords(onset_slices(chorale)).roots[-1])
                counts["detection right (all)"] += detected.tonic_pitch_class == final_root
                counts["harmonizer's key right (all)"] += chosen.tonic_pitch_class == final_root
                if chosen != detected:
                    counts["the signature wins"] += 1
                    counts["of them, detection right"] += detected.tonic_pitch_class == final_root
                    counts["of them, the signature right"] += chosen.tonic_pitch_class == final_root
            rows.append({"signatures": signature, "split": split, **counts})
    return rows
