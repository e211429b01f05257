"""Generated chorales in phrases: a plan drawn from Bach's, cadences at phrase ends, held fermata chords."""

import json

import numpy as np
import pytest

from midistyle.cli import main
from midistyle.errors import InputError
from midistyle.music.cadences import cadence_at, home_key
from midistyle.music.harmony import critique
from midistyle.music.io import read_score, write_score
from midistyle.music.phrase_plan import PHRASE_LENGTHS_PATH, PhrasePlan, hold_phrase_ends, plan_phrases
from midistyle.music.score import Key, Note, Score, make_voices

BAR, BEAT, PICKUP = 16, 4, 4  # 4/4 on 16ths, a one-beat pickup


def _plan(seed=0, **length):
    return plan_phrases((4, 4), BAR, BEAT, PICKUP, rng=np.random.default_rng(seed), **length)


def test_a_plan_of_n_bars_ends_on_beat_3_of_bar_n_as_bachs_do_after_a_pickup():
    for seed in range(20):
        plan = _plan(seed, bars=16)
        assert plan.end_step == PICKUP + 16 * BAR and plan.bars == 16
        assert plan.final_step == PICKUP + 15 * BAR + 2 * BEAT  # held two beats, to the bar line
        gaps = np.diff([PICKUP - BEAT, *plan.ends]) / BEAT
        assert list(plan.ends) == sorted(set(plan.ends)) and gaps.min() >= 4  # no phrase under a bar
        assert all((end - PICKUP) % BEAT == 0 for end in plan.ends)  # fermatas on beats
        assert 5 <= len(plan.ends) <= 10  # Bach's 16-bar chorales have about 8
    assert _plan(3, bars=16) == _plan(3, bars=16) and _plan(3, bars=16) != _plan(4, bars=16)


def test_a_plan_of_k_phrases_has_k_fermatas_and_holds_the_last_chord_at_least_a_beat():
    for phrases in (1, 2, 4, 7):
        plan = _plan(1, phrases=phrases)
        assert len(plan.ends) == phrases
        assert plan.end_step - plan.final_step >= BEAT and (plan.end_step - PICKUP) % BAR == 0
    assert "4 phrases, fermatas at" in _plan(1, phrases=4).describe()


def test_a_prompts_fermatas_stay_and_new_ones_follow_it():
    plan = _plan(2, bars=8, kept_ends=(PICKUP + BAR + 2 * BEAT,), start_step=PICKUP + 2 * BAR)
    assert plan.ends[0] == PICKUP + BAR + 2 * BEAT and all(e >= PICKUP + 2 * BAR for e in plan.ends[1:])


@pytest.mark.parametrize("length", [dict(bars=0), dict(phrases=0), dict(bars=65), dict(bars=4, phrases=2), {}])
def test_impossible_lengths_are_refused(length):
    with pytest.raises(InputError):
        _plan(0, **length)


def test_bachs_phrase_table_is_what_the_train_split_gives():
    from midistyle.data.chorales import load_chorales
    from midistyle.data.phrase_lengths import phrase_statistics

    committed = json.loads(PHRASE_LENGTHS_PATH.read_text())
    assert committed["groups"] == phrase_statistics(load_chorales("train"))
    pickup = committed["groups"]["4/4, pickup 1"]
    assert max(pickup["gaps"], key=pickup["gaps"].get) == "8"  # two bars from fermata to fermata


def _score(voices: list[list[tuple[int, int, int]]], steps: int = 2 * BAR) -> Score:
    notes = [[Note(onset, pitch, duration) for onset, pitch, duration in voice] for voice in voices]
    return Score(voices=make_voices(notes), time_signature=(4, 4), steps_per_quarter=4, key=Key(0, "major"))


def test_holding_a_phrase_end_keeps_its_chord_a_beat_and_the_final_chord_to_the_end():
    # soprano moves in eighths through the fermata at step 8; bass holds; the final chord at 24
    soprano = [(0, 67, 8), (8, 64, 2), (10, 65, 2), (12, 67, 4), (16, 65, 8), (24, 64, 2), (26, 62, 2)]
    score = _score([soprano, [(0, 60, 8), (8, 60, 8), (16, 59, 8), (24, 55, 8)],
                    [(0, 55, 16), (16, 55, 8), (24, 52, 8)], [(0, 48, 8), (8, 48, 8), (16, 43, 8), (24, 36, 8)]])
    plan = PhrasePlan((8, 24), 32, "4/4, pickup 0", BAR, BEAT, 0)
    held, changed = hold_phrase_ends(score, plan)
    top = [(n.onset_step, n.pitch, n.duration_steps) for n in held.voices[0].notes]
    assert top == [(0, 67, 8), (8, 64, 4), (12, 67, 4), (16, 65, 8), (24, 64, 8)]
    assert held.fermata_steps == (8, 24) and changed == 4  # both Es lengthened, the F under one and the D after gone
    assert not [m for m in critique(held).marks if m.rule == "ending_not_held"]


