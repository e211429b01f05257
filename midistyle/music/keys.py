"""Keys without music21: estimate one from pitch classes, and spell pitches by letter in it.

The harmony critic needs a key for two things: the letter a pitch class is written with (F♯ and
G♭ are one pitch class but different intervals to a C), and the tonic of the final cadence.
Spelling follows Bach: each degree of the key (counted in semitones from the tonic) is written
with the letter he writes it with most in the chorales, so F♯ in D minor, G♯ in A minor, E♭ in
D minor's flat second; :func:`midistyle.music.musicxml.spell_pitch` writes the same letters.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from midistyle.music.score import Key, Score

LETTERS = "CDEFGAB"
NATURAL_PITCH_CLASSES = (0, 2, 4, 5, 7, 9, 11)  # of C D E F G A B
MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR_STEPS = (0, 2, 3, 5, 7, 8, 10)

# Krumhansl & Kessler (1982) probe-tone profiles, tonic first.
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def estimate_key(score: Score) -> Key:
    """The key whose Krumhansl-Kessler profile best correlates with the duration-weighted
    pitch-class histogram (C major for a score without notes)."""
    histogram = _pitch_class_histogram(score)
    if not histogram.any():
        return Key(0, "major")
    best, best_r = Key(0, "major"), -np.inf
    for mode, profile in (("major", _MAJOR_PROFILE), ("minor", _MINOR_PROFILE)):
        for tonic in range(12):
            r = np.corrcoef(np.roll(profile, tonic), histogram)[0, 1]
            if r > best_r:
                best, best_r = key_of_tonic(tonic, mode), r
    return best


def scale_of(score_key: Key) -> frozenset[int]:
    """The key's scale as pitch classes; minor with its raised sixth and seventh (melodic and harmonic)."""
    tonic = score_key.tonic_pitch_class
    steps = MAJOR_STEPS if score_key.mode == "major" else NATURAL_MINOR_STEPS + (9, 11)
    return frozenset((tonic + step) % 12 for step in steps)


def share_outside_scale(score: Score, score_key: Key) -> float:
    """The share of the notes' duration on pitch classes outside ``score_key``'s scale (0 for no notes)."""
    histogram = _pitch_class_histogram(score)
    total = histogram.sum()
    if not total:
        return 0.0
    scale = scale_of(score_key)
    return float(sum(histogram[pc] for pc in range(12) if pc not in scale) / total)


KEY_WARNING_SHARE = 0.15  # of a melody's duration outside a given key's scale ...
KEY_WARNING_MARGIN = 0.10  # ... and this much more than outside the best-fitting key's


def key_warning(melody: Score, given: Key) -> str | None:
    """A one-line warning when ``given`` (a ``--key``, which names the melody's key and does not
    transpose) does not fit the melody, else None. A relative key (the same scale) fits."""
    poor = misfit(melody, given)
    if poor is None:
        return None
    outside, best, best_outside = poor
    return (f"warning: --key {given} does not fit this melody: {outside:.0%} of it lies outside that scale "
            f"({best_outside:.0%} outside {best}'s, the best fit); --key names the melody's key, "
            "it does not transpose")


def misfit(melody: Score, given: Key) -> tuple[float, Key, float] | None:
    """Where ``given`` does not fit the melody: the share of its duration outside that key's scale,
    the best-fitting key and the share outside that one's (over ``KEY_WARNING_SHARE``, and
    ``KEY_WARNING_MARGIN`` more); None where it fits."""
    best = estimate_key(melody)
    outside, best_outside = share_outside_scale(melody, given), share_outside_scale(melody, best)
    if outside > KEY_WARNING_SHARE and outside - best_outside >= KEY_WARNING_MARGIN:
        return outside, best, best_outside
    return None


def same_scale(first: Key, second: Key) -> bool:
    """Whether two keys share one scale: a key and its relative, or two spellings of one key (C♯
    and D♭ major)."""
    return _major_tonic(first) == _major_tonic(second)


def _major_tonic(score_key: Key) -> int:
    return (score_key.tonic_pitch_class + (0 if score_key.mode == "major" else 3)) % 12


