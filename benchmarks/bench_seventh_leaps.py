"""Which leaps of a seventh Bach writes, and which the harmonizer writes: the evidence behind its cost.

The harmony critic marks every melodic leap of a minor or major seventh (``seventh_leap``). A
teacher marks them all; Bach writes them nearly all in the bass, most often rising, some of them
to the leading tone (a root-position tonic moving to the dominant's first inversion a seventh
above rather than a step below). Rows: Bach's train and valid chorales, the shipped harmonizer on the 34 valid sopranos
(with Bach's fermatas, key detected) and on the folk tunes of ``benchmarks harmony_critic``.
Columns: leaps per 100 quarter beats (as the critic counts them), how many each voice took, how
many of the bass's rose, and how many (any voice) landed on the leading tone of the piece's key
(Bach's in his files' keys, the harmonizations in the keys the harmonizer detects).
"""

from __future__ import annotations

VOICE_NAMES = ("Soprano", "Alto", "Tenor", "Bass")


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.data.folk import load_folk_melodies
    from midistyle.evaluation.harmonizer_report import melodies_of
    from midistyle.models.harmonize import Harmonizer

    train = load_chorales("train")[: 20 if quick else None]
    valid = load_chorales("valid")[: 4 if quick else None]
    folk = load_folk_melodies()[: 4 if quick else None]
    harmonizer = Harmonizer.load()
    sets = {
        "Bach train chorales": train,
        "Bach valid chorales": valid,
        "harmonizer, valid sopranos": [harmonizer.harmonize(m)[0].score for m in melodies_of(valid)],
        "harmonizer, folk tunes": [harmonizer.harmonize(m)[0].score for m in folk],
    }
    return [_row(name, pieces) for name, pieces in sets.items()]


def _row(name: str, pieces: list) -> dict:
    from collections import Counter

    from midistyle.music.harmony import critique

    by_voice, rising_bass, into_leading_tone, quarters = Counter(), 0, 0, 0.0
    for score in pieces:
        found = critique(score)
        quarters += found.quarters
        leading_tone = (score.key.tonic_pitch_class + 11) % 12
        for mark in found.marks:
            if mark.rule != "seventh_leap":
                continue
            (voice, before_step), (_, after_step) = mark.notes
            before, after = (_pitch_at(score, voice, step) for step in (before_step, after_step))
            by_voice[voice] += 1
            rising_bass += voice == 3 and after > before
            into_leading_tone += after % 12 == leading_tone
    leaps = sum(by_voice.values())
    return {"set": name, "pieces": len(pieces),
            "seventh leaps /100 beats": round(100 * leaps / max(quarters, 1e-9), 2), "leaps": leaps,
            **{VOICE_NAMES[v].lower(): by_voice[v] for v in range(4)},
            "bass rising": rising_bass, "into the leading tone": into_leading_tone}


def _pitch_at(score, voice: int, onset_step: int) -> int:
    """The pitch of ``voice``'s note starting at ``onset_step``."""
    return next(n.pitch for n in score.voices[voice].notes if n.onset_step == onset_step)
