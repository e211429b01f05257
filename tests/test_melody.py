"""Melodies as people have them: every fixture is built here, with the melody it must give."""

import subprocess
import sys

import pytest
import symusic

from midistyle.errors import InputError
from midistyle.music.melody import read_melody, read_melody_file
from midistyle.music.score import Note, Voice

TPQ = 480  # ticks per quarter in the MIDI fixtures
Q, E, S, T = TPQ, TPQ // 2, TPQ // 4, TPQ // 8  # quarter, eighth, 16th, 32nd in ticks

# The plain tune every ornamented fixture must come back to: (onset in 16ths, pitch, duration in 16ths)
PLAIN = [(0, 67, 4), (4, 69, 4), (8, 71, 4), (12, 72, 4), (16, 71, 8), (24, 69, 8)]


def _midi(path, notes, *, time_signature=(4, 4), tracks=None):
    """Write a MIDI file; ``notes`` are (onset_ticks, duration_ticks, pitch) of one track."""
    midi = symusic.Score(TPQ)
    midi.tempos.append(symusic.Tempo(0, qpm=100.0))
    if time_signature:
        midi.time_signatures.append(symusic.TimeSignature(0, *time_signature))
    for track_notes in tracks or [notes]:
        track = symusic.Track("melody", 0, False)
        for onset, duration, pitch in track_notes:
            track.notes.append(symusic.Note(onset, duration, pitch, 80))
        midi.tracks.append(track)
    midi.dump_midi(str(path))
    return path


def _plain_ticks():
    return [(onset * S, duration * S, pitch) for onset, pitch, duration in PLAIN]


def _as_tuples(score):
    return [(n.onset_step, n.pitch, n.duration_steps) for n in score.voices[0].notes]


def _read(path, **options):
    lines = []
    return read_melody(path, report=lines.append, **options), lines


def test_a_clean_melody_is_unchanged_and_nothing_is_reported(tmp_path):
    melody, lines = _read(_midi(tmp_path / "plain.mid", _plain_ticks()))
    assert _as_tuples(melody) == PLAIN and lines == []


@pytest.mark.parametrize(
    "case, extra, kind",
    [
        ("grace before the beat", [(8 * S - T, T, 74)], "1 grace note absorbed"),
        ("grace at the beat, overlapping the main note", [(8 * S, T, 74)], "1 grace note absorbed"),
        ("double stop", [(4 * S, 4 * S, 65)], "1 double stop reduced to the top note"),
        ("legato overlaps", None, "5 legato overlaps trimmed"),
    ],
)
def test_ornaments_double_stops_and_overlaps_give_the_plain_tune(case, extra, kind, tmp_path):
    notes = _plain_ticks()
    if extra is None:
        notes = [(onset, duration + (T if index < len(notes) - 1 else 0), pitch)
                 for index, (onset, duration, pitch) in enumerate(notes)]
    else:
        notes = notes + extra
    melody, lines = _read(_midi(tmp_path / "tune.mid", notes))
    assert _as_tuples(melody) == PLAIN, case
    assert lines == [kind]
    absorbed = read_melody_file(tmp_path / "tune.mid", report=lambda line: None).absorbed  # not melody
    assert [n.pitch for n in absorbed] == [pitch for _, _, pitch in extra or []]


def test_grace_note_on_the_beat_lends_the_main_note_its_start(tmp_path):
    # an on-beat acciaccatura: the grace takes the beat and the main note sounds a 32nd late
    notes = [n for n in _plain_ticks() if n[0] != 8 * S] + [(8 * S, T, 74), (8 * S + T, 4 * S - T, 71)]
    melody, lines = _read(_midi(tmp_path / "tune.mid", notes))
    assert _as_tuples(melody) == PLAIN and lines == ["1 grace note absorbed"]