def signature_key(melody: Score, detected: Key) -> Key | None:
    """The key a melody file's own key signature (``melody.key``) names, where it should win over
    ``detected`` (found from the notes alone); None where ``detected`` should stand.

    A signature names a scale, and the notes say which of its two keys, major or the relative
    minor, they are in: a signature of the scale ``detected`` is in adds nothing (the last note picks
    between the two, :func:`ending_key`). A signature of
    another scale wins when the tune ends on the tonic of one of its keys, the notes fit that key's
    scale (no :func:`misfit`), and the notes alone heard another tonic: a tune in G major that keeps
    returning to D reads as D major, and ends on G. A signature left at its default (C major in a
    notation program) ends a tune in C minor, G major or F major on no tonic it names, or names a
    scale the notes leave, so the detected key stands; so it does for a lead sheet left at C major
    that is in F and ends on F.

    Measured against the root of Bach's final chord, with the signatures of his files and with
    every file's signature replaced by C major: ``python -m benchmarks key_choice``.
    """
    declared = melody.key
    notes = melody.voices[0].notes if melody.voices else ()
    if declared is None or not notes or same_scale(declared, detected):
        return None
    last = notes[-1].pitch % 12
    ending = next((k for k in (declared, relative_key(declared)) if k.tonic_pitch_class == last), None)
    if ending is None or ending.tonic_pitch_class == detected.tonic_pitch_class or misfit(melody, ending):
        return None
    return ending


def relative_key(score_key: Key) -> Key:
    """The key with the same signature and the other mode (A minor for C major, and back)."""
    return Key(score_key.sharps, "minor" if score_key.mode == "major" else "major")


def ending_key(melody: Score, heard: Key) -> Key:
    """Of ``heard`` and its relative (:func:`relative_key`), the one whose tonic the melody ends on;
    ``heard`` where the last note is the tonic of neither.

    The notes of a key and its relative are the same scale, and a key profile can hear either: a
    chorale in A major that dwells on its F#s reads as F# minor. Its last note settles it, since a
    chorale melody ends on its tonic. Measured against the root of Bach's final chord (``python
    -m benchmarks key_choice``).
    """
    notes = melody.voices[0].notes if melody.voices else ()
    if not notes:
        return heard
    relative = relative_key(heard)
    last = notes[-1].pitch % 12
    return relative if relative.tonic_pitch_class == last != heard.tonic_pitch_class else heard


def _pitch_class_histogram(score: Score) -> np.ndarray:
    """Note durations (steps) summed per pitch class, shape (12,)."""
    histogram = np.zeros(12)
    for voice in score.voices:
        for note in voice.notes:
            histogram[note.pitch % 12] += note.duration_steps
    return histogram


def key_of_tonic(tonic_pitch_class: int, mode: str) -> Key:
    """The key with that tonic and mode, with the fewest accidentals (G♭ over F♯ on a tie)."""
    candidates = [Key(sharps, mode) for sharps in range(-7, 8) if Key(sharps, mode).tonic_pitch_class
                  == tonic_pitch_class % 12]
    return min(candidates, key=lambda k: (abs(k.sharps), k.sharps))


# The letter Bach writes each pitch class with, as letters above the tonic's letter (0-6) for
# each semitone above the tonic (0-11): in the train split's chorales, the spelling of each
# degree he writes most often (:func:`midistyle.data.spellings.bach_letter_steps` counts it; a
# test keeps this table equal to it). In major every chromatic degree is a raised one but the
# seventh (#1, #2, #4, #5, b7; #2 and b3 nearly tie, 42 notes to 39); in minor, the flat second,
# the raised third and fourth, and the raised sixth and seventh.
BACH_LETTER_STEPS = {
    "major": (0, 0, 1, 1, 2, 3, 3, 4, 4, 5, 6, 6),
    "minor": (0, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6),
}


@lru_cache(maxsize=64)
def letter_choices(sharps: int, mode: str) -> tuple[tuple[int, ...], ...]:
    """The letters (0 = C … 6 = B) each pitch class 0-11 may be spelled with in a key.

    The first is the letter Bach writes it with most (:data:`BACH_LETTER_STEPS`), unless that
    needs a double sharp or flat outside the scale (A, not G𝄪, in F♯ major). A pitch class written
    with an accidental the key signature does not give it has a second choice, its enharmonic on
    the neighbouring letter (G♭ beside F♯ in D minor, C beside B♯ in F♯ major); the scale's own
    pitch classes (in minor with the raised sixth and seventh, so F𝄪 in G♯ minor) and naturals
    have one.
    """
    score_key = Key(sharps, mode)
    tonic_letter = LETTERS.index(score_key.tonic_name[0])
    tonic = score_key.tonic_pitch_class
    scale = scale_of(score_key)
    choices = []
    for pc in range(12):
        letter = (tonic_letter + BACH_LETTER_STEPS[mode][(pc - tonic) % 12]) % 7
        alteration = alteration_of(pc, letter)
        if pc not in scale and abs(alteration) > 1:  # the neighbouring letter, one accidental less
            letter = (letter + (1 if alteration > 0 else -1)) % 7
            alteration = alteration_of(pc, letter)
        if pc in scale or alteration == 0:
            choices.append((letter,))
        else:  # the enharmonic a letter away, on the side the accidental points to
            choices.append((letter, (letter + (1 if alteration > 0 else -1)) % 7))
    return tuple(choices)


