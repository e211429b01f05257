import pytest

from midistyle.errors import InputError
from midistyle.music.io import atomic_path, read_score, write_score
from midistyle.music.score import Key, Note, Score, make_voices

# A fixed sample of corpus chorales covering pickups of 1, 1.5 and 2 quarters, 3/4, 3/2 and 12/8,
# extra instrumental parts (bwv1.6), and repeats that expand (bwv269).
SAMPLE_IDS = ["bwv269", "bwv1.6", "bwv311", "bwv384", "bwv123.6", "bwv248.23-2", "bwv145.5", "bwv86.6"]


def _notes(score):
    return [v.notes for v in score.voices]


@pytest.fixture(scope="module")
def sample_chorales():
    from midistyle.data.chorales import convert_chorale

    return [convert_chorale(i) for i in SAMPLE_IDS]


@pytest.mark.parametrize("extension", ["mid", "musicxml"])
def test_real_chorales_round_trip(sample_chorales, tmp_path, extension):
    for chorale in sample_chorales:
        path = write_score(chorale, tmp_path / f"{chorale.title}.{extension}")
        back = read_score(path)
        assert _notes(back) == _notes(chorale), chorale.title
        assert back.time_signature == chorale.time_signature
        assert back.anacrusis_steps == chorale.anacrusis_steps, chorale.title
        assert back.key == chorale.key
        assert back.tempo_qpm == pytest.approx(chorale.tempo_qpm)
        assert [v.name for v in back.voices] == ["Soprano", "Alto", "Tenor", "Bass"]


def test_sample_covers_pickups_and_meters(sample_chorales):
    assert {c.anacrusis_steps for c in sample_chorales} == {0, 4, 6, 8}
    assert {c.time_signature for c in sample_chorales} == {(4, 4), (3, 4), (3, 2), (12, 8)}


def test_musicxml_and_midi_fixtures_agree(data_dir):
    xml = read_score(data_dir / "chorale_excerpt.musicxml")
    midi = read_score(data_dir / "chorale_excerpt.mid")
    assert _notes(xml) == _notes(midi)
    assert xml.anacrusis_steps == midi.anacrusis_steps == 4
    assert xml.key == midi.key == Key.parse("B minor")
    assert xml.num_voices == 4


def test_embedded_melody_reads_as_one_voice_in_g_major():
    from midistyle.pipeline import load_embedded_melody

    melody = load_embedded_melody()
    assert melody.num_voices == 1 and melody.voices[0].is_monophonic
    assert str(melody.key) == "G major" and melody.num_steps == 16 * 16


@pytest.mark.parametrize(
    "name, problem",
    [
        ("empty.mid", "has no notes"),
        ("corrupted.mid", "not a readable MIDI file"),
        ("drums_only.mid", "only drum notes"),
        ("missing.mid", "no such file"),
        ("make_fixtures.py", "unsupported extension"),
    ],
)
def test_bad_files_name_the_path_and_problem(data_dir, name, problem):
    with pytest.raises(InputError, match=problem) as caught:
        read_score(data_dir / name)
    assert str(caught.value).startswith(str(data_dir / name))


def test_zero_byte_and_garbage_musicxml(tmp_path):
    (tmp_path / "zero.mid").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_score(tmp_path / "zero.mid")
    (tmp_path / "bad.musicxml").write_text("<score-partwise><part>")
    with pytest.raises(InputError, match="not a readable MusicXML"):
        read_score(tmp_path / "bad.musicxml")


def test_midi_file_with_several_tracks_keeps_track_order(tmp_path):
    score = Score(make_voices([[Note(0, 72, 4)], [Note(0, 48, 4)]], names=["Top", "Bottom"]))
    back = read_score(write_score(score, tmp_path / "two.mid"))
    assert [v.name for v in back.voices] == ["Top", "Bottom"]


def test_write_is_atomic_and_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "keep.mid"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            temporary.write_bytes(b"half")
            raise RuntimeError("writer crashed")
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_write_refuses_unknown_extension_and_empty_score(tmp_path):
    score = Score(make_voices([[Note(0, 60, 4)]]))
    with pytest.raises(InputError, match="cannot write"):
        write_score(score, tmp_path / "x.wav")
    with pytest.raises(InputError, match="no notes"):
        write_score(Score(make_voices([[]])), tmp_path / "x.mid")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("extension", ["mid", "musicxml"])
