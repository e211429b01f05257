"""Which recordings the transcriber refuses as chords: solo melodies must pass, part music must not.

A recording is refused as "several notes sound at once" when another key, not a neighbour or a
harmonic of the strongest, sounds below the line in more than ``max_polyphonic_share`` of the
pitched frames (:func:`midistyle.audio.transcribe.polyphonic_share`), counting only a key that
started with the line's note (within ``struck_with_line_frames`` of its start) and goes on sounding there for
``held_below_frames`` frames in a row. In a fast tune, on a choir patch, or in a reverberant room,
the note before still rings when the next one starts: with every frame counted (the last release,
whose limit was 0.3) a solo fiddle reel read as chords, and with only the frames held 232 ms counted
(this release's first version, without the start, limit 0.06) a solo choir did. This benchmark measures that
share for each setting on these sets, rendered by FluidSynth on both SoundFonts (44.1 kHz; "noisy"
adds the renderer's reverb and noise at 20 dB SNR):

* **Essen tunes**: the held-out tunes of ``melody_played`` played by its player (70-140 qpm), solo
  on choir "aahs" (52; a set of its own: its notes ring on longest), and on flute (73) and violin
  (40), clean and noisy;
* **fiddle reels**: reels from music21's copy of *Ryan's Mammoth Collection*, played at a reel's
  pace (the commonest note value, their running sixteenths or eighths, at 6.3-7.7 notes a second:
  about 105 half notes a minute in 2/2) on violin and flute, clean and noisy;
* **Bach chorales, four voices** and **soprano and bass alone**: Bach's chorales (test split in the
  choosing group, valid in the checking group), every voice on one program (piano 0, choir 52,
  flute 73, violin 40), clean.

Two groups of recordings: the setting is chosen on the first ("choosing": 15 tunes, 6 reels, 8
test chorales) and checked on the second ("checking": the next 15 tunes, 6 other reels, 8 valid
chorales). The settings: the last release (every frame counted, any start, limit 0.3); this
release's first version (held 20 frames, any start, limit 0.06); held 0, 12, 16, 20 and 24 frames
with the start within 6 frames; and the start within 3 or 12 frames, held as shipped; all but the
first two at the shipped limit. For each group, set and setting: the lowest, median and highest
share, how many recordings that setting's limit refuses, and how many lie above every solo
melody's share (what the best limit for that setting could refuse). Solo melodies should all pass
and part music all be refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HELD_BELOW_FRAMES = (0, 12, 16, 20, 24)  # one frame is 11.6 ms
STRUCK_WITH_LINE_FRAMES = (3, 12)  # tried beside the shipped 6, held as shipped
ANY_START = 10**9  # struck_with_line_frames that lets a key have started at any time
LAST_RELEASE_LIMIT = 0.3  # the share refused when every frame counted
FIRST_VERSION_FRAMES, FIRST_VERSION_LIMIT = 20, 0.06  # this release's first version: held only, no start
SNR_DB = 20.0
REEL_NOTES_PER_SECOND = 7.0
SAMPLE_RATE = 44100
TUNES = 15  # per group
CHORALES = 8  # per group
REELS = {"choosing": ("7thRegimentReel", "AcaciaReel", "AlhambraReel", "ArmyAndNavyReel", "BanjoReel",
                     "BlackwaterReel"),
         "checking": ("AfterTheHareReel", "AllAboardReel", "AllTheGoReel", "ArbanaReel", "BellaUnionReel",
                      "BanksOfEnvernessReel")}


def run(quick: bool = False) -> list[dict]:
    from benchmarks.bench_melody_played import held_out_tunes
    from midistyle.audio.soundfonts import embedded_soundfont
    from midistyle.data.chorales import load_chorales
    from midistyle.music.io import read_score

    fonts = {"MuseScore General": "/usr/share/sounds/sf3/MuseScore_General.sf3",
             "TimGM6mb": str(embedded_soundfont())}
    fonts = [path for path in fonts.values() if Path(path).is_file()]
    tunes, chorales, reel_count = (4, 2, 2) if quick else (TUNES, CHORALES, None)
    essen = [tune for _, tune in held_out_tunes(2 * tunes)]
    corpus = Path(__import__("music21").__file__).parent / "corpus" / "ryansMammoth"
    groups = {"choosing": (essen[:tunes], REELS["choosing"], load_chorales("test")[:chorales]),
              "checking": (essen[tunes:], REELS["checking"], load_chorales("valid")[:chorales])}
    rows = []
    for group, (group_tunes, reel_names, group_chorales) in groups.items():
        reels = [read_score(corpus / f"{name}.abc") for name in reel_names[:reel_count]]
        heard = {  # set name -> list of basic-pitch key likelihoods, shape=(T, 88) each
            "Essen tunes, choir": _solo(group_tunes, fonts, (52,), [(70.0, 140.0)] * len(group_tunes)),
            "Essen tunes, flute and violin": _solo(group_tunes, fonts, (73, 40), [(70.0, 140.0)] * len(group_tunes)),
            "fiddle reels": _solo(reels, fonts, (40, 73), [_reel_pace_qpm(reel) for reel in reels]),
            "Bach chorales, four voices": _parts(group_chorales, fonts, voices=(0, 1, 2, 3)),
            "soprano and bass alone": _parts(group_chorales, fonts, voices=(0, 3)),
        }
        rows += [{"group": group, **row} for row in rows_for(heard)]
    return rows


def rows_for(heard: dict[str, list[np.ndarray]]) -> list[dict]:
    """One row per (setting, set): the share's spread, the recordings refused at the setting's limit,
    and how many lie above the highest share of any solo melody (the part music a limit there would
    refuse without refusing a solo)."""
    import dataclasses

    from midistyle.audio.transcribe import TranscribeConfig, melody_line, polyphonic_share

    shipped = TranscribeConfig()
    limit = shipped.max_polyphonic_share
    settings = [(0, ANY_START, LAST_RELEASE_LIMIT, "the last release"),
                (FIRST_VERSION_FRAMES, ANY_START, FIRST_VERSION_LIMIT, "held only (first version)")]
    settings += [(frames, shipped.struck_with_line_frames, limit, "shipped" if frames == shipped.held_below_frames
                  else "") for frames in HELD_BELOW_FRAMES]
    settings += [(shipped.held_below_frames, start, limit, "") for start in STRUCK_WITH_LINE_FRAMES]
    lines = {name: [melody_line(note, shipped) for note in notes] for name, notes in heard.items()}
    rows = []
    for frames, start, limit, which in settings:
        config = dataclasses.replace(shipped, held_below_frames=frames, struck_with_line_frames=start)
        shares = {name: np.array([polyphonic_share(note, config, line) for note, line in zip(notes, lines[name])])
                  for name, notes in heard.items()}
        solo_highest = max(values.max() for name, values in shares.items() if not _part_music(name))
        for name, values in shares.items():
            rows.append({"held below, frames": frames, "held below, ms": round(frames * 256 / 22.05),
                         "struck with the line's note, frames": None if start == ANY_START else start,
                         "limit": limit, "set": name, "recordings": len(values),
                         "lowest": round(float(values.min()), 3), "median": round(float(np.median(values)), 3),
                         "highest": round(float(values.max()), 3), "refused": int((values > limit).sum()),
                         "above every solo": int((values > solo_highest).sum()), "which": which})
    return rows


def _part_music(name: str) -> bool:
    return name.startswith(("Bach", "soprano"))


def _reel_pace_qpm(reel) -> tuple[float, float]:
    """The tempo range (quarter notes a minute) that plays a reel's commonest note value at 6.3-7.7
    notes a second."""
    from collections import Counter

    steps, _ = Counter(note.duration_steps for note in reel.voices[0].notes).most_common(1)[0]
    qpm = REEL_NOTES_PER_SECOND * 60 * steps / reel.steps_per_quarter
    return 0.9 * qpm, 1.1 * qpm


def _solo(scores: list, fonts: list[str], programs: tuple[int, ...],
          tempos_qpm: list[tuple[float, float]]) -> list[np.ndarray]:
    """Each score's first voice played by the humanizing player in its tempo range, on each font and
    program, clean and noisy."""
    from midistyle.audio.performed import with_noise, with_vibrato
    from midistyle.music.humanize import HumanizeConfig, humanize

    heard = []
    for noisy in (False, True):
        for renderer in _renderers(fonts, reverb=noisy):
            with renderer:
                for seed, (score, tempo) in enumerate(zip(scores, tempos_qpm)):
                    played, _ = humanize(score, seed=seed, config=HumanizeConfig(tempo_range_qpm=tempo))
                    for program in programs:
                        audio = renderer.render(with_vibrato(played, program)).audio
                        heard.append(_hear(with_noise(audio, SNR_DB, seed) if noisy else audio))
    return heard


def _parts(scores: list, fonts: list[str], *, voices: tuple[int, ...]) -> list[np.ndarray]:
    """The given voices of each score, all on one program, for each program and font (clean)."""
    from midistyle.music.score import Voice

    heard = []
    for renderer in _renderers(fonts, reverb=False):
        with renderer:
            for score in scores:
                for program in (0, 52, 73, 40):
                    parts = tuple(Voice(score.voices[v].name, score.voices[v].notes, program) for v in voices)
                    heard.append(_hear(renderer.render(score.replace(voices=parts)).audio))
    return heard


def _renderers(fonts: list[str], *, reverb: bool) -> list:
    from midistyle.audio.render import RenderConfig, Renderer

    return [Renderer(RenderConfig(sample_rate=SAMPLE_RATE, soundfont=font, reverb=reverb)) for font in fonts]


def _hear(audio: np.ndarray) -> np.ndarray:
    from midistyle.audio.transcribe import hear

    return hear(audio, SAMPLE_RATE).note
