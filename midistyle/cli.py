"""The ``midistyle`` command line: subcommands that call the pipeline and public API.

A :class:`~midistyle.errors.MidistyleError` becomes one line on stderr and its
exit code (2 for bad input, 3 for a missing dependency); argparse's own usage
errors also exit 2. Nothing here does work of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from midistyle.errors import InputError, MidistyleError, MissingDependencyError

EXAMPLES = {
    "demo": "  midistyle demo              # out/demo/chorale.{mid,musicxml,wav}: the embedded tune harmonized\n"
            "  midistyle demo -o /tmp/demo",
    "data build": "  midistyle data build        # music21's chorales -> datasets/bach_chorales/\n"
                  "  midistyle data build --out /tmp/chorales",
    "data info": "  midistyle data info         # counts per split and why chorales were dropped",
    "engrave": "  midistyle engrave chorale.mid -o chorale.svg      # one long page, for the screen\n"
               "  midistyle engrave chorale.musicxml -o chorale.pdf # A4 pages, to print\n"
               "  midistyle engrave tunes.abc --tune 3 -o tune.png",
    "check": "  midistyle check exercise.musicxml                  # every mark, the cadences, rates beside Bach\n"
             "  midistyle check chorale.mid --json marks.json --svg marked.svg   # the marks on the sheet music\n"
             "  midistyle check hymn.musicxml --pdf marked.pdf     # two staves of two voices each are read too",
    "export-onnx": "  midistyle export-onnx runs/harmonizer   # generator.onnx, critic.onnx and onnx.json, beside\n"
                   "  midistyle export-onnx midistyle/models/weights/chorale",
    "serve": "  midistyle serve                 # http://127.0.0.1:8000/ on this machine only\n"
             "  midistyle serve --port 8080 --open --max-jobs 2",
    "batch harmonize": "  midistyle batch harmonize hymnal/ -o out/hymnal --workers 2 --svg\n"
                       "  midistyle batch harmonize 'tunes/**/*.abc' -o out/ --ray            # a local Ray\n"
                       "  midistyle batch harmonize tunes/ -o out/ --ray auto --workers 8    # a running cluster",
    "batch render": "  midistyle batch render corpus/ -o audio/ --ensemble organ --workers 2 --format flac",
    "batch stylize": "  midistyle batch stylize audio/ -o cello/ --style cello.wav --workers 2",
    "batch evaluate": "  midistyle batch evaluate generated/ -o scores/    # metrics.csv, metrics.json, summary.json",
    "plot": "  midistyle plot chorale.mid -o roll.png\n"
            "  midistyle plot tune.musicxml -o roll.png --title 'My tune'",
    "convert": "  midistyle convert chorale.mid -o chorale.musicxml\n"
               "  midistyle convert tune.mxl -o tune.mid",
    "render": "  midistyle render chorale.mid -o chorale.wav\n"
              "  midistyle render chorale.mid -o chorale.flac --soundfont ~/fonts/MyGM.sf2 --sample-rate 48000 \\\n"
              "      --instruments 'choir aahs,choir aahs,french horn,bassoon' --stems\n"
              "  midistyle render chorales/*.mid -o rendered/ --ensemble organ --workers 2\n"
              "  midistyle render chorale.mid -o chorale.ogg   # OGG/Vorbis (or .mp3) to share or play in a browser",
    "evaluate": "  midistyle evaluate out/harmonized/*.mid            # table beside Bach test and train\n"
                "  midistyle evaluate gen/*.mid --reference bach-valid --json scores.json\n"
                "  midistyle evaluate tune.mid --no-style              # symbolic metrics only (no TensorFlow)",
    "harmonize": "  midistyle harmonize tune.mid -o tune_satb.mid --musicxml     # also tune_satb.musicxml\n"
                 "  midistyle harmonize tune.musicxml -o out.mid --seed 7 --temperature 0.8 --samples 4\n"
                 "  midistyle harmonize song.mid -o out.musicxml --track 1 --key 'D major'\n"
                 "  midistyle harmonize tunes.abc --tune 12 -o tune12.mid   # the ABC tune X:12\n"
                 "  midistyle harmonize piano.mid --top-line -o out.mid     # the highest line of a piano part\n"
                 "  midistyle harmonize hummed.wav -o out.mid               # a recording, transcribed first\n"
                 "  midistyle harmonize tune.mid -o out.mid --chords 'G D/F# Em C G C D7 G'  # one chord per bar\n"
                 "  midistyle harmonize tune.abc -o out.musicxml --chords '| G D | Em | C D7 | G |'  # two in a bar\n"
                 "  midistyle harmonize tune.mid -o out.mid --bass bass.mid          # write alto and tenor around it\n"
                 "  midistyle harmonize exercise.musicxml -o out.mid --keep bass     # its soprano and bass kept",
    "reharmonize": "  midistyle reharmonize chorale.mid --bars 5-6 -o chorale_v2.mid              # alto, tenor, bass\n"
                   "  midistyle reharmonize chorale.musicxml --bars 5-6 --voices alto,tenor --seed 3 -o v3.musicxml",
    "train harmonizer": "  midistyle train harmonizer --out runs/harmonizer                 # the shipped config\n"
                        "  midistyle train harmonizer --config deepcomposer --out runs/deepcomposer --steps 200\n"
                        "  midistyle train harmonizer --out runs/harmonizer --resume         # after an interruption",
    "chorale": "  midistyle chorale -o out/ -n 4 --bars 16 --key 'D major' --seed 1   # out/chorale_01.mid…\n"
               "  midistyle chorale --prompt opening.mid --bars 8 -o out/            # continue an opening\n"
               "  midistyle chorale -o out/ --phrases 4                              # four phrases, fermatas\n"
               "  midistyle chorale -o out/ --temperature 0.9 --top-k 40 --top-p 0.9 --weights runs/chorale_lstm",
    "train chorale": "  midistyle train chorale --out runs/chorale_transformer              # the shipped setup\n"
                     "  midistyle train chorale --model lstm --out runs/chorale_lstm        # the baseline\n"
                     "  midistyle train chorale --out runs/chorale_transformer --resume",
    "train chorale-unlikelihood": "  midistyle train chorale-unlikelihood --init runs/chorale_transformer "
                                  "--out runs/chorale_unlikelihood\n"
                                  "  midistyle train chorale-unlikelihood --init runs/chorale_transformer "
                                  "--out runs/chorale_unlikelihood --resume",
    "train chorale-distil": "  midistyle train chorale-distil --init runs/chorale_transformer "
                            "--out runs/chorale_distilled\n"
                            "  midistyle train chorale-distil --init runs/chorale_transformer "
                            "--out runs/chorale_distilled --resume",
    "train onsets": "  midistyle train onsets --out runs/onsets                     # the shipped configuration\n"
                    "  midistyle train onsets --out /tmp/o --config tiny",
    "train classifier": "  midistyle train classifier --out runs/classifier             # the shipped configuration\n"
                        "  midistyle train classifier --out /tmp/c --epochs 2 --seed 1",
    "stylize": "  midistyle stylize chorale.wav --style cello.wav -o chorale_cello.wav --figure spectrograms.png\n"
               "  midistyle stylize chorale.wav --style cello.wav -o out.wav --strength 0.7 --method sms\n"
               "  midistyle stylize chorale.wav --style cello.wav -o out.wav --published   # the paper's settings",
    "pipeline": "  midistyle pipeline tune.mid --style cello.wav -o out/   # harmonize -> render -> stylize\n"
                "  midistyle pipeline tune.musicxml --style voice.flac -o out/ --ensemble strings --method sms",
    "soundfonts": "  midistyle soundfonts          # the fonts found, in resolution order; the first is the default",
}


def _add_fine_tuning_arguments(command: argparse.ArgumentParser, out_holds: str, config_kind: str) -> None:
    """--init, --out, --config and --resume, shared by the chorale fine-tuning commands."""
    command.add_argument("--init", required=True, help="the trained model folder to start from (not changed)")
    command.add_argument("--out", required=True, help=f"folder for {out_holds}")
    command.add_argument("--config", default=None, help=f"{config_kind} config .json (default: the built-in)")
    command.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="midistyle",
        description="Compose in the style of Bach chorales and make it sound.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n" + "\n".join(EXAMPLES.values()),
    )
    from midistyle import __version__

    parser.add_argument("--version", action="version", version=f"midistyle {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help_text: str, parent=commands, examples_key: str | None = None):
        return parent.add_parser(
            name, help=help_text, description=help_text,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            epilog="examples:\n" + EXAMPLES[examples_key or name],
        )

    demo = add("demo", "run the main job on the embedded melody and print where the outputs are")
    demo.add_argument("-o", "--out", default="out/demo", help="output folder (default: out/demo)")
    demo.set_defaults(run=_run_demo)

    _add_batch(commands, add)

    data = commands.add_parser("data", help="build or inspect the Bach chorale dataset")
    data_commands = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    build = add("build", "parse music21's bundled Bach chorales into the dataset cache and split",
                parent=data_commands, examples_key="data build")
    build.add_argument("--out", default=None, help="dataset folder (default: datasets/bach_chorales)")
    build.add_argument("--allow-split-change", action="store_true",
                       help="replace a committed split.json that the rebuild would change")
    build.add_argument("--style-corpus", action="store_true",
                       help="build the style classifier's corpus (datasets/style_corpus) instead; minutes")
    build.add_argument("--rhythm-priors", action="store_true",
                       help="count the rhythm statistics of the played-in quantizer and meter detector "
                            "(midistyle/music/rhythm_priors.json) instead; ~2 min")
    build.add_argument("--critic-rates", action="store_true",
                       help="measure Bach's rate of every harmony-critic rule on each split "
                            "(midistyle/music/bach_critic_rates.json) instead; seconds")
    build.add_argument("--train-bars", action="store_true",
                       help="hash every bar of the train split, which generated chorales may not quote more than "
                            "two of in a row (midistyle/music/bach_train_bars.npy) instead; seconds")
    build.add_argument("--phrase-lengths", action="store_true",
                       help="count where Bach's phrases end on the train split, which generated chorales' "
                            "phrase plans are drawn from (midistyle/music/bach_phrase_lengths.json) instead; seconds")
    build.set_defaults(run=_run_data_build)
    info = add("info", "print the dataset's counts and drop reasons", parent=data_commands,
               examples_key="data info")
    info.add_argument("--dataset", default=None, help="dataset folder (default: datasets/bach_chorales)")
    info.set_defaults(run=_run_data_info)

    engrave = add("engrave", "engrave a score as sheet music (verovio): one long SVG or PNG page, or A4 PDF pages")
    engrave.add_argument("score", help="any score file the other commands read (MIDI, MusicXML, ABC, kern, MEI)")
    engrave.add_argument("-o", "--out", required=True, help="output .svg, .pdf or .png")
    engrave.add_argument("--tune", type=int, default=None, help="in a file of several tunes: which (see harmonize)")
    engrave.set_defaults(run=_run_engrave)

    check = add("check", "check a four-part score as a harmony teacher would: parallels, non-chord tones, clashes, "
                         "leaps, leading tones, spacing, cadences, at every onset, beside Bach's own rates")
    check.add_argument("score", help="a four-part score (four parts, or two staves of two voices): MIDI, MusicXML, "
                                     "ABC, kern or MEI")
    check.add_argument("--json", default=None, help="write the marks, cadences and rates here (.json)")
    sheet = check.add_mutually_exclusive_group()
    sheet.add_argument("--svg", default=None, help="write the sheet music with the marked notes in red (.svg)")
    sheet.add_argument("--pdf", default=None, help="the same as A4 pages (.pdf)")
    check.add_argument("--tune", type=int, default=None, help="in a file of several tunes: which (see harmonize)")
    check.set_defaults(run=_run_check)

    plot = add("plot", "draw a score's piano roll (voices coloured, bar lines, pitch names) to PNG")
    plot.add_argument("score", help="MIDI or MusicXML file")
    plot.add_argument("-o", "--out", required=True, help="output .png")
    plot.add_argument("--title", default=None, help="figure title (default: the score's title)")
    plot.set_defaults(run=_run_plot)

    convert = add("convert", "convert between MIDI and MusicXML (quantized to a 16th-note grid)")
    convert.add_argument("score", help="MIDI or MusicXML file")
    convert.add_argument("-o", "--out", required=True, help="output .mid, .midi, .musicxml or .xml")
    convert.set_defaults(run=_run_convert)

    render = add("render", "render scores to WAV/FLAC/OGG/MP3 through FluidSynth, at a loudness target, "
                           "optionally with one file per voice")
    render.add_argument("scores", nargs="+", help="MIDI or MusicXML files")
    render.add_argument("-o", "--out", required=True,
                        help="output .wav/.flac/.ogg/.mp3 for one input; a folder for several (or ending in /)")
    render.add_argument("--soundfont", default=None,
                        help="a .sf2/.sf3 file (default: $MIDISTYLE_SOUNDFONT, then MuseScore General or another "
                             "system font, then the embedded TimGM6mb; see `midistyle soundfonts`)")
    render.add_argument("--sample-rate", type=int, default=44100,
                        help="Hz, 8000-96000, FluidSynth's range (default 44100)")
    group = render.add_mutually_exclusive_group()
    group.add_argument("--instruments", default=None,
                       help="comma-separated GM names or numbers, one per voice or one for all")
    group.add_argument("--ensemble", choices=["organ", "choir", "strings", "brass", "piano"], default=None,
                       help="a preset of four instruments, soprano to bass")
    render.add_argument("--stems", action="store_true", help="also write <name>.<voice>.wav per voice")
    render.add_argument("--reverb", action="store_true", help="FluidSynth's reverb on (default off)")
    render.add_argument("--chorus", action="store_true", help="FluidSynth's chorus on (default off)")
    render.add_argument("--loudness", type=float, default=-16.0,
                        help="target integrated loudness in LUFS, -70 to -5 (default -16; peak kept <= -1 dBFS)")
    render.add_argument("--bits", choices=["16", "24", "float"], default="16",
                        help="sample format of .wav/.flac (default 16)")
    render.add_argument("--format", choices=["wav", "flac", "ogg", "mp3"], default="wav",
                        help="file type when writing into a folder (default wav; ogg and mp3 are lossy, "
                             "for sharing and browsers)")
    render.add_argument("--workers", type=int, default=1, help="processes for a batch (default 1)")
    render.set_defaults(run=_run_render)

    evaluate = add("evaluate", "measure scores beside real Bach: voice leading, harmony, texture, and the style "
                               "classifier's accept rate, Inception-style score and Frechet distance")
    evaluate.add_argument("scores", nargs="+", help="MIDI or MusicXML files, measured as one set")
    evaluate.add_argument("--reference", choices=["bach-test", "bach-valid", "bach-train"], default="bach-test",
                          help="Bach split for the Frechet distance and the side column (default bach-test)")
    evaluate.add_argument("--json", default=None, help="also write the table as JSON here")
    evaluate.add_argument("--no-style", action="store_true", help="skip the classifier (no TensorFlow)")
    evaluate.set_defaults(run=_run_evaluate)

    harmonize = add("harmonize", "harmonize a melody into a four-voice Bach-style chorale (MIDI and/or MusicXML)")
    harmonize.add_argument("melody", help="a melody: MIDI, MusicXML, ABC, Humdrum **kern or MEI, or a recording "
                                          "(.wav .flac .ogg .mp3) of it sung or played alone; grace notes, "
                                          "ornaments, double stops and played-in timing are cleaned up and reported")
    harmonize.add_argument("-o", "--out", required=True, help="output .mid or .musicxml")
    harmonize.add_argument("--musicxml", action="store_true", help="also write a .musicxml twin of a .mid output")
    harmonize.add_argument("--svg", action="store_true", help="also write the sheet music beside it (.svg)")
    _add_melody_options(harmonize)
    harmonize.add_argument("--samples", type=int, default=1,
                           help="harmonizations to draw, ranked by the critic; extras are OUT_2, OUT_3… (default 1)")
    harmonize.add_argument("--temperature", type=float, default=0.0,
                           help="0 = most likely pitches (default); 0.5-1 = more varied")
    harmonize.add_argument("--decoder", choices=["joint", "greedy", "sample"], default="joint",
                           help="joint = the network with voice-leading rules (default); greedy = the network's "
                                "most likely pitches alone; sample = drawn from the network alone")
    harmonize.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    harmonize.add_argument("--key", default=None, help="the melody's key, e.g. 'D major' or 'F# minor' (default: "
                                                       "detected, the relative key where the tune ends on its "
                                                       "tonic, or the file's key signature where that key ends "
                                                       "the tune); it does not transpose")
    harmonize.add_argument("--weights", default=None, help="a trained model folder (default: the shipped one)")
    chords = harmonize.add_mutually_exclusive_group()
    chords.add_argument("--chords", default=None,
                        help="chord symbols to follow, one per bar ('G D/F# Em C') or several per bar between "
                             "bar lines ('| G D | Em |'); a slash fixes the bass (default: the melody file's own)")
    chords.add_argument("--ignore-chords", action="store_true", help="do not follow the melody file's chord symbols")
    for name in ("alto", "tenor", "bass"):
        harmonize.add_argument(f"--{name}", default=None, metavar="FILE",
                               help=f"a given {name} line (same meter and length as the melody), kept as written")
    harmonize.add_argument("--keep", default=None, metavar="VOICES",
                           help="the melody file is a four-part score: keep these of its voices (e.g. bass,alto) "
                                "and write the others")
    harmonize.set_defaults(run=_run_harmonize)

    reharm = add("reharmonize", "rewrite some voices in some bars of a four-part score; every other note stays")
    reharm.add_argument("score", help="a four-part score (four parts, or two staves of two voices)")
    reharm.add_argument("--bars", required=True, help="the bars as printed, e.g. 5-6 or 5 (a pickup is bar 0)")
    reharm.add_argument("--voices", default="alto,tenor,bass", help="which to rewrite (default: alto,tenor,bass)")
    reharm.add_argument("-o", "--out", required=True, help="output .mid or .musicxml")
    reharm.add_argument("--musicxml", action="store_true", help="also write a .musicxml twin of a .mid output")
    reharm.add_argument("--seed", type=int, default=0, help="random seed: another seed, another version (default 0)")
    reharm.add_argument("--tries", type=int, default=16,
                        help="versions weighed, 1-64; more are drawn (up to 64) while each adds a critic mark "
                             "at the bars' edges; the critic keeps the best (default 16)")
    reharm.add_argument("--weights", default=None, help="a trained model folder (default: the shipped one)")
    reharm.set_defaults(run=_run_reharmonize)

    chorale = add("chorale", "generate new four-voice chorales (MIDI and MusicXML) with the chorale Transformer")
    chorale.add_argument("-o", "--out", required=True, help="output folder")
    chorale.add_argument("-n", "--count", type=int, default=1, help="number of chorales (default 1)")
    chorale.add_argument("--bars", type=int, default=None,
                         help="length in whole bars, 1-64 (default 16); the final chord falls in the last bar")
    chorale.add_argument("--phrases", type=int, default=None,
                         help="instead of --bars: this many phrases, 1-32 (lengths drawn from Bach's)")
    chorale.add_argument("--key", default=None, help="e.g. 'D major': the result is transposed to this tonic")
    chorale.add_argument("--temperature", type=float, default=0.8,
                         help="sampling temperature (default 0.8, chosen on the valid split)")
    chorale.add_argument("--top-k", type=int, default=None, help="sample among the k likeliest tokens")
    chorale.add_argument("--top-p", type=float, default=0.95, help="nucleus sampling mass (default 0.95)")
    chorale.add_argument("--seed", type=int, default=0, help="random seed; chorale i uses seed + i - 1")
    chorale.add_argument("--prompt", default=None,
                         help="MIDI or MusicXML opening to continue; the piece aims to end on the root "
                              "of its first chord (then --key moves it)")
    chorale.add_argument("--retries", type=int, default=3,
                         help="redraws of a stretch that adds harmony-critic marks, 0-10 (default 3)")
    chorale.add_argument("--no-parallel-guard", dest="parallel_guard", action="store_false",
                         help="let the network write parallel fifths and octaves, cross-relations and "
                              "augmented or diminished steps (by default a token that would write one is "
                              "drawn again); with --retries 0 and --allow-quotes, the network alone between "
                              "phrase ends")
    chorale.add_argument("--allow-quotes", dest="avoid_quotes", action="store_false",
                         help="let a piece quote more than two bars in a row of Bach's train chorales (by default "
                              "a stretch that would is drawn again)")
    chorale.add_argument("--weights", default=None, help="a trained model folder (default: the shipped one)")
    chorale.set_defaults(run=_run_chorale)

    train = commands.add_parser("train", help="train a model")
    train_commands = train.add_subparsers(dest="train_command", metavar="MODEL", required=True)
    classifier = add("classifier", "train the style classifier on the style corpus (train split)",
                     parent=train_commands, examples_key="train classifier")
    classifier.add_argument("--out", required=True, help="folder for weights, config and report")
    classifier.add_argument("--epochs", type=int, default=None, help="default: the config's (12)")
    classifier.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    classifier.set_defaults(run=_run_train_classifier)
    harmonizer = add("harmonizer", "train the harmonizer GAN on the Bach train split, with checkpoints",
                     parent=train_commands, examples_key="train harmonizer")
    harmonizer.add_argument("--out", required=True, help="folder for checkpoints, samples, curves and weights")
    harmonizer.add_argument("--config", default="network",
                            help="'network' (shipped), 'unet' (the plain U-Net GAN shipped before), 'deepcomposer', "
                                 "'tiny', or a config .json (default network)")
    harmonizer.add_argument("--steps", type=int, default=None, help="generator steps (default: the config's)")
    harmonizer.add_argument("--seed", type=int, default=None, help="random seed (default: the config's)")
    harmonizer.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint")
    harmonizer.set_defaults(run=_run_train_harmonizer)
    train_chorale = add("chorale", "train the chorale Transformer (or the LSTM baseline) on the Bach train split",
                        parent=train_commands, examples_key="train chorale")
    train_chorale.add_argument("--out", required=True, help="folder for tokenizer, checkpoints, weights, report")
    train_chorale.add_argument("--model", choices=["transformer", "lstm"], default="transformer")
    train_chorale.add_argument("--config", default="default", help="'default', 'tiny' or a config .json")
    train_chorale.add_argument("--epochs", type=int, default=None, help="default: the config's")
    train_chorale.add_argument("--seed", type=int, default=None, help="default: the config's")
    train_chorale.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint")
    train_chorale.set_defaults(run=_run_train_chorale)
    unlikelihood = add("chorale-unlikelihood", "fine-tune a trained chorale Transformer away from the parallel "
                       "fifths/octaves it samples (unlikelihood on its own samples, next-token loss on Bach)",
                       parent=train_commands, examples_key="train chorale-unlikelihood")
    _add_fine_tuning_arguments(unlikelihood, "checkpoints, weights, report", "an unlikelihood")
    unlikelihood.add_argument("--steps", type=int, default=None, help="default: the config's")
    unlikelihood.set_defaults(run=_run_train_chorale_unlikelihood)
    distil = add("chorale-distil", "teach a trained chorale Transformer what its voice-leading retries write "
                 "(pieces it samples with the retries, mixed with Bach), so it needs no retries",
                 parent=train_commands, examples_key="train chorale-distil")
    _add_fine_tuning_arguments(distil, "teacher pools, checkpoints, weights, report", "a distillation")
    distil.set_defaults(run=_run_train_chorale_distil)

    onsets = add("onsets", "train the network that finds where a recorded melody's notes start (rendered "
                 "Essen tunes of the prior split); ships in midistyle/audio/weights/onsets",
                 parent=train_commands, examples_key="train onsets")
    onsets.add_argument("--out", required=True, help="folder for examples, weights, config and report")
    onsets.add_argument("--config", default="default", help="'default' (shipped), 'tiny' or a config .json")
    onsets.add_argument("--epochs", type=int, default=None, help="default: the config's")
    onsets.add_argument("--seed", type=int, default=None, help="default: the config's")
    onsets.set_defaults(run=_run_train_onsets)

    export = add("export-onnx", "export trained weights to ONNX, which the command line runs without TensorFlow "
                                "(training does this itself)")
    export.add_argument("folders", nargs="+", metavar="FOLDER", help="a trained harmonizer or chorale model folder")
    export.set_defaults(run=_run_export_onnx)

    stylize = add("stylize", "give a recording the timbre of another (spectrogram style transfer); "
                             "writes mono audio at the working rate")
    stylize.add_argument("content", help="WAV/FLAC whose notes are kept")
    stylize.add_argument("--style", required=True, help="WAV/FLAC whose sound is wanted (any length)")
    stylize.add_argument("-o", "--out", required=True, help="output .wav or .flac")
    _add_style_options(stylize)
    stylize.add_argument("--figure", default=None, help="also write spectrograms of content, style, result (.png)")
    stylize.add_argument("--bits", choices=["16", "24", "float"], default="16", help="sample format (default 16)")
    stylize.set_defaults(run=_run_stylize)

    pipeline = add("pipeline", "harmonize a melody, render it, and give it the style clip's timbre; writes "
                               "harmonized.mid/.musicxml, rendered.wav, styled.wav, spectrograms.png")
    pipeline.add_argument("melody", help="a melody: MIDI, MusicXML, ABC, Humdrum **kern or MEI, or a recording "
                                         "(.wav .flac .ogg .mp3)")
    _add_melody_options(pipeline)
    pipeline.add_argument("--style", required=True, help="WAV/FLAC whose sound is wanted")
    pipeline.add_argument("-o", "--out", required=True, help="output folder")
    pipeline.add_argument("--ensemble", choices=["organ", "choir", "strings", "brass", "piano"], default="organ",
                          help="instruments of the rendering before restyling (default organ)")
    _add_style_options(pipeline)
    pipeline.set_defaults(run=_run_pipeline)

    serve = add("serve", "start the local web studio: upload a melody, see the engraved chorale, listen, "
                         "restyle, download")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--open", action="store_true", help="open the page in the default browser")
    serve.add_argument("--max-jobs", type=int, default=1, help="jobs run at once; the rest wait (default 1)")
    serve.add_argument("--max-queue", type=int, default=32,
                       help="jobs waiting or running in all; beyond, requests get 503 with Retry-After (default 32)")
    serve.add_argument("--max-per-client", type=int, default=8,
                       help="of those, from one address; beyond, 429 with Retry-After (default 8)")
    serve.add_argument("--max-disk-mb", type=int, default=1024,
                       help="disk for job files and kept uploads; the oldest finished jobs go first (default 1024)")
    serve.add_argument("--keep-minutes", type=float, default=60.0,
                       help="finished jobs' files are deleted after this long (default 60)")
    serve.set_defaults(run=_run_serve)

    fonts = add("soundfonts", "list the SoundFonts found and which one is the default")
    fonts.add_argument("--decode", action="store_true",
                       help="decode the SF3 fonts' samples into the cache now (render does it at first use; "
                            "`make setup` runs this); says where each decoded copy is, or why there is none")
    fonts.set_defaults(run=_run_soundfonts)
    return parser


def _add_style_options(parser: argparse.ArgumentParser) -> None:
    """Options of the style transfer shared by ``stylize`` and ``pipeline`` (defaults: the config's)."""
    parser.add_argument("--method", choices=["stft", "sms"], default="stft",
                        help="stft: whole spectrogram (default); sms: partials only, pitches cannot move")
    parser.add_argument("--strength", type=float, default=None, help="0 = unchanged .. 1 = full style (default 1)")
    parser.add_argument("--iterations", type=int, default=None, help="optimiser iterations per chunk (default 10)")
    parser.add_argument("--optimizer", choices=["lbfgs", "adam"], default=None, help="default lbfgs")
    parser.add_argument("--filters", type=int, default=None, help="random filters per width (default 512)")
    parser.add_argument("--filter-widths", default=None, help="comma-separated widths in frames (default 11)")
    parser.add_argument("--n-fft", type=int, default=None, help="FFT size (default 2048)")
    parser.add_argument("--hop", type=int, default=None, help="hop in samples (default 512)")
    parser.add_argument("--sample-rate", type=int, default=None, help="working rate in Hz (default 22050)")
    parser.add_argument("--sinusoids", type=int, default=None, help="sms: partials per frame (default 150)")
    parser.add_argument("--no-residual", action="store_true", help="sms: leave the noise residual out")
    parser.add_argument("--published", action="store_true",
                        help="Ulyanov & Lebedev's settings: noise start, 4096 filters, L-BFGS 300, Griffin-Lim 500")
    parser.add_argument("--seed", type=int, default=0, help="random filters, noise and phase (default 0)")


def _style_config(args: argparse.Namespace):
    import dataclasses

    from midistyle.audio.sms import SinusoidalConfig
    from midistyle.audio.style_transfer import PUBLISHED, StyleTransferConfig

    changes = {"strength": args.strength, "iterations": args.iterations, "optimizer": args.optimizer,
               "filters": args.filters, "n_fft": args.n_fft, "hop_length": args.hop,
               "sample_rate": args.sample_rate, "seed": args.seed}
    if args.filter_widths is not None:
        try:
            changes["filter_widths"] = tuple(int(w) for w in args.filter_widths.split(","))
        except ValueError:
            raise InputError(f"--filter-widths {args.filter_widths!r} must be comma-separated integers") from None
    transfer = dataclasses.replace(PUBLISHED if args.published else StyleTransferConfig(),
                                   **{k: v for k, v in changes.items() if v is not None})
    if args.method == "stft":
        if args.sinusoids is not None or args.no_residual:
            raise InputError("--sinusoids and --no-residual apply to --method sms only")
        return transfer
    sms = {"sinusoids": args.sinusoids} if args.sinusoids is not None else {}
    return SinusoidalConfig(**sms, residual=not args.no_residual, transfer=transfer)


def _run_stylize(args: argparse.Namespace) -> None:
    from midistyle.audio.stylize import stylize_file

    stylize_file(args.content, args.style, args.out, config=_style_config(args), figure=args.figure, bits=args.bits)


def _add_batch(commands, add) -> None:
    batch = commands.add_parser("batch", help="run harmonize, render, stylize or evaluate over many files; "
                                              "resumable, in local processes or on Ray")
    batch_commands = batch.add_subparsers(dest="batch_command", metavar="COMMAND", required=True)
    parsers = {}
    for name, text in (("harmonize", "harmonize every melody"), ("render", "render every score"),
                       ("stylize", "restyle every audio file"), ("evaluate", "measure every score")):
        command = add(name, f"{text}: outputs keep their inputs' relative paths under OUT_DIR; "
                            "OUT_DIR/manifest.jsonl records each input, and a rerun skips what is done",
                      parent=batch_commands, examples_key=f"batch {name}")
        command.add_argument("inputs", nargs="+", help="files, folders (searched recursively) or globs")
        command.add_argument("-o", "--out", required=True, help="output folder")
        command.add_argument("--workers", type=int, default=1, help="processes (or Ray actors) (default 1)")
        command.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                             help="run on Ray: alone, a local Ray on this machine; 'auto' or host:port joins "
                                  "a running cluster (needs pip install 'midistyle[ray]')")
        command.set_defaults(run=_run_batch)
        parsers[name] = command
    harmonize = parsers["harmonize"]
    _add_melody_options(harmonize)
    harmonize.add_argument("--key", default=None, help="the melodies' key (default: per file, as harmonize chooses "
                                                       "it); it does not transpose, and a file it does not fit is "
                                                       "warned about")
    harmonize.add_argument("--seed", type=int, default=0)
    harmonize.add_argument("--temperature", type=float, default=0.0)
    harmonize.add_argument("--decoder", choices=["joint", "greedy", "sample"], default="joint",
                           help="joint (default) adds voice-leading rules; greedy and sample: the network alone")
    harmonize.add_argument("--musicxml", action="store_true", help="also write .musicxml")
    harmonize.add_argument("--svg", action="store_true", help="also write the sheet music (.svg)")
    render = parsers["render"]
    render.add_argument("--soundfont", default=None)
    render.add_argument("--sample-rate", type=int, default=44100)
    group = render.add_mutually_exclusive_group()
    group.add_argument("--instruments", default=None)
    group.add_argument("--ensemble", choices=["organ", "choir", "strings", "brass", "piano"], default=None)
    render.add_argument("--loudness", type=float, default=-16.0)
    render.add_argument("--format", choices=["wav", "flac", "ogg", "mp3"], default="wav")
    render.add_argument("--bits", choices=["16", "24", "float"], default="16")
    stylize = parsers["stylize"]
    stylize.add_argument("--style", required=True, help="the style example (audio file)")
    stylize.add_argument("--method", choices=["stft", "sms"], default="stft")
    evaluate = parsers["evaluate"]
    evaluate.add_argument("--reference", choices=["bach-test", "bach-valid", "bach-train"], default="bach-test")
    evaluate.add_argument("--no-style", action="store_true", help="skip the classifier in the set summary")


