"""Each symbolic metric pinned on a hand-built score whose answer is known."""

import math

import numpy as np
import pytest

from midistyle.errors import InputError
from midistyle.music import metrics
from midistyle.music.score import Key, Note, Score, make_voices


def chorale(*voices, time_signature=(4, 4), anacrusis_steps=0):
    """A score from per-voice lists of (pitch, quarters) played back to back; pitch None = rest."""
    notes_per_voice = []
    for line in voices:
        step, notes = 0, []
        for pitch, quarters in line:
            steps = int(quarters * 4)
            if pitch is not None:
                notes.append(Note(step, pitch, steps))
            step += steps
        notes_per_voice.append(notes)
    return Score(make_voices(notes_per_voice), time_signature=time_signature, anacrusis_steps=anacrusis_steps)


def quarters(*pitches):
    return [(p, 1) for p in pitches]


# I - IV - V - I in C major, correct voice leading, no parallels: the "good" reference.
GOOD = chorale(quarters(72, 72, 71, 72), quarters(67, 69, 67, 67), quarters(64, 65, 62, 64), quarters(48, 53, 55, 48))


def test_good_progression_has_no_voice_leading_faults():
    assert metrics.parallel_perfect_intervals(GOOD) == 0
    assert metrics.voice_crossings(GOOD) == 0
    assert metrics.wide_spacings(GOOD) == 0
    assert metrics.large_leaps(GOOD) == 0


def test_good_progression_is_all_chords_in_range_and_in_c_major():
    assert metrics.chord_beat_rate(GOOD) == 1.0
    assert metrics.in_range_rate(GOOD) == 1.0
    assert metrics.scale_consistency(GOOD) == 1.0
    assert metrics.unresolved_dissonance_rate(GOOD) == 0.0
    assert metrics.polyphony(GOOD) == 4.0
    assert metrics.monophonic_voice_rate(GOOD) == 1.0


def test_exactly_one_parallel_fifth():
    # Alto G4->A4 over bass C4->D4 is a parallel fifth; no other pair moves in perfect intervals.
    score = chorale(quarters(72, 71), quarters(67, 69), quarters(64, 65), quarters(60, 62))
    assert metrics.parallel_perfect_intervals(score) == pytest.approx(100.0)  # 1 event / 1 transition
    score_with_two_transitions = chorale(
        quarters(72, 71, 72), quarters(67, 69, 67), quarters(64, 65, 64), quarters(60, 62, 55)
    )
    assert metrics.parallel_perfect_intervals(score_with_two_transitions) == pytest.approx(50.0)


def test_octaves_and_unisons_count_but_oblique_motion_does_not():
    unison = chorale(quarters(60, 62), quarters(60, 62))
    assert metrics.parallel_perfect_intervals(unison) == 100.0
    contrary_octaves = chorale(quarters(72, 74), quarters(60, 50))  # 12 -> 24: antiparallel octaves
    assert metrics.parallel_perfect_intervals(contrary_octaves) == 100.0
    oblique = chorale(quarters(67, 67), quarters(60, 55))  # fifth -> octave, one voice holds
    assert metrics.parallel_perfect_intervals(oblique) == 0.0


def test_crossing_spacing_and_leap_are_counted_per_100_transitions():
    crossed = chorale(quarters(60, 60, 60), quarters(64, 55, 55))  # alto above soprano on beat 1
    assert metrics.voice_crossings(crossed) == pytest.approx(50.0)
    spaced = chorale(quarters(79, 72), quarters(60, 67), quarters(55, 60), quarters(48, 48))
    assert metrics.wide_spacings(spaced) == pytest.approx(100.0)  # S-A 19 semitones on beat 1 only
    leaping = chorale(quarters(60, 76, 74))
    assert metrics.large_leaps(leaping) == pytest.approx(50.0)


def test_an_empty_bar_in_one_voice():
    score = chorale(
        quarters(72, 72, 72, 72, 72, 72, 72, 72), [(None, 4)] + quarters(67, 67, 67, 67)
    )  # two bars; the alto rests through the first
    assert metrics.empty_measure_rate(score) == pytest.approx(1 / 4)
    assert metrics.empty_measure_rate(GOOD) == 0.0


