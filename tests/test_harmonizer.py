"""The harmonizer GAN: a tiny config trains and resumes after a kill; the shipped weights harmonize."""

import json
import signal
import subprocess
import sys
import time

import pytest

from midistyle.cli import main
from midistyle.music import metrics
from midistyle.music.io import read_score, write_score
from midistyle.music.score import Key, Note, Score, Voice, make_voices

pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def tiny_examples():
    from midistyle.models.harmonizer_training import training_examples

    return training_examples("train")[:16]


def test_tiny_config_trains_with_moving_losses(tiny_examples, tmp_path):
    import dataclasses

    from midistyle.models.harmonizer_training import named_config, train_harmonizer

    config = dataclasses.replace(named_config("tiny"), steps=8, checkpoint_every=4)
    report = train_harmonizer(config, tmp_path, examples=tiny_examples, progress=False)
    history = json.loads((tmp_path / "checkpoint" / "state.json").read_text())["history"]
    assert [h["step"] for h in history] == list(range(1, 9))
    for name in ("d_loss", "g_rec"):
        assert len({round(h[name], 6) for h in history}) > 1, f"{name} never moved"
    assert history[-1]["g_rec"] < history[0]["g_rec"]  # the reconstruction term learns even in 8 steps
    assert report["steps"] == 8
    for name in ("losses.png", "generator.weights.h5", "samples/step_000008.mid"):
        assert (tmp_path / name).stat().st_size > 100


@pytest.mark.parametrize(
    "changes",
    [dict(given_voices=True, input_skip=True, parallel_weight=30.0), dict(loss="reconstruction"),
     dict(critic_norm="spectral")],
    ids=["given-voices", "reconstruction-only", "spectral-critic"],
)
def test_tiny_configs_of_the_ablation_train_and_harmonize(changes, tiny_examples, tmp_path):
    import dataclasses

    from midistyle.data.chorales import load_chorales
    from midistyle.models.harmonize import Harmonizer
    from midistyle.models.harmonizer_training import named_config, train_harmonizer

    config = dataclasses.replace(named_config("tiny"), steps=8, checkpoint_every=4, **changes)
    train_harmonizer(config, tmp_path, examples=tiny_examples, progress=False)
    history = json.loads((tmp_path / "checkpoint" / "state.json").read_text())["history"]
    assert history[-1]["g_rec"] < history[0]["g_rec"]
    critic_moved = len({round(h["d_loss"], 6) for h in history}) > 1
    assert critic_moved == (changes.get("loss") != "reconstruction")  # no critic steps without a critic
    model = Harmonizer.load(tmp_path)
    assert model.config == config
    melody = load_chorales("valid")[0].select_voices([0])
    for decoder in ("joint", "greedy", "sample"):
        score = model.harmonize(melody, decoder=decoder)[0].score
        assert score.num_voices == 4 and metrics.melody_preserved(melody, score) == 1.0
        assert metrics.monophonic_voice_rate(score) == 1.0


def test_the_shipped_config_is_the_ablations_network_and_trained_the_shipped_weights():
    from pathlib import Path

    from midistyle.models.harmonize import WEIGHTS_DIR
    from midistyle.models.harmonizer import HarmonizerConfig
    from midistyle.models.harmonizer_training import named_config

    root = Path(__file__).resolve().parents[1]
    network = named_config("network")
    assert network == named_config(str(root / "benchmarks" / "configs" / "harmonizer_network.json"))
    shipped = HarmonizerConfig.from_json((WEIGHTS_DIR / "config.json").read_text())
    assert shipped == named_config("network", seed=shipped.seed)