def test_cadence_at_names_v_i_at_a_planned_end():
    score = _score([[(0, 74, 8), (8, 72, 8)], [(0, 67, 8), (8, 67, 8)], [(0, 59, 8), (8, 64, 8)],
                    [(0, 43, 8), (8, 48, 8)]], steps=16)
    cadence = cadence_at(score, 8, Key(0, "major"))
    assert cadence.kind == "authentic" and cadence.on_tonic and cadence.root_position and cadence.perfect


@pytest.mark.parametrize("bass, soprano, why", [
    ((47, 48), (74, 72), "V6-I: the bass rises from the leading tone"),
    ((43, 60), (74, 72), "the bass leaps up an eleventh (the critic's leap beyond an octave)"),
    ((43, 48), (74, 76), "the soprano ends on the third"),
    ((43, 48), (74, 72), "the tonic chord has no third (the tenor on G)"),
])
def test_a_v_i_that_a_teacher_would_not_call_perfect_is_not(bass, soprano, why):
    tenor = 55 if "no third" in why else 64
    score = _score([[(0, soprano[0], 8), (8, soprano[1], 8)], [(0, 67, 8), (8, 67, 8)],
                    [(0, 59, 8), (8, tenor, 8)], [(0, bass[0], 8), (8, bass[1], 8)]], steps=16)
    cadence = cadence_at(score, 8, Key(0, "major"))
    assert cadence.kind == "authentic" and cadence.on_tonic and cadence.root_position, why
    assert not cadence.perfect, why


def test_no_cadence_is_read_where_the_music_has_stopped():
    # the V-I chord ends at step 16: at step 20 every voice rests, and the chord before is not
    # the phrase's last chord (a sampler reading it so wrote pieces ending on rests, no fermata)
    score = _score([[(0, 74, 8), (8, 72, 8)], [(0, 67, 8), (8, 67, 8)], [(0, 59, 8), (8, 64, 8)],
                    [(0, 43, 8), (8, 48, 8)]], steps=32)
    with pytest.raises(ValueError, match="rests at step 20"):
        cadence_at(score, 20, Key(0, "major"))


@pytest.fixture(scope="module")
def generator():
    from midistyle.models.compose import ChoraleGenerator

    return ChoraleGenerator.load()


def test_a_generated_chorale_has_its_planned_fermatas_and_ends_v_i_on_a_held_tonic(generator):
    for seed in (1, 5, 8):
        result = generator.generate(bars=8, seed=seed)
        score, plan = result.score, result.plan
        assert score.fermata_steps == plan.ends and plan.bars == 8
        assert result.opened_in is None and score.key == home_key(score)  # ended where it opened, written in it
        assert score.num_steps == score.anacrusis_steps + 8 * score.steps_per_bar
        assert result.ending_closed and result.cadences[-1] == "authentic"
        assert len(result.cadences) == len(plan.ends)
        judged = critique(score)
        assert not [m for m in judged.marks if m.rule in ("ending_not_tonic", "ending_not_held")]
        assert judged.cadences[-1].kind == "authentic" and judged.cadences[-1].perfect  # V-I, soprano on the tonic
        for end in plan.ends[:-1]:  # every voice holds the fermata chord a beat
            assert not [n for v in score.voices for n in v.notes if end < n.onset_step < end + plan.beat_steps]


def test_phrases_are_honoured_and_a_prompts_fermatas_kept(generator, test_chorales):
    from midistyle.models.compose import cut_at_step

    assert len(generator.generate(phrases=3, seed=2).score.fermata_steps) == 3
    bach = next(c for c in test_chorales if c.time_signature == (4, 4) and c.fermata_steps
                and c.fermata_steps[0] < c.anacrusis_steps + 3 * c.steps_per_bar)
    opening = cut_at_step(bach, bach.anacrusis_steps + 3 * bach.steps_per_bar).replace(
        fermata_steps=tuple(s for s in bach.fermata_steps if s < bach.anacrusis_steps + 3 * bach.steps_per_bar))
    result = generator.generate(bars=6, seed=4, prompt=opening)
    factor = 4 // opening.steps_per_quarter if opening.steps_per_quarter <= 4 else 1
    assert set(s * factor for s in opening.fermata_steps) <= set(result.score.fermata_steps)


