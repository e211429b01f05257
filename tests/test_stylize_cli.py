"""`midistyle stylize` and `midistyle pipeline` from the command line, and their bad input."""

import numpy as np
import pytest
import soundfile

from midistyle.cli import main

RATE = 22050
TINY = ["--iterations", "2", "--filters", "16"]


def tone_file(path, pitches, *, rate=RATE, harmonics=1, channels=1, subtype="PCM_16"):
    time = np.arange(int(0.4 * rate)) / rate
    audio = np.concatenate([
        sum(np.sin(2 * np.pi * k * 440 * 2 ** ((p - 69) / 12) * time) / k for k in range(1, harmonics + 1))
        for p in pitches])
    audio = 0.3 * audio / np.abs(audio).max()
    soundfile.write(str(path), np.stack([audio] * channels, axis=1), rate, subtype=subtype)
    return path


@pytest.fixture
def clips(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    return {
        "content": tone_file(folder / "content.wav", [60, 62, 64, 65, 67], rate=44100, channels=2),
        "style": tone_file(folder / "style.flac", [48, 50, 53], harmonics=8),
        "silent": _write(folder / "silent.wav", np.zeros(RATE)),
        "empty": _write(folder / "empty.wav", np.zeros(0)),
        "nan": _write(folder / "nan.wav", np.array([0.1, np.nan] * RATE), subtype="FLOAT"),
        "short": _write(folder / "short.wav", 0.1 * np.sin(np.arange(500) / 5.0)),
        "corrupt": _corrupt(folder / "corrupt.wav"),
    }


def _write(path, audio, subtype="PCM_16"):
    soundfile.write(str(path), audio, RATE, subtype=subtype)
    return path


def _corrupt(path):
    path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage")
    return path


@pytest.mark.parametrize("method", ["stft", "sms"])
def test_stylize_writes_mono_audio_and_a_figure_and_states_conversions(method, clips, tmp_path, capsys):
    out, figure = tmp_path / "out.wav", tmp_path / "spec.png"
    argv = ["stylize", str(clips["content"]), "--style", str(clips["style"]), "-o", str(out),
            "--figure", str(figure), "--method", method, "--strength", "0.7", *TINY]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    audio, rate = soundfile.read(str(out))
    assert rate == RATE and audio.ndim == 1 and 1.9 < len(audio) / RATE < 2.1 and np.abs(audio).max() > 0.01
    assert figure.read_bytes()[:4] == b"\x89PNG"
    assert "mixed down to mono" in printed and "resampled from 44100 Hz" in printed


@pytest.mark.parametrize("failing", ["audio", "figure"])
def test_a_failed_write_leaves_neither_the_audio_nor_the_figure(failing, clips, tmp_path, monkeypatch):
    import midistyle.audio.files
    import midistyle.audio.stylize

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    module, name = (midistyle.audio.files, "write_audio") if failing == "audio" else (midistyle.audio.stylize,
                                                                                      "write_figure")
    monkeypatch.setattr(module, name, full_disk)
    out, figure = tmp_path / "out.wav", tmp_path / "spec.png"
    argv = ["stylize", str(clips["content"]), "--style", str(clips["style"]), "-o", str(out), "--figure", str(figure),
            *TINY]
    with pytest.raises(OSError, match="No space"):
        main(argv)
    assert not out.exists() and not figure.exists()


def test_stylize_with_the_published_settings_runs(clips, tmp_path):
    out = tmp_path / "published.wav"
    argv = ["stylize", str(clips["content"]), "--style", str(clips["style"]), "-o", str(out), "--published",
            *TINY, "--seed", "3"]
    assert main(argv) == 0 and soundfile.info(str(out)).frames > RATE


@pytest.mark.parametrize(
    "content, style, out, extra, problem",
    [
        ("corrupt", "style", "out.wav", [], "not a readable audio file"),
        ("empty", "style", "out.wav", [], "empty"),
        ("content", "silent", "out.wav", [], "silent"),
        ("nan", "style", "out.wav", [], "NaN"),
        ("content", "short", "out.wav", [], "shorter than one analysis window"),
        ("content", "style", "out.aiff", [], "unknown audio extension"),
        ("content", "style", "{in}/content.wav", [], "overwrite the input"),
        ("content", "style", "out.wav", ["--strength", "2"], "strength=2.0 must be in 0..1"),
        ("content", "style", "out.wav", ["--sinusoids", "8"], "--method sms only"),
        ("content", "style", "out.wav", ["--filter-widths", "a,b"], "comma-separated"),
        ("content", "style", "out.wav", ["--figure", "x.jpg"], ".png"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_output(content, style, out, extra, problem, clips, tmp_path, capsys):
    inputs = sorted((p.name, p.stat().st_size) for p in (tmp_path / "in").iterdir())
    target = out.format(**{"in": tmp_path / "in"}) if "{in}" in out else str(tmp_path / out)
    extra = [str(tmp_path / e) if e.endswith(".jpg") else e for e in extra]
    argv = ["stylize", str(clips[content]), "--style", str(clips[style]), "-o", target, *TINY, *extra]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and problem in error and "Traceback" not in error
    assert [p.name for p in tmp_path.iterdir()] == ["in"]
    assert sorted((p.name, p.stat().st_size) for p in (tmp_path / "in").iterdir()) == inputs


def test_pipeline_harmonizes_renders_and_restyles(data_dir, clips, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["pipeline", str(data_dir / "melody_only.mid"), "--style", str(clips["style"]), "-o", str(out), *TINY]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    for name in ["harmonized.mid", "harmonized.musicxml", "rendered.wav", "styled.wav", "spectrograms.png"]:
        assert (out / name).stat().st_size > 100 and name in printed
    from midistyle.music.io import read_score

    assert read_score(out / "harmonized.mid").num_voices == 4
    assert soundfile.info(str(out / "styled.wav")).samplerate == RATE


def test_pipeline_checks_the_style_clip_before_any_work(data_dir, clips, tmp_path, capsys):
    argv = ["pipeline", str(data_dir / "melody_only.mid"), "--style", str(clips["silent"]), "-o", str(tmp_path / "o")]
    assert main(argv) == 2 and "silent" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_the_shipped_style_clip_is_reproducible(tmp_path):
    from midistyle.pipeline import embedded_style_clip_path, make_style_clip

    shipped, rate = soundfile.read(str(embedded_style_clip_path()))
    fresh, _ = soundfile.read(str(make_style_clip(tmp_path / "clip.wav")))
    assert rate == RATE and shipped.shape == fresh.shape
    assert np.abs(shipped - fresh).max() < 1e-3
    assert abs(shipped.mean()) < 1e-4  # rendered without DC (the first clip's mean was 0.0042)
