"""Rendering checked the way a listener would: timing, silence, pitch content, stems, timbre, level."""

import subprocess
import sys

import numpy as np
import pytest
import symusic

from midistyle.audio.level import loudness_lufs, peak_dbfs
from midistyle.audio.render import RenderConfig, Renderer
from midistyle.audio.soundfonts import embedded_soundfont, resolve_soundfont
from midistyle.music.score import Note, Score, make_voices

SAMPLE_RATE = 22050


def _fonts_present() -> dict[str, str]:
    """The embedded font, and the default font when it is another file: the suite passes with either."""
    fonts = {"embedded": str(embedded_soundfont())}
    default = resolve_soundfont()
    if default.resolve() != embedded_soundfont().resolve():
        fonts[f"default-{default.stem}"] = str(default)
    return fonts


FONTS = _fonts_present()


@pytest.fixture(scope="module", params=list(FONTS.values()), ids=list(FONTS))
def soundfont(request):
    return request.param


def _renderer(soundfont, **changes):
    return Renderer(RenderConfig(sample_rate=SAMPLE_RATE, soundfont=soundfont, **changes))


def _rms_db(audio):
    return 10 * np.log10(np.mean(audio.astype(np.float64) ** 2) + 1e-20)


def _window(audio, start_seconds, end_seconds):
    return audio[int(start_seconds * SAMPLE_RATE) : int(end_seconds * SAMPLE_RATE)]


def test_duration_is_the_score_plus_the_tail(soundfont):
    score = Score(make_voices([[Note(0, 60, 8)], [Note(4, 64, 12)]]), tempo_qpm=60.0)  # ends at 4 s
    with _renderer(soundfont, tail_seconds=0.5) as renderer:
        rendering = renderer.render(score)
    assert rendering.audio.shape == (int(4.5 * SAMPLE_RATE), 2)
    assert rendering.audio.dtype == np.float32


def test_sound_where_notes_play_and_near_silence_between(soundfont):
    # an organ note 0-1 s, nothing 1-3 s, another note 3-4 s
    score = Score(make_voices([[Note(0, 60, 4), Note(12, 67, 4)]], programs=[19]), tempo_qpm=60.0)
    with _renderer(soundfont) as renderer:
        audio = renderer.render(score).audio
    playing, gap = _rms_db(_window(audio, 0.1, 0.9)), _rms_db(_window(audio, 1.8, 2.9))
    assert playing - gap > 50
    assert _rms_db(_window(audio, 3.1, 3.9)) - gap > 50


def _score_chroma(score, num_frames, hop):
    seconds_per_step = 60 / score.tempo_qpm / score.steps_per_quarter
    chroma = np.zeros((12, num_frames))
    for voice in score.voices:
        for note in voice.notes:
            start = int(note.onset_step * seconds_per_step * SAMPLE_RATE / hop)
            end = int(note.end_step * seconds_per_step * SAMPLE_RATE / hop)
            chroma[note.pitch % 12, start : max(end, start + 1)] += 1
    return chroma


def _mean_frame_correlation(a, b):
    frames = np.nonzero(b.sum(0) > 0)[0]
    return float(np.nanmean([np.corrcoef(a[:, i], b[:, i])[0, 1] for i in frames]))


def test_chroma_follows_the_score(soundfont, test_chorales):
    import librosa

    hop = 2048
    with _renderer(soundfont, ensemble="organ") as renderer:
        for chorale in test_chorales[:3]:
            mono = renderer.render(chorale).audio.mean(axis=1)
            heard = librosa.feature.chroma_stft(y=mono, sr=SAMPLE_RATE, hop_length=hop, n_fft=4096)
            written = _score_chroma(chorale, heard.shape[1], hop)
            own = _mean_frame_correlation(heard, written)
            shifted = _mean_frame_correlation(heard, np.roll(written, 1, axis=0))
            assert own > 0.6, chorale.title
            assert own - shifted > 0.4, chorale.title


def test_stems_sum_to_the_mix_and_match_a_plain_render(soundfont, test_chorales):
    chorale = test_chorales[0]
    with _renderer(soundfont) as renderer:
        with_stems = renderer.render(chorale, stems=True)
        plain = renderer.render(chorale)
    assert list(with_stems.stems) == ["soprano", "alto", "tenor", "bass"]
    assert np.abs(sum(with_stems.stems.values()) - with_stems.audio).max() < 1e-5
    assert np.abs(with_stems.audio - plain.audio).max() < 1e-3  # -60 dBFS; a real mismatch is ~0.8
    assert all(_rms_db(stem) > -60 for stem in with_stems.stems.values())