def test_a_score_with_triplets_is_read_back_as_written_and_a_plain_one_on_16ths(tmp_path, extension):
    from midistyle.music.io import read_score_as_written

    # 12 steps per quarter: an eighth-note triplet (4 steps each) over a bass in quarters
    triplets = Score(make_voices([[Note(0, 72, 4), Note(4, 74, 4), Note(8, 76, 4), Note(12, 77, 12)],
                                  [Note(0, 48, 12), Note(12, 53, 12)]]), steps_per_quarter=12,
                     time_signature=(2, 4))
    back = read_score_as_written(write_score(triplets, tmp_path / f"t.{extension}"))
    assert back.steps_per_quarter == 12 and _notes(back) == _notes(triplets)
    assert read_score(tmp_path / f"t.{extension}").steps_per_quarter == 4  # the 16th grid when asked
    plain = Score(make_voices([[Note(0, 72, 2), Note(2, 74, 6)], [Note(0, 48, 8)]]), time_signature=(2, 4))
    back = read_score_as_written(write_score(plain, tmp_path / f"p.{extension}"))
    assert back.steps_per_quarter == 4 and _notes(back) == _notes(plain)


def _misprinted_accidentals(path):
    """Notes of a written MusicXML file whose accidental a reader would mark wrong, as
    ``(bar, step, octave, problem)``: an alteration that the key signature and the bar so far do
    not give, yet printed without its sign; or a sign printed on a note the key signature already
    gives (not altered earlier in the bar, not a courtesy after the previous bar altered it)."""
    import xml.etree.ElementTree as ElementTree

    order_of_sharps = "FCGDAEB"
    wrong, fifths = [], 0
    for part in ElementTree.parse(path).getroot().iter("part"):
        bar_before: dict = {}
        for measure in part.iter("measure"):
            if measure.find("attributes/key/fifths") is not None:
                fifths = int(measure.find("attributes/key/fifths").text)
            letters = order_of_sharps if fifths > 0 else order_of_sharps[::-1]
            signature = {letters[i]: (1 if fifths > 0 else -1) for i in range(abs(fifths))}
            in_bar: dict = {}
            for element in measure.iter("note"):
                written = element.find("pitch")
                if written is None:
                    continue
                step, octave = written.find("step").text, written.find("octave").text
                alter = round(float(written.find("alter").text)) if written.find("alter") is not None else 0
                printed = element.find("accidental") is not None
                tied_over = any(t.get("type") == "stop" for t in element.findall("tie"))
                current = in_bar.get((step, octave), signature.get(step, 0))
                if not tied_over and alter != current and not printed:
                    wrong.append((measure.get("number"), step, octave, "sign missing"))
                courtesy = any(s == step and a != alter for (s, _), a in bar_before.items())
                if (not tied_over and printed and alter == signature.get(step, 0) and alter != 0
                        and (step, octave) not in in_bar and not courtesy):
                    wrong.append((measure.get("number"), step, octave, "sign the key already gives"))
                in_bar[(step, octave)] = alter
            bar_before = in_bar
    return wrong


def test_written_accidentals_follow_the_key_signature_and_the_bar(sample_chorales, tmp_path):
    # A flat key with the last note held over a bar line: music21's writer took the tie for
    # accidentals already made and printed every flat of the key and no natural.
    held_over = [(0, 58, 4), (4, 62, 2), (6, 62, 4), (10, 65, 2), (12, 65, 4), (16, 70, 2), (18, 70, 4),
                 (22, 77, 2), (24, 75, 8), (32, 72, 10), (42, 67, 6), (48, 72, 12), (60, 74, 4), (64, 75, 8),
                 (72, 77, 8), (80, 75, 16)]
    scores = list(sample_chorales)
    for meter in [(6, 8), (3, 4)]:
        notes = [Note(onset, pitch, length, 80) for onset, pitch, length in held_over]
        scores.append(Score(voices=make_voices([notes]), steps_per_quarter=4, time_signature=meter,
                            key=Key(-4, "major"), title=f"A-flat {meter}"))
    for score in scores:
        path = write_score(score, tmp_path / "written.musicxml")
        assert _misprinted_accidentals(path) == [], score.title