def _run_batch(args: argparse.Namespace) -> None:
    from midistyle.batch.runner import run_batch

    command = args.batch_command
    options: dict = {}
    if command == "harmonize":
        if args.key:
            from midistyle.music.score import Key

            Key.parse(args.key)  # a bad key fails before any work
        options = {"key": args.key, "seed": args.seed, "temperature": args.temperature, "decoder": args.decoder,
                   "musicxml": args.musicxml,
                   "svg": args.svg, "track": args.track, "tune": args.tune, "top_line": args.top_line}
    elif command == "render":
        from midistyle.audio.files import audio_subtype
        from midistyle.audio.render import RenderConfig

        instruments = tuple(i.strip() for i in args.instruments.split(",")) if args.instruments else None
        render = {"sample_rate": args.sample_rate, "soundfont": args.soundfont, "instruments": instruments,
                  "ensemble": args.ensemble, "loudness_lufs": args.loudness}
        RenderConfig(**render)  # bad options fail before any work
        audio_subtype(Path(f"check.{args.format}"), args.bits, sample_rate=args.sample_rate)
        options = {"render": render, "format": args.format, "bits": args.bits}
    elif command == "stylize":
        from midistyle.audio.files import read_audio

        read_audio(args.style)
        options = {"style": str(Path(args.style).resolve()), "method": args.method}
    else:
        options = {"reference": args.reference, "style": not args.no_style}
    summary = run_batch(command, args.inputs, args.out, options=options, workers=args.workers, ray=args.ray)
    print(summary)
    if summary.exit_code:
        raise SystemExit(summary.exit_code)


