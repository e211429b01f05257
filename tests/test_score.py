import pytest

from midistyle.errors import InputError
from midistyle.music.score import Key, Note, Score, Voice, make_voices, pitch_class_of


def test_note_rejects_out_of_range_values():
    for bad in [dict(onset_step=-1), dict(pitch=128), dict(duration_steps=0), dict(velocity=0)]:
        with pytest.raises(InputError):
            Note(**{**dict(onset_step=0, pitch=60, duration_steps=1), **bad})


@pytest.mark.parametrize("sharps", range(-7, 8))
@pytest.mark.parametrize("mode", ["major", "minor"])
def test_key_name_round_trip(sharps, mode):
    key = Key(sharps, mode)
    assert Key.parse(str(key)) == key


def test_key_parse_variants_and_tonic():
    assert Key.parse("D major") == Key(2, "major")
    assert Key.parse("f# minor") == Key(3, "minor")
    assert Key.parse("E-") == Key(-3, "major")
    assert Key.parse("Bb").tonic_pitch_class == 10
    assert pitch_class_of("Cb") == 11
    with pytest.raises(InputError):
        Key.parse("H major")
    with pytest.raises(InputError):
        Key.parse("D# major")  # nine sharps: no standard signature


def test_meter_sizes_and_bar_lines_with_pickup():
    notes = make_voices([[Note(0, 67, 4), Note(4, 72, 12), Note(16, 71, 12)]])
    score = Score(notes, time_signature=(3, 4), anacrusis_steps=4)
    assert score.steps_per_bar == 12
    assert score.bar_lines() == [0, 4, 16]
    assert Score(notes, time_signature=(6, 8)).steps_per_bar == 12
    with pytest.raises(InputError):
        Score(notes, time_signature=(3, 5))
    with pytest.raises(InputError):
        Score(notes, time_signature=(3, 4), anacrusis_steps=12)


def test_transpose_moves_notes_and_key():
    score = Score(make_voices([[Note(0, 62, 4)]]), key=Key.parse("D major"))
    up = score.transpose(2)
    assert up.voices[0].notes[0].pitch == 64
    assert str(up.key) == "E major"
    assert str(score.transpose(-1).key) == "Db major"


def test_voice_sorts_notes_and_knows_monophony():
    voice = Voice("S", (Note(4, 60, 4), Note(0, 62, 4)))
    assert [n.onset_step for n in voice.notes] == [0, 4]
    assert voice.is_monophonic
    assert not Voice("S", (Note(0, 60, 8), Note(4, 64, 4))).is_monophonic


def test_default_voice_names():
    voices = make_voices([[], [], [], [], []], names=[None, "Alto", None, None, None])
    assert [v.name for v in voices] == ["Soprano", "Alto", "Tenor", "Bass", "Voice 5"]