def test_written_out_trill_becomes_its_main_note(tmp_path):
    trill = [(8 * S + i * T, T, 71 if i % 2 == 0 else 72) for i in range(8)]  # B-C-B-C... for a quarter
    notes = [n for n in _plain_ticks() if n[0] != 8 * S] + trill
    melody, lines = _read(_midi(tmp_path / "tune.mid", notes))
    assert _as_tuples(melody) == PLAIN and lines == ["1 written-out trill merged into one note"]


def test_a_mordent_before_the_beat_is_absorbed(tmp_path):
    mordent = [(16 * S - 2 * T, T, 71), (16 * S - T, T, 69)]
    melody, lines = _read(_midi(tmp_path / "tune.mid", _plain_ticks() + mordent))
    assert _as_tuples(melody) == PLAIN and lines == ["1 ornament (mordents, turns) absorbed"]


def test_a_piano_part_is_refused_with_where_and_what_to_do(tmp_path):
    chords = [(i * Q, Q, pitch) for i in range(8) for pitch in (60 + i % 3, 64 + i % 3, 67 + i % 3)]
    path = _midi(tmp_path / "piano.mid", chords)
    with pytest.raises(InputError, match=r"polyphonic: a chord at bar 1, beat 1.*--track N.*--top-line"):
        read_melody(path, report=lambda line: None)
    top, lines = _read(path, top_line=True)
    assert [n.pitch for n in top.voices[0].notes] == [67 + i % 3 for i in range(8)]
    assert lines == ["16 notes below the top line dropped"]


def test_track_picks_the_melody_of_a_two_track_file(tmp_path):
    accompaniment = [(i * Q, Q, pitch) for i in range(8) for pitch in (48, 52, 55)]
    path = _midi(tmp_path / "song.mid", None, tracks=[accompaniment, _plain_ticks()])
    with pytest.raises(InputError, match="polyphonic"):
        read_melody(path, report=lambda line: None)
    melody, _ = _read(path, track=1)
    assert _as_tuples(melody) == PLAIN


TWO_TUNES = """X:3
T:First
M:3/4
L:1/8
K:G
"G"G2 "D7"A2 B2 | "G"d4 B2 | {c}B2 A2 G2 | G6 |]

X:7
T:Second
M:6/8
L:1/8
K:D
A | d2 e f2 g | (3agf e2 d |]
"""


def test_abc_file_of_two_tunes_chord_symbols_graces_and_triplets(tmp_path):
    path = tmp_path / "tunes.abc"
    path.write_text(TWO_TUNES)
    first, lines = _read(path)
    assert [n.pitch for n in first.voices[0].notes] == [67, 69, 71, 74, 71, 71, 69, 67, 67]
    assert first.time_signature == (3, 4) and first.anacrusis_steps == 0
    assert lines[0] == "the file holds 2 tunes; reading the first (X:3); pick another with --tune X"
    assert lines[1] == "1 grace note absorbed"
    assert [s.figure for s in first.chord_symbols] == ["G", "D7", "G"]  # kept for the harmonizer to follow
    second, lines = _read(path, tune=7)
    assert second.time_signature == (6, 8) and second.anacrusis_steps == 2  # the eighth-note pickup
    assert [n.pitch for n in second.voices[0].notes] == [69, 74, 76, 78, 79, 81, 79, 78, 76, 74]
    assert lines == ["2 triplet notes harmonized on the 16th grid and kept as written in the soprano"]
    with pytest.raises(InputError, match=r"no tune X:5 in the file \(it has X: 3, 7\)"):
        read_melody(path, tune=5, report=lambda line: None)


def test_abc_without_meter_or_key_gets_a_detected_meter(tmp_path):
    path = tmp_path / "bare.abc"
    path.write_text("X:1\nT:Bare\nL:1/4\nK:C\n" + "C D E C | C D E C | E F G2 | E F G2 |]\n".replace("K:C\n", ""))
    path.write_text("X:1\nT:Bare\nL:1/4\n" + "C D E C | C D E C | E F G2 | E F G2 | G A G F | E C D2 |]\n")
    melody, lines = _read(path)
    assert melody.time_signature in ((4, 4), (2, 4))
    assert any(line.startswith("no time signature in the file: detected") for line in lines)


