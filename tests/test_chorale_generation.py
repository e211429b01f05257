"""Chorale training (tiny config, resume), the shipped generator, and `midistyle chorale`."""

import json

import pytest

from midistyle.cli import main
from midistyle.music import metrics
from midistyle.music.io import read_score, write_score

pytest.importorskip("tensorflow")


def test_tiny_config_trains_and_resumes(tmp_path):
    from midistyle.models.chorale_training import named_config, train_chorale_model

    config = named_config("tiny", model="lstm", epochs=2)
    stopped = train_chorale_model(config, tmp_path, progress=False, stop_after_epochs=1)
    assert stopped == {"stopped_at_epoch": 1}
    report = train_chorale_model(config, tmp_path, progress=False, resume=True)
    assert [row["epoch"] for row in report["history"]] == [1, 2]
    assert report["history"][1]["train_loss"] < report["history"][0]["train_loss"]
    assert report["valid"]["nll_per_note"] > 0 and report["test"]["tokens_per_note"] > 1
    with pytest.raises(Exception, match="--resume"):
        train_chorale_model(config, tmp_path, progress=False)


@pytest.fixture(scope="module")
def generator():
    from midistyle.models.compose import ChoraleGenerator

    return ChoraleGenerator.load()


def test_shipped_model_writes_four_voices_of_whole_bars(generator):
    result = generator.generate(bars=4, seed=3)
    score = result.score
    assert score.num_voices == 4 and all(v.notes for v in score.voices)
    assert metrics.monophonic_voice_rate(score) == 1.0
    assert score.num_steps <= score.anacrusis_steps + 4 * score.steps_per_bar
    assert score.num_steps > score.anacrusis_steps + 3 * score.steps_per_bar


def test_shipped_model_continues_a_prompt_and_moves_to_a_key(generator, test_chorales):
    from midistyle.models.compose import cut_at_step

    opening = cut_at_step(test_chorales[0], test_chorales[0].anacrusis_steps + test_chorales[0].steps_per_bar)
    result = generator.generate(bars=4, seed=1, prompt=opening, key="D major")
    assert result.score.num_voices == 4


def test_cli_chorale_writes_midi_and_musicxml(tmp_path, capsys):
    assert main(["chorale", "-o", str(tmp_path), "-n", "2", "--bars", "4", "--seed", "5"]) == 0
    for name in ("chorale_01.mid", "chorale_01.musicxml", "chorale_02.mid", "chorale_02.musicxml"):
        assert (tmp_path / name).stat().st_size > 100
    assert read_score(tmp_path / "chorale_02.musicxml").num_voices == 4


def test_cli_chorale_retries_0_is_the_network_alone(tmp_path, capsys):
    assert main(["chorale", "-o", str(tmp_path), "--bars", "4", "--seed", "5", "--retries", "0"]) == 0
    score = read_score(tmp_path / "chorale_01.mid")
    assert score.num_voices == 4 and all(v.notes for v in score.voices)


@pytest.mark.parametrize(
    ("args", "problem"),
    [(["--retries", "-1"], "--retries -1"), (["--key", "H major"], "not like 'D major'"), (["--bars", "0"], "--bars 0"),
     (["--prompt", "{data}/corrupted.mid"], "not a readable MIDI"), (["--prompt", "{long}"], "context"),
     (["--prompt", "{data}/melody_only.mid"], "a chorale opening needs four"),
     (["--top-p", "1.5"], "top_p=1.5"), (["--top-k", "0"], "top_k=0")],
    ids=["retries", "key", "bars", "corrupt-prompt", "long-prompt", "melody-prompt", "top-p", "top-k"],
)
def test_cli_chorale_bad_input_exits_2(args, problem, data_dir, all_chorales, tmp_path, capsys):
    longest = max(all_chorales, key=lambda c: c.num_notes)
    long_prompt = write_score(longest, tmp_path / "long.mid")
    out = tmp_path / "out"
    argv = ["chorale", "-o", str(out)] + [a.format(data=data_dir, long=long_prompt) for a in args]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and problem in error
    assert not out.exists()


def test_training_reports_of_the_shipped_model_are_complete():
    from midistyle.models.chorale_distillation import DistillationConfig
    from midistyle.models.compose import WEIGHTS_DIR

    base = json.loads((WEIGHTS_DIR / "base_training_report.json").read_text())  # maximum likelihood
    assert base["model"] == "transformer" and base["epochs"] == len(base["history"])
    report = json.loads((WEIGHTS_DIR / "training_report.json").read_text())  # then distilled
    config = DistillationConfig.from_json((WEIGHTS_DIR / "distillation_config.json").read_text())
    assert report["model"] == "transformer, retries distilled"
    assert report["steps"] == config.steps_per_round * config.rounds
    assert {row["round"] for row in report["history"]} == set(range(1, config.rounds + 1))
    assert report["valid"]["nll_per_note"] <= 2.14  # no worse than the maximum-likelihood model's 2.138


def test_the_shipped_network_alone_keeps_parallels_near_bachs_rate(generator):
    # the maximum-likelihood model wrote 14.8 per 100 transitions without the retries; Bach 3.6
    pieces = [generator.generate(bars=8, seed=seed, voice_leading_retries=0, parallel_guard=False,
                                 avoid_quotes=False).score
              for seed in range(8)]
    assert sum(metrics.parallel_perfect_intervals(p) for p in pieces) / len(pieces) < 10.0


@pytest.mark.parametrize("command", [["train", "chorale"], ["train", "classifier"]])
def test_train_with_zero_epochs_exits_2(command, tmp_path, capsys):
    assert main([*command, "--out", str(tmp_path / "run"), "--epochs", "0"]) == 2
    assert "--epochs 0 must be >= 1" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