def test_pitch_class_statistics_use_pitch_mod_12():
    # C4, C5, C6, G4: pitch classes C, C, C, G (a reshape-based chroma would not give this)
    score = chorale(quarters(60, 72, 84, 67))
    np.testing.assert_array_equal(metrics.pitch_class_histogram(score)[[0, 7]], [3, 1])
    p = np.array([0.75, 0.25])
    assert metrics.pitch_class_entropy(score) == pytest.approx(float(-(p * np.log2(p)).sum()))
    chromatic = chorale(quarters(*range(60, 72)), time_signature=(12, 4))
    assert metrics.pitch_class_entropy(chromatic) == pytest.approx(math.log2(12))
    assert metrics.pitch_classes_per_bar(chromatic) == 12
    assert metrics.scale_consistency(chromatic) == pytest.approx(7 / 12)


def test_qualified_note_rate_counts_short_notes():
    score = Score(make_voices([[Note(0, 60, 1), Note(1, 62, 3), Note(4, 64, 4)]]))
    assert metrics.qualified_note_rate(score, min_quarters=0.5) == pytest.approx(2 / 3)
    assert metrics.qualified_note_rate(score) == 1.0


def test_tonal_distance_is_zero_for_identical_voices_and_positive_for_a_tritone():
    same = chorale(quarters(60, 64, 67, 60), quarters(48, 52, 55, 48))
    assert metrics.tonal_distance(same) == pytest.approx(0.0, abs=1e-12)
    tritone = chorale(quarters(60, 60, 60, 60), quarters(54, 54, 54, 54))
    assert metrics.tonal_distance(tritone) > 1.0


def test_tonal_centroid_of_c_major_triad_matches_harte():
    chroma = np.zeros(12)
    chroma[[0, 4, 7]] = 1
    centroid = metrics.tonal_centroid(chroma)
    expected_fifths_sin = np.mean([np.sin(7 * np.pi / 6 * pc) for pc in (0, 4, 7)])
    assert centroid[0] == pytest.approx(expected_fifths_sin)
    assert np.all(metrics.tonal_centroid(np.zeros(12)) == 0)


@pytest.mark.parametrize(
    ("pitch_classes", "recognised"),
    [
        ({0, 4, 7}, True),
        ({0, 4}, True),
        ({9, 0, 4}, True),
        ({7, 11, 2, 5}, True),
        ({11, 2, 5}, True),
        ({0, 7}, False),
        ({0}, False),
        ({0, 1, 4}, False),
        ({0, 2, 4, 7}, False),
    ],
    ids=["C", "C-no-fifth", "Am", "G7", "Bdim", "open-fifth", "unison", "cluster", "add9"],
)
def test_chord_recognition(pitch_classes, recognised):
    assert (metrics.chord_name(frozenset(pitch_classes)) is not None) is recognised


def test_unresolved_dissonance_against_the_bass():
    # beat 1: C/E/G over C; beat 2: soprano F over bass G (a seventh) that leaps away; beat 3: C over C
    unresolved = chorale(quarters(72, 77, 72), quarters(60, 55, 60))
    assert metrics.unresolved_dissonance_rate(unresolved) == pytest.approx(1 / 3)
    resolved = chorale(quarters(72, 77, 76), quarters(60, 55, 48))  # F resolves down a step to E
    assert metrics.unresolved_dissonance_rate(resolved) == 0.0


def test_beats_follow_compound_meter_and_pickup():
    six_eight = Score(make_voices([[Note(0, 60, 12)]]), time_signature=(6, 8))
    assert metrics.beat_steps(six_eight) == 6
    pickup = Score(make_voices([[Note(0, 60, 4), Note(4, 62, 16)]]), anacrusis_steps=4)
    np.testing.assert_array_equal(metrics.beat_starts(pickup), [0, 4, 8, 12, 16])
    pickup_eighth = Score(make_voices([[Note(0, 60, 2), Note(2, 62, 16)]]), anacrusis_steps=2)
    assert metrics.beat_starts(pickup_eighth)[0] == 2


