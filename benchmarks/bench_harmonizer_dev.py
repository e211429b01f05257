"""Settings of the joint decoder on a bare melody: the development runs.

Three questions, asked on sets that no README table of the harmonizer is measured on:

- How much should hidden fifths and octaves in the outer voices cost (``HIDDEN_PENALTY`` of
  :mod:`midistyle.models.harmony_decoding`)? The shipped value was chosen here.
- How much should parallel fifths and octaves cost (``PARALLEL_PENALTY``)? Where the network is
  sure of a voice (a tenor falling in octaves with the soprano, its pitch 6 nats likelier than the
  next), 4 nats, the cost until the shipped value was chosen here, lose to it.
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
100 quarter beats, at every onset), the cadence shares, the two-sample test against Bach's settings
of the same sopranos (as in ``benchmarks harmony_critic``) and the seconds per piece.
"""

from __future__ import annotations

import tempfile
import time

RULES = ("parallel_fifths", "parallel_octaves", "contrary_fifths_octaves", "hidden_fifths_octaves", "clash",
         "seventh_leap", "augmented_diminished_interval", "unexplained_nonchord_tone", "voice_overlap")
DEV_TUNES = 60
HIDDEN_PENALTIES = (1.0, 2.0, 3.0, 4.0, 6.0)
PARALLEL_PENALTIES = (4.0, 6.0, 8.0, 12.0)


def run(quick: bool = False) -> list[dict]:
    import functools

    from midistyle.data.chorales import load_chorales
    from midistyle.data.folk import build_folk_melodies, load_folk_melodies
    from midistyle.data.style_corpus import ESSEN_COLLECTIONS
    from midistyle.evaluation.harmonizer_report import melodies_of
    from midistyle.evaluation.two_sample import two_sample_accuracy
    from midistyle.models import harmonize as harmonize_module
    from midistyle.models import harmony_decoding
    from midistyle.models.harmony_decoding import HIDDEN_PENALTY, PARALLEL_PENALTY, decode_harmony
    from midistyle.music.harmony import critique, pooled_cadence_shares, pooled_rates

    with tempfile.TemporaryDirectory() as folder:
        build_folk_melodies(4 if quick else DEV_TUNES, folder, collection=ESSEN_COLLECTIONS + 1)
        folk = load_folk_melodies(folder)
    bach = load_chorales("valid")[: 4 if quick else None]
    valid = melodies_of(bach)
    harmonizer = harmonize_module.Harmonizer.load()
    hidden = HIDDEN_PENALTIES[::2] if quick else HIDDEN_PENALTIES
    parallel = PARALLEL_PENALTIES[::2] if quick else PARALLEL_PENALTIES
    settings = [(h, PARALLEL_PENALTY, False) for h in hidden]  # (hidden, parallel, look ahead)
    settings += [(HIDDEN_PENALTY, p, False) for p in parallel if p != PARALLEL_PENALTY]
    settings.append((HIDDEN_PENALTY, PARALLEL_PENALTY, True))
    rows = []
    for name, melodies in (("Bach valid sopranos", valid), ("Essen development tunes", folk)):
        for hidden_penalty, parallel_penalty, lookahead in settings:
            harmonize_module.decode_harmony = functools.partial(decode_harmony, lookahead=lookahead or None)
            harmony_decoding.HIDDEN_PENALTY, harmony_decoding.PARALLEL_PENALTY = hidden_penalty, parallel_penalty
            try:
                started = time.perf_counter()
                scores = [harmonizer.harmonize(m)[0].score for m in melodies]
                seconds = (time.perf_counter() - started) / len(melodies)
            finally:
                harmonize_module.decode_harmony = decode_harmony
                harmony_decoding.HIDDEN_PENALTY, harmony_decoding.PARALLEL_PENALTY = HIDDEN_PENALTY, PARALLEL_PENALTY
            found = [critique(s) for s in scores]
            rates, shares = pooled_rates(found), pooled_cadence_shares(found)
            shipped = (hidden_penalty, parallel_penalty, lookahead) == (HIDDEN_PENALTY, PARALLEL_PENALTY, False)
            rows.append({"set": name, "hidden penalty": hidden_penalty, "parallel penalty": parallel_penalty,
                         "look ahead": "on" if lookahead else "off",
                         "shipped": "yes" if shipped else "", "pieces": len(scores),
                         **{rule: round(rates[rule], 2) for rule in RULES},
                         "authentic cadences": round(shares["cadence_authentic"], 2),
                         "cadential bass": round(shares["cadential_bass_share"], 2),
                         "ends V-I on the tonic": round(shares["ends_authentic_on_tonic"], 2),
                         "two-sample vs Bach": (round(two_sample_accuracy(scores, bach, seed=0), 2)
                                                if melodies is valid and not quick else None),
                         "s per piece": round(seconds, 2)})
    return rows
