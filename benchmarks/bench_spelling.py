"""Chromatic notes spelled as Bach wrote them: the shipped table against the key-signature rule.

For every note of the valid and test chorales outside the key's scale (minor with its raised sixth
and seventh), the letter a speller gives it is compared with the letter in music21's corpus file
(:func:`midistyle.data.spellings.spelling_agreement`). Two spellers, side by side:

* **Bach's table** (shipped): :data:`midistyle.music.keys.BACH_LETTER_STEPS`, counted on the train
  split;
* **key signature** (the rule it replaced, the baseline): the scale's own letters first, then sharps
  in sharp keys and in C major / A minor (but E♭ and B♭ there), flats in flat keys.
"""

from __future__ import annotations

NATURAL_PITCH_CLASSES = (0, 2, 4, 5, 7, 9, 11)


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.spellings import spelling_agreement
    from midistyle.music.keys import letters_in_key

    spellers = {
        "Bach's table (shipped)": lambda pitch, key: letters_in_key(key.sharps, key.mode)[pitch % 12],
        "key signature (baseline)": _key_signature_letter,
    }
    rows = []
    for split in ("valid", "test"):
        for name, speller in spellers.items():
            agreeing, counted = spelling_agreement(split, speller)
            rows.append({"split": split, "speller": name, "chromatic notes": counted, "as Bach wrote": agreeing,
                         "share": round(agreeing / counted, 3)})
    return rows


def _key_signature_letter(pitch: int, key) -> int:
    """The letter (0 = C … 6 = B) the key-signature rule writes ``pitch`` with."""
    from midistyle.music.keys import LETTERS, MAJOR_STEPS, NATURAL_MINOR_STEPS

    tonic, tonic_letter = key.tonic_pitch_class, LETTERS.index(key.tonic_name[0])
    steps = MAJOR_STEPS if key.mode == "major" else NATURAL_MINOR_STEPS
    scale = {(tonic + step) % 12: (tonic_letter + degree) % 7 for degree, step in enumerate(steps)}
    if key.mode == "minor":  # raised sixth and seventh on the sixth's and seventh's letters
        scale.setdefault((tonic + 9) % 12, (tonic_letter + 5) % 7)
        scale.setdefault((tonic + 11) % 12, (tonic_letter + 6) % 7)
    pc = pitch % 12
    if pc in scale:
        return scale[pc]
    if pc in NATURAL_PITCH_CLASSES:
        return NATURAL_PITCH_CLASSES.index(pc)
    prefer_flat = key.sharps < 0 or (key.sharps == 0 and pc in (3, 10))
    return NATURAL_PITCH_CLASSES.index(pc + 1) if prefer_flat else NATURAL_PITCH_CLASSES.index(pc - 1)