def test_every_fermata_chord_sounds_in_all_four_voices_and_the_piece_fills_its_bars(generator):
    # before cadences were refused on rests: with this prompt and seed the final chord fell in bar 11,
    # bar 12 was silent and the planned final fermata was lost; free seed 3 rested under a fermata
    from midistyle.data.chorales import convert_chorale
    from midistyle.models.compose import cut_at_step

    bach = convert_chorale("bwv66.6")
    opening = cut_at_step(bach, bach.anacrusis_steps + 2 * bach.steps_per_bar).replace(
        fermata_steps=tuple(s for s in bach.fermata_steps if s < bach.anacrusis_steps + 2 * bach.steps_per_bar))
    assert len(opening.fermata_steps) == 2
    prompted, free = generator.generate(bars=12, prompt=opening, seed=4), generator.generate(bars=16, seed=3)
    # the line lists the prompt's fermatas with the plan's, and cadences only for the ends written here
    assert "cadences after the prompt: " in prompted.describe() and "cadences: " in free.describe()
    assert len(prompted.cadences) == len(prompted.plan.ends) - 2
    for result in (prompted, free):
        score, plan = result.score, result.plan
        assert score.fermata_steps == plan.ends and score.num_steps == plan.end_step
        for end in plan.ends:
            assert all(any(n.onset_step <= end < n.end_step for n in v.notes) for v in score.voices), end


