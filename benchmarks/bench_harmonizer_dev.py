"""Settings of the joint decoder on a bare melody: the development runs.

Four questions, asked on sets that no README table of the harmonizer is measured on:

- How much should hidden fifths and octaves in the outer voices cost (``HIDDEN_PENALTY`` of
  :mod:`midistyle.models.harmony_decoding`)? The shipped value was chosen here.
- How much should parallel fifths and octaves cost (``PARALLEL_PENALTY``)? Where the network is
  sure of a voice (a tenor falling in octaves with the soprano, its pitch 6 nats likelier than the
  next), 4 nats, the cost until the shipped value was chosen here, lose to it.
- How much should a root-position tonic triad as the first chord earn (``OPENING_TONIC_BONUS``)?
  Bach opens most chorales on one; the network alone opened fewer. The shipped value was chosen here.
- Should the decoder look one chord ahead on a bare melody too? The look ahead
  (``decode_harmony(lookahead=...)``) was built for steered decoding, where written voices or
  chord symbols can leave a likely chord no way on but into parallels. A bare melody can do the
  same at a cadence: soprano and bass rising from the leading tone into the tonic in octaves,
  because the bass took the leading tone the step before.

The sets: the 34 Bach valid-split sopranos (key detected, fermatas read) and 60 tunes of the Essen
collection after the folk test collection (:func:`midistyle.data.folk.build_folk_melodies` with
``collection=ESSEN_COLLECTIONS + 1``; with their files' key signatures, which the harmonizer reads
as :func:`midistyle.models.harmonizer_data.place_melody` says). Rows: per set and setting,
everything else as shipped, the harmony critic's rates of the rules these settings could move (per
100 quarter beats, at every onset), the cadence shares, the share of pieces opening on a
root-position tonic (in the key the critic reads), the two-sample test against Bach's settings of
the same sopranos (as in ``benchmarks harmony_critic``) and the seconds per piece; and Bach's own
valid settings, measured the same way, read in the keys his files declare and, as the
harmonizations are, in the keys the harmonizer detects from their sopranos (these differ for some
melodies, e.g. a relative minor for a declared major).
"""

from __future__ import annotations

import tempfile
import time

RULES = ("parallel_fifths", "parallel_octaves", "contrary_fifths_octaves", "hidden_fifths_octaves", "clash",
         "seventh_leap", "augmented_diminished_interval", "unexplained_nonchord_tone", "voice_overlap")
DEV_TUNES = 60
HIDDEN_PENALTIES = (1.0, 2.0, 3.0, 4.0, 6.0)
PARALLEL_PENALTIES = (4.0, 6.0, 8.0, 12.0)
OPENING_BONUSES = (0.0, 1.0, 2.0, 4.0)


