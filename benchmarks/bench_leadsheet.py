"""Chords, given voices and regenerated bars, judged by the harmony critic beside Bach, in one run.

Columns:

* **Bach valid**: Bach's own chorales, each measured against its own lead sheet
  (:func:`midistyle.music.lead_sheet.lead_sheet_symbols`: the critic's chord at every beat where it
  changes, with a slash bass where the bass is not the root);
* **lead sheets, followed** / **ignored**: the shipped harmonizer given each valid soprano with Bach's
  fermatas and those symbols, following them (the default) and ignoring them (the baseline);
  the decoder's weights under chord symbols were chosen here, so **Bach test** / **test lead
  sheets, followed** repeat the first two on the held-out test split;
* **given bass**: the valid sopranos with Bach's bass given; alto and tenor written around them
  (compare the inner-voice rules with Bach's own column). The decoder's weights against written
  voices (``WRITTEN_PAIR_FACTOR``, ``CLASH_WITH_WRITTEN_PENALTY``) were chosen here, so **given bass,
  test** repeats it on the held-out test split, and **given bass, test, unweighted** is the same
  with those weights off (factor 1, penalty 0), parallels at 4 nats with any voice (the cost
  before ``PARALLEL_PENALTY`` became 8), cross-relations spelled in the model's C major / A minor
  (``SPELL_IN_KEY`` off) and no look ahead (``LOOKAHEAD_WHEN_STEERED`` off): the decoder before
  them, the baseline;
* **regenerated bars**: each valid chorale (Bach's) with alto, tenor and bass of bars 3-4 and of
  its last two full bars but one regenerated (seed 0): the marks within a beat of the span's edges
  that Bach's setting did not have, and whether every note that starts outside the bars came back
  identical;
* **Nottingham, followed** / **ignored**: the Nottingham Music Database tunes with chords that
  music21's corpus ships (two reels, ``nottingham-dataset/reelsa-c.abc``), and its two lead sheets
  (``leadSheet/*.mxl``).

Rows: the share of chord-symbol beats that agree (the bass and at least three of the four sounding
notes chord tones), each critic rule per 100 quarter beats at every onset, and the rules above
Bach's train rate and above his own rate on the same chorales (the column's Bach: valid, or test
for the test column), by the critic issue's bound (:func:`midistyle.music.harmony.above_bach`:
1.25x his rate, +0.1 per 100 beats where his is under 0.1).
"""

from __future__ import annotations

import contextlib

import numpy as np


