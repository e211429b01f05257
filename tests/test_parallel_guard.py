"""The parallel guard: it follows the chorale tokens as the critic reads the score, and sampling with it
writes no parallel fifths or octaves (shipped tokenizer and ONNX model)."""

import numpy as np
import pytest

from midistyle.models.chorale_sampling import TokenSampler
from midistyle.models.compose import ChoraleGenerator
from midistyle.models.parallel_guard import ParallelGuard
from midistyle.music.harmony import critique
from midistyle.music.score import Key, Note, Score, make_voices

PARALLELS = ("parallel_fifths", "parallel_octaves")


@pytest.fixture(scope="module")
def generator():
    return ChoraleGenerator.load()


@pytest.fixture(scope="module")
def guard(generator):
    return ParallelGuard(generator.tokenizer)


def _refused_steps(guard, ids, key=None) -> list[int]:
    """The onset step (16ths) of each of ``ids`` the guard refuses, replaying them in order (spelling
    in ``key`` when given)."""
    state, refused = guard.start([]), []
    state.key = key
    for token in ids:
        allowed = guard.allows(state, token)
        guard.advance(state, token)
        if not allowed:  # the id's last position is where its note goes (1/16-quarter units -> 16ths)
            refused.append((state.bar_start + state.position) // 4)
    return refused


def _refusals(guard, ids) -> int:
    return len(_refused_steps(guard, ids))


def _four_voices(soprano, bass) -> Score:
    """Half notes: the soprano and bass given, alto and tenor holding one chord tone each."""
    def line(pitches):
        return [Note(8 * i, p, 8) for i, p in enumerate(pitches)]
    alto, tenor = [Note(0, 65, 8 * len(soprano))], [Note(0, 57, 8 * len(soprano))]
    return Score(make_voices([line(soprano), alto, tenor, line(bass)]), time_signature=(4, 4))


def test_the_guard_refuses_the_token_that_writes_parallel_fifths_and_nothing_else(generator, guard):
    tokenizer = generator.tokenizer
    fifths = _four_voices([72, 74, 72], [53, 55, 48])  # C5/F3 -> D5/G3: fifths, both rising; then contrary
    contrary = _four_voices([72, 74, 72], [53, 43, 48])  # C5/F3 -> D5/G2: fifths by contrary motion (allowed)
    assert [m.rule for m in critique(fifths).marks if m.rule in PARALLELS] == ["parallel_fifths"]
    assert _refusals(guard, tokenizer.encode(fifths)) == 1
    assert "contrary_fifths_octaves" in [m.rule for m in critique(contrary).marks]
    assert not [m for m in critique(contrary).marks if m.rule in PARALLELS]
    assert _refusals(guard, tokenizer.encode(contrary)) == 0


def test_the_guard_reads_bach_as_the_critic_does(generator, guard, test_chorales):
    tokenizer = generator.tokenizer
    found = 0
    for chorale in test_chorales:
        ids = tokenizer.encode(chorale)
        marked = {m.step for m in critique(tokenizer.decode(ids)).marks if m.rule in PARALLELS}
        # where the critic marks parallels, the guard refuses the id that writes them (one id writing two
        # notes, each in parallels with another voice, is refused once), and nowhere else
        assert set(_refused_steps(guard, ids)) == marked, chorale.title
        found += len(marked)
    assert found >= 10  # Bach's test chorales have a dozen


def test_two_notes_of_one_voice_at_one_onset_are_read_as_the_generator_keeps_them():
    from midistyle.models.parallel_guard import VoiceState, _feed, _makes_parallel

    def soprano_after_bass(*bass_pitches):  # C5 over F3, then the bass writes these notes at once on beat 2
        state = VoiceState()
        tokens = [("Bar", None), ("TimeSig", (4, 4)), ("Position", 0), ("Program", 0), ("Pitch", 72),
                  ("Duration", (1, 0, 4)), ("Program", 3), ("Pitch", 53), ("Duration", (1, 0, 4)),
                  ("Position", 4), ("Program", 3)]
        for pitch in bass_pitches:
            tokens += [("Pitch", pitch), ("Duration", (1, 0, 4))]
        for kind, value in tokens:
            _feed(state, kind, value)
        state.voice = 0
        return state

    # make_monophonic keeps the bass's lowest note: A3 and G3 together are G3, a fifth under D5
    assert _makes_parallel(soprano_after_bass(57, 55), 0, 74)
    assert _makes_parallel(soprano_after_bass(55, 57), 0, 74)
    assert not _makes_parallel(soprano_after_bass(55, 52), 0, 74)  # G3 and E3: E3


def test_a_batch_of_guarded_draws_draws_what_one_guarded_draw_draws(generator, guard, test_chorales):
    tokenizer = generator.tokenizer
    prompt = [tokenizer.bos_id, *tokenizer.encode(test_chorales[0])[:40]]

    def sampler():
        return TokenSampler(generator.model, list(prompt), rng=np.random.default_rng(5), temperature=0.8,
                            top_p=0.95, guard=guard)

    alone = sampler()
    expected = [alone.next_token() for _ in range(40)]
    (candidate,) = sampler().draw_candidates(1, 40)
    assert candidate[0] == prompt + expected
    restored = sampler()
    restored.restore(candidate)
    assert restored.voices == alone.voices  # the guard's state travels with the snapshot


def test_chorales_sampled_with_the_guard_have_no_parallels_without_it_they_do(generator):
    def parallels(**options):
        found = 0
        for seed in range(4, 7):  # seeds whose pieces, unguarded, write parallels (checked)
            score = generator.generate(bars=4, seed=seed, voice_leading_retries=0, **options).score
            found += sum(m.rule in PARALLELS for m in critique(score).marks)
        return found

    assert parallels(parallel_guard=False) > 0
    assert parallels() == 0


KEYED = ("cross_relation", "augmented_diminished_interval")


def test_in_a_key_the_guard_also_refuses_what_the_critic_spells_as_cross_relations_and_awkward_steps(
        generator, guard, test_chorales):
    """Replaying Bach: the guard refuses exactly the notes the critic marks with parallels or
    augmented/diminished steps in the key it reads, and with cross-relations in that key or in a key
    the guard also spells in (its parallel, dominant, subdominant)."""
    from midistyle.models.parallel_guard import _spellings
    from midistyle.music.keys import estimate_key, letters_in_key

    tokenizer = generator.tokenizer
    found = {rule: 0 for rule in KEYED}
    widened = 0
    for chorale in test_chorales:
        ids = tokenizer.encode(chorale)
        decoded = tokenizer.decode(ids)
        key = decoded.key if decoded.key is not None else estimate_key(decoded)  # the key the critic reads
        marks = critique(decoded).marks
        for rule in KEYED:
            found[rule] += sum(m.rule == rule for m in marks)
        marked = {m.step for m in marks if m.rule in PARALLELS + KEYED}
        others = [Key(sharps, mode) for sharps in range(-7, 8) for mode in ("major", "minor")
                  if letters_in_key(sharps, mode) in _spellings(key)[1:]]
        crossed = {m.step for other in others for m in critique(decoded.replace(key=other)).marks
                   if m.rule == "cross_relation"}
        refused = set(_refused_steps(guard, ids, key))
        assert refused == marked | crossed, chorale.title
        widened += len(refused - marked)
    assert found["cross_relation"] >= 1 and found["augmented_diminished_interval"] >= 20
    assert widened > 0  # the other spellings refuse notes the key's own does not


def _alto_after_c5(beats: int, key):
    """A guard state where the alto sang C5 for ``beats`` beats from beat 1 and starts its next note
    on beat 2 (an overlap when the C5 lasts 2 beats)."""
    from midistyle.models.parallel_guard import VoiceState, _feed

    state = VoiceState(key=key)
    for kind, value in [("Bar", None), ("TimeSig", (4, 4)), ("Position", 0), ("Program", 1), ("Pitch", 72),
                        ("Duration", (beats, 0, 4)), ("Position", 4), ("Program", 1)]:
        _feed(state, kind, value)
    return state


def test_awkward_steps_are_read_as_the_critic_reads_them_after_an_overlap_and_past_an_octave():
    from midistyle.models.parallel_guard import _augmented_or_diminished
    from midistyle.music.score import Key

    c_major = Key(0, "major")
    # C5 -> F#4, a tritone: refused whether the C5 ends on beat 2 or overlaps it (the generator trims
    # an overlap to end there, and the critic then reads the step)
    assert _augmented_or_diminished(_alto_after_c5(1, c_major), 1, 66)
    assert _augmented_or_diminished(_alto_after_c5(2, c_major), 1, 66)
    # C5 -> F#3, a tritone and an octave: the critic marks a leap beyond an octave, not this rule
    assert not _augmented_or_diminished(_alto_after_c5(1, c_major), 1, 54)
    assert not _augmented_or_diminished(_alto_after_c5(1, c_major), 1, 67)  # C5 -> G4, a fourth


def test_the_guard_knows_how_far_the_tokens_have_got_as_decoding_them_does(generator, guard, test_chorales):
    # the sampler stops a draw just past a phrase end by this reading, instead of decoding every 4 tokens
    from midistyle.models.parallel_guard import UNITS_PER_WHOLE

    tokenizer = generator.tokenizer
    units_per_step = UNITS_PER_WHOLE // 4 // tokenizer.config.steps_per_quarter
    sampler = TokenSampler(generator.model, [tokenizer.bos_id], rng=np.random.default_rng(3), temperature=1.0,
                           banned_tokens=(tokenizer.eos_id, tokenizer.pad_id))
    drawn = [sampler.next_token() for _ in range(160)]  # the network's own orders, unguarded
    sequences = [tokenizer.encode(c) for c in test_chorales[:6]] + [[tokenizer.bos_id, *drawn]]
    checked = 0
    for ids in sequences:
        state = guard.start([])
        for length, token in enumerate(ids, start=1):
            guard.advance(state, token)
            if length % 3 == 0:
                assert state.next_onset_step(units_per_step) == tokenizer.next_onset_step(ids[:length]), length
                checked += 1
    assert checked > 500
