"""Batch jobs: bad inputs recorded, a killed run resumed with nothing redone, Ray equal to local workers."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from midistyle.audio.soundfonts import embedded_soundfont
from midistyle.music.io import write_score


def _cli(*args, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "midistyle.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout)


def _records(out):
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, test_chorales):
    """Twelve test chorales as MIDI, four in a subfolder."""
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "sub").mkdir()
    for index, chorale in enumerate(test_chorales[:12]):
        write_score(chorale, folder / ("sub" if index >= 8 else ".") / f"{chorale.title}.mid")
    return folder


def _render_args(inputs, out, *extra):
    return ["batch", "render", *inputs, "-o", out, "--soundfont", embedded_soundfont(), "--sample-rate", "22050",
            *extra]


def test_two_corrupt_files_among_good_ones_are_recorded_and_the_rest_written(data_dir, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("chorale_excerpt.mid", "melody_only.mid", "corrupted.mid", "empty.mid"):
        (inputs / name).write_bytes((data_dir / name).read_bytes())
    result = _cli(*_render_args([inputs], tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    records = {Path(r["input"]).name: r for r in _records(tmp_path / "out")}
    assert {name: r["status"] for name, r in records.items()} == {
        "chorale_excerpt.mid": "ok", "melody_only.mid": "ok", "corrupted.mid": "error", "empty.mid": "error"}
    assert "is not a readable MIDI file" in records["corrupted.mid"]["error"]
    assert "has no notes" in records["empty.mid"]["error"]
    assert sorted(p.name for p in (tmp_path / "out").glob("*.wav")) == ["chorale_excerpt.wav", "melody_only.wav"]
    assert "2 done, 0 skipped (already done), 2 failed" in result.stdout
    assert result.stderr.count("midistyle: error: ") == 2 and "error" not in result.stdout


def test_a_run_killed_half_way_resumes_and_redoes_nothing(corpus, tmp_path):
    out = tmp_path / "out"
    args = [sys.executable, "-m", "midistyle.cli", *map(str, _render_args([corpus], out, "--sample-rate", "44100"))]
    run = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and run.poll() is None:
        manifest = out / "manifest.jsonl"
        if manifest.exists() and len(manifest.read_text().splitlines()) >= 3:
            os.kill(run.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    run.wait()
    finished_before = [r["input"] for r in _records(out) if r["status"] == "ok"]
    assert 3 <= len(finished_before) < 12, "the run was not killed half-way"
    result = _cli(*_render_args([corpus], out, "--sample-rate", "44100"))
    assert result.returncode == 0, result.stderr
    assert f"{len(finished_before)} skipped" in result.stdout
    records = _records(out)
    assert sorted(r["input"] for r in records) == sorted({r["input"] for r in records})  # each input done once
    assert len(records) == 12 and all(r["status"] == "ok" for r in records)
    assert len(list(out.rglob("*.wav"))) == 12 and not list(out.rglob("*.tmp"))
    assert (out / "sub").is_dir()  # relative paths kept


def test_the_same_job_on_a_local_ray_gives_the_same_outputs(corpus, tmp_path):
    pytest.importorskip("ray")
    small = [corpus / name for name in sorted(os.listdir(corpus)) if name.endswith(".mid")][:4]
    local = _cli(*_render_args(small, tmp_path / "local", "--workers", "2"))
    on_ray = _cli(*_render_args(small, tmp_path / "ray", "--workers", "2", "--ray"))
    assert local.returncode == 0 and on_ray.returncode == 0, on_ray.stderr[-2000:]
    for path in small:
        name = path.with_suffix(".wav").name
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes()


def test_two_inputs_with_one_output_are_refused_before_any_work(corpus, tmp_path):
    twin = tmp_path / "twin"
    twin.mkdir()
    first = sorted(corpus.glob("*.mid"))[0]
    (twin / first.name).write_bytes(first.read_bytes())
    result = _cli(*_render_args([first, twin / first.name], tmp_path / "out"))
    assert result.returncode == 2 and "would both write" in result.stderr
    assert not (tmp_path / "out").exists()


def test_batch_evaluate_writes_per_file_metrics_and_the_set_summary(corpus, tmp_path):
    result = _cli("batch", "evaluate", corpus / "sub", "-o", tmp_path / "scores", "--no-style")
    assert result.returncode == 0, result.stderr
    rows = json.loads((tmp_path / "scores" / "metrics.json").read_text())
    assert len(rows) == 4 and "parallel_fifths_octaves" in rows[0]
    header = (tmp_path / "scores" / "metrics.csv").read_text().splitlines()[0]
    assert header.startswith("input,") and "chord_beat_rate" in header
    summary = json.loads((tmp_path / "scores" / "summary.json").read_text())
    assert set(summary) >= {"files", "Bach test"}


def test_ray_without_the_extra_exits_3_naming_it(corpus, tmp_path):
    fake = tmp_path / "fake" / "ray"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'ray'\", name='ray')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "fake")}
    result = _cli(*_render_args([sorted(corpus.glob("*.mid"))[0]], tmp_path / "out", "--ray"), env=env)
    assert result.returncode == 3 and "pip install 'midistyle[ray]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_batch_melody_that_the_key_does_not_fit_is_warned_about_in_its_notes(data_dir, tmp_path):
    from midistyle.batch.tasks import HarmonizeTask

    # melody_only.mid is in G major: a quarter of it lies outside A major's scale
    for key, warned in (("A major", True), ("G major", False)):
        result = HarmonizeTask({"key": key}).run(data_dir / "melody_only.mid", [tmp_path / f"{key[0]}.mid"])
        assert any(n.startswith(f"warning: --key {key} does not fit") for n in result["notes"]) == warned
