"""How one chord moves to the next: the harmony critic's voice-leading tests, vectorized.

Each test takes the chord before, shape=(V,), and N candidate chords after, shape=(N, V), as MIDI
pitches (or any rows a fixed number of semitones away), voices top to bottom, ``REST`` (-1) where a
voice is silent. The harmony critic (:mod:`midistyle.music.harmony`) calls them with N = 1 at each
pair of consecutive onsets; the harmonizer's joint decoder calls them with every voicing it weighs,
so that the two judge by one definition.
"""

from __future__ import annotations

import itertools

import numpy as np

REST = -1
NO_MOTION, PARALLEL_FIFTHS, PARALLEL_OCTAVES, CONTRARY_PERFECTS = 0, 1, 2, 3


def perfect_motion(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Consecutive perfect intervals between every pair of voices, both voices moving.

    ``before`` may also hold one chord per row of ``after``, shape=(N, V).

    Returns
    -------
    np.ndarray, shape=(N, V, V), int
        For upper voice ``u`` < lower voice ``l``: ``PARALLEL_FIFTHS``, ``PARALLEL_OCTAVES``
        (unisons and compounds included) or ``CONTRARY_PERFECTS`` (the same perfect interval reached
        by contrary motion); ``NO_MOTION`` elsewhere.

    Notes
    -----
    The interval is the one that sounds, whichever voice is on top: an alto G3 under a tenor C4 is
    a fourth, not a fifth (the alto's pitch class seven above the tenor's), so crossed fourths are
    not fifths, and a fifth that sounds with the voices crossed is one.
    """
    before, after = np.atleast_2d(before), np.atleast_2d(after)
    n, v = after.shape
    codes = np.zeros((n, v, v), np.int8)
    for u, lower in itertools.combinations(range(v), 2):
        a0, b0, a1, b1 = before[:, u], before[:, lower], after[:, u], after[:, lower]
        first = np.abs(a0 - b0) % 12  # as it sounds: crossed voices too
        sounding = (a0 != REST) & (b0 != REST) & (a1 != REST) & (b1 != REST)
        moving = (a1 != a0) & (b1 != b0)
        same = ((first == 0) | (first == 7)) & (np.abs(a1 - b1) % 12 == first)
        parallel = np.sign(a1 - a0) == np.sign(b1 - b0)
        kind = np.where(parallel, np.where(first == 0, PARALLEL_OCTAVES, PARALLEL_FIFTHS), CONTRARY_PERFECTS)
        codes[:, u, lower] = np.where(sounding & moving & same, kind, NO_MOTION)
    return codes


def hidden_perfects(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Outer voices reaching a fifth or octave in similar motion with a leap in the top voice,
    from another interval (consecutive ones are :func:`perfect_motion`'s), shape=(N,), bool.

    ``before`` may also hold one chord per row of ``after``, shape=(N, V).
    """
    before, after = np.atleast_2d(before), np.atleast_2d(after)
    top, bass, new_top, new_bass = before[:, 0], before[:, -1], after[:, 0], after[:, -1]
    sounding = (top != REST) & (bass != REST) & (new_top != REST) & (new_bass != REST)
    moving = (new_top != top) & (new_bass != bass)
    arrival = np.abs(new_top - new_bass) % 12  # as it sounds, as in perfect_motion
    similar = np.sign(new_top - top) == np.sign(new_bass - bass)
    perfect = (arrival == 0) | (arrival == 7)
    return sounding & moving & similar & perfect & (arrival != np.abs(top - bass) % 12) & (np.abs(new_top - top) > 2)


def cross_relations(pitches: np.ndarray, letters: tuple[int, ...]) -> np.ndarray:
    """Pairs of voices sounding one letter with two accidentals at once (F against F#), per chord.

    Parameters
    ----------
    pitches : np.ndarray, shape=(N, V)
    letters : tuple of int
        The letter each pitch class 0-11 is written with (:func:`midistyle.music.keys.letters_in_key`,
        for the pitches' own transposition).

    Returns
    -------
    np.ndarray, shape=(N, V, V), bool
        True at [n, u, l], u < l, for such a pair.
    """
    pitches = np.atleast_2d(pitches)
    table = np.asarray(letters)
    n, v = pitches.shape
    found = np.zeros((n, v, v), bool)
    for u, lower in itertools.combinations(range(v), 2):
        a, b = pitches[:, u], pitches[:, lower]
        sounding = (a != REST) & (b != REST)
        interval = (a - b) % 12
        found[:, u, lower] = sounding & ((interval == 1) | (interval == 11)) & (table[a % 12] == table[b % 12])
    return found


def leap_rule(previous, pitches: np.ndarray) -> np.ndarray:
    """The critic's melodic-leap rule for a voice moving from ``previous`` (one pitch, or one per
    move) to ``pitches``: 0 none, 1 a seventh (10 or 11 semitones), 2 beyond an octave, shape=(N,)."""
    leap = np.abs(np.asarray(pitches) - np.asarray(previous))
    return np.where(leap > 12, 2, np.where((leap == 10) | (leap == 11), 1, 0))
