"""What the harmonizer sees and says, as arrays — no TensorFlow here.

**The model's space.** Every chorale and every user melody is transposed so that its key becomes C
major or A minor (a shift in -6..+5 semitones) and the melody is moved by whole octaves into the
soprano's register. The model then only learns harmony in one key per mode; a ``Placement`` records
both shifts so the output goes back exactly.

**Arrays.** Time is 16th steps, pitch rows ``LOWEST_PITCH .. LOWEST_PITCH + NUM_PITCHES - 1``:

* condition, shape=(T, P, 5): melody onset, melody sustain, beat, downbeat, minor mode (the last
  three are constant along pitch);
* harmony, shape=(T, P, 6): onset and sustain of alto, tenor and bass.

Decoding the model's output into notes lives in :mod:`midistyle.models.harmony_decoding`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from midistyle.errors import InputError
from midistyle.music.keys import ending_key, same_scale, signature_key
from midistyle.music.metrics import beat_steps
from midistyle.music.score import VOICE_NAMES, Key, Note, Score, Voice, make_voices

LOWEST_PITCH = 36
NUM_PITCHES = 48  # C2..B5: the SATB span plus room for the key shift
CONDITION_CHANNELS = 5
HARMONY_VOICES = 3  # alto, tenor, bass
SOPRANO_WORK_RANGE = (57, 81)  # where normalized Bach sopranos sit; melodies are octave-shifted into it
SINGABLE_SLACK = 3  # semitones a melody may pass the soprano range after octave shifting
MAX_MELODY_SPAN = 36  # semitones; wider is no vocal line (fiddle tunes reach about 28)


@dataclass(frozen=True)
class Placement:
    """How a melody was moved into the model's space: ``work pitch = pitch + key_shift + octave_shift``."""

    key: Key
    key_shift: int
    octave_shift: int
    notes_outside: int = 0  # melody notes beyond a singable soprano range, shown to the model an octave nearer
    key_source: str = ""  # how the key was chosen, for the report ("" for a key the caller gave)

    @property
    def total_shift(self) -> int:
        return self.key_shift + self.octave_shift

    @property
    def minor(self) -> bool:
        return self.key.mode == "minor"

    def key_line(self) -> str:
        """The report line, e.g. ``key: F major (detected)``."""
        return f"key: {self.key}" + (f" ({self.key_source})" if self.key_source else "")


def key_shift(key: Key) -> int:
    """Semitones (-6..5) that take ``key`` to C major, or to A minor for a minor key."""
    target = 0 if key.mode == "major" else 9
    return (target - key.tonic_pitch_class + 6) % 12 - 6


def choose_octave_shift(pitches: np.ndarray) -> int:
    """Whole octaves that put the most of ``pitches`` in ``SOPRANO_WORK_RANGE`` (smallest shift on ties)."""
    low, high = SOPRANO_WORK_RANGE
    candidates = sorted(range(-48, 49, 12), key=abs)
    return max(candidates, key=lambda s: np.sum((pitches + s >= low) & (pitches + s <= high)))


def detect_key(melody: Score) -> Key:
    """The melody's key by music21's Krumhansl–Schmuckler analysis (duration-weighted)."""
    from music21 import note, stream

    part = stream.Part()
    for n in melody.voices[0].notes:
        element = note.Note(n.pitch, quarterLength=n.duration_steps / melody.steps_per_quarter)
        part.insert(n.onset_step / melody.steps_per_quarter, element)
    analysed = part.analyze("key")
    tonic = analysed.tonic.name.replace("-", "b")
    try:
        return Key.parse(f"{tonic} {analysed.mode}")
    except InputError:  # e.g. D# minor has no standard signature: use the enharmonic
        enharmonic = analysed.tonic.getEnharmonic().name.replace("-", "b")
        return Key.parse(f"{enharmonic} {analysed.mode}")


def choose_key(melody: Score) -> tuple[Key, str]:
    """The key a one-voice melody is harmonized in, and how it was chosen (for the report line).

    Its notes' key (:func:`detect_key`), or the relative key that it ends on the tonic of
    (:func:`midistyle.music.keys.ending_key`), unless its file's key signature names another key
    that ends it (:func:`midistyle.music.keys.signature_key`). The ending speaks first: a default C
    major signature over a tune in A major that reads as F# minor names A minor, which ends it too.
    """
    detected = detect_key(melody)
    key, declared = ending_key(melody, detected), melody.key
    signed = signature_key(melody, key)
    if signed is not None:
        return signed, f"the file's key signature; the notes alone suggest {detected}"
    source = "detected" if key == detected else f"the tune ends on its tonic; the notes alone suggest {detected}"
    if declared is not None and not same_scale(declared, key):
        source += f"; the file's {declared} signature does not fit the tune"
    return key, source