def _add_melody_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--track", type=int, default=None,
                         help="0-based track holding the melody (default: the first with notes)")
    command.add_argument("--tune", type=int, default=None,
                         help="in a file of several tunes: the ABC X: number, or the position from 1 "
                              "(default: the first; the command says how many there are)")
    command.add_argument("--top-line", action="store_true",
                         help="take the highest note at every moment, even from a polyphonic part")


def _run_pipeline(args: argparse.Namespace) -> None:
    from midistyle.pipeline import run_pipeline

    for what, path in run_pipeline(args.melody, args.style, args.out, config=_style_config(args),
                                   ensemble=args.ensemble, seed=args.seed, track=args.track, tune=args.tune,
                                   top_line=args.top_line).items():
        print(f"{what:>20}: {path}")


def _run_demo(args: argparse.Namespace) -> None:
    from midistyle.pipeline import run_demo

    for what, path in run_demo(args.out).items():
        print(f"{what:>16}: {path}")


def _run_data_build(args: argparse.Namespace) -> None:
    from midistyle.data.chorales import build_dataset

    if args.style_corpus:
        from midistyle.data.style_corpus import build_style_corpus

        print(json.dumps(build_style_corpus(args.out), indent=1))
        return
    if args.rhythm_priors:
        from midistyle.data.rhythm import build_rhythm_priors

        table = build_rhythm_priors(args.out)
        print(json.dumps({"sources": table["sources"],
                          "meters": {m: t["tunes"] for m, t in table["meters"].items()}}, indent=1))
        return

    if args.phrase_lengths:
        from midistyle.data.phrase_lengths import build_phrase_lengths

        table = build_phrase_lengths(args.out)
        print(json.dumps({group: counts["pieces"]["all"] for group, counts in table["groups"].items()}, indent=1))
        return

    if args.train_bars:
        from midistyle.data.train_bars import build_train_bars

        print(f"{len(build_train_bars(args.out))} distinct bars of the train split hashed")
        return

    if args.critic_rates:
        from midistyle.data.critic_rates import build_critic_rates

        table = build_critic_rates(args.out)
        print(json.dumps({split: table[split]["rates"] for split in ("train", "test")}, indent=1))
        return

    report = build_dataset(args.out, allow_split_change=args.allow_split_change)
    _print_report(report)


