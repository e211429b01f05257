"""Recorded melodies, development set: where the transcriber's note-finding settings were chosen.

30 Essen tunes of the **prior split** that neither trained nor validated the onset network (the 30
that follow its 480 + 60 in ``midistyle train onsets``' seeded order; ``training.json``), played by the
benchmark's player (``midistyle.music.humanize``, seed 1000 + index, vibrato by pitch bend) and
rendered on the choir, flute and violin of both SoundFonts, clean, and the choirs also with noise
at 20 dB SNR and reverb: 8 conditions, 240 recordings. Each is heard once (basic-pitch, the onset
network's input); every setting then finds the notes and quantizes them as ``read_melody_input``
does, and is scored as ``bench_melody_audio`` scores the held-out tunes (pitch right, on its 16th,
whole tunes exact), averaged over the 8 conditions. Unlike the benchmark's, these tunes are not
filtered (a tune with two notes on one 16th stays, though no 16th-grid answer can be exact), the
audio goes to the transcriber as rendered (no 16-bit WAV between), and the quantizer's rhythm
statistics counted them (the prior split), so the rows compare settings with each other, not with
the held-out table. A recording refused counts as nothing heard. Settings:

* **shipped**: ``TranscribeConfig()``;
* **no hidden notes**: a start left over inside a run never begins another key;
* **repeats at 0.8**: the network's probability needed to strike a run's key again (the shipped 0.6
  is the network's own threshold: every start it finds may strike the key again);
* **hidden off, repeats at 0.8**: both of the above: the note-finding before, but for the in-order
  matching of starts;
* **hidden notes sought 3 frames after a start**: the window in which another key's onset may begin a
  hidden note ends 3 frames (35 ms) after the start, as it did until commit ede73eb; shipped: 12;
* **match score 49 / 1000**: ``snap_match_frames`` (49 is one more than the window, so that every
  match in it counts; 1000 matches as many runs as possible whatever the distance).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from benchmarks.bench_melody_audio import SAMPLE_RATE, SNR_DB, TIMBRES, tally

DEV_TUNES = 30
PLAYER_SEED = 1000


def _after_the_networks_tunes() -> tuple[int, int]:
    """(how many prior-split tunes the shipped onset network trained and validated on, their seed)."""
    import json

    from midistyle.audio.onset_network import SHIPPED_FOLDER

    trained = json.loads((SHIPPED_FOLDER / "training.json").read_text())
    return trained["tunes"] + trained["validation_tunes"], trained["seed"]


def settings() -> dict:
    from midistyle.audio.transcribe import TranscribeConfig

    shipped = TranscribeConfig()
    return {
        "shipped": shipped,
        "no hidden notes": dataclasses.replace(shipped, hidden_onset_likelihood=2.0),
        "repeats at 0.8": dataclasses.replace(shipped, repeat_threshold=0.8),
        "hidden off, repeats at 0.8": dataclasses.replace(shipped, hidden_onset_likelihood=2.0, repeat_threshold=0.8),
        "hidden notes sought 3 frames after a start": dataclasses.replace(shipped, hidden_after_frames=3),
        "match score 49": dataclasses.replace(shipped, snap_match_frames=49.0),
        "match score 1000": dataclasses.replace(shipped, snap_match_frames=1000.0),
    }


def run(quick: bool = False) -> list[dict]:
    recordings = heard_recordings(3 if quick else DEV_TUNES)
    rows = []
    for name, config in settings().items():
        scores = {condition: score(items, config) for condition, items in recordings.items()}
        mean = {key: round(sum(s[key] for s in scores.values()) / len(scores), 3) for key in ("pitch", "grid")}
        total = sum(len(items) for items in recordings.values())
        choirs = [s["pitch"] for c, s in scores.items() if "choir" in c]
        others = [s["pitch"] for c, s in scores.items() if "choir" not in c]
        rows.append({
            "setting": name, "pitch right": mean["pitch"], "on its 16th": mean["grid"],
            "pitch sequence exact": f"{sum(s['exact pitch'] for s in scores.values())}/{total}",
            "rhythm exact": f"{sum(s['exact rhythm'] for s in scores.values())}/{total}",
            "choirs: pitch right": round(sum(choirs) / len(choirs), 3),
            "flutes and violins: pitch right": round(sum(others) / len(others), 3),
        })
        print(name, {c: (s["pitch"], s["grid"]) for c, s in scores.items()}, flush=True)
    return rows


def heard_recordings(count: int) -> dict:
    """{condition: [(the tune's (onset step, pitch) notes, its recording's Evidence)]}."""
    from midistyle.audio.performed import with_noise, with_vibrato
    from midistyle.audio.render import RenderConfig, Renderer
    from midistyle.audio.soundfonts import embedded_soundfont
    from midistyle.audio.transcribe import hear
    from midistyle.errors import InputError
    from midistyle.models.onset_training import _prior_split_tunes
    from midistyle.music.humanize import humanize

    first, seed = _after_the_networks_tunes()
    tunes = _prior_split_tunes(first + count, seed)[first:]
    fonts = {"MuseScore General": "/usr/share/sounds/sf3/MuseScore_General.sf3",
             "TimGM6mb": str(embedded_soundfont())}
    fonts = {name: path for name, path in fonts.items() if Path(path).is_file()}
    recordings = {}
    for font_name, font in fonts.items():
        for noisy in (False, True):
            with Renderer(RenderConfig(sample_rate=SAMPLE_RATE, soundfont=font, reverb=noisy)) as renderer:
                for timbre, program in TIMBRES.items():
                    if noisy and timbre != "choir":
                        continue
                    items = []
                    for index, (_, tune) in enumerate(tunes):
                        played, _ = humanize(tune, seed=PLAYER_SEED + index)
                        audio = renderer.render(with_vibrato(played, program)).audio
                        if noisy:
                            audio = with_noise(audio, SNR_DB, index)
                        want = [(n.onset_step, n.pitch) for n in tune.voices[0].notes]
                        try:
                            items.append((want, hear(audio, SAMPLE_RATE)))
                        except InputError:
                            items.append((want, None))
                    recordings[f"{font_name} {timbre}{', noisy' if noisy else ''}"] = items
    return recordings


def score(items: list, config) -> dict:
    """Pitch right and on its 16th (shares of the written notes), and whole tunes exact."""
    from midistyle.audio.transcribe import melody_heard
    from midistyle.errors import InputError
    from midistyle.music.melody import extract_melody

    notes = pitch = grid = exact_pitch = exact_rhythm = 0
    for want, heard in items:
        notes += len(want)
        if heard is None:
            continue
        try:
            found = melody_heard(heard, config)
        except InputError:
            continue
        melody = extract_melody(found.to_score(), meter_given=False, played=True)
        right, on_grid, pitches_exact, rhythm_exact = tally(want, melody)
        pitch += right
        grid += on_grid
        exact_pitch += pitches_exact
        exact_rhythm += rhythm_exact
    return {"pitch": round(pitch / notes, 3), "grid": round(grid / notes, 3),
            "exact pitch": exact_pitch, "exact rhythm": exact_rhythm}
