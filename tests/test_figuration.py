"""Figuration: passing tones, suspensions, neighbour notes and ties in the lower voices, where the critic allows."""

from __future__ import annotations

import dataclasses

from midistyle.music.figuration import FigurationConfig, _scale_neighbours, add_figuration
from midistyle.music.harmony import critique
from midistyle.music.score import Key, Note, Score, Voice, make_voices

ONLY_PASSING = dataclasses.replace(FigurationConfig.none(), passing_share=1.0)
ONLY_SUSPENSIONS = dataclasses.replace(FigurationConfig.none(), suspension_share=1.0)
ONLY_TIES = dataclasses.replace(FigurationConfig.none(), tie_share=1.0, bass_tie_share=1.0)
ONLY_NEIGHBOURS = dataclasses.replace(FigurationConfig.none(), neighbour_share=1.0)


def chorale(alto, tenor, bass, soprano=(72, 72, 71, 72)) -> Score:
    lines = [soprano, alto, tenor, bass]
    return Score(make_voices([[Note(4 * i, p, 4) for i, p in enumerate(line)] for line in lines]),
                 key=Key(0, "major"))


def test_a_third_in_a_lower_voice_gets_a_passing_tone():
    score = chorale(alto=(67, 69, 67, 67), tenor=(64, 60, 62, 64), bass=(48, 53, 55, 48))  # tenor E4 -> C4: a third
    figured = add_figuration(score, config=ONLY_PASSING)
    tenor = [(n.onset_step, n.pitch, n.duration_steps) for n in figured.voices[2].notes]
    assert tenor[:3] == [(0, 64, 2), (2, 62, 2), (4, 60, 4)]  # E4, D4 on the last eighth, C4
    assert figured.voices[0] == score.voices[0]  # the melody is never touched
    assert critique(figured).nonchord_tones["passing"] == critique(score).nonchord_tones["passing"] + 1


def test_a_figure_that_would_add_parallels_is_refused():
    # whatever the passing tones it tries, no rule may gain a mark
    score = chorale(alto=(64, 60, 62, 60), tenor=(60, 57, 55, 55), bass=(50, 48, 43, 48), soprano=(67, 69, 71, 72))
    figured = add_figuration(score, config=ONLY_PASSING)
    before = {rule: count for rule, count in critique(score).counts().items()}
    after = critique(figured).counts()
    assert all(after[rule] <= before[rule] for rule in after)


def test_a_step_down_onto_a_beat_becomes_a_suspension():
    score = chorale(alto=(65, 64, 62, 64), tenor=(60, 60, 59, 60), bass=(53, 48, 43, 48), soprano=(72, 72, 74, 72))
    figured = add_figuration(score, config=ONLY_SUSPENSIONS)
    assert critique(figured).nonchord_tones["suspension"] > critique(score).nonchord_tones["suspension"]
    alto = [(n.onset_step, n.pitch) for n in figured.voices[1].notes]
    assert (0, 65) in alto and (6, 64) in alto  # F4 held over beat 2, E4 after an eighth


def test_a_repeated_note_is_tied_but_not_into_the_final_chord():
    score = chorale(alto=(67, 67, 67, 67), tenor=(64, 65, 62, 64), bass=(48, 53, 55, 48))
    figured = add_figuration(score, config=ONLY_TIES)
    alto = [(n.onset_step, n.duration_steps) for n in figured.voices[1].notes]
    assert alto[0][1] > 4 and alto[-1] == (12, 4)  # tied at the start, the last chord struck


def test_figuration_is_seeded():
    score = chorale(alto=(67, 69, 67, 67), tenor=(64, 60, 62, 64), bass=(48, 53, 55, 48))
    config = FigurationConfig(passing_share=0.5, suspension_share=0.5, tie_share=0.5)
    assert add_figuration(score, config=config, seed=3) == add_figuration(score, config=config, seed=3)


def test_the_bass_holds_a_repeated_pitch_whatever_the_seed():
    # Bach's bass strikes its pitch again in 2.4 % of its moves (valid split): the default ties it at every place
    score = chorale(alto=(67, 64, 67, 67), tenor=(64, 60, 62, 64), bass=(48, 48, 43, 48), soprano=(72, 67, 71, 72))
    for seed in range(5):
        bass = [(n.onset_step, n.pitch, n.duration_steps) for n in add_figuration(score, seed=seed).voices[3].notes]
        assert bass[0] == (0, 48, 8)  # C3 held through beat 2
    untied = add_figuration(score, config=dataclasses.replace(FigurationConfig.none(), tie_share=1.0))
    assert untied.voices[3] == score.voices[3]


def test_a_repeated_note_gets_a_lower_neighbour_on_its_last_eighth():
    score = chorale(alto=(67, 67, 67, 67), tenor=(64, 64, 62, 64), bass=(48, 52, 55, 48))  # the alto on G4
    figured = add_figuration(score, config=ONLY_NEIGHBOURS)
    alto = [(n.onset_step, n.pitch, n.duration_steps) for n in figured.voices[1].notes]
    assert alto[:3] == [(0, 67, 2), (2, 65, 2), (4, 67, 2)]  # G4, F4 (the scale step below), G4 again
    assert figured.voices[0] == score.voices[0]
    assert not any(critique(figured).counts().values())