def _run_data_info(args: argparse.Namespace) -> None:
    from midistyle.data.chorales import default_dataset_dir
    from midistyle.errors import InputError

    folder = Path(args.dataset) if args.dataset else default_dataset_dir()
    try:
        report = json.loads((folder / "chorales.json").read_text())["report"]
    except FileNotFoundError:
        raise InputError(f"{folder}: no chorale dataset here; run `midistyle data build`") from None
    _print_report(report)


def _print_report(report: dict) -> None:
    print(f"corpus files: {report['corpus_files']}, kept: {report['kept']}")
    print("split: " + ", ".join(f"{k} {v}" for k, v in report["split_counts"].items()))
    for reason, items in report.get("dropped_chorales", {}).items():
        print(f"dropped, {reason}: {len(items)}")
        for item in items:
            print(f"  {item}")
    print(f"build time: {report['build_seconds']} s")


def _run_engrave(args: argparse.Namespace) -> None:
    from midistyle.music.engrave import engrave
    from midistyle.music.io import read_score_as_written, refuse_overwriting_input

    refuse_overwriting_input(Path(args.score), Path(args.out))
    print(engrave(read_score_as_written(args.score, tune=args.tune), args.out))


def _run_check(args: argparse.Namespace) -> None:
    from midistyle.evaluation.critic_report import format_critique
    from midistyle.music.harmony import bach_rates
    from midistyle.pipeline import check_file

    result = check_file(args.score, json_path=args.json, sheet_path=args.svg or args.pdf, tune=args.tune)
    print(format_critique(result, bach_rates()["train"]))
    for written in (args.json, args.svg or args.pdf):
        if written:
            print(f"wrote {written}")


