"""Regenerate the small MIDI/MusicXML fixtures in this folder: python tests/data/make_fixtures.py

Each file is named by its purpose; the tests say what they expect of it.
"""

from pathlib import Path

import symusic

from midistyle.data.chorales import convert_chorale
from midistyle.music.io import write_score
from midistyle.pipeline import load_embedded_melody

HERE = Path(__file__).parent


def main() -> None:
    # A valid MIDI file with a tempo and a track but no notes.
    empty = symusic.Score(480)
    empty.tempos.append(symusic.Tempo(0, qpm=100.0))
    empty.tracks.append(symusic.Track("Soprano", 0, False))
    empty.dump_midi(str(HERE / "empty.mid"))

    # A MIDI header followed by garbage: the file is cut off mid-chunk.
    header = b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0"
    (HERE / "corrupted.mid").write_bytes(header + b"MTrk\x00\x00\xff\xff\x00\x90")

    # Only percussion on channel 10.
    drums = symusic.Score(480)
    kit = symusic.Track("Drums", 0, True)
    for beat in range(8):
        kit.notes.append(symusic.Note(beat * 480, 240, 36 if beat % 2 == 0 else 38, 100))
    drums.tracks.append(kit)
    drums.dump_midi(str(HERE / "drums_only.mid"))

    # The first four bars of the demo melody, one voice.
    melody = load_embedded_melody()
    first_bars = [n for n in melody.voices[0].notes if n.end_step <= 64]
    write_score(melody.replace(voices=(melody.voices[0].__class__("Melody", tuple(first_bars)),)),
                HERE / "melody_only.mid")

    # Four voices with a pickup: the first 5 bars of chorale bwv311 (B minor, 4/4).
    chorale = convert_chorale("bwv311")
    end_step = chorale.anacrusis_steps + 4 * chorale.steps_per_bar
    voices = tuple(v.__class__(v.name, tuple(n for n in v.notes if n.end_step <= end_step))
                   for v in chorale.voices)
    write_score(chorale.replace(voices=voices), HERE / "chorale_excerpt.musicxml")
    write_score(chorale.replace(voices=voices), HERE / "chorale_excerpt.mid")


if __name__ == "__main__":
    main()