def test_renders_are_reproducible_across_renderers_and_order(soundfont, test_chorales):
    with _renderer(soundfont) as first:
        a = first.render(test_chorales[1]).audio
    with _renderer(soundfont) as second:
        second.render(test_chorales[2])
        b = second.render(test_chorales[1]).audio
    assert np.abs(a - b).max() < 1e-3


def test_general_midi_names_are_pretty_midis_and_found_by_any_spelling():
    from pretty_midi.constants import INSTRUMENT_MAP

    from midistyle.audio.instruments import GM_PROGRAM_NAMES, program_of

    assert GM_PROGRAM_NAMES == tuple(INSTRUMENT_MAP)
    assert [program_of(n) for n in ("choir aahs", "Church Organ", "acoustic guitar (nylon)", "52")] == [52, 19, 24, 52]


def test_instrument_choice_changes_the_spectrum(soundfont):
    import librosa

    melody = [Note(4 * i, 60 + (i * 5) % 12, 4) for i in range(8)]
    centroids = {}
    for instrument in ["trumpet", "bassoon"]:  # measured with TimGM6mb: centroid ~1960 vs ~835 Hz
        with _renderer(soundfont, instruments=(instrument,)) as renderer:
            mono = renderer.render(Score(make_voices([melody]))).audio.mean(axis=1)
        centroids[instrument] = float(np.mean(librosa.feature.spectral_centroid(y=mono, sr=SAMPLE_RATE)))
    assert centroids["trumpet"] > 1.5 * centroids["bassoon"]


def test_level_meets_the_loudness_target_under_the_peak_ceiling(soundfont, test_chorales):
    with _renderer(soundfont, loudness_lufs=-20.0) as renderer:
        rendering = renderer.render(test_chorales[0])
    assert peak_dbfs(rendering.audio) <= -1.0 + 1e-3
    if not rendering.level.limited_by_peak:
        assert loudness_lufs(rendering.audio, SAMPLE_RATE) == pytest.approx(-20.0, abs=0.2)
    with _renderer(soundfont, loudness_lufs=-6.0) as renderer:  # too loud for the ceiling
        loud = renderer.render(test_chorales[0])
    assert loud.level.limited_by_peak and peak_dbfs(loud.audio) == pytest.approx(-1.0, abs=1e-3)


def _midi(tracks, tempos=((0, 120.0),)):
    midi = symusic.Score(480)
    for tick, qpm in tempos:
        midi.tempos.append(symusic.Tempo(tick, qpm=qpm))
    for program, is_drum, notes in tracks:
        track = symusic.Track("t", program, is_drum)
        for time, duration, pitch, velocity in notes:
            track.notes.append(symusic.Note(time, duration, pitch, velocity))
        midi.tracks.append(track)
    return midi


def test_tempo_changes_velocities_and_drums_are_honoured(soundfont, tmp_path):
    with _renderer(soundfont, tail_seconds=0.0, loudness_lufs=None) as renderer:
        # one quarter at 120 qpm (0.5 s), then 60 qpm: the second quarter lasts 1 s
        changed = _midi([(0, False, [(0, 480, 60, 100), (480, 480, 62, 100)])], tempos=[(0, 120.0), (480, 60.0)])
        assert renderer.render(changed).audio.shape[0] == int(1.5 * SAMPLE_RATE)
        soft = renderer.render(_midi([(0, False, [(0, 960, 60, 30)])])).audio
        loud = renderer.render(_midi([(0, False, [(0, 960, 60, 120)])])).audio
        assert _rms_db(loud) - _rms_db(soft) > 6
        path = tmp_path / "drums.mid"
        _midi([(0, True, [(i * 240, 120, 38, 100) for i in range(8)])]).dump_midi(str(path))
        assert _rms_db(renderer.render(path).audio) > -50