def _run_plot(args: argparse.Namespace) -> None:
    from midistyle.music.io import read_score_as_written, refuse_overwriting_input
    from midistyle.music.plot import plot_pianoroll

    refuse_overwriting_input(Path(args.score), Path(args.out))
    print(plot_pianoroll(read_score_as_written(args.score), args.out, title=args.title))


def _run_convert(args: argparse.Namespace) -> None:
    from midistyle.pipeline import convert_score

    print(convert_score(args.score, args.out))


def _run_render(args: argparse.Namespace) -> None:
    from midistyle.audio.batch import plan_jobs, render_files
    from midistyle.audio.render import RenderConfig

    instruments = tuple(i.strip() for i in args.instruments.split(",")) if args.instruments else None
    config = RenderConfig(sample_rate=args.sample_rate, soundfont=args.soundfont, instruments=instruments,
                          ensemble=args.ensemble, reverb=args.reverb, chorus=args.chorus,
                          loudness_lufs=args.loudness)
    jobs = plan_jobs(args.scores, args.out, audio_format=args.format)
    for path in render_files(jobs, config, stems=args.stems, bits=args.bits, workers=args.workers,
                             progress=len(jobs) > 1):
        print(path)


def _run_evaluate(args: argparse.Namespace) -> None:
    from midistyle.evaluation import evaluate_files
    from midistyle.evaluation.report import format_table
    from midistyle.music.io import write_atomically

    table = evaluate_files(args.scores, reference=args.reference, style=not args.no_style)
    print(format_table(table))
    if args.json:
        write_atomically(args.json, lambda temporary: temporary.write_text(json.dumps(table, indent=1) + "\n"))
        print(f"wrote {args.json}")


