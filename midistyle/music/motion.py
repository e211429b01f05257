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

    Returns
    -------
    np.ndarray, shape=(N, V, V), int
        For upper voice ``u`` < lower voice ``l``: ``PARALLEL_FIFTHS``, ``PARALLEL_OCTAVES``
        (unisons and compounds included) or ``CONTRARY_PERFECTS`` (the same perfect interval reached
        by contrary motion); ``NO_MOTION`` elsewhere.
    """
    before, after = np.asarray(before), np.atleast_2d(after)
    n, v = after.shape
    codes = np.zeros((n, v, v), np.int8)
    for u, lower in itertools.combinations(range(v), 2):
        if before[u] == REST or before[lower] == REST:
            continue
        first = (before[u] - before[lower]) % 12
        if first not in (0, 7):
            continue
        moving = (after[:, u] != before[u]) & (after[:, lower] != before[lower]) & \
            (after[:, u] != REST) & (after[:, lower] != REST)
        same = (after[:, u] - after[:, lower]) % 12 == first
        parallel = np.sign(after[:, u] - before[u]) == np.sign(after[:, lower] - before[lower])
        kind = np.where(parallel, PARALLEL_OCTAVES if first == 0 else PARALLEL_FIFTHS, CONTRARY_PERFECTS)
        codes[:, u, lower] = np.where(moving & same, kind, NO_MOTION)
    return codes


def hidden_perfects(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Outer voices reaching a fifth or octave in similar motion with a leap in the top voice,
    from another interval (consecutive ones are :func:`perfect_motion`'s), shape=(N,), bool."""
    before, after = np.asarray(before), np.atleast_2d(after)
    top, bass = before[0], before[-1]
    if top == REST or bass == REST:
        return np.zeros(len(after), bool)
    new_top, new_bass = after[:, 0], after[:, -1]
    moving = (new_top != top) & (new_bass != bass) & (new_top != REST) & (new_bass != REST)
    arrival = (new_top - new_bass) % 12
    similar = np.sign(new_top - top) == np.sign(new_bass - bass)
    return moving & similar & np.isin(arrival, (0, 7)) & (arrival != (top - bass) % 12) & (np.abs(new_top - top) > 2)


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
        semitone = np.isin((a - b) % 12, (1, 11))
        found[:, u, lower] = sounding & semitone & (table[a % 12] == table[b % 12])
    return found


def leap_rule(previous: int, pitches: np.ndarray) -> np.ndarray:
    """The critic's melodic-leap rule for one voice moving from ``previous`` to each of ``pitches``:
    0 none, 1 a seventh (10 or 11 semitones), 2 beyond an octave, shape=(N,)."""
    leap = np.abs(np.asarray(pitches) - previous)
    return np.where(leap > 12, 2, np.where(np.isin(leap, (10, 11)), 1, 0))