KERN_WITH_PICKUP = """**kern
*M3/4
*k[f#]
4d
=1
4g
4a
4b
=2
2.g
=3
4b
4a
4g
=4
2.d
==
*-
"""


def test_humdrum_kern_with_a_pickup(tmp_path):
    path = tmp_path / "tune.krn"
    path.write_text(KERN_WITH_PICKUP)
    melody, _ = _read(path)
    assert melody.time_signature == (3, 4) and melody.anacrusis_steps == 4
    assert [n.pitch for n in melody.voices[0].notes] == [62, 67, 69, 71, 67, 71, 69, 67, 62]


def test_a_played_in_melody_comes_back_on_the_right_beats(tmp_path, folk_melodies):
    from midistyle.music.humanize import humanize

    tune = folk_melodies[3]
    played, qpm = humanize(tune, seed=11)
    path = tmp_path / "played.mid"
    played.dump_midi(str(path))
    melody, lines = _read(path)
    original = [(n.onset_step - tune.voices[0].notes[0].onset_step, n.pitch) for n in tune.voices[0].notes]
    assert [(n.onset_step, n.pitch) for n in melody.voices[0].notes] == original
    assert melody.tempo_qpm == pytest.approx(qpm, rel=0.05)
    assert melody.time_signature == tune.time_signature and melody.anacrusis_steps == tune.anacrusis_steps
    assert lines[0].startswith("played-in melody: aligned to a beat of")


def test_a_played_in_melody_with_a_time_signature_says_the_meter_came_from_the_playing(tmp_path, folk_melodies):
    from midistyle.music.humanize import humanize

    played, _ = humanize(folk_melodies[3], seed=11)
    played.time_signatures.append(symusic.TimeSignature(0, 4, 4))  # a recorder's default
    path = tmp_path / "played.mid"
    played.dump_midi(str(path))
    melody, lines = _read(path)
    found = "{}/{}".format(*melody.time_signature)
    assert f"meter detected from the playing: {found}" in " ".join(lines) and "(the file says 4/4)" in " ".join(lines)
    assert not any(line.startswith("no time signature") for line in lines)


