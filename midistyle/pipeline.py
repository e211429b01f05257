"""End-to-end jobs that the command line and notebooks call.

The demo harmonizes the embedded melody with the shipped harmonizer, writes the chorale as MIDI
and MusicXML, draws its piano roll, renders it through FluidSynth, gives the rendering the timbre
of the embedded style clip (a cello), then generates one new 8-bar chorale with the chorale
Transformer. ``harmonize_file`` is what ``midistyle harmonize`` runs, ``run_pipeline`` what
``midistyle pipeline`` runs.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from midistyle.errors import InputError
from midistyle.music.io import (
    read_score,
    read_score_as_written,
    refuse_overwriting_input,
    write_atomically,
    write_score,
)
from midistyle.music.plot import plot_pianoroll
from midistyle.music.score import Key, Score


def embedded_melody_path() -> Path:
    """Path of the melody shipped in the package (Beethoven's "Ode to Joy", G major, 16 bars)."""
    return Path(str(resources.files("midistyle") / "assets" / "ode_to_joy.musicxml"))


def load_embedded_melody() -> Score:
    return read_score(embedded_melody_path())


def embedded_style_clip_path() -> Path:
    """Path of the shipped style example: a cello, 22.05 kHz mono, made by :func:`make_style_clip`."""
    return Path(str(resources.files("midistyle") / "assets" / "style_cello.wav"))


STYLE_CLIP_CHORALE = "bwv347"  # a train-split chorale; the clip is its opening


def make_style_clip(path: str | os.PathLike, *, instrument: str = "cello", bars: int = 3) -> Path:
    """Render the embedded style clip: the first ``bars`` bars of a Bach chorale on one instrument.

    ``make_style_clip("midistyle/assets/style_cello.wav")`` rebuilds the shipped file (a test checks
    that it still matches), with the embedded TimGM6mb SoundFont at 22.05 kHz, mixed to mono.
    """
    from midistyle.audio.files import write_audio
    from midistyle.audio.instruments import program_of
    from midistyle.audio.pairs import render_with_program
    from midistyle.audio.render import RenderConfig, Renderer
    from midistyle.audio.soundfonts import embedded_soundfont
    from midistyle.data.chorales import load_chorales

    chorale = next(c for c in load_chorales("train") if c.title == STYLE_CLIP_CHORALE)
    steps = bars * chorale.steps_per_bar + chorale.anacrusis_steps
    voices = tuple(v.__class__(v.name, tuple(n for n in v.notes if n.end_step <= steps), v.program)
                   for v in chorale.voices)
    config = RenderConfig(sample_rate=22050, soundfont=str(embedded_soundfont()), tail_seconds=0.5)
    with Renderer(config) as renderer:
        audio = render_with_program(renderer, chorale.replace(voices=voices), program_of(instrument))
    return write_audio(path, audio.mean(axis=1), config.sample_rate)


def convert_score(source: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Read ``source`` and write it as ``target`` (format from each extension)."""
    source, target = Path(source), Path(target)
    refuse_overwriting_input(source, target)
    return write_score(read_score_as_written(source), target)


def read_melody_input(path: str | os.PathLike, *, track: int | None = None, tune: int | None = None,
                      top_line: bool = False, report=print, transcribe_config=None):
    """The melody of a score file, or of a recording (``.wav .flac .ogg .mp3``) transcribed.

    A recording goes through :mod:`midistyle.audio.transcribe` and then the played-in quantizer
    (:func:`midistyle.music.melody.extract_melody`); its report line says what was heard, e.g.
    ``transcribed 42 notes at 96 qpm, tuned +38 cents``; ``transcribe_config`` (a
    :class:`midistyle.audio.transcribe.TranscribeConfig`) changes how, e.g. ``splitter="rules"``.

    Returns
    -------
    midistyle.music.melody.Melody
    """
    from midistyle.audio.files import AUDIO_EXTENSIONS
    from midistyle.music.melody import extract_melody, read_melody_file

    path = Path(path)
    if path.suffix.lower() not in AUDIO_EXTENSIONS:
        return read_melody_file(path, track=track, tune=tune, top_line=top_line, report=report)
    from midistyle.audio.transcribe import transcribe_file

    heard = transcribe_file(path, transcribe_config)
    melody = extract_melody(heard.to_score(title=path.stem), meter_given=False, played=True)
    tuned = f", tuned {heard.tuning_cents:+.0f} cents" if heard.tuning_cents else ""
    report(f"transcribed {len(melody.score.voices[0].notes)} notes at {melody.score.tempo_qpm:.0f} qpm{tuned} "
           f"from {heard.seconds:.1f} s of audio")
    for line in melody.notes:
        if not line.startswith("played-in melody"):  # said above
            report(line)
    if melody.summary():
        report(melody.summary())
    return melody


def harmonize_file(
    source: str | os.PathLike,
    target: str | os.PathLike,
    *,
    musicxml: bool = False,
    svg: bool = False,
    track: int | None = None,
    samples: int = 1,
    temperature: float = 0.0,
    seed: int = 0,
    key: str | None = None,
    weights: str | os.PathLike | None = None,
    tune: int | None = None,
    top_line: bool = False,
    decoder: str = "joint",
    chords: str | None = None,
    ignore_chords: bool = False,
    given_files: dict[str, str | os.PathLike] | None = None,
    keep: tuple[str, ...] = (),
    report=print,
) -> list[Path]:
    """Harmonize the melody in ``source`` and write ``target`` (best sample) and ``target_2``… (the others).

    Chord symbols are followed: ``chords`` (a ``--chords`` line, see
    :func:`midistyle.music.chord_symbols.parse_chord_line`), else the melody file's own, unless
    ``ignore_chords``. Given voices come from ``given_files`` (``{"bass": path}``, each one line of
    the melody's meter and length) or, with ``keep``, from ``source`` itself, a four-part score
    whose soprano is the melody.

    The melody is read by :func:`midistyle.music.melody.read_melody_file` (any format, ornaments and
    played-in timing cleaned up; ``track``, ``tune`` and ``top_line`` as there); triplets that the
    model's 16th grid cannot hold are harmonized on it and written back as they were.

    Every input is checked and every harmonization computed before the first file is written.
    ``report`` receives one line per thing the user should know (key, octave shift, outputs).
    """
    from midistyle.music.io import MIDI_EXTENSIONS, SCORE_EXTENSIONS
    from midistyle.music.keys import key_warning

    source, target = Path(source), Path(target)
    if target.suffix.lower() not in SCORE_EXTENSIONS:
        raise InputError(f"{target}: cannot write '{target.suffix}'; use .mid or .musicxml")
    targets = [target] + [target.with_name(f"{target.stem}_{i}{target.suffix}") for i in range(2, samples + 1)]
    if musicxml and target.suffix.lower() in MIDI_EXTENSIONS:
        targets += [t.with_suffix(".musicxml") for t in targets]
    sheets = [t.with_suffix(".svg") for t in targets[:samples]] if svg else []
    for path in targets + sheets:
        refuse_overwriting_input(source, path)
    if chords is not None and ignore_chords:
        raise InputError("--chords and --ignore-chords contradict each other")
    melody = read_melody_input(source, track=0 if keep and track is None else track, tune=tune,
                               top_line=top_line, report=report)
    given = _given_voices(source, melody.score, given_files or {}, keep, tune)
    symbols = _chord_symbols(melody.score, chords, ignore_chords, report)
    from midistyle.models.harmonize import Harmonizer

    harmonizer = Harmonizer.load(weights)
    results = harmonizer.harmonize(melody.score, samples=samples, temperature=temperature, seed=seed,
                                   key=Key.parse(key) if key else None, decoder=decoder, chords=symbols, given=given)
    if given:
        report(f"given: {', '.join(given)} kept as written; the other voices written around them")
    if symbols:
        from midistyle.music.chord_symbols import chord_agreement

        agree, total = chord_agreement(results[0].score, symbols)
        report(f"chords: followed on {agree} of {total} beats (the bass and 3 of 4 notes chord tones)")
    placement = results[0].placement
    if decoder != "joint":
        report(f"decoder: {decoder} (the network alone: no voice-leading rules beyond range and no crossing)")
    report(placement.key_line())
    warning = key_warning(melody.score, Key.parse(key)) if key else None
    if warning:
        report(warning)
    if decoder == "joint":
        from midistyle.music.phrases import phrase_ends

        report(f"phrases: {phrase_ends(melody.score).describe()}; a cadence planned at each")
    if placement.octave_shift:
        report(f"melody moved {placement.octave_shift:+d} semitones into the soprano range for the model, "
               "and the harmony moved back with it")
    if placement.notes_outside:
        report(f"{placement.notes_outside} melody notes lie beyond a soprano's range: the model hears them an "
               "octave nearer, and the soprano keeps them as written")
    how = "harmonized" if decoder == "joint" else f"harmonized, {decoder} decoder"  # the title says which
    title = f"{melody.score.title or source.stem} ({how})"
    scores = [melody.with_exact_soprano(result.score).replace(title=title) for result in results]
    engraved = [_engraved(score) for score in scores] if svg else []  # everything computed before writing
    written = []
    for index, (result, score) in enumerate(zip(results, scores)):
        paths = [targets[index]] + ([targets[index + samples]] if len(targets) > samples else [])
        for path in paths:
            written.append(write_score(score, path))
            report(f"{path}  (critic {result.critic_score:+.3f})")
        if svg:
            sheet = engraved[index]
            written.append(write_atomically(sheets[index], lambda temporary, text=sheet: temporary.write_text(text)))
            report(f"{sheets[index]}  (sheet music)")
    return written


def _chord_symbols(melody: Score, chords: str | None, ignore: bool, report) -> tuple:
    """The chord symbols to follow, reporting where they come from and any that clash with the melody."""
    from midistyle.music.cadences import bar_and_beat
    from midistyle.music.chord_symbols import melody_clashes, parse_chord_line
    from midistyle.music.keys import pitch_name
    from midistyle.music.score import Key

    if ignore:
        if melody.chord_symbols:
            report(f"chords: {len(melody.chord_symbols)} chord symbols in the melody file ignored (--ignore-chords)")
        return ()
    symbols = parse_chord_line(chords, melody) if chords is not None else melody.chord_symbols
    if not symbols:
        return ()
    origin = "--chords" if chords is not None else "the melody file"
    report(f"chords: following {len(symbols)} chord symbols from {origin}")
    clashes = melody_clashes(melody, symbols)
    if clashes:
        key = melody.key or Key(0, "major")
        shown = "; ".join(f"bar {bar_and_beat(melody, s.onset_step)[0]} beat {bar_and_beat(melody, s.onset_step)[1]:g} "
                          f"{s.figure} under {pitch_name(p, key)}" for s, p in clashes[:3])
        more = f" and {len(clashes) - 3} more" if len(clashes) > 3 else ""
        report(f"chords: {len(clashes)} symbol{'s' if len(clashes) > 1 else ''} without the melody note "
               f"({shown}{more}); followed as written")
    return symbols


def _given_voices(source: Path, melody: Score, files: dict, keep: tuple[str, ...], tune: int | None) -> dict:
    """Voices the user wrote, by name, on the melody's grid (see :func:`harmonize_file`)."""
    from midistyle.music.melody import read_melody_file
    from midistyle.music.satb import four_voices

    names = ("alto", "tenor", "bass")
    given = {}
    if keep:
        unknown = [name for name in keep if name not in names]
        if unknown:
            raise InputError(f"--keep {','.join(keep)}: {unknown[0]!r} is not one of alto, tenor, bass")
        try:
            score = four_voices(read_score(source, tune=tune))
        except InputError as error:
            raise InputError(f"{source}: --keep needs a four-part score; this {error}") from None
        given = {name: score.voices[1 + names.index(name)].notes for name in keep}
    for name, path in files.items():
        if name in given:
            raise InputError(f"the {name} is given twice (--{name} and --keep)")
        line = read_melody_file(path, report=lambda _line: None).score
        if line.time_signature != melody.time_signature or line.anacrusis_steps != melody.anacrusis_steps:
            raise InputError(f"{path}: the given {name} is in {line.time_signature[0]}/{line.time_signature[1]}"
                             f"{' with a pickup' if line.anacrusis_steps else ''}, the melody in "
                             f"{melody.time_signature[0]}/{melody.time_signature[1]}"
                             f"{' with a pickup' if melody.anacrusis_steps else ''}: they must match")
        if len(line.bar_lines()) != len(melody.bar_lines()):
            raise InputError(f"{path}: the given {name} has {len(line.bar_lines())} bars, the melody "
                             f"{len(melody.bar_lines())}: they must be the same length")
        given[name] = line.voices[0].notes
    return given


def reharmonize_file(
    source: str | os.PathLike,
    target: str | os.PathLike,
    *,
    bars: str,
    voices: str = "alto,tenor,bass",
    seed: int = 0,
    tries: int = 16,
    weights: str | os.PathLike | None = None,
    musicxml: bool = False,
    report=print,
) -> list[Path]:
    """Rewrite ``voices`` in ``bars`` (``"5-6"`` or ``"5"``) of a four-part score and write ``target``.

    Every note outside the bars is kept as it was (see :mod:`midistyle.models.reharmonize`).
    """
    from midistyle.models.harmonize import Harmonizer
    from midistyle.models.reharmonize import reharmonize
    from midistyle.music.io import MIDI_EXTENSIONS, SCORE_EXTENSIONS
    from midistyle.music.satb import four_voices

    source, target = Path(source), Path(target)
    if target.suffix.lower() not in SCORE_EXTENSIONS:
        raise InputError(f"{target}: cannot write '{target.suffix}'; use .mid or .musicxml")
    targets = [target] + ([target.with_suffix(".musicxml")] if musicxml and target.suffix.lower()
                          in MIDI_EXTENSIONS else [])
    for path in targets:
        refuse_overwriting_input(source, path)
    first, last = parse_bars(bars)
    names = tuple(v.strip() for v in voices.split(",") if v.strip())
    if not names or any(name not in ("alto", "tenor", "bass") for name in names):
        raise InputError(f"--voices {voices!r}: name some of alto, tenor, bass, separated by commas")
    try:
        score = four_voices(read_score(source))
    except InputError as error:
        raise InputError(f"{source}: {error}") from None
    score.bar_span(first, last)  # a bad span is refused before the model loads
    result = reharmonize(Harmonizer.load(weights), score, first, last, voices=names, seed=seed, tries=tries)
    count = result.new_seam_marks
    seams = "no new critic marks at its edges" if not count else \
        f"{count} new critic mark{'s' if count > 1 else ''} at its edges (the best of the versions tried)"
    report(f"bars {first}-{last}: {', '.join(names)} rewritten, {result.changed_notes} notes changed; {seams}")
    written = []
    for path in targets:
        written.append(write_score(result.score, path))
        report(f"{path}")
    return written


def parse_bars(text: str) -> tuple[int, int]:
    """``"5-6"`` -> (5, 6), ``"5"`` -> (5, 5)."""
    parts = text.split("-")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        raise InputError(f"--bars {text!r}: write a bar or a span of bars such as 5 or 5-6") from None
    if len(numbers) not in (1, 2) or min(numbers) < 0:
        raise InputError(f"--bars {text!r}: write a bar or a span of bars such as 5 or 5-6")
    return numbers[0], numbers[-1]


def _engraved(score) -> str:
    """One long SVG page of sheet music for ``score``."""
    from midistyle.music.engrave import EngraveConfig, engrave_svg, stack_pages

    return stack_pages(engrave_svg(score, EngraveConfig(long_page=True)))


def check_file(source: str | os.PathLike, *, json_path: str | os.PathLike | None = None,
               sheet_path: str | os.PathLike | None = None, tune: int | None = None):
    """Run the harmony critic over a four-part score file; write its marks as JSON and the marked
    sheet music (.svg, .pdf or .png) when asked. Nothing is written when the score cannot be read.

    Returns
    -------
    Critique
    """
    import json

    from midistyle.music.engrave import ENGRAVE_EXTENSIONS, engrave
    from midistyle.music.harmony import critique
    from midistyle.music.satb import four_voices

    for target in (json_path, sheet_path):
        if target is not None:
            refuse_overwriting_input(source, target)
    if sheet_path is not None and Path(sheet_path).suffix.lower() not in ENGRAVE_EXTENSIONS:
        raise InputError(f"{sheet_path}: sheet music is written as {', '.join(ENGRAVE_EXTENSIONS)}")
    if json_path is not None and Path(json_path).suffix.lower() != ".json":
        raise InputError(f"{json_path}: --json writes a .json file")
    score = read_score_as_written(source, tune=tune)
    try:
        score = four_voices(score)
    except InputError as error:
        raise InputError(f"{source}: {error}") from None
    result = critique(score)
    if sheet_path is not None:
        engrave(score, sheet_path, highlights=result.note_labels())
    if json_path is not None:
        text = json.dumps(result.to_dict(), indent=1) + "\n"
        write_atomically(json_path, lambda temporary: temporary.write_text(text))
    return result


def train_harmonizer_model(config, out_dir: str | os.PathLike, *, resume: bool = False) -> dict:
    """Train a harmonizer (``midistyle train harmonizer``), wiring in the valid-split Fréchet distance
    when the config selects its checkpoint by it."""
    from midistyle.models.harmonizer_training import train_harmonizer

    validate = None
    if config.select_by == "valid_frechet":
        from midistyle.evaluation.harmonizer_report import valid_frechet_scorer

        validate = valid_frechet_scorer()
    return train_harmonizer(config, out_dir, resume=resume, validate=validate)


def export_onnx(folder: str | os.PathLike) -> dict[str, float]:
    """Export a folder of trained weights to ONNX (``midistyle export-onnx``): a harmonizer's generator
    and critic, or a chorale Transformer's step. Returns each file's largest difference from Keras."""
    from midistyle.models.onnx_export import export_chorale, export_harmonizer

    folder = Path(folder)
    if (folder / "generator.weights.h5").exists() and (folder / "critic.weights.h5").exists():
        return export_harmonizer(folder)
    if (folder / "model.weights.h5").exists() and (folder / "tokenizer.json").exists():
        return export_chorale(folder)
    raise InputError(f"{folder} holds no trained harmonizer or chorale model (no *.weights.h5)")


def generate_chorale_files(
    out_dir: str | os.PathLike,
    *,
    count: int = 1,
    bars: int | None = None,
    phrases: int | None = None,
    key: str | None = None,
    temperature: float = 0.8,
    top_k: int | None = None,
    top_p: float | None = 0.95,
    seed: int = 0,
    prompt: str | os.PathLike | None = None,
    weights: str | os.PathLike | None = None,
    retries: int = 3,
    parallel_guard: bool = True,
    avoid_quotes: bool = True,
    report=print,
) -> list[Path]:
    """Generate ``count`` chorales into ``out_dir`` as ``chorale_01.mid`` and ``.musicxml``…

    Each is ``bars`` bars (default 16) or ``phrases`` phrases long, in phrases closed by cadences
    under fermatas (the MusicXML carries them). All chorales are generated before the first file
    is written. ``retries`` is the number of voice-leading retries per stretch of tokens;
    ``parallel_guard`` draws a token again when it would write parallel fifths or octaves, a
    cross-relation or an augmented or diminished step; ``avoid_quotes`` draws a stretch again when it
    would quote more than two bars in a row of Bach's train chorales (all three off: the network
    alone between phrase ends; see :class:`midistyle.models.compose.ChoraleGenerator`).
    """
    from midistyle.models.compose import ChoraleGenerator
    from midistyle.music.score import Key

    if not 1 <= count <= 100:
        raise InputError(f"-n {count} must be in 1..100")
    if not 0 <= retries <= 10:
        raise InputError(f"--retries {retries} must be in 0..10")
    if bars is not None and phrases is not None:
        raise InputError("give --bars or --phrases, not both")
    if bars is not None and not 1 <= bars <= 64:
        raise InputError(f"--bars {bars} must be in 1..64")
    if phrases is not None and not 1 <= phrases <= 32:
        raise InputError(f"--phrases {phrases} must be in 1..32")
    if key:
        Key.parse(key)  # an impossible key fails before the model loads
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a directory")
    if prompt is not None:
        for index in range(1, count + 1):
            for suffix in (".mid", ".musicxml"):
                refuse_overwriting_input(prompt, out_dir / f"chorale_{index:02d}{suffix}")
    opening = read_score(prompt) if prompt is not None else None
    if opening is not None and opening.num_voices != 4:
        raise InputError(f"{prompt}: the prompt has {opening.num_voices} voice(s); a chorale opening needs four "
                         "(soprano, alto, tenor, bass)")
    generator = ChoraleGenerator.load(weights)
    results = [generator.generate(bars=bars, phrases=phrases, key=key, temperature=temperature, top_k=top_k,
                                  top_p=top_p, seed=seed + index, prompt=opening, voice_leading_retries=retries,
                                  parallel_guard=parallel_guard, avoid_quotes=avoid_quotes)
               for index in range(count)]
    written = []
    for index, result in enumerate(results, start=1):
        report(f"chorale {index}: {result.describe()}")
        for line in result.notes:
            report(f"chorale {index}: {line}")
        if result.trimmed_overlaps:
            report(f"chorale {index}: {result.trimmed_overlaps} overlapping notes trimmed to keep voices monophonic")
        score = result.score.replace(title=f"Chorale {index} (midistyle, seed {seed + index - 1})")
        for suffix in (".mid", ".musicxml"):
            written.append(write_score(score, out_dir / f"chorale_{index:02d}{suffix}"))
            report(str(written[-1]))
    return written


def run_pipeline(
    melody_path: str | os.PathLike,
    style_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    config=None,
    ensemble: str = "organ",
    seed: int = 0,
    track: int | None = None,
    tune: int | None = None,
    top_line: bool = False,
    progress: bool = True,
    report=print,
) -> dict[str, Path]:
    """Harmonize ``melody_path``, render it with ``ensemble``, restyle it with ``style_path``; write into ``out_dir``.

    Writes ``harmonized.mid``, ``harmonized.musicxml``, ``rendered.wav``, ``styled.wav`` and
    ``spectrograms.png``; returns ``{what: path}``. The style clip is read and checked before any
    model runs, and every output is computed before the first file is written.
    """
    from midistyle.audio.files import read_audio, write_audio
    from midistyle.audio.render import RenderConfig, Renderer
    from midistyle.audio.spectral import prepare_audio
    from midistyle.audio.stylize import stylize, working_rate, write_figure
    from midistyle.models.harmonize import Harmonizer

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a directory")
    names = {"harmonized MIDI": "harmonized.mid", "harmonized MusicXML": "harmonized.musicxml",
             "rendered audio": "rendered.wav", "styled audio": "styled.wav", "spectrograms": "spectrograms.png"}
    for name in names.values():
        for source in (melody_path, style_path):
            refuse_overwriting_input(source, out_dir / name)
    style, style_rate = read_audio(style_path)
    prepare_audio(style, style_rate, target_rate=style_rate, what="style")  # silent or broken: fail now
    melody = read_melody_input(melody_path, track=track, tune=tune, top_line=top_line, report=report)
    result = Harmonizer.load().harmonize(melody.score, seed=seed)[0]
    report(result.placement.key_line())
    chorale = melody.with_exact_soprano(result.score).replace(
        title=f"{melody.score.title or Path(melody_path).stem} (harmonized)")
    with Renderer(RenderConfig(ensemble=ensemble, sample_rate=working_rate(config) if config else 22050)) as r:
        rendering = r.render(chorale)
    styled = stylize(rendering.audio, rendering.sample_rate, style, style_rate, config=config, progress=progress)
    for note in styled.notes:
        report(note)
    outputs = {
        "harmonized MIDI": write_score(chorale, out_dir / names["harmonized MIDI"]),
        "harmonized MusicXML": write_score(chorale, out_dir / names["harmonized MusicXML"]),
        "rendered audio": write_audio(out_dir / names["rendered audio"], rendering.audio, rendering.sample_rate),
        "styled audio": write_audio(out_dir / names["styled audio"], styled.audio, styled.sample_rate),
    }
    outputs["spectrograms"] = write_figure(out_dir / names["spectrograms"], styled)
    return outputs


def run_demo(out_dir: str | os.PathLike) -> dict[str, Path]:
    """Run the demo job into ``out_dir``; return ``{what: path}`` of every output."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a directory")
    from midistyle.audio.files import write_audio
    from midistyle.audio.render import RenderConfig, Renderer
    from midistyle.models.harmonize import Harmonizer

    melody = load_embedded_melody()
    chorale = Harmonizer.load().harmonize(melody, seed=0)[0].score.replace(title="Ode to Joy, harmonized")
    outputs = {
        "melody MIDI": write_score(melody, out_dir / "melody.mid"),
        "chorale MIDI": write_score(chorale, out_dir / "chorale.mid"),
        "chorale MusicXML": write_score(chorale, out_dir / "chorale.musicxml"),
        "piano roll": plot_pianoroll(chorale, out_dir / "chorale_pianoroll.png"),
    }
    from midistyle.music.engrave import engrave

    outputs["sheet music"] = engrave(chorale, out_dir / "chorale.svg")
    with Renderer(RenderConfig(ensemble="organ")) as renderer:
        rendering = renderer.render(chorale)
    outputs["audio"] = write_audio(out_dir / "chorale.wav", rendering.audio, rendering.sample_rate)
    from midistyle.audio.files import read_audio
    from midistyle.audio.stylize import stylize, write_figure

    style, style_rate = read_audio(embedded_style_clip_path())
    styled = stylize(rendering.audio, rendering.sample_rate, style, style_rate, progress=True)
    outputs["styled audio"] = write_audio(out_dir / "chorale_cello.wav", styled.audio, styled.sample_rate)
    outputs["spectrograms"] = write_figure(out_dir / "spectrograms.png", styled)
    from midistyle.models.compose import ChoraleGenerator

    generated = ChoraleGenerator.load().generate(bars=8, seed=0).score.replace(title="New chorale (midistyle)")
    outputs["new chorale MIDI"] = write_score(generated, out_dir / "new_chorale.mid")
    outputs["new chorale MusicXML"] = write_score(generated, out_dir / "new_chorale.musicxml")
    return outputs