def test_the_upper_neighbour_is_taken_where_the_lower_would_be_marked():
    # the alto's E4 -> D4 -> E4 over the bass's G2 -> A2 would move in parallel fifths: F4 instead
    score = chorale(alto=(64, 64, 65, 64), tenor=(60, 60, 59, 60), bass=(43, 45, 43, 48), soprano=(72, 72, 74, 72))
    figured = add_figuration(score, config=ONLY_NEIGHBOURS)
    alto = [(n.onset_step, n.pitch) for n in figured.voices[1].notes]
    assert alto[:3] == [(0, 64), (2, 65), (4, 64)]
    assert not any(critique(figured).counts().values())


def test_a_neighbour_needs_a_repeated_note_of_a_quarter_or_more():
    score = chorale(alto=(67, 67, 67, 67), tenor=(64, 64, 62, 64), bass=(48, 52, 55, 48))
    eighths = [Note(0, 67, 2), Note(2, 67, 2), Note(4, 67, 4), Note(8, 67, 4), Note(12, 67, 4)]  # G4: 2 eighths
    alto = Voice(score.voices[1].name, tuple(eighths), score.voices[1].program)
    score = score.replace(voices=(score.voices[0], alto, *score.voices[2:]))
    figured = add_figuration(score, config=ONLY_NEIGHBOURS).voices[1].notes
    assert figured[:2] == tuple(eighths[:2])  # the eighths struck again as they were
    assert [(n.onset_step, n.pitch, n.duration_steps) for n in figured[2:4]] == [(4, 67, 2), (6, 65, 2)]  # a quarter


def test_a_neighbour_is_one_letter_away_never_the_same_letter_altered():
    a_minor, c_major = Key.parse("A minor"), Key.parse("C major")
    assert _scale_neighbours(68, a_minor) == [66, 69]  # G#4: F#4 below (not G4), A4 above
    assert _scale_neighbours(67, a_minor) == [65, 69]  # G4: F4 below, A4 above (not G#4)
    assert _scale_neighbours(66, c_major) == [64, 67]  # a chromatic F#4: E4 below (not F4), G4 above
    assert _scale_neighbours(60, c_major) == [59, 62]


def test_a_note_made_by_a_figure_is_not_figured_again():
    # the upper neighbour F4 falls by step onto beat 2: a suspension would hold the eighth over the beat
    score = chorale(alto=(64, 64, 65, 64), tenor=(60, 60, 59, 60), bass=(43, 45, 43, 48), soprano=(72, 72, 74, 72))
    config = dataclasses.replace(ONLY_NEIGHBOURS, suspension_share=1.0)
    alto = [(n.onset_step, n.pitch, n.duration_steps) for n in add_figuration(score, config=config).voices[1].notes]
    assert alto[:3] == [(0, 64, 2), (2, 65, 2), (4, 64, 4)]


def test_the_lower_voices_hold_under_a_phrase_end_s_held_note():
    # a fermata on the soprano's first note: neither the alto's neighbour nor the tenor's passing
    # tone moves under it; without the fermata both do
    score = chorale(alto=(67, 67, 67, 67), tenor=(64, 60, 62, 64), bass=(48, 52, 55, 48))
    config = dataclasses.replace(ONLY_NEIGHBOURS, passing_share=1.0)
    moving = add_figuration(score, config=config)
    assert [n.onset_step for n in moving.voices[1].notes][:2] == [0, 2]
    assert [n.onset_step for n in moving.voices[2].notes][:2] == [0, 2]
    held = add_figuration(score.replace(fermata_steps=(0,)), config=config)
    for v in (1, 2):
        assert not any(0 < n.onset_step < 4 for n in held.voices[v].notes)
    assert [n.onset_step for n in held.voices[1].notes][:3] == [0, 4, 6]  # the next G4 gets its neighbour


def test_a_neighbour_begun_before_a_fermata_does_not_move_under_it():
    # the alto's half note G4 starts before the fermata (step 4) and is struck again after it: its
    # neighbour eighth would sound at step 6, under the held soprano note
    score = chorale(alto=(67, 67, 67, 67), tenor=(64, 64, 62, 64), bass=(48, 52, 55, 48))
    half = [Note(0, 67, 8), Note(8, 67, 4), Note(12, 67, 4)]
    alto = Voice(score.voices[1].name, tuple(half), score.voices[1].program)
    score = score.replace(voices=(score.voices[0], alto, *score.voices[2:]))
    assert [n.onset_step for n in add_figuration(score, config=ONLY_NEIGHBOURS).voices[1].notes][:2] == [0, 6]
    held = add_figuration(score.replace(fermata_steps=(4,)), config=ONLY_NEIGHBOURS)
    assert not any(4 <= n.onset_step < 8 for n in held.voices[1].notes)
