"""`midistyle check`: marks as JSON and on the sheet music, the two-stave layout, fermatas in every
format, and bad input (one line, exit 2, nothing written)."""

from __future__ import annotations

import json

import pytest

from midistyle.cli import main
from midistyle.music.io import read_score, write_score
from midistyle.music.satb import four_voices
from midistyle.music.score import Key, Note, Score, make_voices

# bar 1: I - V - I with parallel fifths soprano/bass on beat 2 (G4/C3 -> A4/D3), then a held tonic
PARALLELS = Score(make_voices([
    [Note(0, 67, 4), Note(4, 69, 4), Note(8, 71, 4), Note(12, 72, 4)],
    [Note(0, 64, 4), Note(4, 65, 4), Note(8, 67, 4), Note(12, 67, 4)],
    [Note(0, 60, 4), Note(4, 57, 4), Note(8, 55, 4), Note(12, 64, 4)],
    [Note(0, 48, 4), Note(4, 50, 4), Note(8, 43, 4), Note(12, 48, 4)],
]), key=Key(0, "major"), title="exercise")


def test_check_writes_marks_as_json_and_on_the_sheet_music(tmp_path, capsys):
    source = write_score(PARALLELS, tmp_path / "exercise.musicxml")
    out_json, out_svg = tmp_path / "marks.json", tmp_path / "marked.svg"
    assert main(["check", str(source), "--json", str(out_json), "--svg", str(out_svg)]) == 0
    printed = capsys.readouterr().out
    assert "parallel fifths" in printed and "Bach" in printed
    found = json.loads(out_json.read_text())
    fifths = [m for m in found["marks"] if m["rule"] == "parallel_fifths"]
    assert [(m["bar"], m["beat"], m["voices"]) for m in fifths] == [(1, 2.0, ["Soprano", "Bass"])]
    assert found["rates"]["parallel_fifths"] == pytest.approx(100 * 1 / 4)
    assert {"rule", "bar", "beat", "voices"} <= set(found["marks"][0])
    assert all("perfect" in cadence for cadence in found["cadences"])
    svg = out_svg.read_text()
    assert svg.count(">P5<") == 4  # the four notes of the fifths are labelled
    assert "#d00000" in svg.lower()


def test_a_clean_score_runs_with_exit_0_and_no_marks(tmp_path, capsys):
    clean = PARALLELS.replace(voices=make_voices([
        [Note(0, 72, 4), Note(4, 72, 4), Note(8, 71, 4), Note(12, 72, 4)],
        [Note(0, 67, 4), Note(4, 69, 4), Note(8, 67, 4), Note(12, 67, 4)],
        [Note(0, 64, 4), Note(4, 65, 4), Note(8, 62, 4), Note(12, 64, 4)],
        [Note(0, 48, 4), Note(4, 53, 4), Note(8, 55, 4), Note(12, 48, 4)]]))
    source = write_score(clean, tmp_path / "clean.mid")
    assert main(["check", str(source)]) == 0
    printed = capsys.readouterr().out
    assert "0 marks" in printed
    assert "cadences: bar 1 perfect authentic" in printed  # V-I in root position, the soprano on the tonic


def test_two_staves_of_two_voices_are_read_as_soprano_alto_tenor_bass(tmp_path):
    upper = [*PARALLELS.voices[0].notes, *PARALLELS.voices[1].notes]
    lower = [*PARALLELS.voices[2].notes, *PARALLELS.voices[3].notes]
    hymnal = PARALLELS.replace(voices=make_voices([upper, lower], names=["Women", "Men"]))
    source = write_score(hymnal, tmp_path / "hymnal.musicxml")
    read = four_voices(read_score(source))
    assert [[n.pitch for n in v.notes] for v in read.voices] == \
        [[n.pitch for n in v.notes] for v in PARALLELS.voices]
    assert main(["check", str(source), "--json", str(tmp_path / "m.json")]) == 0
    assert any(m["rule"] == "parallel_fifths" for m in json.loads((tmp_path / "m.json").read_text())["marks"])


def test_a_unison_written_once_on_a_staff_goes_to_both_voices():
    staff = (Note(0, 67, 4), Note(0, 64, 4), Note(4, 65, 4))  # the F is shared by both voices
    score = four_voices(Score(make_voices([staff, (Note(0, 48, 4), Note(0, 55, 4), Note(4, 50, 8))])))
    assert [[n.pitch for n in v.notes] for v in score.voices] == [[67, 65], [64, 65], [55, 50], [48, 50]]