def place_melody(melody: Score, key: Key | None = None) -> Placement:
    """Key and octave shifts for a one-voice melody.

    A melody that passes the soprano range after the best octave shift (a fiddle tune) is still
    placed: the model is shown its outlying notes an octave nearer (:func:`condition_planes`) and
    the soprano keeps them as written. ``Placement.notes_outside`` counts them.

    Without ``key``, the melody's key is :func:`choose_key`'s; ``Placement.key_source`` says how it
    was chosen.

    Raises
    ------
    InputError
        When the melody spans more than three octaves.
    """
    source = ""
    if key is None:
        key, source = choose_key(melody)
    pitches = np.array([n.pitch for n in melody.voices[0].notes]) + key_shift(key)
    span = int(pitches.max() - pitches.min())
    if span > MAX_MELODY_SPAN:
        raise InputError(f"the melody spans {span} semitones, more than {MAX_MELODY_SPAN}: not a singable line "
                         "for a soprano to carry (is it more than one part?)")
    octave = choose_octave_shift(pitches)
    low, high = SOPRANO_WORK_RANGE
    outside = int(np.sum((pitches + octave < low - SINGABLE_SLACK) | (pitches + octave > high + SINGABLE_SLACK)))
    return Placement(key, key_shift(key), octave, outside, source)


# -- the arrays ------------------------------------------------------------------------------------
def fold_into_window(work_pitch: int) -> int:
    """The pitch, moved by octaves into the model's 48-pitch window (and below its top octave)."""
    high = LOWEST_PITCH + NUM_PITCHES - 1
    while work_pitch > min(high, SOPRANO_WORK_RANGE[1] + SINGABLE_SLACK):
        work_pitch -= 12
    while work_pitch < max(LOWEST_PITCH, SOPRANO_WORK_RANGE[0] - SINGABLE_SLACK):
        work_pitch += 12
    return work_pitch



