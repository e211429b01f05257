"""Recorded melodies: held-out tunes played by a deterministic player, rendered to audio, read back.

50 Essen tunes from the held-out split (as ``melody_played``; the rhythm statistics never saw them),
each played by ``midistyle.music.humanize`` (one tempo in 70-140 qpm, onset jitter sigma = 30 ms,
durations x0.85-1.2), with vibrato by pitch bend (5.5 Hz, +-30 cents, from 150 ms into each note),
rendered by FluidSynth at 44.1 kHz on three timbres (choir "aahs" 52, flute 73, violin 40)
from two SoundFonts (MuseScore General and the embedded TimGM6mb), clean, and with white noise at
20 dB SNR plus FluidSynth's room reverb. A last row sings the choir 40 cents flat. Where notes start
is found by the onset network (``midistyle.audio.onset_network``, trained on other Essen tunes: the prior
split); the clean rows are also read with the hand-made rules it replaced (``splitter="rules"``), in the
same run, as the baseline.

Each recording goes the CLI's way in (:func:`midistyle.pipeline.read_melody_input`: transcription,
then the played-in quantizer) and is compared with the tune as written:

- **pitch right**: notes of the written tune matched, in order, by a transcribed note of its pitch;
- **on its 16th**: of those, the share whose onset is on the written 16th (relative to the first note);
- **pitch sequence exact / rhythm exact**: tunes whose whole pitch sequence (and every onset) is right;
- **s per min**: seconds of transcription and quantization per minute of audio (the run is alone on
  the machine only when it says so in the README).
"""

from __future__ import annotations

import difflib
import tempfile
import time
from pathlib import Path

TUNES = 50
TIMBRES = {"choir": 52, "flute": 73, "violin": 40}
SNR_DB = 20.0
SAMPLE_RATE = 44100


def run(quick: bool = False) -> list[dict]:
    from benchmarks.bench_melody_played import held_out_tunes
    from midistyle.audio.soundfonts import embedded_soundfont

    tunes = held_out_tunes(5 if quick else TUNES)
    fonts = {"MuseScore General": "/usr/share/sounds/sf3/MuseScore_General.sf3",
             "TimGM6mb": str(embedded_soundfont())}
    fonts = {name: path for name, path in fonts.items() if Path(path).is_file()}
    rows = []
    for font_name, font in fonts.items():
        for timbre, program in TIMBRES.items():
            for noisy in (False, True):
                condition = "noise 20 dB + reverb" if noisy else "clean"
                for splitter in ("network", "rules") if not noisy else ("network",):
                    rows.append(measure(tunes, font, program, noisy=noisy, splitter=splitter) | {
                        "soundfont": font_name, "timbre": timbre, "condition": condition, "splitter": splitter})
    rows.append(measure(tunes, next(iter(fonts.values())), TIMBRES["choir"], flat_cents=40.0) | {
        "soundfont": next(iter(fonts)), "timbre": "choir", "condition": "40 cents flat", "splitter": "network"})
    order = ["soundfont", "timbre", "condition", "splitter", "tunes", "pitch right", "on its 16th",
             "pitch sequence exact", "rhythm exact", "refused", "s per min"]
    return [{key: row[key] for key in order} for row in rows]


def measure(tunes: list, soundfont: str, program: int, *, noisy: bool = False, flat_cents: float = 0.0,
            splitter: str = "network") -> dict:
    """Render every tune, read it back, and compare (see the module docstring)."""
    from midistyle.audio.files import write_audio
    from midistyle.audio.performed import with_noise, with_vibrato
    from midistyle.audio.render import RenderConfig, Renderer
    from midistyle.audio.transcribe import TranscribeConfig
    from midistyle.errors import InputError
    from midistyle.music.humanize import humanize
    from midistyle.pipeline import read_melody_input

    notes = pitch_right = sixteenth_right = exact_pitch = exact_rhythm = refused = 0
    seconds_audio = seconds_work = 0.0
    config = RenderConfig(sample_rate=SAMPLE_RATE, soundfont=soundfont, reverb=noisy)
    with Renderer(config) as renderer, tempfile.TemporaryDirectory(prefix="midistyle-audio-") as folder:
        for seed, (_, tune) in enumerate(tunes):
            played, _ = humanize(tune, seed=seed)
            sung = with_vibrato(played, program, flat_cents=flat_cents)
            audio = renderer.render(sung).audio
            if noisy:
                audio = with_noise(audio, SNR_DB, seed)
            path = write_audio(Path(folder) / f"{seed}.wav", audio, SAMPLE_RATE)
            seconds_audio += len(audio) / SAMPLE_RATE
            want = [(n.onset_step, n.pitch) for n in tune.voices[0].notes]
            notes += len(want)
            start = time.perf_counter()
            try:
                melody = read_melody_input(path, report=lambda _line: None,
                                           transcribe_config=TranscribeConfig(splitter=splitter))
            except InputError:
                refused += 1
                continue
            finally:
                seconds_work += time.perf_counter() - start
            right, on_grid, pitches_exact, rhythm_exact = tally(want, melody)
            pitch_right += right
            sixteenth_right += on_grid
            exact_pitch += pitches_exact
            exact_rhythm += rhythm_exact
    count = len(tunes)
    return {"tunes": count, "pitch right": round(pitch_right / notes, 3),
            "on its 16th": round(sixteenth_right / notes, 3),
            "pitch sequence exact": f"{exact_pitch}/{count}", "rhythm exact": f"{exact_rhythm}/{count}",
            "refused": refused, "s per min": round(seconds_work / (seconds_audio / 60), 2)}


def tally(want: list[tuple[int, int]], melody) -> tuple[int, int, bool, bool]:
    """(written notes matched by pitch, of those on their 16th, whole pitch sequence right, whole
    rhythm right) for the (onset step, pitch) notes ``want`` and a read-back ``Melody``."""
    got = [(n.onset_step, n.pitch) for n in melody.score.voices[0].notes]
    right, on_grid = compare(want, got)
    return right, on_grid, [p for _, p in got] == [p for _, p in want], _relative(got) == _relative(want)


def compare(want: list[tuple[int, int]], got: list[tuple[int, int]]) -> tuple[int, int]:
    """(written notes matched by pitch in order, of those the ones on the written 16th)."""
    matcher = difflib.SequenceMatcher(None, [p for _, p in want], [p for _, p in got], autojunk=False)
    wanted, heard = _relative(want), _relative(got)
    right = on_grid = 0
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            right += 1
            on_grid += wanted[block.a + k][0] == heard[block.b + k][0]
    return right, on_grid


def _relative(notes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    first = notes[0][0] if notes else 0
    return [(onset - first, pitch) for onset, pitch in notes]