def test_melody_preserved():
    melody = chorale(quarters(72, 74, 76, 77))
    assert metrics.melody_preserved(melody, GOOD.replace(voices=melody.voices + GOOD.voices[1:])) == 1.0
    assert metrics.melody_preserved(melody, GOOD) == 0.25  # only the first C5 is shared
    half = chorale(quarters(72, 74, 75, 78))
    assert metrics.melody_preserved(melody, half) == 0.5
    with pytest.raises(InputError, match="no melody"):
        metrics.melody_preserved(Score(make_voices([[]])), GOOD)


def test_bach_test_split_is_near_clean(test_chorales):
    bach = metrics.mean_metrics(test_chorales)
    assert bach["in_range_rate"] > 0.99
    assert bach["monophonic_voice_rate"] == 1.0
    assert bach["chord_beat_rate"] > 0.85
    assert bach["parallel_fifths_octaves"] < 6
    assert set(bach) == set(metrics.METRICS)


def test_repeated_pitch_share_counts_a_pitch_struck_again_but_not_across_a_rest():
    """Alto C4 C4 D4 (one repeat in two moves); tenor A3, rest, A3 (no move: a rest between);
    bass held (no move). The soprano's repeats are not counted."""
    soprano = [Note(0, 72, 4), Note(4, 72, 4), Note(8, 72, 4)]
    alto = [Note(0, 60, 4), Note(4, 60, 4), Note(8, 62, 4)]
    tenor = [Note(0, 57, 4), Note(8, 57, 4)]
    bass = [Note(0, 48, 12)]
    score = Score(make_voices([soprano, alto, tenor, bass]))
    assert metrics.repeated_pitch_share([score]) == 0.5
    one_repeat = Score(make_voices([soprano[:2], alto[:2]]))  # one move, a repeat
    assert metrics.repeated_pitch_share([score, one_repeat]) == 2 / 3  # pooled moves, not a mean of shares
    assert metrics.repeated_pitch_share([score], voices=(0,)) == 1.0
    assert metrics.repeated_pitch_share([Score(make_voices([soprano]))]) == 0.0


def test_augmented_leap_share_counts_the_bass_s_augmented_leaps_in_the_key():
    """Bass in C major C3 F#3 G3 F3 B2 C3: five moves, one augmented fourth (C-F#), one diminished
    fifth (F-B); the tenor's B2 F3 E3 (a diminished fifth rising, a step) and the alto's F4 B4 A4 (an
    augmented fourth, a step)."""
    bass = [Note(0, 48, 4), Note(4, 54, 4), Note(8, 55, 4), Note(12, 53, 4), Note(16, 47, 4), Note(20, 48, 4)]
    tenor = [Note(0, 47, 8), Note(8, 53, 8), Note(16, 52, 8)]
    alto = [Note(0, 65, 8), Note(8, 71, 8), Note(16, 69, 8)]
    score = Score(make_voices([[Note(0, 72, 24)], alto, tenor, bass]), key=Key(0, "major"))
    assert metrics.augmented_leap_share([score]) == 1 / 5
    assert metrics.augmented_leap_share([score], voices=(2,)) == 0.0
    assert metrics.augmented_leap_share([score], voices=(1, 2)) == 1 / 4


def test_move_share_counts_moves_of_the_given_sizes_up_or_down():
    """Bass C3 D3 C3 G2 Ab2: four moves, two whole tones, one fourth, one semitone; a rest ends a run."""
    bass = [Note(0, 48, 4), Note(4, 50, 4), Note(8, 48, 4), Note(12, 43, 4), Note(16, 44, 4), Note(24, 44, 4)]
    score = Score(make_voices([[Note(0, 72, 28)], [], [], bass]))
    assert metrics.move_share([score], (1, 2), voices=(3,)) == 3 / 4
    assert metrics.move_share([score], (1,), voices=(3,)) == 1 / 4
    assert metrics.move_share([score], (5,), voices=(3,)) == 1 / 4
    assert metrics.move_share([score], (0,), voices=(3,)) == metrics.repeated_pitch_share([score], voices=(3,)) == 0.0
    assert metrics.move_share([score], (1, 2)) == 3 / 4  # the alto and tenor have no moves
