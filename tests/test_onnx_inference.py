"""ONNX Runtime inference: the same notes as Keras, stale exports refused, hot paths without TensorFlow."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from midistyle.errors import InputError
from midistyle.models.compose import WEIGHTS_DIR as CHORALE_WEIGHTS
from midistyle.models.compose import ChoraleGenerator
from midistyle.models.harmonize import WEIGHTS_DIR as HARMONIZER_WEIGHTS
from midistyle.models.harmonize import Harmonizer
from midistyle.models.onnx_networks import HARMONIZER_FILES, MANIFEST, OnnxChoraleModel, OnnxModel, use_onnx
from midistyle.music.chord_symbols import parse_chord_line

ODE = Path(__file__).resolve().parent.parent / "midistyle" / "assets" / "ode_to_joy.musicxml"


def _notes(score):
    return [[(n.onset_step, n.duration_steps, n.pitch) for n in voice.notes] for voice in score.voices]


def _load_both(monkeypatch, load):
    monkeypatch.setenv("MIDISTYLE_BACKEND", "onnx")
    onnx = load()
    monkeypatch.setenv("MIDISTYLE_BACKEND", "keras")
    keras = load()
    return onnx, keras


def test_the_shipped_exports_are_current_and_loaded_by_default(monkeypatch):
    monkeypatch.delenv("MIDISTYLE_BACKEND", raising=False)
    assert isinstance(Harmonizer.load().generator, OnnxModel)
    assert isinstance(ChoraleGenerator.load().model, OnnxChoraleModel)


def test_onnx_harmonizer_writes_the_keras_notes(monkeypatch, test_chorales):
    pytest.importorskip("tensorflow")
    from midistyle.music.melody import read_melody

    onnx, keras = _load_both(monkeypatch, Harmonizer.load)
    assert not isinstance(keras.generator, OnnxModel)
    melodies = [read_melody(ODE)] + [c.select_voices([0]).replace(key=None) for c in test_chorales[:3]]
    for index, melody in enumerate(melodies):
        options = dict(samples=2, seed=index)
        if index == 1:  # a given bass, taken from Bach
            options["given"] = {"bass": test_chorales[0].voices[3].notes}
        if index == 0:  # chord symbols, one per bar
            options["chords"] = parse_chord_line(" ".join(["G", "D", "G", "D"] * 4), melody)
        ours, theirs = onnx.harmonize(melody, **options), keras.harmonize(melody, **options)
        for a, b in zip(ours, theirs, strict=True):
            assert _notes(a.score) == _notes(b.score)
            assert a.critic_score == pytest.approx(b.critic_score, abs=1e-3)


def test_onnx_chorale_step_samples_the_keras_tokens(monkeypatch):
    pytest.importorskip("tensorflow")
    onnx, keras = _load_both(monkeypatch, ChoraleGenerator.load)
    for seed in (2, 7):
        ours, theirs = onnx.generate(bars=8, seed=seed), keras.generate(bars=8, seed=seed)
        assert _notes(ours.score) == _notes(theirs.score) and ours.tokens == theirs.tokens


def test_a_stale_or_missing_export_falls_back_to_keras_and_onnx_only_refuses(monkeypatch, tmp_path):
    folder = tmp_path / "harmonizer"
    shutil.copytree(HARMONIZER_WEIGHTS, folder)
    monkeypatch.delenv("MIDISTYLE_BACKEND", raising=False)
    assert use_onnx(folder, HARMONIZER_FILES)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"]["critic.onnx"]["weights_sha256"] = "0" * 64  # as if the critic were retrained
    (folder / MANIFEST).write_text(json.dumps(manifest))
    assert not use_onnx(folder, HARMONIZER_FILES)
    monkeypatch.setenv("MIDISTYLE_BACKEND", "onnx")
    with pytest.raises(InputError, match="critic.onnx was exported from other weights"):
        use_onnx(folder, HARMONIZER_FILES)
    (folder / MANIFEST).unlink()
    with pytest.raises(InputError, match="no onnx.json"):
        use_onnx(folder, HARMONIZER_FILES)
    monkeypatch.setenv("MIDISTYLE_BACKEND", "tflite")
    with pytest.raises(InputError, match="MIDISTYLE_BACKEND='tflite' must be one of auto, onnx, keras"):
        use_onnx(folder, HARMONIZER_FILES)


def test_export_of_tiny_networks_matches_keras(tmp_path, monkeypatch):
    """The exporter itself, on fresh tiny networks (the Transformer's GELU needs the erfc rewrite)."""
    pytest.importorskip("tf2onnx")
    from midistyle.models.chorale import build_model
    from midistyle.models.chorale_config import ChoraleConfig
    from midistyle.models.chorale_training import TINY as TINY_CHORALE
    from midistyle.models.harmonizer import make_gan, save_networks
    from midistyle.models.harmonizer_config import HarmonizerConfig
    from midistyle.models.harmonizer_training import TINY as TINY_HARMONIZER
    from midistyle.models.onnx_export import MAX_DIFFERENCE, export_chorale, export_harmonizer

    harmonizer_dir, chorale_dir = tmp_path / "harmonizer", tmp_path / "chorale"
    harmonizer_dir.mkdir(), chorale_dir.mkdir()
    save_networks(make_gan(HarmonizerConfig.network(**TINY_HARMONIZER)), harmonizer_dir)
    differences = export_harmonizer(harmonizer_dir)
    assert set(differences) == {"generator.onnx", "critic.onnx"} and max(differences.values()) <= MAX_DIFFERENCE
    config = ChoraleConfig(**{**TINY_CHORALE, "vocab_size": 40})
    build_model(config).save_weights(str(chorale_dir / "model.weights.h5"))
    (chorale_dir / "config.json").write_text(config.to_json())
    assert export_chorale(chorale_dir)["step.onnx"] <= MAX_DIFFERENCE

    monkeypatch.setenv("MIDISTYLE_BACKEND", "onnx")
    onnx = Harmonizer.load(harmonizer_dir)
    monkeypatch.setenv("MIDISTYLE_BACKEND", "keras")
    keras = Harmonizer.load(harmonizer_dir)
    rng = np.random.default_rng(0)
    condition = (rng.random((1, 64, 48, 5)) < 0.1).astype(np.float32)
    assert np.abs(onnx.predict(condition, seed=3) - keras.predict(condition, seed=3)).max() <= MAX_DIFFERENCE

    lstm_dir = tmp_path / "lstm"
    lstm_dir.mkdir()
    (lstm_dir / "config.json").write_text(ChoraleConfig(**{**TINY_CHORALE, "model": "lstm"}).to_json())
    with pytest.raises(InputError, match="ONNX export is for the Transformer"):
        export_chorale(lstm_dir)


HOT_PATHS = """
import sys
from midistyle.cli import main
folder = sys.argv[1]
for command in (["harmonize", "{ode}", "-o", folder + "/h.mid"],
                ["reharmonize", folder + "/h.mid", "--bars", "3-4", "-o", folder + "/r.mid"],
                ["chorale", "--bars", "4", "-o", folder + "/c"],
                ["check", folder + "/h.mid"],
                ["engrave", folder + "/h.mid", "-o", folder + "/h.svg"],
                ["plot", folder + "/h.mid", "-o", folder + "/h.png"],
                ["convert", folder + "/h.mid", "-o", folder + "/h.musicxml"],
                ["render", folder + "/h.mid", "-o", folder + "/h.wav"]):
    try:
        main(command)
    except SystemExit as stop:
        assert not stop.code, (command, stop.code)
print("tensorflow" in sys.modules, "keras" in sys.modules)
"""


def test_the_command_lines_hot_paths_never_import_tensorflow(tmp_path):
    code = HOT_PATHS.replace("{ode}", str(ODE))
    environment = {name: value for name, value in os.environ.items() if name != "MIDISTYLE_BACKEND"}
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, env=environment)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.splitlines()[-1].split() == ["False", "False"]
    for name in ("h.mid", "r.mid", "c/chorale_01.mid", "h.svg", "h.png", "h.musicxml", "h.wav"):
        assert (tmp_path / name).stat().st_size > 0


def test_export_onnx_command_refuses_a_folder_without_weights(tmp_path):
    run = subprocess.run([sys.executable, "-m", "midistyle", "export-onnx", str(tmp_path)], capture_output=True,
                         text=True)
    assert run.returncode == 2 and "holds no trained harmonizer or chorale model" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_manifest_names_the_shipped_weights_it_came_from():
    from midistyle.models.onnx_networks import sha256_of

    for folder in (HARMONIZER_WEIGHTS, CHORALE_WEIGHTS):
        manifest = json.loads((folder / MANIFEST).read_text())
        for name, entry in manifest["files"].items():
            assert (folder / name).exists()
            assert entry["weights_sha256"] == sha256_of(folder / entry["weights"])
            assert entry["max_difference_vs_keras"] <= 1e-4