def test_batch_in_two_processes_matches_one(soundfont, data_dir, tmp_path):
    from midistyle.audio.batch import plan_jobs, render_files
    from midistyle.audio.files import read_audio

    sources = [data_dir / "chorale_excerpt.mid", data_dir / "melody_only.mid", data_dir / "chorale_excerpt.musicxml"]
    config = RenderConfig(sample_rate=SAMPLE_RATE, soundfont=soundfont)
    one = render_files(plan_jobs(sources[:2], tmp_path / "one"), config, progress=False)
    two = render_files(plan_jobs(sources[:2], tmp_path / "two"), config, workers=2, progress=False)
    assert [p.name for p in one] == [p.name for p in two] == ["chorale_excerpt.wav", "melody_only.wav"]
    for a, b in zip(one, two):
        assert np.abs(read_audio(a)[0] - read_audio(b)[0]).max() < 1e-3
    with pytest.raises(Exception, match="share a file name"):
        plan_jobs([sources[0], sources[2]], tmp_path / "clash")


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "midistyle.cli", *map(str, args)],
                          capture_output=True, text=True, env=env)


def test_cli_renders_flac_24_bit_with_stems(soundfont, data_dir, tmp_path):
    import soundfile

    out = tmp_path / "c.flac"
    result = _cli("render", data_dir / "chorale_excerpt.mid", "-o", out, "--soundfont", soundfont,
                  "--sample-rate", "48000", "--instruments", "choir aahs,choir aahs,french horn,bassoon",
                  "--stems", "--bits", "24")
    assert result.returncode == 0, result.stderr
    info = soundfile.info(str(out))
    assert (info.samplerate, info.channels, info.subtype) == (48000, 2, "PCM_24")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "c.alto.flac", "c.bass.flac", "c.flac", "c.soprano.flac", "c.tenor.flac"]


@pytest.mark.parametrize(
    "extra, problem",
    [
        (["--soundfont", "{tmp}/missing.sf2"], "no such file; found:"),
        (["--soundfont", "{data}/make_fixtures.py"], "not a .sf2/.sf3"),
        (["--soundfont", "{tmp}/fake.sf2"], "not a valid SoundFont"),
        (["--instruments", "choir ahs"], "did you mean 'choir aahs'"),
        (["--sample-rate", "4000"], "sample_rate=4000"),
        (["--sample-rate", "192000"], "must be in 8000..96000 Hz"),
        (["--loudness", "50"], "loudness=50.0 LUFS must be in -70..-5"),
        (["--loudness", "-90"], "must be in -70..-5"),
        (["--loudness", "nan"], "must be in -70..-5"),
        (["-o", "{tmp}/out.aiff"], "unknown audio extension"),
        (["-o", "{tmp}/out.flac", "--bits", "float"], "FLAC stores integers"),
        (["-o", "{tmp}/out.ogg", "--bits", "24"], "OGG is lossy"),
        (["-o", "{tmp}/out.mp3", "--sample-rate", "96000"], "MP3 cannot carry 96000 Hz"),
    ],
)
def test_cli_bad_render_input_exits_2_without_output(extra, problem, data_dir, tmp_path):
    (tmp_path / "fake.sf2").write_text("not a soundfont")
    before = sorted(p.name for p in tmp_path.iterdir())
    args = ["render", str(data_dir / "chorale_excerpt.mid"), "-o", str(tmp_path / "out.wav")]
    if extra[0] == "-o":
        args = args[:2] + [a.format(tmp=tmp_path, data=data_dir) for a in extra]
    else:
        args += [a.format(tmp=tmp_path, data=data_dir) for a in extra]
    result = _cli(*args)
    assert result.returncode == 2, result.stderr
    assert problem in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_cli_render_of_a_file_with_no_notes(data_dir, tmp_path):
    result = _cli("render", data_dir / "empty.mid", "-o", tmp_path / "x.wav")
    assert result.returncode == 2 and "no notes" in result.stderr
    assert not (tmp_path / "x.wav").exists()


def test_missing_fluidsynth_library_says_what_to_install(data_dir, tmp_path):
    (tmp_path / "fluidsynth.py").write_text("raise ImportError(\"Couldn't find the FluidSynth library.\")\n")
    import os

    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = _cli("render", data_dir / "chorale_excerpt.mid", "-o", tmp_path / "x.wav", env=env)
    assert result.returncode == 3
    assert "libfluidsynth3" in result.stderr and "Traceback" not in result.stderr