def run(quick: bool = False) -> list[dict]:
    from music21 import corpus

    from midistyle.data.chorales import load_chorales
    from midistyle.evaluation.harmonizer_report import melodies_of
    from midistyle.models.harmonize import Harmonizer
    from midistyle.models.reharmonize import reharmonize
    from midistyle.music.chord_symbols import chord_agreement
    from midistyle.music.harmony import bach_rates, critique, pooled_rates
    from midistyle.music.lead_sheet import lead_sheet_symbols
    from midistyle.music.melody import read_melody_file

    valid = load_chorales("valid")[: 6 if quick else None]
    melodies = melodies_of(valid)
    sheets = [lead_sheet_symbols(c) for c in valid]
    shipped = Harmonizer.load()
    columns: dict[str, dict] = {}

    def column(pieces, symbols, extra=None, same=None):
        found = [critique(p) for p in pieces]
        agree = [chord_agreement(p, s) for p, s in zip(pieces, symbols)] if symbols else []
        rates = pooled_rates(found)
        result = {"pieces": len(pieces),
                  "chord beats agreeing": (sum(a for a, _ in agree) / max(sum(t for _, t in agree), 1)
                                           if agree else None),
                  "chord beats": sum(t for _, t in agree) if agree else None,
                  **(extra or {}), **rates}
        train = bach_rates()["train"]["rates"]
        result["rules over 1.25x Bach train"] = _over(rates, train)
        if same is not None:
            result["rules over 1.25x Bach, same chorales"] = _over(rates, same)
        return result

    columns["Bach valid"] = column(valid, sheets)
    same_valid = pooled_rates([critique(c) for c in valid])
    followed = [shipped.harmonize(m.replace(chord_symbols=s))[0].score for m, s in zip(melodies, sheets)]
    columns["lead sheets, followed"] = column(followed, sheets, same=same_valid)
    test = load_chorales("test")[: 6 if quick else None]
    test_sheets = [lead_sheet_symbols(c) for c in test]
    columns["Bach test"] = column(test, test_sheets)
    same_test = pooled_rates([critique(c) for c in test])
    columns["test lead sheets, followed"] = column(
        [shipped.harmonize(m.replace(chord_symbols=s))[0].score for m, s in zip(melodies_of(test), test_sheets)],
        test_sheets, same=same_test)
    ignored = [shipped.harmonize(m, chords=())[0].score for m in melodies]
    columns["lead sheets, ignored"] = column(ignored, sheets, same=same_valid)
    given = [shipped.harmonize(m, given={"bass": c.voices[3].notes})[0].score for m, c in zip(melodies, valid)]
    kept = np.mean([g.voices[3].notes == c.voices[3].notes for g, c in zip(given, valid)])
    columns["given bass"] = column(given, None, {"given voice kept": float(kept)}, same=same_valid)
    for name, weighted in (("given bass, test", True), ("given bass, test, unweighted", False)):
        with _written_voice_weights(weighted):
            given_test = [shipped.harmonize(m, given={"bass": c.voices[3].notes})[0].score
                          for m, c in zip(melodies_of(test), test)]
        columns[name] = column(given_test, None, same=same_test)

    regenerated, seams, outside_kept, changed = [], [], [], []
    for chorale in valid:
        last = len(chorale.bar_lines()) - (1 if chorale.anacrusis_steps else 0)
        for first_bar, last_bar in ((3, 4), (last - 2, last - 1)):
            result = reharmonize(shipped, chorale, first_bar, last_bar, seed=0)
            start, end = result.span_steps
            regenerated.append(result.score)
            seams.append(result.new_seam_marks)
            changed.append(result.changed_notes)
            outside_kept.append(all(  # every note that starts outside the bars, as the same object
                [n for n in a.notes if not start <= n.onset_step < end]
                == [n for n in b.notes if not start <= n.onset_step < end]
                for a, b in zip(chorale.voices, result.score.voices)))
    columns["regenerated bars"] = column(regenerated, None, {
        "spans": len(seams), "spans with new seam marks": int(np.sum(np.array(seams) > 0)),
        "new seam marks per span": float(np.mean(seams)), "notes changed per span": float(np.mean(changed)),
        "notes outside kept": float(np.mean(outside_kept))}, same=same_valid)

    tunes = [read_melody_file(corpus.getWork("nottingham-dataset/reelsa-c.abc"), tune=x,
                              report=lambda _line: None).score for x in (80, 81)]
    tunes += [read_melody_file(corpus.getWork(f"leadSheet/{name}.mxl"), report=lambda _line: None).score
              for name in ("berlinAlexandersRagtime", "fosterBrownHair")]
    tune_symbols = [t.chord_symbols for t in tunes]
    columns["Nottingham + lead sheets, followed"] = column([shipped.harmonize(t)[0].score for t in tunes],
                                                           tune_symbols)
    columns["Nottingham + lead sheets, ignored"] = column([shipped.harmonize(t, chords=())[0].score for t in tunes],
                                                          tune_symbols)
    order = list(dict.fromkeys(k for c in columns.values() for k in c))
    return [{"metric": metric, **{name: _round(c.get(metric)) for name, c in columns.items()}} for metric in order]


@contextlib.contextmanager
def _written_voice_weights(on: bool):
    """The decoder as shipped (on), or as it was before them (off): weights against written voices
    neutral, parallels 4 nats with any voice, cross-relations spelled in the model's C major / A
    minor, no look ahead."""
    from midistyle.models import harmony_decoding as decoding

    names = ("WRITTEN_PAIR_FACTOR", "WRITTEN_PARALLEL_FACTOR", "PARALLEL_PENALTY", "CLASH_WITH_WRITTEN_PENALTY",
             "SPELL_IN_KEY", "LOOKAHEAD_WHEN_STEERED")
    saved = {name: getattr(decoding, name) for name in names}
    if not on:
        for name, value in zip(names, (1.0, 1.0, 4.0, 0.0, False, False)):
            setattr(decoding, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(decoding, name, value)


def _over(rates: dict, reference: dict) -> str:
    from midistyle.music.harmony import above_bach

    return ", ".join(above_bach(rates, reference)) or "none"


def _round(value):
    if value is None or isinstance(value, str):
        return value
    return round(float(value), 3)
