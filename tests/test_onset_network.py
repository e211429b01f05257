"""The onset network: its numpy forward pass equals Keras's, its files round-trip, a tiny training run
moves the loss and writes what ships, the shipped network splits repeated notes that the rules merged."""

from __future__ import annotations

import json

import numpy as np
import pytest
import symusic

from midistyle.audio.onset_network import (
    FEATURES,
    OnsetNetwork,
    OnsetNetworkConfig,
    _conv1d,
    peaks,
    shipped_onset_network,
)


def _random_network(config: OnsetNetworkConfig, seed: int = 0) -> OnsetNetwork:
    rng = np.random.default_rng(seed)
    shapes = [(config.kernel, FEATURES)] + [(3, config.channels)] * len(config.dilations) + [(1, config.channels)]
    outs = [config.channels] * (len(config.dilations) + 1) + [1]
    weights = [(rng.normal(0, 0.3, (k, c_in, c_out)).astype(np.float32), rng.normal(0, 0.1, c_out).astype(np.float32))
               for (k, c_in), c_out in zip(shapes, outs)]
    return OnsetNetwork(config, weights, rng.normal(0, 1, FEATURES).astype(np.float32),
                        rng.uniform(0.5, 2, FEATURES).astype(np.float32), threshold=0.4)


def test_a_dilated_convolution_is_the_sum_it_is_defined_as():
    rng = np.random.default_rng(1)
    x, kernel, bias = rng.normal(size=(20, 3)), rng.normal(size=(3, 3, 2)), rng.normal(size=2)
    got = _conv1d(x, kernel, bias, dilation=4)
    want = np.zeros((20, 2))
    for t in range(20):
        want[t] = bias
        for j in range(3):
            source = t + (j - 1) * 4
            if 0 <= source < 20:
                want[t] += x[source] @ kernel[j]
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_numpy_forward_equals_the_keras_twin():
    pytest.importorskip("tensorflow")
    from midistyle.models.onset_training import build_keras_model

    config = OnsetNetworkConfig(channels=6, kernel=5, dilations=(1, 2, 4))
    network = _random_network(config)
    model = build_keras_model(config)
    convolutions = [layer for layer in model.layers if layer.__class__.__name__ == "Conv1D"]
    for layer, (kernel, bias) in zip(convolutions, network.weights):
        layer.set_weights([kernel, bias])
    features = np.random.default_rng(2).normal(size=(70, FEATURES)).astype(np.float32)
    logits = model.predict(((features - network.mean) / network.scale)[None], verbose=0)[0, :, 0]
    np.testing.assert_allclose(network(features), 1 / (1 + np.exp(-logits)), atol=1e-5)


def test_the_network_files_round_trip(tmp_path):
    network = _random_network(OnsetNetworkConfig(channels=4, dilations=(1, 2)))
    network.save(tmp_path)
    again = OnsetNetwork.load(tmp_path)
    features = np.random.default_rng(3).normal(size=(30, FEATURES)).astype(np.float32)
    np.testing.assert_array_equal(network(features), again(features))
    assert again.threshold == 0.4 and again.config == network.config
    assert OnsetNetworkConfig.from_json(network.config.to_json()) == network.config


def test_peaks_are_local_maxima_at_or_above_the_threshold():
    p = np.array([0.1, 0.6, 0.5, 0.2, 0.45, 0.3, 0.7, 0.7, 0.1])
    assert peaks(p, 0.5).tolist() == [1, 7]  # a plateau counts once, at its last frame
    assert peaks(p, 0.4).tolist() == [1, 4, 7]


def test_a_tiny_training_run_writes_what_ships(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    from midistyle.cli import main

    assert main(["train", "onsets", "--out", str(tmp_path), "--config", "tiny"]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    losses = [epoch["loss"] for epoch in report["history"]]
    assert losses[-1] < losses[0]
    assert report["numpy vs keras max difference"] < 1e-4
    assert OnsetNetwork.load(tmp_path).threshold in (0.3, 0.5)
    assert set(report["validation, rules"]) == {"pitch right", "note F1", "on its 16th"}


def test_bad_training_options_are_one_line_exit_2(tmp_path, capsys):
    from midistyle.cli import main

    broken = tmp_path / "broken.json"
    broken.write_text('{"epochs": 3}')
    for args in (["--config", "nope"], ["--epochs", "0"], ["--seed", "-1"], ["--config", str(broken)]):
        assert main(["train", "onsets", "--out", str(tmp_path / "x"), *args]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
        assert not (tmp_path / "x").exists()


def test_a_half_written_or_missing_network_is_a_clear_error(tmp_path):
    from midistyle.errors import MissingDependencyError

    network = _random_network(OnsetNetworkConfig(channels=4, dilations=(1, 2)))
    network.save(tmp_path)
    (tmp_path / "config.json").write_text('{"threshold": 0.5}')
    with pytest.raises(MissingDependencyError, match="cannot be read"):
        OnsetNetwork.load(tmp_path)
    with pytest.raises(MissingDependencyError, match="missing"):
        OnsetNetwork.load(tmp_path / "nowhere")


def _repeated_notes(seconds_per_note: float, held: float) -> symusic.Score:
    """G4 G4 A4 A4 A4 G4: each note held ``held`` times its spacing, so a repeat starts before the last ends."""
    midi = symusic.Score(480)
    track = symusic.Track("melody", 73, False)
    for index, pitch in enumerate([67, 67, 69, 69, 69, 67]):
        start = int(index * seconds_per_note * 960)
        track.notes.append(symusic.Note(start, int(seconds_per_note * held * 960), pitch, 90))
    midi.tracks.append(track)
    return midi


def test_the_shipped_network_hears_repeated_notes_the_rules_merged():
    import difflib

    from midistyle.audio.render import RenderConfig, Renderer
    from midistyle.audio.soundfonts import embedded_soundfont
    from midistyle.audio.transcribe import TranscribeConfig, transcribe

    shipped = shipped_onset_network().report
    assert shipped["validation, network"]["on its 16th"] > shipped["validation, rules"]["on its 16th"]
    written = [67, 67, 69, 69, 69, 67]
    matched = {"network": 0, "rules": 0}
    with Renderer(RenderConfig(sample_rate=22050, soundfont=str(embedded_soundfont()))) as renderer:
        for program in (73, 40, 52):  # flute, violin, choir
            for held in (0.9, 1.1):  # let go early, or held into the next note
                played = _repeated_notes(0.4, held)
                played.tracks[0].program = program
                audio = renderer.render(played).audio
                for splitter in matched:
                    heard = [p for *_, p in transcribe(audio, 22050, TranscribeConfig(splitter=splitter)).notes]
                    if program == 40 and splitter == "network":
                        assert heard == written  # the violin comes back exact
                    blocks = difflib.SequenceMatcher(None, written, heard, autojunk=False).get_matching_blocks()
                    matched[splitter] += sum(block.size for block in blocks)
    assert matched["network"] >= matched["rules"] + 8  # measured: 32 against 18 of 36