def _run_harmonize(args: argparse.Namespace) -> None:
    from midistyle.pipeline import harmonize_file

    given = {name: getattr(args, name) for name in ("alto", "tenor", "bass") if getattr(args, name)}
    keep = tuple(v.strip() for v in args.keep.split(",") if v.strip()) if args.keep else ()
    harmonize_file(args.melody, args.out, musicxml=args.musicxml, svg=args.svg, track=args.track, samples=args.samples,
                   temperature=args.temperature, seed=args.seed, key=args.key, weights=args.weights,
                   tune=args.tune, top_line=args.top_line, decoder=args.decoder, chords=args.chords,
                   ignore_chords=args.ignore_chords, given_files=given, keep=keep)


def _run_reharmonize(args: argparse.Namespace) -> None:
    from midistyle.pipeline import reharmonize_file

    reharmonize_file(args.score, args.out, bars=args.bars, voices=args.voices, seed=args.seed, tries=args.tries,
                     weights=args.weights, musicxml=args.musicxml)


def _run_export_onnx(args: argparse.Namespace) -> None:
    from midistyle.pipeline import export_onnx

    for folder in args.folders:
        differences = export_onnx(folder)
        print(f"{folder}: " + ", ".join(f"{name} (largest difference from Keras {difference:.1e})"
                                        for name, difference in differences.items()))


