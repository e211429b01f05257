"""Fine-tuning the chorale Transformer without the rules at sampling time: batched sampling, the
parallels the unlikelihood loss aims at, and both fine-tuning runs on tiny settings."""

import json

import numpy as np
import pytest

from midistyle.cli import main
from midistyle.music.metrics import count_parallel_perfect_intervals
from midistyle.music.score import Note, Score, make_voices

pytest.importorskip("tensorflow")

from midistyle.models.chorale import ChoraleConfig, build_model, sample_batch  # noqa: E402

TINY = dict(vocab_size=120, d_model=32, heads=2, layers=2, ff_dim=64, context=64, dropout=0.0)


def test_sample_batch_is_seeded_keeps_the_prompt_and_never_draws_a_banned_token():
    model = build_model(ChoraleConfig(**TINY))
    draws = [sample_batch(model, [1, 7], batch_size=3, new_tokens=20, rng=np.random.default_rng(4),
                          temperature=1.0, top_p=0.95, banned_tokens=(2, 0)) for _ in range(2)]
    assert draws[0].shape == (3, 22) and (draws[0] == draws[1]).all()
    assert (draws[0][:, :2] == [1, 7]).all()
    assert not np.isin(draws[0][:, 2:], [0, 2]).any()
    assert len({tuple(row) for row in draws[0]}) > 1  # the rows are drawn independently
    with pytest.raises(ValueError, match="context"):
        sample_batch(model, [1], batch_size=1, new_tokens=64, rng=np.random.default_rng(0))


def test_parallel_rises_point_at_the_token_that_completes_a_parallel_octave():
    from midistyle.models.chorale_unlikelihood import parallel_rises
    from midistyle.models.compose import make_monophonic
    from midistyle.music.tokens import TokenizerConfig, build_tokenizer

    # soprano and bass are in octaves on beats 1, 3 and 4: C-C to D-D (beats 3 to 4) is one parallel
    soprano = [Note(0, 72, 4), Note(4, 71, 4), Note(8, 72, 4), Note(12, 74, 4)]
    alto = [Note(0, 67, 16)]
    tenor = [Note(0, 64, 16)]
    bass = [Note(0, 48, 4), Note(4, 55, 4), Note(8, 60, 4), Note(12, 62, 4)]
    score = Score(make_voices([soprano, alto, tenor, bass]))
    assert count_parallel_perfect_intervals(score) == 1  # C-C to D-D; G under B is a third
    tokenizer = build_tokenizer(TokenizerConfig())
    tokens = np.array([tokenizer.bos_id, *tokenizer.encode(score)])
    rises, parallels, transitions = parallel_rises(tokenizer, tokens)
    assert parallels == 1 and transitions == 3 and len(rises) == 1

    def count(end):
        return count_parallel_perfect_intervals(make_monophonic(tokenizer.decode(tokens[:end]))[0])

    assert count(rises[0] + 1) == 1 and count(rises[0]) == 0


@pytest.fixture(scope="module")
def shipped_dir():
    from midistyle.models.compose import WEIGHTS_DIR

    return WEIGHTS_DIR


def test_distillation_runs_its_rounds_and_writes_a_model_the_generator_loads(shipped_dir, tmp_path):
    import dataclasses

    from midistyle.models.chorale_distillation import DistillationConfig, distil_retries
    from midistyle.models.compose import ChoraleGenerator

    config = DistillationConfig(rounds=1, teacher_pieces=2, teacher_bars=1, steps_per_round=2, batch_size=2,
                                report_every=2)
    assert DistillationConfig.from_json(config.to_json()) == config
    distil_retries(shipped_dir, tmp_path, config, progress=False)
    config = dataclasses.replace(config, rounds=2)  # a resumed run may add rounds
    report = distil_retries(shipped_dir, tmp_path, config, progress=False, resume=True)
    assert [(row["step"], row["round"]) for row in report["history"]] == [(2, 1), (4, 2)]
    assert report["history"][0]["teacher"]["pieces"] + report["history"][0]["teacher"]["failed"] == 2
    assert (tmp_path / "pool_round1.npz").exists() and (tmp_path / "pool_round2.npz").exists()
    assert report["valid"]["nll_per_note"] > 0
    generated = ChoraleGenerator.load(tmp_path).generate(bars=2, seed=0, voice_leading_retries=0)
    assert generated.score.num_voices == 4
    with pytest.raises(Exception, match="--resume"):
        distil_retries(shipped_dir, tmp_path, config, progress=False)
    with pytest.raises(Exception, match="only rounds may grow"):
        distil_retries(shipped_dir, tmp_path, dataclasses.replace(config, batch_size=3), progress=False, resume=True)


def test_unlikelihood_fine_tuning_writes_a_model_and_its_curve(shipped_dir, tmp_path):
    from midistyle.models.chorale_unlikelihood import UnlikelihoodConfig, finetune_unlikelihood

    config = UnlikelihoodConfig(steps=2, samples_per_step=2, sample_tokens=24, data_batch_size=2, report_every=2)
    report = finetune_unlikelihood(shipped_dir, tmp_path, config, progress=False)
    assert [row["step"] for row in report["history"]] == [2]
    assert 0 <= report["history"][0]["sample_parallels_per_100"] <= 100
    saved = json.loads((tmp_path / "unlikelihood_config.json").read_text())
    assert UnlikelihoodConfig(**saved) == config


@pytest.mark.parametrize("command", ["chorale-distil", "chorale-unlikelihood"])
def test_fine_tuning_commands_refuse_a_missing_or_reused_model_folder(command, shipped_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", command, "--init", str(tmp_path / "nothing"), "--out", str(out)]) == 2
    assert "no trained chorale model" in capsys.readouterr().err and not out.exists()
    assert main(["train", command, "--init", str(shipped_dir), "--out", str(shipped_dir)]) == 2
    assert "--out must differ from --init" in capsys.readouterr().err
