"""The harmony critic: each rule on a passage that breaks it and one that does not; cadences; fermatas."""

from __future__ import annotations

import pytest

from midistyle.errors import InputError
from midistyle.music.harmony import RULES, above_bach, bach_rates, critique, pooled_rates
from midistyle.music.keys import is_augmented, is_augmented_or_diminished
from midistyle.music.score import Key, Note, Score, make_voices

C_MAJOR = Key(0, "major")
A_MINOR = Key(0, "minor")


def satb(*voices: list, unit: int = 4, key: Key = C_MAJOR, fermatas: tuple[int, ...] = ()) -> Score:
    """Four voices from lists of pitches, one per ``unit`` steps; ``"-"`` holds the note before."""
    notes_per_voice = []
    for line in voices:
        notes: list[Note] = []
        for index, pitch in enumerate(line):
            if pitch == "-":
                last = notes.pop()
                notes.append(Note(last.onset_step, last.pitch, last.duration_steps + unit))
            else:
                notes.append(Note(index * unit, pitch, unit))
        notes_per_voice.append(notes)
    return Score(make_voices(notes_per_voice), key=key, fermata_steps=fermatas)


def rules_of(score: Score) -> list[str]:
    return [m.rule for m in critique(score).marks]


# A clean authentic close in C: I - IV - V - I, good voice leading, held final chord.
CLEAN = satb([72, 72, 71, 72], [67, 69, 67, 67], [64, 65, 62, 64], [48, 53, 55, 48])


def test_a_clean_progression_has_no_marks():
    assert rules_of(CLEAN) == []


def test_parallel_fifths_between_any_voices():
    score = satb([67, 69, 71, 72], [64, 65, 67, 67], [60, 62, 62, 64], [48, 50, 55, 48])
    marks = [m for m in critique(score).marks if m.rule == "parallel_fifths"]
    assert marks and marks[0].voices == ("Soprano", "Bass") and marks[0].bar == 1 and marks[0].beat == 2.0
    assert "G4/C3 -> A4/D3" in marks[0].detail


def test_parallel_octaves_on_eighths_are_found_where_beats_look_clean():
    # beats 1 and 2: C/E then E/G, no parallels on the beat; the eighth between moves S and T in octaves
    soprano = [Note(0, 72, 2), Note(2, 74, 2), Note(4, 76, 4)]
    alto = [Note(0, 67, 4), Note(4, 67, 4)]
    tenor = [Note(0, 60, 2), Note(2, 62, 2), Note(4, 60, 4)]
    bass = [Note(0, 48, 4), Note(4, 48, 4)]
    score = Score(make_voices([soprano, alto, tenor, bass]), key=C_MAJOR)
    marks = [m for m in critique(score).marks if m.rule == "parallel_octaves"]
    assert [(m.voices, m.beat) for m in marks] == [(("Soprano", "Tenor"), 1.5)]
    from midistyle.music.metrics import count_parallel_perfect_intervals
    assert count_parallel_perfect_intervals(score) == 0  # the beat-level count misses it


def test_contrary_fifths_are_their_own_rule():
    score = satb([67, 74, 72], [64, 65, 64], [60, 59, 55], [48, 43, 48])  # S/B: G4/C3 fifth -> D5/G2 by contrary
    assert "contrary_fifths_octaves" in rules_of(score)
    assert "parallel_fifths" not in rules_of(score)


def test_fifths_are_the_intervals_that_sound_when_voices_cross():
    # bwv374 bar 17, regenerated: alto G3 under the tenor's C4 (a fourth) -> alto C4 over F3 (a fifth)
    def alto_tenor(score):
        return [m.rule for m in critique(score).marks if m.voices == ("Alto", "Tenor")]

    fourth_to_fifth = satb([69, 69], [55, 60], [60, 53], [38, 41])
    assert not {"parallel_fifths", "contrary_fifths_octaves"} & set(alto_tenor(fourth_to_fifth))
    crossed_fourths = satb([72, 74], [55, 57], [60, 62], [48, 47])  # alto under tenor, fourths in parallel
    assert "parallel_fifths" not in alto_tenor(crossed_fourths)
    crossed_fifths = satb([72, 74], [53, 55], [60, 62], [48, 47])  # F3/C4 -> G3/D4 sound as fifths
    assert "parallel_fifths" in alto_tenor(crossed_fifths)


def test_hidden_octaves_in_the_outer_voices_need_a_leap_in_the_soprano():
    leaping = satb([76, 79, 79], [67, 71, 71], [60, 62, 62], [48, 55, 55])  # E5->G5 leap, C3->G3: octave
    stepping = satb([77, 79, 79], [69, 71, 71], [60, 62, 62], [50, 55, 55])  # F5->G5 step
    assert "hidden_fifths_octaves" in rules_of(leaping)
    assert "hidden_fifths_octaves" not in rules_of(stepping)


