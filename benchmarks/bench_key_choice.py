"""Which key a melody is harmonized in: its notes alone, or its file's key signature where that ends it.

For each split's Bach sopranos, read with the key signatures of their files: the key detected from
the notes alone (:func:`midistyle.models.harmonizer_data.detect_key`) against the key the
harmonizer now takes (:func:`midistyle.models.harmonizer_data.place_melody`: the detected key
unless :func:`midistyle.music.keys.signature_key` lets the file's signature win). The measure of
right is the root of the final chord of Bach's own setting being the key's tonic (about nine in ten
of Bach's chorales end on their home key's tonic chord; the rest end on a half or Phrygian close).
"""

from __future__ import annotations


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.models.harmonizer_data import detect_key, place_melody
    from midistyle.music.chords import label_chords, onset_slices

    rows = []
    for split in ("train", "valid", "test"):
        chorales = load_chorales(split)[: 20 if quick else None]
        counts = {"sopranos": len(chorales), "the signature wins": 0, "of them, detection right": 0,
                  "of them, the signature right": 0, "detection right (all)": 0, "harmonizer's key right (all)": 0}
        for chorale in chorales:
            melody = chorale.select_voices([0])
            detected, chosen = detect_key(melody), place_melody(melody).key
            final_root = int(label_chords(onset_slices(chorale)).roots[-1])
            counts["detection right (all)"] += detected.tonic_pitch_class == final_root
            counts["harmonizer's key right (all)"] += chosen.tonic_pitch_class == final_root
            if chosen != detected:
                counts["the signature wins"] += 1
                counts["of them, detection right"] += detected.tonic_pitch_class == final_root
                counts["of them, the signature right"] += chosen.tonic_pitch_class == final_root
        rows.append({"split": split, **counts})
    return rows
