"""Sheet music: verovio's SVG, PDF and PNG of real chorales, and what the MusicXML we give it says."""

import re
import subprocess
import sys
import threading

import pytest

from midistyle.errors import InputError
from midistyle.music.engrave import EngraveConfig, engrave, engrave_svg
from midistyle.music.musicxml import score_to_music21, spell_pitch
from midistyle.music.score import Key

pytest.importorskip("verovio")


def test_a_chorale_engraves_to_four_staves_of_notes_without_external_urls(test_chorales):
    chorale = test_chorales[0]
    pages = engrave_svg(chorale, EngraveConfig(long_page=True))
    assert len(pages) == 1
    svg = pages[0]
    assert svg.count('class="staff"') >= 4
    assert svg.count('class="note"') >= chorale.num_notes * 0.9  # tied notes are drawn as two heads
    urls = re.findall(r"https?://[^\s\"')<>]+", svg)  # not "http" alone: verovio's random ids can spell it
    assert all(url.startswith("http://www.w3.org/") for url in urls)  # nothing to fetch: works offline


def test_a4_pages_for_print(test_chorales):
    long = max(test_chorales, key=lambda c: c.num_steps)
    assert len(engrave_svg(long, EngraveConfig(scale=60))) >= 2


def test_engraving_in_a_worker_thread_draws_the_music(test_chorales):
    out = []
    worker = threading.Thread(target=lambda: out.append(engrave_svg(test_chorales[1])[0]))
    worker.start()
    worker.join()
    assert '<path' in out[0] and out[0].count('class="note"') > 20


@pytest.mark.parametrize("extension, magic", [(".svg", b"<svg"), (".pdf", b"%PDF"), (".png", b"\x89PNG")])
def test_engrave_writes_each_format(extension, magic, test_chorales, tmp_path):
    path = engrave(test_chorales[2], tmp_path / f"chorale{extension}")
    assert magic in path.read_bytes()[:200]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # written atomically, nothing else left


def test_engrave_refuses_an_unknown_format(test_chorales, tmp_path):
    with pytest.raises(InputError, match="use .svg, .pdf or .png"):
        engrave(test_chorales[0], tmp_path / "chorale.jpg")


def test_cli_engrave_and_its_bad_input(data_dir, tmp_path):
    ok = subprocess.run([sys.executable, "-m", "midistyle.cli", "engrave", str(data_dir / "chorale_excerpt.mid"),
                         "-o", str(tmp_path / "c.svg")], capture_output=True, text=True)
    assert ok.returncode == 0 and (tmp_path / "c.svg").stat().st_size > 1000
    bad = subprocess.run([sys.executable, "-m", "midistyle.cli", "engrave", str(data_dir / "corrupted.mid"),
                          "-o", str(tmp_path / "bad.svg")], capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "bad.svg").exists()


@pytest.mark.parametrize(
    "key, pitch, name",
    [("C minor", 63, "E-4"), ("C minor", 71, "B4"), ("C minor", 69, "A4"), ("Eb major", 68, "A-4"),
     ("A major", 73, "C#5"), ("F# major", 65, "E#4"), ("Bb major", 66, "F#4"), ("G major", 66, "F#4"),
     ("D minor", 66, "F#4"), ("D minor", 68, "G#4"), ("D minor", 63, "E-4"), ("F major", 73, "C#5"),
     ("F# major", 67, "G4"), ("G# minor", 67, "F##4"), ("A major", 60, "B#3"), ("Gb major", 71, "C-5"),
     ("A major", 12, "B#-1"), ("D minor", 6, "F#-1"), ("C major", 5, "F-1")],
)
def test_pitches_are_spelled_by_the_key(key, pitch, name):
    spelled = spell_pitch(pitch, Key.parse(key))
    assert spelled.nameWithOctave == name and spelled.midi == pitch


def test_each_part_has_one_clef_and_the_tempo_is_written_once(test_chorales):
    from music21 import clef, tempo

    parsed = score_to_music21(test_chorales[0])
    clefs = [[type(c).__name__ for c in part.recurse().getElementsByClass(clef.Clef)] for part in parsed.parts]
    assert clefs == [["TrebleClef"], ["TrebleClef"], ["Treble8vbClef"], ["BassClef"]]
    assert len(parsed.recurse().getElementsByClass(tempo.MetronomeMark)) == 1