def alteration_of(pitch: int, letter: int) -> int:
    """Semitones ``pitch`` lies above (+) or below (-) ``letter``'s natural: -6..5, in practice -2..2."""
    return (pitch % 12 - NATURAL_PITCH_CLASSES[letter] + 6) % 12 - 6


def letters_in_key(sharps: int, mode: str) -> tuple[int, ...]:
    """The letter each pitch class 0-11 is written with in a key (the first of :func:`letter_choices`)."""
    return tuple(choices[0] for choices in letter_choices(sharps, mode))


def _diatonic_step(pitch: int, letter: int) -> int:
    """The staff position of a MIDI pitch written with ``letter``: 7 per octave, C-1 = 0."""
    return 7 * ((pitch - alteration_of(pitch, letter)) // 12) + letter


_PLAIN_SEMITONES = {0: (0, 1), 1: (1, 2), 2: (3, 4), 3: (5,), 4: (7,), 5: (8, 9), 6: (10, 11)}


def is_augmented_or_diminished(first: int, second: int, score_key: Key) -> bool:
    """True when the interval between two MIDI pitches is augmented or diminished however its
    notes may be spelled in ``score_key`` (a tritone either way, an augmented second, a diminished
    fourth or seventh…).

    A chromatic semitone on one letter (F to F#, an augmented unison) is not counted: it is a
    voice's ordinary chromatic step.
    """
    choices = letter_choices(score_key.sharps, score_key.mode)
    semitones = abs(second - first)
    for a in choices[first % 12]:
        for b in choices[second % 12]:
            letters = abs(_diatonic_step(second, b) - _diatonic_step(first, a))
            if semitones - 12 * (letters // 7) in _PLAIN_SEMITONES[letters % 7]:
                return False
    return True


def is_augmented(first: int, second: int, score_key: Key) -> bool:
    """True when :func:`is_augmented_or_diminished` holds and, written as :func:`spelled` writes the
    two pitches in ``score_key``, the interval is wider than a plain one of its letters: an augmented
    fourth F-B (either way) or D-G# rising, an augmented second, but not the diminished fifth B-F.

    Parameters
    ----------
    first, second : int
        MIDI pitches, in the order sung (the interval's size does not depend on it).
    score_key : Key
        The key whose one spelling per pitch class decides (C major spells D#/Eb as Bach most often
        did, so D#3-A3 reads as a diminished fifth where Eb3-A3 would be an augmented fourth).

    Returns
    -------
    bool
    """
    if not is_augmented_or_diminished(first, second, score_key):
        return False
    letters = letters_in_key(score_key.sharps, score_key.mode)
    low, high = sorted((first, second))
    steps = _diatonic_step(high, letters[high % 12]) - _diatonic_step(low, letters[low % 12])
    return steps >= 0 and high - low - 12 * (steps // 7) > max(_PLAIN_SEMITONES[steps % 7])


def spelled(pitch: int, score_key: Key) -> tuple[int, int, int]:
    """A MIDI pitch as written in ``score_key``: ``(letter, alteration, octave)``, letter 0 = C … 6 = B,
    alteration in semitones (+1 sharp, -2 double flat), octave as in scientific pitch (B#3 is MIDI 60)."""
    letter = letters_in_key(score_key.sharps, score_key.mode)[pitch % 12]
    alteration = alteration_of(pitch, letter)
    return letter, alteration, (pitch - alteration) // 12 - 1


def pitch_name(pitch: int, score_key: Key) -> str:
    """A MIDI pitch as spelled in ``score_key``, e.g. ``"F#4"``, ``"Bb3"``."""
    letter, alteration, octave = spelled(pitch, score_key)
    return f"{LETTERS[letter]}{'#' * alteration if alteration > 0 else 'b' * -alteration}{octave}"