def test_given_voices_are_fed_to_the_generator_and_put_back_as_written():
    import numpy as np

    from midistyle.models.harmonizer import HarmonizerConfig, HarmonizerGAN, given_planes

    harmony = np.zeros((2, 8, 48, 6), "float32")
    harmony[:, :, 10, 5] = 1  # the bass sounds row 10 throughout
    harmony[:, 0, 10, 4] = 1
    planes = np.asarray(given_planes(harmony, np.array([[0, 0, 1], [0, 0, 0]], "float32")))
    assert planes.shape == (2, 8, 48, 9)
    assert planes[0, :, 10, 5].all() and planes[0, 0, 10, 2] == 1 and planes[0, :, :, 8].all()
    assert not planes[1].any()  # nothing given: all zero
    gan = HarmonizerGAN(HarmonizerConfig(given_voices=True, filters=(8, 16), critic_filters=(8,),
                                         noise_channels=2))
    given = np.asarray(gan.random_given(3000))
    assert set(given.sum(axis=1)) == {0, 1, 2}  # 0, 1 or 2 voices given, never all three
    assert abs(given.sum(axis=1).mean() - 1) < 0.1 and abs(given.mean(axis=0) - 1 / 3).max() < 0.05
    condition = np.zeros((2, 8, 48, 5), "float32")
    fake = np.asarray(gan.generate(condition, harmony, np.array([[0, 0, 1], [0, 0, 0]], "float32"), 2, 8))
    np.testing.assert_array_equal(fake[0, ..., 4:], harmony[0, ..., 4:])  # the given bass, as written
    assert not np.array_equal(fake[1, ..., 4:], harmony[1, ..., 4:])


def test_expected_parallels_counts_bachs_parallels_on_one_hot_voices():
    import numpy as np

    from midistyle.models.harmonizer import expected_parallels

    condition = np.zeros((1, 12, 48, 5), "float32")
    harmony = np.zeros((1, 12, 48, 6), "float32")
    condition[0, ::4, :, 2] = 1  # beats at 0, 4, 8
    melody, bass = [31, 33, 33], [12, 14, 14]  # fifths G-C, A-D (parallel), then both hold (not parallel)
    for beat in range(3):
        steps = slice(4 * beat, 4 * beat + 4)
        condition[0, steps, melody[beat], 1] = 1
        harmony[0, steps, bass[beat], 5] = 1
    assert float(expected_parallels(condition, harmony)) == pytest.approx(1 / 3)  # 1 parallel over 2 beat pairs (+1)
    harmony[0, 4:8, 14, 5], harmony[0, 4:8, 15, 5] = 0, 1  # D -> D#: a sixth, no parallel
    assert float(expected_parallels(condition, harmony)) == pytest.approx(0)


def test_progressive_growing_fades_the_full_resolution_output_in(tiny_examples, tmp_path):
    import dataclasses

    import numpy as np

    from midistyle.models.harmonize import Harmonizer
    from midistyle.models.harmonizer_training import named_config, train_harmonizer

    config = dataclasses.replace(named_config("tiny"), steps=10, checkpoint_every=5, progressive_coarse_steps=3,
                                 progressive_fade_steps=4)
    train_harmonizer(config, tmp_path, examples=tiny_examples, progress=False)
    history = json.loads((tmp_path / "checkpoint" / "state.json").read_text())["history"]
    alphas = [h["fade_in"] for h in history]
    assert alphas == [0, 0, 0, 0, 0.25, 0.5, 0.75, 1, 1, 1]
    assert history[-1]["g_rec"] < history[0]["g_rec"]
    model = Harmonizer.load(tmp_path)
    assert float(np.asarray(model.generator.get_layer("fade_in").alpha)) == 1.0  # trained: full resolution only
    melody_steps = 64
    condition = np.zeros((1, melody_steps, 48, 5), "float32")
    condition[0, :, 20, 1] = 1
    assert model.predict(condition, 0).shape == (1, melody_steps, 48, 6)


def test_checkpoint_selection_keeps_the_best_validated_step(tiny_examples, tmp_path):
    import dataclasses

    import numpy as np

    from midistyle.models.harmonize import Harmonizer
    from midistyle.models.harmonizer_training import named_config, train_harmonizer

    scores = iter([5.0, 1.0, 3.0])
    snapshots = []

    def validate(harmonizer):
        snapshots.append([np.array(w) for w in harmonizer.generator.get_weights()])
        return next(scores)

    config = dataclasses.replace(named_config("tiny"), steps=9, checkpoint_every=3, select_by="valid_frechet")
    report = train_harmonizer(config, tmp_path, examples=tiny_examples, progress=False, validate=validate)
    assert report["selected_step"] == 6 and [v["step"] for v in report["validation"]] == [3, 6, 9]
    saved = Harmonizer.load(tmp_path).generator.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(saved, snapshots[1]))
    assert not all(np.array_equal(a, b) for a, b in zip(saved, snapshots[2]))