def _three_voices(tmp_path):
    return write_score(PARALLELS.select_voices([0, 1, 3]), tmp_path / "three.mid")


def _piano(tmp_path):
    chords = [Note(step, pitch, 4) for step in (0, 4, 8) for pitch in (48, 52, 55, 60, 64)]
    return write_score(Score(make_voices([chords])), tmp_path / "piano.mid")


@pytest.mark.parametrize(("make", "problem"), [
    (_three_voices, "not a four-part score: 3 parts"),
    (_piano, "up to 5 notes at once"),
    (lambda tmp: tmp / "empty.musicxml", "is empty"),
], ids=["three voices", "piano piece", "empty file"])
def test_bad_input_is_one_line_exit_2_and_nothing_written(make, problem, tmp_path, capsys):
    source = make(tmp_path)
    if not source.exists():
        source.write_bytes(b"")
    out_json, out_svg = tmp_path / "out.json", tmp_path / "out.svg"
    assert main(["check", str(source), "--json", str(out_json), "--svg", str(out_svg)]) == 2
    error = capsys.readouterr().err
    assert problem in error and len(error.strip().splitlines()) == 1
    assert not out_json.exists() and not out_svg.exists()


FERMATA_FILES = {
    "abc": "X:1\nT:f\nM:4/4\nL:1/4\nK:C\nC D E HF | G A B Hc |]\n",
    "krn": "**kern\n*M4/4\n=1\n4c\n4d\n4e\n4f;\n=2\n4g\n4a\n4b\n4cc;\n==\n*-\n",
}


@pytest.mark.parametrize("suffix", ["abc", "krn", "musicxml"])
def test_fermatas_are_read_from_notation_files(suffix, tmp_path):
    path = tmp_path / f"tune.{suffix}"
    if suffix == "musicxml":
        melody = Score(make_voices([[Note(4 * i, 60 + i, 4) for i in range(8)]]), fermata_steps=(12, 28))
        write_score(melody, path)
        assert "<fermata" in path.read_text()
    else:
        path.write_text(FERMATA_FILES[suffix])
    score = read_score(path)
    assert score.fermata_steps[-1] == 28
    assert 12 in score.fermata_steps or suffix == "abc"  # music21 drops the note after an ABC fermata


def test_fermatas_are_read_from_mei(tmp_path):
    from music21 import expressions, note, stream

    part = stream.Part([note.Note("C4", quarterLength=1), note.Note("D4", quarterLength=1)])
    part.notes[1].expressions.append(expressions.Fermata())
    mei = tmp_path / "tune.mei"
    try:
        from music21.mei import base  # noqa: F401  # music21 reads MEI but cannot write it
    except ImportError:
        pytest.skip("music21 without MEI")
    mei.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><mei xmlns="http://www.music-encoding.org/ns/mei" meiversion="4.0.0">'
        '<music><body><mdiv><score><scoreDef meter.count="4" meter.unit="4"><staffGrp>'
        '<staffDef n="1" lines="5" clef.shape="G" clef.line="2"/></staffGrp></scoreDef><section>'
        '<measure n="1"><staff n="1"><layer n="1"><note pname="c" oct="4" dur="4"/><note pname="d" oct="4" dur="4"/>'
        '<note pname="e" oct="4" dur="4"/><note xml:id="n4" pname="f" oct="4" dur="4"/></layer></staff>'
        '<fermata startid="#n4"/></measure></section></score></mdiv></body></music></mei>')
    assert read_score(mei).fermata_steps == (12,)


def test_a_voice_leaving_a_shared_note_keeps_both_lines():
    # soprano and alto share a half-note C5 written once; the alto moves to A4 on beat 2, the soprano holds
    upper = (Note(0, 72, 8), Note(4, 69, 4))
    score = four_voices(Score(make_voices([upper, (Note(0, 48, 8), Note(0, 55, 8))])))
    assert [(n.onset_step, n.pitch, n.duration_steps) for n in score.voices[0].notes] == [(0, 72, 8)]
    assert [(n.onset_step, n.pitch, n.duration_steps) for n in score.voices[1].notes] == [(0, 72, 4), (4, 69, 4)]
