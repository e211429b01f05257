"""Steering a chorale's last phrase home: logits biased against notes outside the key it opened in.

The chorale model often modulates and stays: left alone, it ends 0.47 of its free pieces on the
root of their first chord, where Bach ends 0.91 of his (``python -m benchmarks chorale_prompts``;
0.82 with the opening redrawn and this bias). While the generator writes the last phrase
it adds :func:`home_key_bias` to every step's logits (``TokenSampler.logit_bias``):

* an id that writes a pitch class outside the home key's scale loses ``OFF_KEY_PENALTY``. A minor
  scale here is the natural minor with the raised sixth and seventh and the tonic's major third
  (the tierce de Picardie Bach often ends on). The raised fourth of a major key (the leading tone of
  V/V) is outside: its pull towards the dominant's key is what the bias is against;
* in minor, an id that writes the raised leading tone (and nothing outside the scale) gains
  ``LEADING_TONE_BONUS``: the relative major's scale is the natural minor's, so without it a piece
  that opened in F minor drifted to A-flat major and cadenced there;
* in minor, an id that writes the unraised seventh (and not the raised one) loses
  ``SUBTONIC_PENALTY``: E-flat in F minor is the dominant of A-flat major, and with the bonus alone
  the minor pieces that missed home still ended in their relative major (or its neighbours).

The first two values were chosen by trying a penalty of 3, 6 and 10 and a bonus of 0, 1.5 and 3 on
free pieces of 16 bars (seeds 0-39, a loop that was not kept). The subtonic's by
``python -m benchmarks home_key_dev`` (0, 1.5, 3, 4.5 and 6 on free pieces of 8 bars from seeds
100-139, which no other benchmark draws: 26, 29, 32, 35 and 31 of 40 ended perfectly at home, 5,
8, 11, 14 and 10 of the 19 in minor). ``chorale_prompts`` measures the result.
"""

from __future__ import annotations

import numpy as np

from midistyle.music.keys import scale_of
from midistyle.music.score import Key

OFF_KEY_PENALTY = 3.0  # logits, per id writing a pitch class outside the home scale
LEADING_TONE_BONUS = 3.0  # logits, per id writing the raised leading tone of a minor home key
SUBTONIC_PENALTY = 4.5  # logits, per id writing the unraised seventh of a minor home key (and no raised one)


def pitches_per_id(parts: list[tuple[tuple[str, object], ...]]) -> list[tuple[int, ...]]:
    """The MIDI pitches each id writes, from :func:`midistyle.models.parallel_guard.token_parts`."""
    return [tuple(int(value) for kind, value in tokens if kind == "Pitch") for tokens in parts]


def home_key_bias(pitches: list[tuple[int, ...]], key: Key, *, off_key_penalty: float = OFF_KEY_PENALTY,
                  leading_tone_bonus: float = LEADING_TONE_BONUS, subtonic_penalty: float = SUBTONIC_PENALTY
                  ) -> np.ndarray:
    """Logit offsets that favour ``key``, shape=(V,) for V ids.

    Parameters
    ----------
    pitches : list of tuple of int
        For each id, the pitches it writes (:func:`pitches_per_id`).
    key : Key
        The home key.

    Returns
    -------
    numpy.ndarray, shape=(V,), float64
        ``-off_key_penalty`` for an id with a pitch outside the key's scale, ``+leading_tone_bonus``
        for one writing a minor key's raised leading tone (and nothing outside the scale),
        ``-subtonic_penalty`` for one writing a minor key's unraised seventh and not the raised one
        (also when it writes a note outside the scale: the larger penalty), else 0.
    """
    picardy_third = {(key.tonic_pitch_class + 4) % 12} if key.mode == "minor" else set()
    scale = scale_of(key) | picardy_third  # minor with its raised sixth and seventh, and the Picardy third
    leading_tone = (key.tonic_pitch_class + 11) % 12 if key.mode == "minor" else None
    subtonic = (key.tonic_pitch_class + 10) % 12 if key.mode == "minor" else None
    bias = np.zeros(len(pitches))
    for token, written in enumerate(pitches):
        if any(p % 12 not in scale for p in written):
            bias[token] = -off_key_penalty
        elif leading_tone is not None and any(p % 12 == leading_tone for p in written):
            bias[token] = leading_tone_bonus
        if subtonic is not None and any(p % 12 == subtonic for p in written) and \
                not any(p % 12 == leading_tone for p in written):  # the larger penalty, with a note off the key too
            bias[token] = min(bias[token], -subtonic_penalty)
    return bias
