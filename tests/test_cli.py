import subprocess
import sys

import pytest

from midistyle.cli import main


def test_demo_writes_its_outputs(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    for name in ["melody.mid", "chorale.mid", "chorale.musicxml", "chorale_pianoroll.png", "chorale.wav",
                 "chorale_cello.wav", "spectrograms.png", "new_chorale.mid", "new_chorale.musicxml"]:
        assert (tmp_path / name).stat().st_size > 100
        assert name in printed
    assert (tmp_path / "chorale_pianoroll.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from midistyle.music import metrics
    from midistyle.music.io import read_score

    melody, chorale = read_score(tmp_path / "melody.mid"), read_score(tmp_path / "chorale.mid")
    assert chorale.num_voices == 4 and metrics.melody_preserved(melody, chorale) == 1.0


def test_convert_and_plot(data_dir, tmp_path):
    assert main(["convert", str(data_dir / "chorale_excerpt.mid"), "-o", str(tmp_path / "c.musicxml")]) == 0
    assert main(["plot", str(tmp_path / "c.musicxml"), "-o", str(tmp_path / "c.png")]) == 0
    assert (tmp_path / "c.png").stat().st_size > 1000


@pytest.mark.parametrize(
    "args, problem",
    [
        (["plot", "{data}/empty.mid", "-o", "{tmp}/x.png"], "has no notes"),
        (["plot", "{data}/corrupted.mid", "-o", "{tmp}/x.png"], "not a readable MIDI"),
        (["plot", "{data}/missing.mid", "-o", "{tmp}/x.png"], "no such file"),
        (["plot", "{data}/melody_only.mid", "-o", "{tmp}/x.jpg"], ".png"),
        (["convert", "{data}/melody_only.mid", "-o", "{tmp}/x.wav"], "cannot write"),
        (["convert", "{data}/melody_only.mid", "-o", "{data}/melody_only.mid"], "overwrite the input"),
        (["convert", "{data}/drums_only.mid", "-o", "{tmp}/x.mid"], "only drum notes"),
        (["evaluate", "{data}/corrupted.mid", "--json", "{tmp}/x.json"], "not a readable MIDI"),
        (["evaluate", "{data}/empty.mid", "--json", "{tmp}/x.json"], "has no notes"),
        (["evaluate", "{data}/melody_only.mid", "{data}/notes.txt", "--json", "{tmp}/x.json"], "notes.txt"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_output(args, problem, data_dir, tmp_path, capsys):
    before = sorted(p.name for p in data_dir.iterdir())
    argv = [a.format(data=data_dir, tmp=tmp_path) for a in args]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and problem in error and "Traceback" not in error
    assert list(tmp_path.iterdir()) == []
    assert sorted(p.name for p in data_dir.iterdir()) == before


def test_console_script_exit_code_and_help(data_dir):
    script = [sys.executable, "-m", "midistyle.cli"]
    result = subprocess.run([*script, "plot", str(data_dir / "corrupted.mid"), "-o", "/tmp/never.png"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.startswith("midistyle: error:")
    assert len(result.stderr.strip().splitlines()) == 1
    for command in [[], ["demo"], ["plot"], ["convert"], ["data", "build"]]:
        help_text = subprocess.run([*script, *command, "--help"], capture_output=True, text=True).stdout
        assert "examples:" in help_text


def test_usage_error_exits_2():
    with pytest.raises(SystemExit) as caught:
        main(["harmonise-typo"])
    assert caught.value.code == 2


def test_evaluate_prints_the_table_beside_bach_and_writes_json(data_dir, tmp_path, capsys):
    import json

    out = tmp_path / "scores.json"
    assert main(["evaluate", str(data_dir / "chorale_excerpt.mid"), "--no-style", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0] == "| metric | files | Bach test | Bach train |"
    table = json.loads(out.read_text())
    assert table["Bach test"]["chord_beat_rate"] > 0.85
    assert "bach_accept_rate" not in table["files"]  # --no-style skips the classifier
    from midistyle.music.harmony import bach_rates  # the critic's rates, the same as `check` compares with
    assert "critic: parallel_fifths" in table["files"]
    assert table["Bach test"]["critic: parallel_fifths"] == pytest.approx(
        bach_rates()["test"]["rates"]["parallel_fifths"], abs=1e-3)
