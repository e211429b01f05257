"""What the studio's jobs do: harmonize, generate, restyle, each ending in files a page can show.

The models are loaded once (on first use, or by :meth:`Studio.warm_up` at start-up) and kept; each
worker thread keeps its own FluidSynth renderer per ensemble, so a job pays neither cost. Every
finished score is published the same way: MIDI, MusicXML, sheet music (SVG), its rendering (WAV, which
the page plays) and a piano roll (PNG) drawn when first asked for.
"""

from __future__ import annotations

import threading
from pathlib import Path

from midistyle.errors import InputError
from midistyle.music.melody import Melody
from midistyle.music.score import Key, Score
from midistyle.serve.jobs import Job

ENSEMBLES = ("organ", "choir", "strings", "brass", "piano")
SAMPLE_RATE = 44100


class Studio:
    """Loaded models and renderers, shared by the jobs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._harmonizer = None
        self._generator = None
        self._local = threading.local()

    # -- shared resources ------------------------------------------------------------------------
    def harmonizer(self):
        with self._lock:
            if self._harmonizer is None:
                from midistyle.models.harmonize import Harmonizer

                self._harmonizer = Harmonizer.load()
            return self._harmonizer

    def generator(self):
        with self._lock:
            if self._generator is None:
                from midistyle.models.compose import ChoraleGenerator

                self._generator = ChoraleGenerator.load()
            return self._generator

    def renderer(self, ensemble: str, instruments: tuple[str, ...] | None = None):
        """This thread's renderer for an ensemble or per-voice instruments (FluidSynth objects are not
        shared between threads)."""
        from midistyle.audio.render import RenderConfig, Renderer

        renderers = self._local.__dict__.setdefault("renderers", {})
        key = instruments or ensemble
        if key not in renderers:
            config = RenderConfig(sample_rate=SAMPLE_RATE, instruments=instruments) if instruments else \
                RenderConfig(sample_rate=SAMPLE_RATE, ensemble=ensemble)
            renderers[key] = Renderer(config)
        return renderers[key]

    def warm_up(self) -> None:
        """Load both models and run the engraver once, so the first request is as fast as the rest."""
        from midistyle.music.engrave import engrave_svg
        from midistyle.pipeline import load_embedded_melody

        melody = load_embedded_melody()
        result = self.harmonizer().harmonize(melody)[0]
        engrave_svg(result.score)
        self.generator()

    # -- jobs ------------------------------------------------------------------------------------
    def harmonize(self, job: Job, melody: Melody, *, key: str | None, samples: int, seed: int,
                  temperature: float, ensemble: str, instruments: tuple[str, ...] | None = None,
                  decoder: str = "joint", chords=None) -> None:
        from midistyle.music.chord_symbols import chord_agreement
        from midistyle.music.keys import key_warning

        job.step(0.1, "harmonizing")
        results = self.harmonizer().harmonize(melody.score, samples=samples, seed=seed, temperature=temperature,
                                              key=Key.parse(key) if key else None, decoder=decoder, chords=chords)
        if results[0].score.chord_symbols:
            agree, total = chord_agreement(results[0].score)
            job.messages.append(f"chords: {len(results[0].score.chord_symbols)} symbols followed on {agree} of "
                                f"{total} beats (the bass and 3 of 4 notes chord tones)")
        placement = results[0].placement
        job.messages.append(placement.key_line())
        warning = key_warning(melody.score, Key.parse(key)) if key else None
        if warning:
            job.messages.append(warning)
        if placement.notes_outside:
            job.messages.append(f"{placement.notes_outside} melody notes lie beyond a soprano's range: the "
                                "soprano keeps them as written")
        if decoder != "joint":
            job.messages.append(f"decoder: {decoder} (the network alone)")
        how = "harmonized" if decoder == "joint" else f"harmonized, {decoder} decoder"
        title = f"{melody.score.title or 'melody'} ({how})"
        for rank, result in enumerate(results[1:], start=2):
            path = _write(job, None, f"chorale_{rank}.mid",
                          melody.with_exact_soprano(result.score).replace(title=title))
            job.samples.append({"rank": rank, "critic": round(result.critic_score, 3), "file": path.name})
        job.samples.insert(0, {"rank": 1, "critic": round(results[0].critic_score, 3), "file": "chorale.mid"})
        self._publish(job, melody.with_exact_soprano(results[0].score).replace(title=title), ensemble, start=0.3,
                      instruments=instruments)

    def chorale(self, job: Job, *, bars: int, key: str | None, seed: int, temperature: float, ensemble: str,
                instruments: tuple[str, ...] | None = None) -> None:
        job.step(0.05, "composing")
        generated = self.generator().generate(bars=bars, key=key, seed=seed, temperature=temperature)
        job.messages.append(generated.describe())
        job.messages.extend(generated.notes)
        self._publish(job, generated.score.replace(title="New chorale (midistyle)"), ensemble, start=0.5,
                      instruments=instruments)

    def show_melody(self, job: Job, melody: Melody, *, ensemble: str) -> None:
        """The melody alone (after transcription or clean-up), engraved and rendered."""
        job.step(0.1, "engraving the melody")
        self._publish(job, melody.score.replace(title=melody.score.title or "melody"), ensemble, start=0.2)

    def reharmonize(self, job: Job, score: Score, first_bar: int, last_bar: int, *, voices: tuple[str, ...],
                    seed: int, ensemble: str) -> None:
        """Rewrite ``voices`` in bars ``first_bar``..``last_bar``; every other note stays."""
        from midistyle.models.reharmonize import reharmonize

        job.step(0.1, f"rewriting bars {first_bar}-{last_bar}")
        result = reharmonize(self.harmonizer(), score, first_bar, last_bar, voices=voices, seed=seed)
        seams = "no new critic marks at its edges" if not result.new_seam_marks else \
            f"{result.new_seam_marks} new critic marks at its edges (the best of the tries)"
        job.messages.append(f"bars {first_bar}-{last_bar}: {', '.join(voices)} rewritten, "
                            f"{result.changed_notes} notes changed; {seams}")
        self._publish(job, result.score, ensemble, start=0.4)

    def check(self, job: Job, score: Score) -> None:
        """The harmony critic's marks as JSON and on the sheet music, and its summary as messages."""
        import json

        from midistyle.music.engrave import EngraveConfig, engrave_svg, stack_pages
        from midistyle.music.harmony import RULES, above_bach, bach_rates, critique
        from midistyle.music.io import write_atomically

        job.step(0.1, "checking every onset")
        found = critique(score)
        bach = bach_rates()["train"]
        above = above_bach(found.rates(), bach["rates"])
        report = {**found.to_dict(), "bach_rates": bach["rates"], "above_bach": above, "rule_names": RULES,
                  "title": score.title}
        text = json.dumps(report, indent=1)
        job.add_file(write_atomically(job.folder / "marks.json", lambda t: t.write_text(text)), "marks (JSON)")
        job.messages.append(f"key {found.key}: {len(found.marks)} marks in {found.quarters:g} quarter beats; "
                            "cadences: " + (", ".join(f"bar {c.bar} {c.kind}" for c in found.cadences) or "none"))
        job.messages.append("above Bach's rate: " + ("; ".join(RULES[rule] for rule in above) or "nothing"))
        job.step(0.5, "engraving the marks")
        svg = stack_pages(engrave_svg(score, EngraveConfig(long_page=True), found.note_labels()))
        job.add_file(write_atomically(job.folder / "marked.svg", lambda t: t.write_text(svg)), "marked score (SVG)")

    def stylize(self, job: Job, content_path: Path, style_path: Path, *, strength: float, method: str) -> None:
        import dataclasses

        from midistyle.audio.files import read_audio, write_audio
        from midistyle.audio.stylize import default_config, stylize, write_figure

        job.step(0.05, "reading the audio")
        content, content_rate = read_audio(content_path)
        style, style_rate = read_audio(style_path)
        config = default_config(method)
        if hasattr(config, "transfer"):
            config = dataclasses.replace(config, transfer=dataclasses.replace(config.transfer, strength=strength))
        else:
            config = dataclasses.replace(config, strength=strength)
        job.step(0.15, "restyling (a few seconds per 10 s of audio)")
        result = stylize(content, content_rate, style, style_rate, config=config)
        job.messages.extend(result.notes)
        job.step(0.9, "writing")
        job.add_file(write_audio(job.folder / "styled.wav", result.audio, result.sample_rate), "restyled audio")
        job.add_file(write_audio(job.folder / "before.wav", result.content, result.sample_rate), "audio before",
                     key="before_wav")
        job.add_file(write_figure(job.folder / "spectrograms.png", result), "spectrograms")

    def _publish(self, job: Job, score: Score, ensemble: str, *, start: float,
                 instruments: tuple[str, ...] | None = None) -> None:
        """MIDI, MusicXML, SVG and WAV now (the rendering on a second thread, as FluidSynth runs
        outside Python's lock); the piano roll when it is first asked for."""
        from concurrent.futures import ThreadPoolExecutor

        from midistyle.audio.files import write_audio
        from midistyle.music.engrave import EngraveConfig, engrave_musicxml, stack_pages
        from midistyle.music.io import write_atomically
        from midistyle.music.plot import plot_pianoroll

        if ensemble not in ENSEMBLES:
            raise InputError(f"ensemble={ensemble!r} must be one of {', '.join(ENSEMBLES)}")
        renderer = self.renderer(ensemble, instruments)
        with ThreadPoolExecutor(1, thread_name_prefix="studio-render") as side:
            rendering = side.submit(renderer.render, score)
            job.step(start, f"writing MIDI and MusicXML, rendering ({', '.join(instruments or (ensemble,))})")
            _write(job, "MIDI", "chorale.mid", score)
            musicxml = _write(job, "MusicXML", "chorale.musicxml", score).read_text()
            job.step(start + 0.4 * (1 - start), "engraving")
            svg = stack_pages(engrave_musicxml(musicxml, EngraveConfig(long_page=True)))
            job.add_file(write_atomically(job.folder / "chorale.svg", lambda t: t.write_text(svg)), "SVG")
            job.step(start + 0.8 * (1 - start), "writing the audio")
            audio = rendering.result()
        job.add_file(write_audio(job.folder / "chorale.wav", audio.audio, audio.sample_rate), "WAV")
        job.add_deferred_file("pianoroll.png", "piano roll", lambda path: plot_pianoroll(score, path))
        job.info["first_bar"] = 0 if score.anacrusis_steps else 1  # the number printed on the first bar


def _write(job: Job, label: str | None, name: str, score: Score) -> Path:
    """Write a score into the job's folder: one of its files (with ``label``), or unlisted (None)."""
    from midistyle.music.io import write_score

    path = write_score(score, job.folder / name)
    if label is None:
        job.add_unlisted_file(path)
    else:
        job.add_file(path, label)
    return path