def test_cli_harmonizes_an_abc_tune_and_reports_in_one_line(tmp_path):
    path = tmp_path / "tunes.abc"
    path.write_text(TWO_TUNES)
    out = tmp_path / "satb.mid"
    result = subprocess.run([sys.executable, "-m", "midistyle.cli", "harmonize", str(path), "--tune", "3",
                             "-o", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "1 grace note absorbed" in result.stdout
    assert "chords: following 3 chord symbols from the melody file" in result.stdout
    assert "chords: followed on" in result.stdout
    assert result.stderr == ""  # no TensorFlow, oneDNN or absl start-up lines
    from midistyle.music.io import read_score

    assert read_score(out).num_voices == 4


def test_cli_refuses_a_piano_part_in_one_line_and_writes_nothing(tmp_path):
    chords = [(i * Q, Q, pitch) for i in range(8) for pitch in (60, 64, 67)]
    path = _midi(tmp_path / "piano.mid", chords)
    result = subprocess.run([sys.executable, "-m", "midistyle.cli", "harmonize", str(path), "-o",
                             str(tmp_path / "out.mid")], capture_output=True, text=True)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "--top-line" in result.stderr
    assert not (tmp_path / "out.mid").exists()


def test_a_hornpipe_in_dotted_16ths_and_32nds_keeps_every_note(tmp_path):
    path = tmp_path / "hornpipe.abc"
    path.write_text("X:1\nT:Hornpipe\nM:4/4\nL:1/32\nK:D\n" + "d3e f3g a3b a3g | f3e d3c d8 d8 |\n" * 2)
    melody, lines = _read(path)
    pitches = [74, 76, 78, 79, 81, 83, 81, 79, 78, 76, 74, 73, 74, 74] * 2
    assert [n.pitch for n in melody.voices[0].notes] == pitches  # no 32nd taken for a grace note
    assert [n.onset_step for n in melody.voices[0].notes][:4] == [0, 1, 2, 3]  # played as straight 16ths
    assert not any(line.startswith("played-in") for line in lines)
    assert lines == ["12 notes shorter than a 16th harmonized on the 16th grid and kept as written in the soprano"]
    exact = read_melody_file(path, report=lambda line: None).exact  # dotted 16th + 32nd: 9 + 3 at 24 per quarter
    assert exact.steps_per_quarter == 24 and [n.duration_steps for n in exact.voices[0].notes][:4] == [9, 3, 9, 3]


def test_repeats_that_cannot_be_expanded_are_read_as_written():
    from pathlib import Path

    import music21

    reel = Path(music21.__file__).parent / "corpus" / "ryansMammoth" / "BoyInTheGapReel.abc"  # badly formed repeats
    melody, lines = _read(reel)
    assert len(melody.voices[0].notes) > 100
    assert lines[-1].endswith("repeats that could not be expanded were read as written")


def test_triplets_are_kept_as_written_beside_the_16th_grid_melody(tmp_path):
    path = tmp_path / "tunes.abc"
    path.write_text(TWO_TUNES)
    melody = read_melody_file(path, tune=7, report=lambda line: None)
    # 12 steps per quarter: an eighth is 6, the triplet (3agf three notes of 4 in the time of two eighths
    assert melody.exact.steps_per_quarter == 12 and melody.exact.anacrusis_steps == 6
    assert _as_tuples(melody.exact) == [(0, 69, 6), (6, 74, 12), (18, 76, 6), (24, 78, 12), (36, 79, 6),
                                        (42, 81, 4), (46, 79, 4), (50, 78, 4), (54, 76, 12), (66, 74, 6)]
    assert read_melody_file(path, tune=3, report=lambda line: None).exact is None  # no triplets: no copy


def test_a_harmonization_gets_the_triplets_back_and_its_lower_voices_keep_their_rhythm(tmp_path):
    path = tmp_path / "tunes.abc"
    path.write_text(TWO_TUNES)
    melody = read_melody_file(path, tune=7, report=lambda line: None)
    bass = Voice("Bass", (Note(0, 50, 6), Note(6, 45, 16)), 0)
    harmonized = melody.score.replace(voices=(melody.score.voices[0], bass))
    restored = melody.with_exact_soprano(harmonized)
    assert restored.steps_per_quarter == 12 and restored.anacrusis_steps == 6
    assert restored.voices[0].notes == melody.exact.voices[0].notes
    assert _as_tuples(restored.select_voices([1])) == [(0, 50, 18), (18, 45, 48)]
    assert melody.absorbed == ()  # nothing was taken as an ornament
    other = Voice("Soprano", (Note(0, 72, 4),), 0)  # not this melody: left alone
    assert melody.with_exact_soprano(harmonized.replace(voices=(other, bass))).steps_per_quarter == 4


def test_cli_writes_the_triplets_of_an_abc_tune_into_midi_and_musicxml(tmp_path):
    from midistyle.music.io import read_score

    path = tmp_path / "tunes.abc"
    path.write_text(TWO_TUNES)
    out = tmp_path / "satb.mid"
    result = subprocess.run([sys.executable, "-m", "midistyle.cli", "harmonize", str(path), "--tune", "7",
                             "-o", str(out), "--musicxml"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "2 triplet notes harmonized on the 16th grid and kept as written in the soprano" in result.stdout
    for written in (out, out.with_suffix(".musicxml")):
        score = read_score(written, steps_per_quarter=12)
        assert score.num_voices == 4
        assert [(n.onset_step, n.pitch) for n in score.voices[0].notes][5:8] == [(42, 81), (46, 79), (50, 78)]
    assert "<tuplet" in out.with_suffix(".musicxml").read_text()