def test_a_long_score_gets_a_narrower_png_and_a_far_too_long_one_a_clear_error(tmp_path):
    from midistyle.music.engrave import _png_width

    page = '<svg xmlns="http://www.w3.org/2000/svg" width="840px" height="{}px"></svg>'
    assert _png_width(page.format(1200), tmp_path / "a.png") == 1600
    assert _png_width(page.format(21803), tmp_path / "b.png") == 1232  # a quartet movement, harmonized
    with pytest.raises(InputError, match="too long to read on one PNG page; write .pdf or .svg"):
        _png_width(page.format(60000), tmp_path / "c.png")


def test_silent_beats_are_written_as_rests_and_the_notes_read_back_unchanged(tmp_path):
    from music21 import note

    from midistyle.music.io import read_score, write_score
    from midistyle.music.score import Note, Score, make_voices

    score = Score(make_voices([[Note(0, 72, 4), Note(12, 74, 4)], [Note(0, 60, 16)]]))
    rests = [[(float(r.offset), float(r.quarterLength)) for r in part.recurse().getElementsByClass(note.Rest)]
             for part in score_to_music21(score).parts]
    assert rests == [[(1.0, 2.0)], []]  # beats 2-3 of the soprano's bar
    back = read_score(write_score(score, tmp_path / "gap.musicxml"))
    assert [v.notes for v in back.voices] == [v.notes for v in score.voices]


def test_the_tempo_marks_note_is_drawn_in_png_and_pdf_not_left_to_a_font_cairo_lacks(test_chorales, tmp_path):
    from midistyle.music.engrave import music_text_as_paths

    svg = engrave_svg(test_chorales[0].replace(tempo_qpm=100.0), EngraveConfig(long_page=True))[0]
    # verovio writes the quarter note of "♩ = 100" as a music-font character (Unicode private use)
    assert re.search("[\ue000-\uf8ff]", svg)
    drawn = music_text_as_paths(svg)
    assert not re.search("[\ue000-\uf8ff]", drawn)  # no character left for CairoSVG to draw as a box
    assert drawn.count("<path") == svg.count("<path") + 1 and ">100</tspan>" in drawn
    # the outline sits where the text began, and the text now starts past it
    text_x = float(re.search(r'class="tempo">\s*<text x="([\d.]+)"', svg)[1])
    moved = re.search(r'class="tempo">\s*<g transform="translate\(([\d.]+),[\d.]+\)[^"]*">.*?<text x="([\d.]+)"',
                      drawn, re.S)
    assert float(moved[1]) == text_x and float(moved[2]) > text_x
    engrave(test_chorales[0].replace(tempo_qpm=100.0), tmp_path / "tempo.png")  # cairo reads it


def test_a_chord_symbols_flat_and_sharp_are_written_as_characters_cairo_can_draw(tmp_path):
    from midistyle.music.chord_symbols import parse_chord_symbol
    from midistyle.music.engrave import music_text_as_paths
    from midistyle.music.score import Note, Score, make_voices

    melody = Score(make_voices([[Note(0, 70, 16), Note(16, 73, 16)]]), key=Key(-1, "major"),
                   chord_symbols=(parse_chord_symbol("Bb", 0), parse_chord_symbol("F#m", 16)))
    svg = engrave_svg(melody, EngraveConfig(long_page=True))[0]
    harmonies = re.findall(r'class="harm">.*?</text>', svg, re.S)
    # verovio writes the flat and the sharp after the letter as music-font (private use) characters
    assert len(harmonies) == 2 and all(re.search("[\ue000-\uf8ff]", h) for h in harmonies)
    drawn = re.findall(r'class="harm">.*?</text>', music_text_as_paths(svg), re.S)
    assert not any(re.search("[\ue000-\uf8ff]", h) for h in drawn)  # an empty box in the PNG before
    assert ">B</tspan>" in drawn[0] and "\u266d" in drawn[0] and "\u266f" in drawn[1]
    engrave(melody, tmp_path / "symbols.png")  # cairo reads it