def test_soundfonts_command_lists_the_embedded_font():
    result = _cli("soundfonts")
    assert result.returncode == 0
    assert "embedded" in result.stdout and "TimGM6mb.sf2" in result.stdout and "default" in result.stdout


def test_a_bad_file_anywhere_in_a_batch_stops_it_before_any_output(soundfont, data_dir, tmp_path):
    from midistyle.audio.batch import plan_jobs, render_files
    from midistyle.errors import InputError

    jobs = plan_jobs([data_dir / "melody_only.mid", data_dir / "empty.mid"], tmp_path / "out")
    with pytest.raises(InputError, match="empty.mid: has no notes"):
        render_files(jobs, RenderConfig(sample_rate=SAMPLE_RATE, soundfont=soundfont), progress=False)
    assert not (tmp_path / "out").exists()


def test_voices_with_the_same_name_get_separate_stems(soundfont):
    score = Score(make_voices([[Note(0, 72, 8)], [Note(0, 60, 8)]], names=["Piano", "Piano"]))
    with _renderer(soundfont) as renderer:
        with_stems = renderer.render(score, stems=True)
        plain = renderer.render(score)
    assert list(with_stems.stems) == ["piano", "piano_2"]
    assert np.abs(with_stems.audio - plain.audio).max() < 1e-3


def test_soundfont_from_the_environment_comes_before_system_fonts(monkeypatch, tmp_path):
    from midistyle.audio.soundfonts import embedded_soundfont, resolve_soundfont
    from midistyle.errors import InputError

    monkeypatch.setenv("MIDISTYLE_SOUNDFONT", str(embedded_soundfont()))
    assert resolve_soundfont() == embedded_soundfont()
    assert resolve_soundfont(embedded_soundfont()) == embedded_soundfont()
    monkeypatch.setenv("MIDISTYLE_SOUNDFONT", str(tmp_path / "gone.sf2"))
    with pytest.raises(InputError, match="gone.sf2: no such file"):
        resolve_soundfont()