def test_nonchord_tones_are_classified():
    # soprano C5 D5 E5 in eighths over C major: D5 is a passing tone; then a 4-3 suspension over G
    soprano = [Note(0, 72, 2), Note(2, 74, 2), Note(4, 76, 4), Note(8, 77, 8), Note(16, 76, 4)]
    alto = [Note(0, 67, 8), Note(8, 72, 12)]
    tenor = [Note(0, 64, 8), Note(8, 65, 4), Note(12, 67, 8)]
    bass = [Note(0, 48, 8), Note(8, 53, 4), Note(12, 48, 8)]
    result = critique(Score(make_voices([soprano, alto, tenor, bass]), key=C_MAJOR))
    assert result.nonchord_tones["passing"] == 1
    assert result.nonchord_tones["suspension"] == 1
    assert "unexplained_nonchord_tone" not in [m.rule for m in result.marks]


def test_a_leapt_dissonance_is_unexplained():
    score = satb([72, 77, 72, 72], [67, 67, 67, 67], [64, 64, 64, 64], [48, 48, 48, 48])  # F leapt into and out
    assert "unexplained_nonchord_tone" in rules_of(score)


def test_clash_and_cross_relation():
    clash = satb([72, 77, 76], [67, 66, 67], [64, 62, 64], [48, 50, 48])  # F5 over F#4 by leaps: one letter
    assert "cross_relation" in rules_of(clash)
    semitone = satb([67, 73, 67], [67, 62, 67], [64, 57, 64], [48, 50, 48])  # C#5 leapt in and out over D4
    assert "clash" in rules_of(semitone)
    assert "clash" not in rules_of(CLEAN)


def test_augmented_and_diminished_intervals_however_spelled():
    assert is_augmented_or_diminished(65, 71, C_MAJOR)  # F-B tritone
    assert is_augmented_or_diminished(68, 72, A_MINOR)  # G#-C diminished fourth
    assert not is_augmented_or_diminished(72, 70, A_MINOR)  # C-Bb: a step (not C-A#)
    assert not is_augmented_or_diminished(65, 66, C_MAJOR)  # F-F#: a chromatic step
    score = satb([72, 72, 72], [65, 71, 72], [64, 62, 64], [48, 55, 48])
    assert "augmented_diminished_interval" in rules_of(score)


def test_above_bach_is_over_a_quarter_more_than_his_rate_with_a_tenth_where_his_is_about_zero():
    bach = {"parallel_fifths": 0.27, "seventh_leap": 0.42, "cross_relation": 0.09}
    rates = {"parallel_fifths": 0.34, "seventh_leap": 0.52, "cross_relation": 0.21, "voice_crossing": 0.11}
    # 0.34 > 1.25 x 0.27 = 0.3375; 0.52 <= 0.525; 0.21 <= 1.25 x 0.09 + 0.1; a rule Bach never breaks: 0.11 > 0.1
    assert above_bach(rates, bach) == ["parallel_fifths", "voice_crossing"]


def test_augmented_not_diminished_as_the_key_spells_them():
    assert is_augmented(50, 56, C_MAJOR) and is_augmented(48, 54, C_MAJOR)  # D-G#, C-F# rising fourths
    assert is_augmented(59, 53, C_MAJOR)  # B down to F is F-B, an augmented fourth, whichever way it moves
    assert not is_augmented(53, 47, C_MAJOR)  # F3 down to B2: a diminished fifth
    assert not is_augmented(58, 52, C_MAJOR)  # Bb3 down to E3: a diminished fifth
    assert is_augmented(53, 56, A_MINOR)  # F-G#: an augmented second
    assert not is_augmented(56, 60, A_MINOR)  # G#-C: a diminished fourth
    assert not is_augmented(48, 55, C_MAJOR) and not is_augmented(48, 49, C_MAJOR)  # a fifth; a chromatic step


def test_sevenths_and_leaps_beyond_an_octave():
    seventh = satb([72, 71, 72], [67, 67, 67], [64, 62, 64], [48, 58, 48])  # C3-Bb3 leap
    beyond = satb([72, 71, 72], [67, 67, 67], [64, 62, 64], [36, 55, 48])  # C2-G3
    assert "seventh_leap" in rules_of(seventh)
    assert "leap_beyond_octave" in rules_of(beyond)


def test_leading_tone_doubled_and_unresolved():
    doubled = satb([72, 71, 72], [67, 71, 67], [64, 62, 64], [48, 43, 48])  # V with B in S and A
    assert "doubled_leading_tone" in rules_of(doubled)
    falling = satb([72, 71, 67], [67, 67, 64], [64, 62, 60], [48, 43, 48])  # soprano B4 -> G4 at V-I
    assert "unresolved_leading_tone" in rules_of(falling)
    assert "unresolved_leading_tone" not in rules_of(CLEAN)


def test_spacing_crossing_overlap_and_range():
    assert "spacing" in rules_of(satb([79, 79], [64, 64], [60, 60], [48, 48]))  # G5 over E4
    assert "voice_crossing" in rules_of(satb([67, 67], [72, 72], [64, 64], [48, 48]))
    assert "voice_overlap" in rules_of(satb([72, 71, 72], [67, 74, 67], [64, 67, 64], [48, 55, 48]))
    assert "out_of_range" in rules_of(satb([86, 84], [67, 67], [64, 64], [48, 48]))