def padded_steps(num_steps: int, multiple: int) -> int:
    return -(-num_steps // multiple) * multiple


def condition_planes(melody: Score, placement: Placement, num_steps: int) -> np.ndarray:
    """The model's input for a melody (first voice of ``melody``).

    Returns
    -------
    np.ndarray, shape=(num_steps, NUM_PITCHES, CONDITION_CHANNELS), float32
    """
    planes = np.zeros((num_steps, NUM_PITCHES, CONDITION_CHANNELS), np.float32)
    for n in melody.voices[0].notes:
        row = fold_into_window(n.pitch + placement.total_shift) - LOWEST_PITCH
        planes[n.onset_step, row, 0] = 1
        planes[n.onset_step : n.end_step, row, 1] = 1
    beat = beat_steps(melody)
    steps = np.arange(num_steps)
    planes[:, :, 2] = ((steps - melody.anacrusis_steps) % beat == 0)[:, None]
    planes[:, :, 3] = ((steps - melody.anacrusis_steps) % melody.steps_per_bar == 0)[:, None]
    planes[:, :, 4] = float(placement.minor)
    return planes


def harmony_planes(chorale: Score, placement: Placement, num_steps: int) -> np.ndarray | None:
    """Bach's alto, tenor and bass in the model's space; None if a note leaves the pitch window.

    Returns
    -------
    np.ndarray, shape=(num_steps, NUM_PITCHES, 2 * HARMONY_VOICES), float32
    """
    planes = np.zeros((num_steps, NUM_PITCHES, 2 * HARMONY_VOICES), np.float32)
    for v, voice in enumerate(chorale.voices[1:4]):
        for n in voice.notes:
            row = n.pitch + placement.total_shift - LOWEST_PITCH
            if not 0 <= row < NUM_PITCHES:
                return None
            planes[n.onset_step, row, 2 * v] = 1
            planes[n.onset_step : n.end_step, row, 2 * v + 1] = 1
    return planes


def chorale_placement(chorale: Score) -> Placement:
    """Where a chorale goes in the model's space: by its own key, soprano in the soprano register."""
    pitches = np.array([n.pitch for n in chorale.voices[0].notes]) + key_shift(chorale.key)
    return Placement(chorale.key, key_shift(chorale.key), choose_octave_shift(pitches))


def chorale_example(chorale: Score) -> tuple[np.ndarray, np.ndarray] | None:
    """(condition, harmony) for a whole training chorale, or None if it does not fit the window."""
    if chorale.key is None:
        return None
    melody = chorale.select_voices([0])
    placement = chorale_placement(chorale)
    try:
        condition = condition_planes(melody, placement, chorale.num_steps)
    except InputError:
        return None
    harmony = harmony_planes(chorale, placement, chorale.num_steps)
    return None if harmony is None else (condition, harmony)


def random_crops(
    examples: list[tuple[np.ndarray, np.ndarray]], crop_steps: int, batch_size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A batch of crops starting on a random step, silence-padded where a chorale is short.

    Returns
    -------
    condition : np.ndarray, shape=(batch_size, crop_steps, NUM_PITCHES, CONDITION_CHANNELS)
    harmony : np.ndarray, shape=(batch_size, crop_steps, NUM_PITCHES, 2 * HARMONY_VOICES)
    """
    conditions, harmonies = [], []
    for index in rng.integers(0, len(examples), batch_size):
        condition, harmony = examples[index]
        start = int(rng.integers(0, max(1, len(condition) - crop_steps + 1)))
        conditions.append(_fit(condition[start : start + crop_steps], crop_steps))
        harmonies.append(_fit(harmony[start : start + crop_steps], crop_steps))
    return np.stack(conditions), np.stack(harmonies)


def _fit(array: np.ndarray, num_steps: int) -> np.ndarray:
    if len(array) >= num_steps:
        return array[:num_steps]
    return np.concatenate([array, np.zeros((num_steps - len(array), *array.shape[1:]), array.dtype)])


# -- melodies from files --------------------------------------------------------------------------
def extract_melody(score: Score, track: int | None = None) -> Score:
    """The one-voice melody to harmonize: track ``track`` (0-based) or the first voice with notes.

    Overlaps from legato playing are trimmed (a note ends where the next begins); two notes that
    start together are a chord, which a melody cannot have.

    Raises
    ------
    InputError
        No notes, a missing track, or a chord (named by bar and beat).
    """
    if track is not None and not 0 <= track < score.num_voices:
        raise InputError(f"--track {track} does not exist: the file has {score.num_voices} track(s) (0-based)")
    candidates = [score.voices[track]] if track is not None else [v for v in score.voices if v.notes]
    if not candidates or not candidates[0].notes:
        raise InputError("the melody has no notes")
    voice = candidates[0]
    notes = list(voice.notes)
    for a, b in zip(notes, notes[1:]):
        if a.onset_step == b.onset_step:
            raise InputError(f"the melody is polyphonic: a chord at {_where(score, a.onset_step)}")
    trimmed = [
        dataclasses.replace(a, duration_steps=min(a.duration_steps, b.onset_step - a.onset_step))
        for a, b in zip(notes, notes[1:])
    ] + [notes[-1]]
    return score.replace(voices=(Voice(VOICE_NAMES[0], tuple(trimmed), voice.program),))


def _where(score: Score, step: int) -> str:
    bar_lines = score.bar_lines()
    bar = max(i for i, line in enumerate(bar_lines) if line <= step)
    beat = (step - bar_lines[bar]) // beat_steps(score) + 1
    first_bar = 0 if score.anacrusis_steps else 1
    return f"bar {bar + first_bar}, beat {beat} (step {step})"


def assemble(melody: Score, lower_voices: list[list[Note]]) -> Score:
    """The four-voice score: the melody untouched as soprano, then alto, tenor, bass."""
    voices = make_voices([melody.voices[0].notes, *lower_voices])
    return melody.replace(voices=voices)


def given_planes(harmony, given, xp=np):
    """The generator's extra input planes for the voices it is given.

    Parameters
    ----------
    harmony : np.ndarray or tensor, shape=(B, T, P, 6)
        Onset and sustain of alto, tenor and bass (only the given voices' are read).
    given : np.ndarray or tensor, shape=(B, 3), float
        1 where a voice is given, 0 where the generator must write it.
    xp : module
        ``numpy`` (inference) or ``keras.ops`` (training): both have ``stack``, ``ones_like`` and
        ``concatenate``, so the planes are built by one definition.

    Returns
    -------
    shape=(B, T, P, 9): onsets of the 3 voices, their sustains, and one constant flag plane per voice,
    all zero for a voice that is not given.
    """
    mask = given[:, None, None, :]  # (B, 1, 1, 3)
    onsets = xp.stack([harmony[..., 2 * v] for v in range(HARMONY_VOICES)], axis=-1) * mask
    sustains = xp.stack([harmony[..., 2 * v + 1] for v in range(HARMONY_VOICES)], axis=-1) * mask
    flags = xp.ones_like(onsets) * mask
    return xp.concatenate([onsets, sustains, flags], axis=-1)