def _export_trained(folder: str) -> None:
    """After training: the ONNX export that inference runs (a note instead when it cannot be made)."""
    from midistyle.pipeline import export_onnx

    try:
        differences = export_onnx(folder)
    except (MissingDependencyError, InputError) as error:
        print(f"no ONNX export ({error}); inference will load these weights with Keras", file=sys.stderr)
        return
    print("exported to ONNX: " + ", ".join(f"{name} (largest difference from Keras {difference:.1e})"
                                           for name, difference in differences.items()), file=sys.stderr)


def _run_train_harmonizer(args: argparse.Namespace) -> None:
    from midistyle.models.harmonizer_training import named_config
    from midistyle.pipeline import train_harmonizer_model

    config = named_config(args.config, steps=args.steps, seed=args.seed)
    report = train_harmonizer_model(config, args.out, resume=args.resume)
    print(json.dumps(report, indent=1))
    _export_trained(args.out)


def _run_chorale(args: argparse.Namespace) -> None:
    from midistyle.pipeline import generate_chorale_files

    generate_chorale_files(args.out, count=args.count, bars=args.bars, phrases=args.phrases, key=args.key,
                           temperature=args.temperature,
                           top_k=args.top_k, top_p=args.top_p, seed=args.seed, prompt=args.prompt,
                           weights=args.weights, retries=args.retries, parallel_guard=args.parallel_guard,
                           avoid_quotes=args.avoid_quotes)


def _run_train_chorale(args: argparse.Namespace) -> None:
    from midistyle.models.chorale_training import named_config, train_chorale_model

    config = named_config(args.config, model=args.model, epochs=args.epochs, seed=args.seed)
    report = train_chorale_model(config, args.out, resume=args.resume)
    print(json.dumps({k: v for k, v in report.items() if k != "history"}, indent=1))
    _export_trained(args.out)


def _run_train_chorale_unlikelihood(args: argparse.Namespace) -> None:
    import dataclasses

    from midistyle.models.checkpoints import read_config_file
    from midistyle.models.chorale_unlikelihood import UnlikelihoodConfig, finetune_unlikelihood

    config = read_config_file(args.config, UnlikelihoodConfig, "chorale unlikelihood") if args.config \
        else UnlikelihoodConfig()
    if args.steps is not None:
        if args.steps < 1:
            raise InputError(f"--steps {args.steps} must be >= 1")
        config = dataclasses.replace(config, steps=args.steps)
    report = finetune_unlikelihood(args.init, args.out, config, resume=args.resume)
    print(json.dumps({k: v for k, v in report.items() if k != "history"}, indent=1))
    _export_trained(args.out)


