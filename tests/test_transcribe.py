"""Melodies from recordings: transcription, every audio format through `harmonize`, the report line,
the tuning correction, and bad audio (one line, exit 2, nothing written)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
import symusic

from midistyle.audio.files import write_audio
from midistyle.cli import main
from midistyle.errors import InputError
from midistyle.music.io import read_score

SCALE = [60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60]  # no repeated notes: each note is a new pitch
RATE = 22050


def _played(pitches, *, seconds_per_note=0.45, program=73, cents=0.0) -> symusic.Score:
    """A clean performance at 120 qpm in the file (960 ticks a second), with an optional detuning."""
    midi = symusic.Score(480)
    track = symusic.Track("melody", program, False)
    for index, pitch in enumerate(pitches):
        start = int(index * seconds_per_note * 960)
        track.notes.append(symusic.Note(start, int(seconds_per_note * 0.9 * 960), pitch, 90))
    if cents:
        track.pitch_bends.append(symusic.PitchBend(0, int(round(cents * 8192 / 200))))
    midi.tracks.append(track)
    return midi


@pytest.fixture(scope="module")
def renderer():
    from midistyle.audio.render import RenderConfig, Renderer
    from midistyle.audio.soundfonts import embedded_soundfont

    with Renderer(RenderConfig(sample_rate=RATE, soundfont=str(embedded_soundfont()))) as renderer:
        yield renderer


@pytest.fixture(scope="module")
def flute_scale(renderer):
    return renderer.render(_played(SCALE)).audio


def test_a_played_scale_comes_back_note_for_note(flute_scale):
    from midistyle.audio.transcribe import transcribe

    heard = transcribe(flute_scale, RATE)
    assert [pitch for _, _, pitch in heard.notes] == SCALE
    onsets = np.array([onset for onset, _, _ in heard.notes])
    assert np.all(np.abs(onsets - 0.45 * np.arange(len(SCALE))) < 0.06)  # within 60 ms of where they were played
    assert heard.tuning_cents == 0.0


def test_a_flat_singer_is_found_corrected_and_reported(renderer, tmp_path, capsys):
    from midistyle.audio.transcribe import transcribe

    flat = renderer.render(_played(SCALE, cents=-40.0)).audio  # 40 cents flat
    heard = transcribe(flat, RATE)
    assert [pitch for _, _, pitch in heard.notes] == SCALE
    assert -55 <= heard.tuning_cents <= -25
    path = write_audio(tmp_path / "flat.wav", flat, RATE)
    assert main(["harmonize", str(path), "-o", str(tmp_path / "flat.mid")]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith(f"transcribed {len(SCALE)} notes at ") and " qpm, tuned -" in line


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".ogg", ".mp3"])
def test_every_audio_format_is_harmonized(flute_scale, tmp_path, suffix, capsys):
    path = write_audio(tmp_path / f"tune{suffix}", flute_scale, RATE)
    out = tmp_path / "satb.mid"
    assert main(["harmonize", str(path), "-o", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"transcribed {len(SCALE)} notes at ")
    score = read_score(out)
    assert score.num_voices == 4 and [n.pitch for n in score.voices[0].notes] == SCALE


def _silence():
    return np.zeros(RATE * 3, np.float32)


def _noise():
    return 0.3 * np.random.default_rng(0).standard_normal(RATE * 5).astype(np.float32)


def _chords(renderer):
    from midistyle.data.chorales import load_chorales

    return renderer.render(load_chorales("test")[0]).audio  # four voices at once


def _clipped(flute_scale):
    return np.clip(30 * flute_scale, -1.0, 1.0)


@pytest.mark.parametrize("kind, message", [
    ("silence", "silent"),
    ("noise", "noise"),
    ("chords", "several notes sound at once"),
    ("clipped", "is clipped"),
    ("long", "the limit is 10 minutes"),
])
def test_bad_audio_is_one_line_exit_2_and_nothing_written(renderer, flute_scale, tmp_path, capsys, kind, message):
    if kind == "long":
        path = tmp_path / "long.wav"
        soundfile.write(str(path), np.zeros(8000 * 60 * 11, np.int16), 8000)  # 11 minutes at 8 kHz
    else:
        audio = {"silence": _silence, "noise": _noise, "chords": lambda: _chords(renderer),
                 "clipped": lambda: _clipped(flute_scale)}[kind]()
        path = tmp_path / f"{kind}.wav"
        soundfile.write(str(path), audio, RATE, subtype="FLOAT")
    out = tmp_path / "out.mid"
    assert main(["harmonize", str(path), "-o", str(out)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and message in error and error.startswith(f"midistyle: error: {path.name}:")
    assert not out.exists()


def _line_with(*, ringing_frames: int = 0, early_frames: int = 0, chord_frames: int = 0,
               drone: int | None = None) -> np.ndarray:
    """Likelihoods (T, 88) of a line of 12 notes, 32 frames each: the key before ringing on under each
    new note for ``ringing_frames``, the next key sounding under each note for its last
    ``early_frames``, a key a minor sixth under each note struck with it for ``chord_frames``, and
    key ``drone`` held beneath the whole line when given."""
    note = np.zeros((12 * 32, 88), np.float32)
    keys = [40, 44, 47, 51] * 3  # a rising arpeggio, three times: thirds up, then a major seventh down
    for index, key in enumerate(keys):
        note[index * 32:(index + 1) * 32, key] = 0.9
        note[index * 32:index * 32 + chord_frames, key - 8] = 0.6
        if index:
            note[index * 32:index * 32 + ringing_frames, keys[index - 1]] = 0.5
            note[index * 32 - early_frames:index * 32, key] = 0.5
    if drone is not None:
        note[:, drone] = 0.6  # 10, 14, 17 and 21 semitones under the line: no neighbour, no harmonic
    return note


def test_the_note_before_ringing_on_is_no_chord_but_a_note_struck_and_held_under_the_line_is():
    import dataclasses

    from midistyle.audio.transcribe import TranscribeConfig, polyphonic_share

    config = TranscribeConfig()
    held = config.held_below_frames
    frames = 12 * 32
    ringing = _line_with(ringing_frames=held)  # the note before rings on as long as a chord tone is held
    assert polyphonic_share(ringing, config) == 0.0  # but it began before the note it sounds under
    every_frame = dataclasses.replace(config, held_below_frames=0, struck_with_line_frames=10**9)  # last release
    rising = 9  # of the 11 changes of note, those going up: there the note before rings below the line
    assert polyphonic_share(ringing, every_frame) == pytest.approx(rising * held / frames)
    early = _line_with(early_frames=held)  # the next note sounding before the line moves to it
    assert polyphonic_share(early, config) == 0.0  # it starts well after the note it sounds under
    assert polyphonic_share(early, every_frame) == pytest.approx(2 * held / frames)  # where it falls: 51 -> 40
    assert polyphonic_share(_line_with(chord_frames=held), config) == pytest.approx(12 * held / frames)
    assert polyphonic_share(_line_with(chord_frames=held - 1), config) == 0.0  # struck with it, but not held
    assert polyphonic_share(_line_with(drone=30), config) == pytest.approx(32 / frames)  # under its first note only


@pytest.mark.parametrize("offset, counted", [(-7, False), (-6, True), (6, True), (7, False)])
def test_a_chord_tone_counts_when_struck_within_the_window_of_the_line_s_note(offset, counted):
    from midistyle.audio.transcribe import TranscribeConfig, melody_line, polyphonic_share

    config = TranscribeConfig()
    assert config.struck_with_line_frames == 6
    note = np.zeros((96, 88), np.float32)
    note[:40, 47] = 0.95  # a melody note, then ...
    note[40:, 52] = 0.9  # ... the note a fourth above
    second = int(np.flatnonzero(melody_line(note, config) == 52)[0])  # where the line's second note starts
    note[second + offset:second + offset + 30, 44] = 0.6  # a key a minor sixth under it, held 30 frames
    assert (polyphonic_share(note, config) > 0) == counted


def test_run_starts_gives_each_true_value_the_frame_its_run_began():
    from midistyle.audio.transcribe import run_starts

    mask = np.array([[0, 1], [1, 1], [1, 0], [0, 1], [1, 1]], bool)
    assert run_starts(mask).T.tolist() == [[-1, 1, 1, -1, 4], [0, 0, -1, 3, 3]]


def test_runs_of_at_least_keeps_whole_runs_that_long_and_nothing_else():
    from midistyle.audio.transcribe import runs_of_at_least

    column = np.array([1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1], bool)  # runs of 3 (at the start), 2, 4 (at the end)
    mask = column[:, None]
    assert runs_of_at_least(mask, 3)[:, 0].tolist() == [1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]
    assert runs_of_at_least(mask, 4)[:, 0].tolist() == [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert not runs_of_at_least(mask, 5).any()
    assert not runs_of_at_least(mask, 12).any()  # longer than the recording
    for frames in (0, 1):
        assert (runs_of_at_least(mask, frames) == mask).all()
    two_keys = np.stack([column, ~column], axis=1)  # each key's runs on their own
    assert runs_of_at_least(two_keys, 2)[:, 1].tolist() == [0] * 11


def test_a_reel_at_its_pace_is_a_melody_not_chords(renderer):
    import dataclasses
    from pathlib import Path

    import music21

    from midistyle.audio.performed import with_vibrato
    from midistyle.audio.transcribe import TranscribeConfig, hear, melody_heard, polyphonic_share
    from midistyle.music.humanize import HumanizeConfig, humanize

    reel = read_score(Path(music21.__file__).parent / "corpus" / "ryansMammoth" / "7thRegimentReel.abc")
    played, _ = humanize(reel, seed=0, config=HumanizeConfig(tempo_range_qpm=(105.0, 105.0)))
    heard = hear(renderer.render(with_vibrato(played, 73)).audio, RATE)  # a flute, running 16ths at 7 a second
    config = TranscribeConfig()
    every_frame = dataclasses.replace(config, held_below_frames=0, struck_with_line_frames=10**9)
    assert polyphonic_share(heard.note, every_frame) > 0.3  # refused by the last release
    assert polyphonic_share(heard.note, config) <= config.max_polyphonic_share
    assert len(melody_heard(heard, config).notes) > 0.7 * len(reel.voices[0].notes)  # 187 of 230 when written


def test_the_transcriber_refuses_in_python_too():
    from midistyle.audio.transcribe import transcribe

    with pytest.raises(InputError, match="silent"):
        transcribe(_silence(), RATE)


def test_the_studio_harmonizes_an_uploaded_recording(flute_scale, tmp_path):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from midistyle.serve.app import StudioConfig, create_app

    path = write_audio(tmp_path / "hummed.wav", flute_scale, RATE)
    app = create_app(StudioConfig(max_running=1, jobs_dir=str(tmp_path / "jobs"), warm_up=False))
    with TestClient(app) as client, open(path, "rb") as handle:
        response = client.post("/api/harmonize", files={"file": ("hummed.wav", handle, "audio/wav")})
        assert response.status_code == 202, response.text
        job = response.json()
        assert job["messages"][0].startswith(f"transcribed {len(SCALE)} notes")
        silent = tmp_path / "silent.wav"
        soundfile.write(str(silent), _silence(), RATE)
        with open(silent, "rb") as handle2:
            refused = client.post("/api/harmonize", files={"file": ("silent.wav", handle2, "audio/wav")})
        assert refused.status_code == 422 and refused.json()["error"].startswith("silent.wav: ")


def test_a_lagging_line_gets_each_start_matched_in_order():
    """The line changes key late (a note held into the next); the nearest start to run B's change is
    run C's attack. Matching in order gives B its own start (82) and C its own (99); nearest-first gave
    B 99 and left C late at 140."""
    from midistyle.audio.transcribe import TranscribeConfig, _snap

    runs = [(0, 100, 40), (100, 140, 42), (140, 200, 44)]
    moved, left = _snap(runs, np.array([0, 82, 99]), TranscribeConfig())
    assert moved == [(0, 82, 40), (82, 99, 42), (99, 200, 44)]
    assert left.size == 0


def test_a_matched_start_never_leaves_the_run_before_too_short():
    """Two starts close together at one note's attack (a double peak): the next run, 0.46 s later,
    must not take the second one, which would leave the note between 3 frames long."""
    from midistyle.audio.transcribe import TranscribeConfig, _snap

    runs = [(0, 39, 60), (39, 78, 62), (78, 115, 64), (115, 153, 65)]
    moved, left = _snap(runs, np.array([0, 37, 73, 76]), TranscribeConfig())
    assert moved == [(0, 37, 60), (37, 76, 62), (76, 115, 64), (115, 153, 65)]
    assert left.tolist() == [73]


def _evidence(frames: int = 120):
    from midistyle.audio.transcribe import KEYS, Evidence

    note, onset = np.zeros((frames, KEYS), np.float32), np.zeros((frames, KEYS), np.float32)
    note[:, 40] = 0.9  # a held note on key 40 the whole time
    return Evidence(np.zeros(frames * 256, np.float32), note, onset, np.full(frames, -20.0), 1.0, 0.0, 1.4)


def test_a_start_left_over_begins_the_short_note_under_a_held_one_or_repeats_the_key():
    from midistyle.audio.transcribe import TranscribeConfig, _cut_at_starts

    config = TranscribeConfig()
    probability = np.zeros(120)
    probability[60] = 0.9
    hidden = _evidence()
    hidden.onset[59:62, 43] = 0.8  # key 43 starts at frame 60 under the held key 40, and sounds
    hidden.note[60:80, 43] = 0.6
    assert _cut_at_starts(0, 120, 40, np.array([60]), hidden, probability, 0.6, config, 6.0) == [
        (0, 60, 40), (60, 120, 43)]
    harmonic = _evidence()
    harmonic.onset[59:62, 52] = 0.8  # an octave above the held key: its own harmonic, so key 40 again
    harmonic.note[60:80, 52] = 0.6
    assert _cut_at_starts(0, 120, 40, np.array([60]), harmonic, probability, 0.6, config, 6.0) == [
        (0, 60, 40), (60, 120, 40)]
    unsure = probability.copy()
    unsure[60] = 0.5  # no other key starts and the network is unsure: one note
    assert _cut_at_starts(0, 120, 40, np.array([60]), _evidence(), unsure, 0.6, config, 6.0) == [(0, 120, 40)]


def test_a_short_note_whose_onset_is_heard_late_under_a_held_one_is_found():
    """In a legato render basic-pitch hears a short note's onset several frames after the network's
    start, while the held note still sounds over it (a sixteenth after a dotted eighth on MuseScore
    General's flute: 6 frames later). Sought up to ``hidden_after_frames`` (12) after the start, it
    begins a note; sought 3 frames after (until commit ede73eb) the held key was struck again. An
    onset 13 frames after belongs to something else."""
    import dataclasses

    from midistyle.audio.transcribe import TranscribeConfig, _cut_at_starts

    config = TranscribeConfig()
    probability = np.zeros(120)
    probability[60] = 0.9
    late = _evidence()
    late.onset[66:69, 43] = 0.8
    late.note[64:80, 43] = 0.6
    assert _cut_at_starts(0, 120, 40, np.array([60]), late, probability, 0.6, config, 6.0) == [
        (0, 60, 40), (60, 120, 43)]
    narrow = dataclasses.replace(config, hidden_after_frames=3)
    assert _cut_at_starts(0, 120, 40, np.array([60]), late, probability, 0.6, narrow, 6.0) == [
        (0, 60, 40), (60, 120, 40)]
    for frame, found in ((72, 43), (73, 40)):  # the window's last frame is 12 after the start
        edge = _evidence()
        edge.onset[frame, 43] = 0.8
        edge.note[frame:90, 43] = 0.6
        assert _cut_at_starts(0, 120, 40, np.array([60]), edge, probability, 0.6, config, 6.0) == [
            (0, 60, 40), (60, 120, found)]


def test_a_repeat_just_before_the_next_note_does_not_take_that_notes_onset():
    """A start left over 8 frames before the run's end (a repeated sixteenth before a step up): the
    next note's onset, at the run's end, belongs to the next run, so the run's key is struck again
    (a window reaching past the end made it the next note twice). The same holds for the next start
    left over inside the run."""
    from midistyle.audio.transcribe import TranscribeConfig, _cut_at_starts

    config = TranscribeConfig()
    probability = np.zeros(120)
    probability[[52, 60]] = 0.9
    heard = _evidence()
    heard.onset[60:63, 43] = 0.8  # the next note's onset, at the run's end (60)
    heard.note[60:90, 43] = 0.6
    assert _cut_at_starts(0, 60, 40, np.array([52]), heard, probability, 0.6, config, 6.0) == [
        (0, 52, 40), (52, 60, 40)]
    assert _cut_at_starts(0, 120, 40, np.array([52, 60]), heard, probability, 0.6, config, 6.0) == [
        (0, 52, 40), (52, 60, 40), (60, 120, 43)]


def _fits(runs, starts, i, j, chosen, config) -> bool:
    """Run i may take start j, given the starts ``chosen`` for every run (None: not matched)."""
    from midistyle.audio.transcribe import FRAME_HOP, MODEL_SAMPLE_RATE

    min_frames = config.min_note_seconds * MODEL_SAMPLE_RATE / FRAME_HOP
    begin, end, _ = runs[i]
    at = starts[j]
    if not begin - config.snap_before_frames <= at <= min(begin + config.snap_after_frames, end - min_frames):
        return False
    if i == 0:
        return True
    before = starts[chosen[i - 1]] if chosen[i - 1] is not None else runs[i - 1][0]
    return before + min_frames <= at


def test_the_matching_of_starts_is_the_best_one_found_by_trying_every_one():
    """On small random cases, ``_snap``'s total equals the best of every in-order matching that keeps
    each matched run and the run before it ``min_note_seconds`` long (runs start on even frames and
    starts are odd, so each matched start is the moved start of one run)."""
    import itertools

    from midistyle.audio.transcribe import TranscribeConfig, _snap

    config = TranscribeConfig()
    rng = np.random.default_rng(0)
    for _ in range(60):
        begins = np.cumsum(rng.integers(4, 20, size=5)) * 2
        runs = [(int(a), int(b), 40 + k) for k, (a, b) in enumerate(zip(begins[:-1], begins[1:]))]
        starts = np.unique(rng.integers(0, begins[-1] // 2, size=5) * 2 + 1)

        best = 0.0
        for chosen in itertools.product([None, *range(len(starts))], repeat=len(runs)):
            used = [j for j in chosen if j is not None]
            if used != sorted(set(used)) or not all(j is None or _fits(runs, starts, i, j, chosen, config)
                                                     for i, j in enumerate(chosen)):
                continue
            best = max(best, sum(config.snap_match_frames - abs(starts[j] - runs[i][0])
                                 for i, j in enumerate(chosen) if j is not None))
        moved, left = _snap(runs, starts, config)
        matched = set(starts.tolist()) - set(left.tolist())
        total = sum(config.snap_match_frames - abs(new - old[0])
                    for (new, _, _), old in zip(moved, runs) if new in matched)
        assert total == best