def test_renders_and_stems_are_free_of_dc(soundfont, test_chorales):
    # TimGM6mb's organ alone put 0.4 % of full scale of DC into every render before the high pass
    with _renderer(soundfont, ensemble="organ") as renderer:
        for chorale in test_chorales[:2]:
            rendering = renderer.render(chorale, stems=True)
            for audio in [rendering.audio, *rendering.stems.values()]:
                assert np.abs(audio.mean(axis=0, dtype=np.float64)).max() < 1e-4
                tail = audio[-SAMPLE_RATE // 4:]  # the release tail: no note sounds, no offset stays
                assert np.abs(tail.mean(axis=0, dtype=np.float64)).max() < 1e-4


def test_dc_removal_keeps_what_is_heard_above_20_hz():
    from midistyle.audio.render import remove_dc

    rate, seconds = 44100, 4.0
    t = np.arange(int(rate * seconds)) / rate
    tones = {20.0: 0.2, 40.0: 0.2, 110.0: 0.2, 1000.0: 0.1}
    signal = sum(a * np.sin(2 * np.pi * f * t) for f, a in tones.items())
    audio = np.stack([signal + 0.01, signal - 0.02], axis=1).astype(np.float32)  # offsets on both channels
    out = remove_dc(audio, rate)
    assert out.shape == audio.shape and out.dtype == np.float32
    steady = slice(rate, None)  # after the filter's first second
    assert np.abs(out[steady].mean(axis=0)).max() < 1e-4
    spectrum_in = np.abs(np.fft.rfft(audio[steady, 0] - audio[steady, 0].mean()))
    spectrum_out = np.abs(np.fft.rfft(out[steady, 0]))
    bins = np.fft.rfftfreq(len(t[steady]), 1 / rate)
    for frequency in tones:
        k = int(np.argmin(np.abs(bins - frequency)))
        assert 20 * np.log10(spectrum_out[k] / spectrum_in[k]) == pytest.approx(0.0, abs=0.05), frequency


@pytest.mark.parametrize("extension, container", [(".ogg", "OGG"), (".mp3", "MP3"), (".flac", "FLAC")])
def test_cli_renders_shareable_formats(extension, container, data_dir, tmp_path):
    import soundfile

    from midistyle.audio.files import read_audio

    out = tmp_path / f"c{extension}"
    result = _cli("render", data_dir / "chorale_excerpt.mid", "-o", out, "--soundfont", str(embedded_soundfont()))
    assert result.returncode == 0, result.stderr
    info = soundfile.info(str(out))
    assert info.format == container and info.samplerate == 44100 and info.channels == 2
    audio, rate = read_audio(out)
    lossless, _ = read_audio(_cli_render_wav(data_dir, tmp_path))
    assert abs(audio.shape[0] - lossless.shape[0]) < 0.1 * rate  # MP3 frames pad a little
    assert loudness_lufs(audio, rate) == pytest.approx(loudness_lufs(lossless, rate), abs=0.5)


def _cli_render_wav(data_dir, tmp_path):
    out = tmp_path / "reference.wav"
    if not out.exists():
        assert _cli("render", data_dir / "chorale_excerpt.mid", "-o", out,
                    "--soundfont", str(embedded_soundfont())).returncode == 0
    return out


def test_16_bit_wav_quantised_in_numpy_is_byte_identical_to_libsndfile(soundfont, test_chorales, tmp_path):
    import soundfile

    if not soundfile.__libsndfile_version__.startswith("1.2."):
        pytest.skip(f"numpy quantisation is used with libsndfile 1.2 only (this is {soundfile.__libsndfile_version__})")

    from midistyle.audio.files import write_audio

    rng = np.random.default_rng(0)
    with _renderer(soundfont) as renderer:
        music = renderer.render(test_chorales[0]).audio  # (N, 2), not C-contiguous
    cases = {"music": music, "loud": rng.uniform(-1.3, 1.3, (50000, 2)),  # clipped at both ends
             "quiet": rng.uniform(-3e-4, 3e-4, (50000, 2)), "tiny": rng.standard_normal((50000, 1)) * 1e-6,
             "edges": np.array([[1.0, -1.0], [0.99999994, -0.99999994], [0.0, -0.0], [2 ** -16, -(2 ** -16)]]),
             "not finite": np.array([[np.nan, np.inf], [-np.inf, 3e38]]), "empty": np.zeros((0, 2)),
             "mono": rng.uniform(-1, 1, 1000)}
    for name, audio in cases.items():
        audio = np.asarray(audio, np.float32)
        ours = write_audio(tmp_path / f"{name}.wav", audio, 44100)
        soundfile.write(str(tmp_path / f"{name}-libsndfile.wav"), np.ascontiguousarray(audio), 44100,
                        subtype="PCM_16")
        assert ours.read_bytes() == (tmp_path / f"{name}-libsndfile.wav").read_bytes(), name


def test_a_codec_the_system_lacks_is_one_clear_error(monkeypatch, tmp_path):
    import soundfile

    from midistyle.audio.files import write_audio
    from midistyle.errors import InputError

    monkeypatch.setattr(soundfile, "available_subtypes", lambda container=None: {})
    with pytest.raises(InputError, match="cannot write MP3/MPEG_LAYER_III; use .wav or .flac"):
        write_audio(tmp_path / "x.mp3", np.zeros((100, 2), np.float32), 44100)
    assert not list(tmp_path.iterdir())


def test_preferred_fonts_come_first_and_links_are_listed_once(monkeypatch, tmp_path):
    from midistyle.audio import soundfonts

    for name in ["AAA_other.sf2", "FluidR3_GM.sf2", "TimGM6mb.sf2", "MuseScore_General_Lite.sf3"]:
        (tmp_path / name).write_bytes(b"RIFF\0\0\0\0sfbk")
    (tmp_path / "default-GM.sf2").symlink_to(tmp_path / "FluidR3_GM.sf2")
    (tmp_path / "MuseScore_General.sf3").symlink_to(tmp_path / "MuseScore_General_Lite.sf3")
    monkeypatch.setattr(soundfonts, "SYSTEM_DIRECTORIES", (tmp_path,))
    monkeypatch.setattr(soundfonts, "project_soundfont_dir", lambda: tmp_path / "none")
    monkeypatch.delenv(soundfonts.ENVIRONMENT_VARIABLE, raising=False)
    names = [f.path.name for f in soundfonts.find_soundfonts()]
    assert names == ["MuseScore_General.sf3", "FluidR3_GM.sf2", "AAA_other.sf2", "TimGM6mb.sf2", "TimGM6mb.sf2"]
    assert soundfonts.find_soundfonts()[-1].origin == "embedded"