def _run_train_chorale_distil(args: argparse.Namespace) -> None:
    from midistyle.models.checkpoints import read_config_file
    from midistyle.models.chorale_distillation import DistillationConfig, distil_retries

    config = read_config_file(args.config, DistillationConfig, "chorale distillation") if args.config \
        else DistillationConfig()
    report = distil_retries(args.init, args.out, config, resume=args.resume)
    print(json.dumps({k: v for k, v in report.items() if k != "history"}, indent=1))
    _export_trained(args.out)


def _run_train_onsets(args: argparse.Namespace) -> None:
    import dataclasses
    from pathlib import Path

    from midistyle.errors import InputError
    from midistyle.models.onset_training import TINY, OnsetTrainingConfig, available_soundfonts, train_onset_network

    if args.config == "default":
        config = OnsetTrainingConfig()
    elif args.config == "tiny":
        config = OnsetTrainingConfig(**TINY)
    elif args.config.endswith(".json") and Path(args.config).is_file():
        try:
            config = OnsetTrainingConfig.from_json(Path(args.config).read_text())
        except (ValueError, TypeError, KeyError) as error:
            raise InputError(f"{args.config}: not an onset training config ({error!r})") from None
    else:
        raise InputError(f"--config {args.config!r}: use 'default', 'tiny' or an existing .json file")
    for name in ("epochs", "seed"):
        value = getattr(args, name)
        if value is not None:
            config = dataclasses.replace(config, **{name: value})
    config.validate(soundfonts_present=bool(available_soundfonts(config)))  # before any work or folder
    report = train_onset_network(config, args.out)
    print(json.dumps({key: value for key, value in report.items() if key != "history"}, indent=1))


def _run_train_classifier(args: argparse.Namespace) -> None:
    import dataclasses

    from midistyle.errors import InputError
    from midistyle.evaluation.classifier import ClassifierConfig, train_classifier

    config = ClassifierConfig(seed=args.seed)
    if args.epochs is not None and args.epochs < 1:
        raise InputError(f"--epochs {args.epochs} must be >= 1")
    if args.epochs is not None:
        config = dataclasses.replace(config, epochs=args.epochs)
    report = train_classifier(config, args.out)
    print(json.dumps(report, indent=1))


def _run_serve(args: argparse.Namespace) -> None:
    import socket
    import threading
    import webbrowser

    from midistyle.errors import InputError

    if not 1 <= args.port <= 65535:
        raise InputError(f"--port {args.port} must be in 1..65535")
    if not 1 <= args.max_jobs <= 16:
        raise InputError(f"--max-jobs {args.max_jobs} must be in 1..16")
    if args.keep_minutes <= 0:
        raise InputError(f"--keep-minutes {args.keep_minutes} must be > 0")
    if not 1 <= args.max_queue <= 10000:
        raise InputError(f"--max-queue {args.max_queue} must be in 1..10000")
    if not 1 <= args.max_per_client <= args.max_queue:
        raise InputError(f"--max-per-client {args.max_per_client} must be in 1..--max-queue ({args.max_queue})")
    if args.max_disk_mb < 10:
        raise InputError(f"--max-disk-mb {args.max_disk_mb} must be >= 10")
    import uvicorn

    from midistyle.serve.app import StudioConfig, create_app, is_loopback

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:  # a clear error before the server starts
        try:
            probe.bind((args.host, args.port))
        except OSError as error:
            raise InputError(f"cannot listen on {args.host}:{args.port} ({error.strerror}); "
                             "try another --port") from None
    if not is_loopback(args.host):
        print(f"midistyle: warning: listening on {args.host}: other machines can reach this studio and run "
              "jobs on it", file=sys.stderr)
    url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}/"
    print(f"midistyle studio: {url}  (models load in the background; Ctrl-C stops)", flush=True)
    if args.open:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    app = create_app(StudioConfig(max_running=args.max_jobs, keep_minutes=args.keep_minutes, max_queue=args.max_queue,
                                  max_per_client=args.max_per_client, max_disk_mb=args.max_disk_mb))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


def _run_soundfonts(args: argparse.Namespace) -> None:
    from midistyle.audio.decoded_soundfont import decoded_path, playable_soundfont
    from midistyle.audio.soundfonts import ENVIRONMENT_VARIABLE, embedded_soundfont, find_soundfonts

    found = find_soundfonts()
    if args.decode:
        for font in found:
            if font.path.suffix.lower() == ".sf3" and font.path.is_file():
                loaded = playable_soundfont(font.path)  # says on stderr when it decodes, or why it cannot
                print(f"{font.path.name}: " + (f"samples decoded in {loaded}" if loaded != font.path
                                               else "no decoded copy; rendering decodes the SF3 itself"))
        return
    if not found:
        print(f"no SoundFont found; pass --soundfont or set {ENVIRONMENT_VARIABLE}")
        return
    for index, font in enumerate(found):
        size = f"{font.path.stat().st_size / 1e6:.1f} MB" if font.path.is_file() else "missing"
        marker = "default" if index == 0 else ""
        print(f"{marker:>8}  {font.origin:<11} {size:>9}  {font.path}")
        if font.path.suffix.lower() == ".sf3" and font.path.is_file():
            cached = decoded_path(font.path)
            print(f"{'':>32}  samples decoded in {cached}" if cached.is_file()
                  else f"{'':>32}  samples decoded at its first render (or: midistyle soundfonts --decode)")
    print(f"\nrender, pipeline and demo use {found[0].path} unless --soundfont (or ${ENVIRONMENT_VARIABLE}) "
          f"says otherwise;\nthe embedded style clip and the style-transfer benchmarks always use "
          f"{embedded_soundfont()}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``midistyle`` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        args.run(args)
        sys.stdout.flush()  # here, not at exit, so that a reader gone away is caught below
    except MidistyleError as error:
        print(f"midistyle: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("midistyle: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`midistyle chorale … | head -1`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # what is still buffered goes nowhere, with no error at exit
        os.close(devnull)
        return 141
    return 0


if __name__ == "__main__":
    sys.exit(main())