def test_cli_phrases_write_fermatas_into_the_musicxml(tmp_path, capsys):
    assert main(["chorale", "-o", str(tmp_path), "--phrases", "2", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "2 phrases, fermatas at" in out and "cadences:" in out
    assert (tmp_path / "chorale_01.musicxml").read_text().count("<fermata") >= 8  # two chords of four notes
    assert len(read_score(tmp_path / "chorale_01.musicxml").fermata_steps) == 2


@pytest.mark.parametrize(("args", "problem"), [(["--phrases", "0"], "--phrases 0 must be in 1..32"),
                                               (["--bars", "0"], "--bars 0 must be in 1..64"),
                                               (["--bars", "4", "--phrases", "2"], "not both")])
def test_cli_bad_lengths_exit_2_with_one_line(args, problem, tmp_path, capsys):
    assert main(["chorale", "-o", str(tmp_path / "out"), *args]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and problem in error and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("meter", "bar", "beat"), [((12, 8), 24, 6), ((2, 4), 8, 4), ((6, 8), 12, 6), ((3, 4), 12, 4)])
def test_meters_without_bachs_own_table_borrow_one_and_end_inside_their_last_bar(meter, bar, beat):
    plan = plan_phrases(meter, bar, beat, 0, rng=np.random.default_rng(1), bars=6)
    assert plan.end_step == 6 * bar and 5 * bar <= plan.final_step < plan.end_step
    assert all(plan.ends[-2] + beat < step < plan.end_step for step in plan.final_choices) if len(plan.ends) > 1 \
        else True


def test_other_places_for_the_final_chord_are_never_inside_a_prompt():
    plan = _plan(0, bars=4, kept_ends=(PICKUP + BAR,), start_step=PICKUP + 3 * BAR + 2 * BEAT)
    assert all(step >= PICKUP + 3 * BAR + 2 * BEAT for step in (plan.final_step, *plan.final_choices))


def test_a_prompt_that_fills_the_bars_asked_for_is_one_line_exit_2(tmp_path, capsys, test_chorales):
    from midistyle.models.compose import cut_at_step

    bach = test_chorales[0]
    opening = cut_at_step(bach, bach.anacrusis_steps + 4 * bach.steps_per_bar)
    write_score(opening, tmp_path / "opening.musicxml")
    assert main(["chorale", "--prompt", str(tmp_path / "opening.musicxml"), "--bars", "2",
                 "-o", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "leaves no room after the prompt" in error
    assert not (tmp_path / "out").exists()


def test_the_home_key_is_the_key_of_the_first_chord():
    g_minor = [[(0, 67, 8), (8, 70, 8)], [(0, 62, 16)], [(0, 58, 16)], [(0, 43, 8), (8, 50, 8)]]
    assert home_key(_score(g_minor, steps=16)) == Key(-2, "minor")
    a_major_first = [[(0, 73, 8), (8, 74, 8)], [(0, 64, 16)], [(0, 57, 8), (8, 59, 8)], [(0, 45, 8), (8, 50, 8)]]
    assert home_key(_score(a_major_first, steps=16)) == Key(3, "major")  # even with C major written on it
    no_triad = [[(0, 67, 8)], [(0, 65, 8)], [(0, 59, 8)], [(0, 55, 8)]]  # a dominant seventh
    assert home_key(_score(no_triad, steps=8)) is None
    open_fifth_then_d_minor = [[(0, 74, 4), (4, 74, 4)], [(0, 69, 4), (4, 69, 4)], [(0, 62, 4), (4, 65, 4)],
                               [(0, 50, 4), (4, 50, 4)]]
    assert home_key(_score(open_fifth_then_d_minor, steps=8)) == Key(-1, "minor")  # the mode from the third


def test_a_continuation_ends_in_its_prompts_key(generator, test_chorales):
    from midistyle.models.compose import cut_at_step
    from midistyle.music.score import pitch_class_of

    bach = next(c for c in test_chorales if c.title == "bwv420")  # in A minor
    opening = cut_at_step(bach, bach.anacrusis_steps + 2 * bach.steps_per_bar)

    def final_root(result):
        return pitch_class_of(critique(result.score).cadences[-1].chords[1].split()[0])

    drifted = generator.generate(bars=8, seed=14, prompt=opening, keep_home_key=False)
    assert final_root(drifted) == 0 and drifted.score.key == Key(0, "major")  # it ended in C major
    kept = generator.generate(bars=8, seed=14, prompt=opening)
    assert final_root(kept) == 9 and kept.score.key == Key(0, "minor") and kept.ending_closed
    assert "(A minor)" in kept.describe()
    # moved to another tonic, it is written in the moved key (its mode kept) and still ends on its tonic
    moved = generator.generate(bars=8, seed=14, prompt=opening, key="D major")
    assert moved.score.key == Key(-1, "minor") and final_root(moved) == 2
    assert moved.score.voices[0].notes[0].pitch == kept.score.voices[0].notes[0].pitch + 5


def test_a_voice_rests_after_a_fermata_chord_but_not_inside_a_phrase():
    # alto: a rest inside the first phrase (steps 4-6) and one after its fermata chord (12-16);
    # tenor: a rest before from_step (a prompt's), kept as written, and one across the fermata at 8
    soprano = [(0, 67, 8), (8, 69, 8), (16, 71, 8), (24, 72, 8)]
    alto = [(0, 64, 4), (6, 62, 2), (8, 64, 4), (16, 67, 8), (24, 67, 8)]
    tenor = [(0, 60, 2), (3, 59, 3), (10, 60, 6), (16, 62, 8), (24, 64, 8)]
    bass = [(0, 48, 8), (8, 45, 8), (16, 43, 8), (24, 48, 8)]
    plan = PhrasePlan((8, 24), 32, "4/4, pickup 0", BAR, BEAT, 0)
    held, _ = hold_phrase_ends(_score([soprano, alto, tenor, bass], steps=32), plan, from_step=3)
    alto_held = [(n.onset_step, n.end_step) for n in held.voices[1].notes]
    assert alto_held[:2] == [(0, 6), (6, 8)]  # held over the rest inside the phrase
    assert (8, 12) in alto_held and (16, 24) in alto_held  # the breath after the fermata chord stays
    # the note after the rest across the fermata starts when the held beat ends; the B before it is not
    # held under the fermata chord
    assert [(n.onset_step, n.end_step) for n in held.voices[2].notes][:3] == [(0, 2), (3, 6), (12, 16)]


def test_generated_chorales_rest_only_after_a_fermata(generator):
    # a rest across a fermata is left by the filling too, but these seeds write none
    for seed in (1, 3, 4):  # each had the whole choir silent for a beat inside a phrase
        score = generator.generate(bars=16, seed=seed).score
        for voice in score.voices:
            for note, following in zip(voice.notes, voice.notes[1:]):
                if note.end_step < following.onset_step:
                    after_fermata = any(note.onset_step <= end < note.end_step for end in score.fermata_steps)
                    assert after_fermata, (seed, voice.name, note)


def test_a_continuation_that_cannot_get_home_closes_perfectly_in_its_own_key_and_says_so(generator, test_chorales):
    from midistyle.models.compose import cut_at_step

    bach = next(c for c in test_chorales if c.title == "bwv177.5")  # opens on D major
    opening = cut_at_step(bach, bach.anacrusis_steps + 2 * bach.steps_per_bar)
    away = generator.generate(bars=8, seed=8, prompt=opening)
    final = critique(away.score).cadences[-1]
    assert away.opened_in == Key(2, "major") and away.score.key == Key(1, "major")  # closed in G major instead
    assert away.ending_closed and final.perfect and final.on_tonic
    assert "(G major), not in D major, the key it opened in" in away.describe()
    moved = generator.generate(bars=8, seed=8, prompt=opening, key="C major")  # both keys move up a fourth
    assert moved.score.key == Key(0, "major") and moved.opened_in == Key(1, "major")
    assert critique(moved.score).cadences[-1].on_tonic and "not in G major" in moved.describe()


def test_a_free_chorale_opens_on_its_tonic_chord_and_ends_on_it(generator):
    # seeds whose pieces, without the rule, open on another chord and end in another key (tested)
    from midistyle.models.compose import opens_on_its_tonic

    for seed in (3, 9):  # 9 opens and ends in F minor
        for keep_home_key in (True, False):
            score = generator.generate(bars=8, seed=seed, keep_home_key=keep_home_key).score
            final = critique(score.replace(key=home_key(score))).cadences[-1]
            assert opens_on_its_tonic(score) == keep_home_key, seed
            assert (final.on_tonic and final.perfect) == keep_home_key, seed


def test_the_home_key_bias_penalizes_notes_outside_the_key_and_favours_a_minor_leading_tone():
    from midistyle.models.home_key_bias import home_key_bias

    pitches = [(), (60,), (61,), (67, 72), (68,), (66,), (69, 61), (70,), (63, 68), (67, 68), (67, 63)]
    # no note; C; C#; G+C; G#; F#; A+C#; Bb; Eb+G#; G+G#; G+Eb
    assert list(home_key_bias(pitches, Key(0, "major"))) == [0, 0, -3, 0, -3, -3, -3, -3, -3, -3, -3]
    # A minor: G and G# (natural and raised seventh), F# (raised sixth) and C# (the Picardy third) are
    # in; G# is favoured, unless the id also writes a note outside the key; G without G# (the relative
    # major's dominant) loses more than a note outside the key, with one too
    assert list(home_key_bias(pitches, Key(0, "minor"))) == [0, 0, 0, -4.5, 3, 0, 0, -3, -3, 3, -4.5]


def test_the_committed_train_bars_are_the_train_splits():
    from midistyle.data.train_bars import train_bar_hashes_from_dataset
    from midistyle.music.bar_quotes import train_bar_hashes

    assert train_bar_hashes() == frozenset(int(h) for h in train_bar_hashes_from_dataset())


def test_a_chorale_quotes_no_more_than_two_bars_of_bachs_train_chorales(generator):
    from midistyle.data.chorales import load_chorales
    from midistyle.evaluation.chorale_report import longest_copied_run, training_bar_set

    known = training_bar_set(load_chorales("train"))
    # seed 64 of the chorale benchmark opened with pickup, bar 1 and bar 2 each found in training
    assert longest_copied_run(generator.generate(bars=16, seed=64).score, known) <= 2
    assert longest_copied_run(generator.generate(bars=16, seed=64, avoid_quotes=False).score, known) == 3


def test_cli_allow_quotes_reaches_the_generator(monkeypatch, tmp_path):
    from midistyle.models import compose

    seen = []

    def generate(self, **options):  # records what the command asked for, then stops it
        seen.append(options["avoid_quotes"])
        raise InputError("stop here")

    monkeypatch.setattr(compose.ChoraleGenerator, "generate", generate)
    assert main(["chorale", "-o", str(tmp_path / "out"), "--bars", "2", "--allow-quotes"]) == 2
    assert seen == [False] and not (tmp_path / "out").exists()


def test_a_run_of_quoted_bars_counts_only_where_the_draw_changed_a_bar():
    from midistyle.data.chorales import load_chorales
    from midistyle.models.compose import ChoraleGenerator
    from midistyle.music.bar_quotes import bar_signatures

    bach = [s for s in bar_signatures(load_chorales("train")[0]) if s is not None][:3]  # three of his bars
    new = ((0, 0, 0, 3), (1, 1, 5, 2))  # a bar no chorale has
    quotes = ChoraleGenerator._quotes
    assert quotes([*bach, new], bach[:2]) is True  # the draw wrote the third bar of the run
    assert quotes([*bach, new], bach) is False  # the run was there before: not this draw's
    assert quotes([*bach, new], [*bach[:2], new]) is True  # a bar the draw changed (its notes cut short)
    assert quotes([bach[0], new, *bach[1:], new], [bach[0], new]) is False  # two in a row are allowed