@pytest.mark.parametrize("architecture", ["unet", "deepcomposer"])
def test_generator_shapes(architecture):
    import numpy as np

    from midistyle.models.harmonizer import HarmonizerConfig, build_generator, noise_shape

    config = HarmonizerConfig() if architecture == "unet" else HarmonizerConfig.deepcomposer()
    steps = 96 if architecture == "unet" else 32  # the U-Net takes any multiple of 8 steps
    _, pitches = config.pitch_window
    generator = build_generator(config)
    out = np.asarray(generator([np.zeros((2, steps, pitches, 5), "float32"),
                                np.zeros(noise_shape(config, 2, steps), "float32")]))
    assert out.shape == (2, steps, pitches, 6)
    if architecture == "deepcomposer":
        assert 8.2e6 < generator.count_params() < 8.35e6  # the original's 8.27 M


def test_training_killed_mid_run_resumes_where_it_stopped(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "midistyle.cli", "train", "harmonizer", "--config", "tiny", "--steps", "60",
               "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (out / "checkpoint" / "state.json").exists() and time.time() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = json.loads((out / "checkpoint" / "state.json").read_text())["step"]
    assert 0 < killed_at < 60
    assert not (out / "training_report.json").exists()
    resumed = subprocess.run(command + ["--resume"], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    history = json.loads((out / "checkpoint" / "state.json").read_text())["history"]
    assert [h["step"] for h in history] == list(range(1, 61))
    assert json.loads((out / "training_report.json").read_text())["steps"] == 60
    again = subprocess.run(command, capture_output=True, text=True)  # same folder without --resume
    assert again.returncode == 2 and "--resume" in again.stderr


@pytest.fixture(scope="module")
def shipped():
    from midistyle.models.harmonize import Harmonizer

    return Harmonizer.load()


def test_shipped_weights_harmonize_a_held_out_soprano(shipped, test_chorales):
    for chorale in test_chorales[:3]:
        melody = chorale.select_voices([0]).replace(key=None)
        result = shipped.harmonize(melody, samples=2, seed=1)
        assert len(result) == 2 and result[0].critic_score >= result[1].critic_score
        score = result[0].score
        assert metrics.melody_preserved(melody, score) == 1.0
        assert metrics.in_range_rate(score) >= 0.99
        assert metrics.monophonic_voice_rate(score) == 1.0
        assert score.num_voices == 4 and score.time_signature == chorale.time_signature
        assert score.anacrusis_steps == chorale.anacrusis_steps


def test_the_joint_decoder_plans_cadences_at_fermatas_and_holds_the_final_chord(shipped):
    """Quality floors on 10 held-out (valid) sopranos with Bach's fermatas, where the decoder without
    cadence planning gave a cadential bass at 0.62 of phrase ends and moved a voice after the last
    melody note in 14 of 35 pieces (the benchmark's figures)."""
    from midistyle.data.chorales import load_chorales
    from midistyle.music.harmony import critique, pooled_cadence_shares

    valid = load_chorales("valid")[:10]
    found = []
    for chorale in valid:
        melody = chorale.select_voices([0]).replace(key=None)
        score = shipped.harmonize(melody)[0].score
        assert score.fermata_steps == chorale.fermata_steps  # kept for the MusicXML and the sheet music
        found.append(critique(score))
    assert not any(m.rule == "ending_not_held" for c in found for m in c.marks)
    assert pooled_cadence_shares(found)["cadential_bass_share"] >= 0.75


@pytest.mark.parametrize("decoder", ["greedy", "sample"])
def test_shipped_weights_decode_with_the_network_alone(shipped, test_chorales, decoder):
    chorale = test_chorales[0]
    melody = chorale.select_voices([0]).replace(key=None)
    joint = shipped.harmonize(melody)[0].score
    alone = shipped.harmonize(melody, decoder=decoder, seed=3)[0].score
    assert metrics.melody_preserved(melody, alone) == 1.0
    assert metrics.monophonic_voice_rate(alone) == 1.0 and metrics.in_range_rate(alone) >= 0.99
    assert alone.num_voices == 4 and alone.voices[1:] != joint.voices[1:]


def test_cli_harmonize_writes_ranked_samples_and_musicxml(data_dir, tmp_path, capsys):
    out = tmp_path / "tune_satb.mid"
    assert main(["harmonize", str(data_dir / "melody_only.mid"), "-o", str(out), "--musicxml", "--samples", "2",
                 "--temperature", "0.8", "--seed", "7"]) == 0
    printed = capsys.readouterr().out
    assert "key:" in printed and "decoder" not in printed
    for name in ("tune_satb.mid", "tune_satb_2.mid", "tune_satb.musicxml", "tune_satb_2.musicxml"):
        assert (tmp_path / name).exists(), name
    score = read_score(out)
    assert score.num_voices == 4


@pytest.mark.parametrize("key, warned", [("Ab major", True), ("A major", True), ("G major", False), ("B minor", False)])
def test_cli_harmonize_warns_when_the_given_key_does_not_fit_the_melody(key, warned, data_dir, tmp_path, capsys):
    # melody_only.mid is in G major (a quarter of it outside A major's scale: its G naturals)
    out = tmp_path / "keyed.mid"
    assert main(["harmonize", str(data_dir / "melody_only.mid"), "-o", str(out), "--key", key]) == 0
    printed = capsys.readouterr().out
    assert f"key: {key}" in printed
    assert (f"warning: --key {key} does not fit this melody" in printed) == warned, printed
    assert out.exists()


def _quarters(pitches, **score_fields) -> Score:
    return Score(make_voices([[Note(4 * i, p, 4) for i, p in enumerate(pitches)]]), **score_fields)


def test_cli_harmonize_writes_a_tune_in_the_key_it_was_harmonized_in(tmp_path, capsys):
    """A file whose signature is C major holding a tune in F that ends on F (as music21's Foster lead
    sheet does) was harmonized in F and written with the file's C major, so `check` read its final F
    major chord as no tonic."""
    from midistyle.music.harmony import critique

    source, out = tmp_path / "in_f.musicxml", tmp_path / "in_f_satb.musicxml"
    write_score(_quarters([65, 69, 72, 70, 69, 67, 69, 65, 70, 69, 67, 64, 65], key=Key.parse("C major")), source)
    assert main(["harmonize", str(source), "-o", str(out)]) == 0
    assert "key: F major (detected; the file's C major signature does not fit the tune)" in capsys.readouterr().out
    score = read_score(out)
    assert score.key == Key.parse("F major")
    assert not [m for m in critique(score).marks if m.rule == "ending_not_tonic"]


def test_cli_harmonize_greedy_decoder_says_so(data_dir, tmp_path, capsys):
    out = tmp_path / "greedy.mid"
    assert main(["harmonize", str(data_dir / "melody_only.mid"), "-o", str(out), "--decoder", "greedy"]) == 0
    assert "decoder: greedy" in capsys.readouterr().out
    assert read_score(out).num_voices == 4


def test_cli_harmonize_unknown_decoder_exits_2(data_dir, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["harmonize", str(data_dir / "melody_only.mid"), "-o", str(tmp_path / "o.mid"), "--decoder", "best"])
    assert stop.value.code == 2 and list(tmp_path.iterdir()) == []


def _write(tmp_path, name, notes, **fields):
    return write_score(Score((Voice("Lead", tuple(notes)),), **fields), tmp_path / name)


@pytest.mark.parametrize(
    ("notes", "problem"),
    [([Note(0, 72, 4), Note(4, 76, 4), Note(4, 79, 4)], "polyphonic: a chord at bar 1, beat 2"),
     ([Note(0, 40, 4), Note(4, 90, 4)], "singable")],
    ids=["chord", "span"],
)
def test_cli_harmonize_bad_melody_exits_2_without_output(notes, problem, tmp_path, capsys):
    source = _write(tmp_path, "bad.mid", notes)
    assert main(["harmonize", str(source), "-o", str(tmp_path / "out.mid")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and problem in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mid"]


@pytest.mark.parametrize("fixture", ["empty.mid", "drums_only.mid", "corrupted.mid"])
def test_cli_harmonize_unusable_files_exit_2(fixture, data_dir, tmp_path, capsys):
    assert main(["harmonize", str(data_dir / fixture), "-o", str(tmp_path / "out.mid")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_shipped_weights_keep_meter_and_pickup_of_folk_tunes(shipped):
    from midistyle.data.folk import load_folk_melodies

    tunes = {}
    for tune in load_folk_melodies():
        tunes.setdefault(tune.time_signature, tune)
    assert set(tunes) == {(2, 4), (3, 4), (4, 4), (6, 8)}
    for tune in tunes.values():
        score = shipped.harmonize(tune)[0].score
        assert (score.time_signature, score.anacrusis_steps) == (tune.time_signature, tune.anacrusis_steps)
        assert metrics.melody_preserved(tune, score) == 1.0
        assert metrics.monophonic_voice_rate(score) == 1.0


def _folk_marks(shipped, monkeypatch, constant: str, value: float | None, rule: str, tunes: tuple[int, ...]) -> int:
    """The critic's marks of one rule in the shipped harmonizations of some test folk tunes, with
    one decoder constant of :mod:`midistyle.models.harmony_decoding` set to ``value`` (None: as shipped)."""
    from midistyle.data.folk import load_folk_melodies
    from midistyle.models import harmony_decoding
    from midistyle.music.harmony import critique

    if value is not None:
        monkeypatch.setattr(harmony_decoding, constant, value)
    melodies = load_folk_melodies()
    return sum(m.rule == rule for i in tunes for m in critique(shipped.harmonize(melodies[i])[0].score).marks)


@pytest.mark.parametrize("penalty", [None, 1.0])
def test_a_leaping_folk_tune_gets_no_hidden_octaves_in_the_outer_voices(shipped, penalty, monkeypatch):
    """Folk tunes leap where chorales step; at the old HIDDEN_PENALTY (1.0) the bass followed two
    of folk_18's leaps (A4 -> F5 over E3 -> F3) into hidden octaves, and two of folk_09's."""
    hidden = _folk_marks(shipped, monkeypatch, "HIDDEN_PENALTY", penalty, "hidden_fifths_octaves", (9, 18))
    assert hidden == (0 if penalty is None else 4)


@pytest.mark.parametrize("penalty", [None, 4.0])
def test_the_network_s_surest_voice_does_not_outweigh_parallel_octaves(shipped, penalty, monkeypatch):
    """folk_03 bar 3 and folk_11 bar 5: the tenor falling B3 -> A3 under the soprano's B4 -> A4 was
    6 nats likelier than the next pitch, and a parallel cost 4 (``PARALLEL_PENALTY`` until an earlier
    release). Since the neighbour notes (commit 4c7d14a), at 4 nats folk_11 bar 5 has one, the bass rising
    G#2 -> A2 under the soprano's G#4 -> A4 (with or without the step rewards, which are never
    paid into parallels); at 8 neither tune has a parallel octave."""
    octaves = _folk_marks(shipped, monkeypatch, "PARALLEL_PENALTY", penalty, "parallel_octaves", (3, 11))
    assert (octaves == 0) if penalty is None else (octaves >= 1)


@pytest.mark.parametrize("penalty", [None, 0.0])
def test_the_bass_does_not_rise_an_augmented_fourth_where_it_need_not(shipped, penalty, monkeypatch):
    """bwv248.53-5 (valid split), A major: with no ``BASS_AUGMENTED_LEAP_PENALTY`` the bass rose
    D3 -> G#3 (bars 1 and 5) and A2 -> D#3 (bar 3) into the leading tone's chord; at the shipped cost it
    leaps no augmented interval, and still ends with an authentic cadence."""
    from midistyle.data.chorales import load_chorales
    from midistyle.evaluation.harmonizer_report import melodies_of
    from midistyle.models import harmony_decoding
    from midistyle.music.harmony import critique

    if penalty is not None:
        monkeypatch.setattr(harmony_decoding, "BASS_AUGMENTED_LEAP_PENALTY", penalty)
    chorale = next(c for c in load_chorales("valid") if c.title == "bwv248.53-5")
    score = shipped.harmonize(melodies_of([chorale])[0])[0].score
    share = metrics.augmented_leap_share([score])
    assert (share == 0.0) if penalty is None else (share > 0.0)
    assert critique(score).cadences[-1].kind == "authentic"


@pytest.mark.parametrize("title", ["bwv17.7", "bwv29.8"])
def test_the_inner_step_reward_is_not_paid_into_a_doubled_leading_tone(shipped, title):
    """bwv17.7 and bwv29.8 (valid split): with ``INNER_STEP_BONUS`` paid into any chord, an alto or
    tenor stepping into a dominant earned it where the soprano and bass doubled its leading tone (bar
    38 of each, in 3/4; the soprano's and bass's notes are the ones marked); withheld from such
    chords, as the bass's reward is, neither doubles it (with that condition taken out of the code of
    9cb86c1, both bars doubled it again)."""
    from midistyle.data.chorales import load_chorales
    from midistyle.evaluation.harmonizer_report import melodies_of
    from midistyle.music.harmony import critique

    chorale = next(c for c in load_chorales("valid") if c.title == title)
    marks = critique(shipped.harmonize(melodies_of([chorale])[0])[0].score).marks
    assert not [m for m in marks if m.rule == "doubled_leading_tone" and m.bar == 38]


def test_the_step_rewards_leave_a_cadence_to_its_plan(shipped):
    """folk_02 (G major) ends A4 A4 | G4: with the bass rewarded for stepping at the dominant's beat
    too, it walked G3-F3-Eb3 under the A4s and the tune ended with no cadence; with the tenor rewarded
    on the beat before (A3-B3), the bass followed G3-F3 into V4/2 of IV and again no cadence. The
    dominant's beat and the end are the cadence plan's (and the beat before it, for the alto and
    tenor; with that condition taken out of the code of 3de7e81, the tune ended with no cadence), and
    the tune ends with an authentic cadence on its tonic."""
    from midistyle.data.folk import load_folk_melodies
    from midistyle.music.harmony import critique

    found = critique(shipped.harmonize(load_folk_melodies()[2])[0].score)
    assert found.cadences[-1].kind == "authentic"
    assert not any(m.rule == "ending_not_tonic" for m in found.marks)


def test_a_tune_that_dips_under_the_altos_range_stays_the_top_voice(shipped):
    """folk_04 runs E3-F4: where it dipped to E3 the alto, kept in its range (from F3), sat above it
    (the decoder found no voicing in order and fell back to one that crossed) and clashed with it."""
    from midistyle.data.folk import load_folk_melodies
    from midistyle.music.chords import onset_slices

    tune = load_folk_melodies()[4]
    assert min(n.pitch for n in tune.voices[0].notes) == 52
    slices = onset_slices(shipped.harmonize(tune)[0].score)
    soprano, lower = slices.pitches[:, 0], slices.pitches[:, 1:]
    assert not ((lower >= 0) & (lower > soprano[:, None])).any()


def test_a_fiddle_tune_wider_than_a_soprano_is_harmonized_with_its_notes_as_written(shipped):
    from midistyle.music import metrics

    pitches = [55, 59, 62, 67, 71, 74, 79, 83, 86, 83, 79, 74, 71, 67, 62, 59, 55, 62, 67, 71]  # G3..D6: 31
    tune = Score((Voice("Fiddle", tuple(Note(4 * i, p, 4) for i, p in enumerate(pitches))),))
    result = shipped.harmonize(tune)[0]
    assert result.placement.notes_outside >= 2
    assert [n.pitch for n in result.score.voices[0].notes] == pitches  # the soprano is the tune as written
    assert metrics.melody_preserved(tune, result.score) == 1.0
    assert metrics.monophonic_voice_rate(result.score) == 1.0 and result.score.num_voices == 4