def test_the_ending_is_a_held_root_position_tonic():
    assert "ending_not_tonic" in rules_of(satb([72, 71], [67, 67], [64, 62], [48, 55]))  # ends on V
    moving = satb([72, 72, "-"], [67, 67, 67], [64, 64, 64], [48, 48, 43])  # bass moves under the last note
    assert "ending_not_held" in rules_of(moving)


@pytest.mark.parametrize(("voices", "key", "kind"), [
    (([74, 72], [71, 67], [67, 64], [43, 48]), C_MAJOR, "authentic"),  # V - I
    (([72, 71], [69, 67], [65, 62], [53, 55]), C_MAJOR, "half"),  # IV - V
    (([72, 72], [69, 67], [65, 64], [53, 48]), C_MAJOR, "plagal"),  # IV - I
    (([74, 72], [71, 72], [67, 64], [43, 45]), C_MAJOR, "deceptive"),  # V - vi
    (([74, 76], [69, 68], [62, 59], [53, 52]), A_MINOR, "phrygian"),  # iv6 - V in A minor
], ids=["authentic", "half", "plagal", "deceptive", "phrygian"])
def test_cadences_are_named_at_fermatas(voices, key, kind):
    score = satb(*voices, key=key, fermatas=(4,))
    cadences = critique(score).cadences
    assert [c.kind for c in cadences] == [kind] and cadences[0].at_fermata


def test_the_critic_reads_four_voices_only():
    with pytest.raises(InputError, match="four voices"):
        critique(CLEAN.select_voices([0, 1, 3]))


def test_the_committed_bach_rates_are_what_the_critic_measures_on_train():
    from midistyle.data.chorales import load_chorales

    committed = bach_rates()["train"]["rates"]
    measured = pooled_rates([critique(s) for s in load_chorales("train")])
    assert set(committed) == set(RULES)
    assert committed == pytest.approx(measured, abs=1e-3)


def test_a_mark_weighs_by_how_rarely_bach_breaks_its_rule():
    from midistyle.music.harmony import bach_rates, mark_weights

    rates, weights = bach_rates()["train"]["rates"], mark_weights()
    assert set(weights) == set(rates)
    assert weights["voice_overlap"] == pytest.approx(1 / rates["voice_overlap"])  # he overlaps every 20 beats
    assert weights["parallel_octaves"] > 25 * weights["voice_overlap"]  # one parallel octave outweighs 25 overlaps


def test_lead_sheet_roots_are_spelled_so_the_chord_keeps_the_keys_letters():
    from midistyle.music.lead_sheet import lead_sheet_symbols

    # C major, one chord per bar: E-flat major (not D# major, F## third), A-flat major over C,
    # D# diminished (vii of iii, not E-flat diminished), and in D minor the Picardy D major
    chords = satb([67, 75, 69], [63, 68, 66], [58, 63, 63], [51, 48, 51], unit=16)
    assert [s.figure for s in lead_sheet_symbols(chords)] == ["Eb", "Ab/C", "D#dim"]
    picardy = satb([66, 66], [62, 62], [57, 57], [50, 50], unit=16, key=Key.parse("D minor"))
    assert [s.figure for s in lead_sheet_symbols(picardy)] == ["D"]


def test_a_lead_sheet_slash_follows_the_bass_part_not_a_tenor_crossing_under_it():
    from midistyle.music.lead_sheet import lead_sheet_symbols

    # bar 1: C major, the tenor's G2 under the bass's C3 (as bwv364's tenor E3 under its A3); bar 2: C/E
    crossed = satb([72, 72], [64, 67], [43, 60], [48, 52], unit=16)
    assert [s.figure for s in lead_sheet_symbols(crossed)] == ["C", "C/E"]


def test_opening_on_a_root_position_tonic():
    from midistyle.music.cadences import opens_on_tonic

    assert opens_on_tonic(CLEAN, C_MAJOR)
    assert not opens_on_tonic(CLEAN, Key(1, "major"))  # in G major, C major is IV
    first_inversion = satb([72, 72], [67, 69], [60, 65], [52, 53])  # C/E
    assert not opens_on_tonic(first_inversion, C_MAJOR)
    soprano_alone_first = Score(make_voices([[Note(0, 67, 4), Note(4, 72, 4)], [Note(4, 64, 4)], [Note(4, 55, 4)],
                                             [Note(4, 48, 4)]]), key=C_MAJOR)
    assert opens_on_tonic(soprano_alone_first, C_MAJOR)  # the first chord where every voice sounds
    a_minor = satb([72, 71], [64, 64], [57, 56], [45, 52], key=A_MINOR)
    assert opens_on_tonic(a_minor, A_MINOR) and not opens_on_tonic(a_minor, C_MAJOR)
