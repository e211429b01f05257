import numpy as np
import pytest

from midistyle.errors import InputError
from midistyle.music.pianoroll import ONSET, SUSTAIN, channel, pianoroll_to_score, score_to_pianoroll
from midistyle.music.score import Note, Score, make_voices


def test_held_and_repeated_notes_differ():
    held = Score(make_voices([[Note(0, 60, 8)]]))
    repeated = Score(make_voices([[Note(0, 60, 4), Note(4, 60, 4)]]))
    held_roll, repeated_roll = score_to_pianoroll(held), score_to_pianoroll(repeated)
    assert np.array_equal(held_roll[:, :, channel(0, SUSTAIN)], repeated_roll[:, :, channel(0, SUSTAIN)])
    assert held_roll[:, 60, channel(0, ONSET)].sum() == 1
    assert repeated_roll[:, 60, channel(0, ONSET)].sum() == 2
    assert pianoroll_to_score(repeated_roll).voices[0].notes == repeated.voices[0].notes


def test_shape_and_pitch_window():
    score = Score(make_voices([[Note(0, 60, 4)], [Note(2, 50, 4)]]))
    roll = score_to_pianoroll(score, lowest_pitch=40, num_pitches=48, num_steps=16)
    assert roll.shape == (16, 48, 4)
    back = pianoroll_to_score(roll, lowest_pitch=40)
    assert [v.notes for v in back.voices] == [v.notes for v in score.voices]
    with pytest.raises(InputError, match="outside the roll"):
        score_to_pianoroll(score, lowest_pitch=55, num_pitches=12)


def test_decoding_model_output_uses_threshold_and_lone_onsets():
    roll = np.zeros((8, 128, 2), dtype=np.float32)
    roll[0:4, 60, channel(0, SUSTAIN)] = 0.9
    roll[0, 60, channel(0, ONSET)] = 0.8
    roll[4:6, 60, channel(0, SUSTAIN)] = 0.2  # below threshold: silence
    roll[6, 64, channel(0, ONSET)] = 0.7  # onset without sustain: a one-step note
    notes = pianoroll_to_score(roll).voices[0].notes
    assert [(n.onset_step, n.pitch, n.duration_steps) for n in notes] == [(0, 60, 4), (6, 64, 1)]


def test_lossless_round_trip_over_whole_corpus(all_chorales):
    assert len(all_chorales) >= 330
    for chorale in all_chorales:
        roll = score_to_pianoroll(chorale)
        back = pianoroll_to_score(roll, steps_per_quarter=chorale.steps_per_quarter)
        assert [v.notes for v in back.voices] == [v.notes for v in chorale.voices], chorale.title