def run(quick: bool = False) -> list[dict]:
    import functools

    from midistyle.data.chorales import load_chorales
    from midistyle.data.folk import build_folk_melodies, load_folk_melodies
    from midistyle.data.style_corpus import ESSEN_COLLECTIONS
    from midistyle.evaluation.harmonizer_report import melodies_of
    from midistyle.evaluation.two_sample import two_sample_accuracy
    from midistyle.models import harmonize as harmonize_module
    from midistyle.models import harmony_decoding
    from midistyle.models.harmonizer_data import place_melody
    from midistyle.models.harmony_decoding import HIDDEN_PENALTY, OPENING_TONIC_BONUS, PARALLEL_PENALTY, decode_harmony
    from midistyle.music.harmony import critique

    with tempfile.TemporaryDirectory() as folder:
        build_folk_melodies(4 if quick else DEV_TUNES, folder, collection=ESSEN_COLLECTIONS + 1)
        folk = load_folk_melodies(folder)
    bach = load_chorales("valid")[: 4 if quick else None]
    valid = melodies_of(bach)
    harmonizer = harmonize_module.Harmonizer.load()
    hidden = HIDDEN_PENALTIES[::2] if quick else HIDDEN_PENALTIES
    parallel = PARALLEL_PENALTIES[::2] if quick else PARALLEL_PENALTIES
    opening = OPENING_BONUSES[::2] if quick else OPENING_BONUSES
    shipped_setting = (HIDDEN_PENALTY, PARALLEL_PENALTY, False, OPENING_TONIC_BONUS)
    # (hidden, parallel, look ahead, opening): one setting moved at a time from the shipped ones
    settings = [(h, PARALLEL_PENALTY, False, OPENING_TONIC_BONUS) for h in hidden]
    settings += [(HIDDEN_PENALTY, p, False, OPENING_TONIC_BONUS) for p in parallel if p != PARALLEL_PENALTY]
    settings += [(HIDDEN_PENALTY, PARALLEL_PENALTY, False, b) for b in opening if b != OPENING_TONIC_BONUS]
    settings.append((HIDDEN_PENALTY, PARALLEL_PENALTY, True, OPENING_TONIC_BONUS))
    in_detected_keys = [s.replace(key=place_melody(m).key) for s, m in zip(bach, valid)]
    rows = [_row("Bach valid chorales", None, bach, [critique(s) for s in bach], None, None),
            _row("Bach valid chorales, in the keys the harmonizer detects", None, in_detected_keys,
                 [critique(s) for s in in_detected_keys], None, None)]
    for name, melodies in (("Bach valid sopranos", valid), ("Essen development tunes", folk)):
        for setting in settings:
            hidden_penalty, parallel_penalty, lookahead, opening_bonus = setting
            harmonize_module.decode_harmony = functools.partial(decode_harmony, lookahead=lookahead or None)
            harmony_decoding.HIDDEN_PENALTY, harmony_decoding.PARALLEL_PENALTY = hidden_penalty, parallel_penalty
            harmony_decoding.OPENING_TONIC_BONUS = opening_bonus
            try:
                started = time.perf_counter()
                scores = [harmonizer.harmonize(m)[0].score for m in melodies]
                seconds = (time.perf_counter() - started) / len(melodies)
            finally:
                harmonize_module.decode_harmony = decode_harmony
                harmony_decoding.HIDDEN_PENALTY, harmony_decoding.PARALLEL_PENALTY = HIDDEN_PENALTY, PARALLEL_PENALTY
                harmony_decoding.OPENING_TONIC_BONUS = OPENING_TONIC_BONUS
            accuracy = two_sample_accuracy(scores, bach, seed=0) if melodies is valid and not quick else None
            rows.append(_row(name, setting, scores, [critique(s) for s in scores], accuracy, seconds,
                             shipped=setting == shipped_setting))
    return rows


def _row(name, setting, scores, found, accuracy, seconds, shipped=False) -> dict:
    """One row of the table: a set of pieces under one setting (None: Bach's own)."""
    from midistyle.music.cadences import opens_on_tonic
    from midistyle.music.harmony import pooled_cadence_shares, pooled_rates
    from midistyle.music.score import Key

    hidden_penalty, parallel_penalty, lookahead, opening_bonus = setting or (None, None, None, None)
    rates, shares = pooled_rates(found), pooled_cadence_shares(found)
    opens = sum(opens_on_tonic(s, Key.parse(c.key)) for s, c in zip(scores, found)) / len(scores)
    return {"set": name, "hidden penalty": hidden_penalty, "parallel penalty": parallel_penalty,
            "opening tonic bonus": opening_bonus,
            "look ahead": None if setting is None else ("on" if lookahead else "off"),
            "shipped": "yes" if shipped else "", "pieces": len(scores),
            **{rule: round(rates[rule], 2) for rule in RULES},
            "authentic cadences": round(shares["cadence_authentic"], 2),
            "cadential bass": round(shares["cadential_bass_share"], 2),
            "ends V-I on the tonic": round(shares["ends_authentic_on_tonic"], 2),
            "opens on a root-position tonic": round(opens, 2),
            "two-sample vs Bach": None if accuracy is None else round(accuracy, 2),
            "s per piece": None if seconds is None else round(seconds, 2)}
