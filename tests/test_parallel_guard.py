"""The parallel guard: it follows the chorale tokens as the critic reads the score, and sampling with it
writes no parallel fifths or octaves (shipped tokenizer and ONNX model)."""

import numpy as np
import pytest

from midistyle.models.chorale_sampling import TokenSampler
from midistyle.models.compose import ChoraleGenerator
from midistyle.models.parallel_guard import ParallelGuard
from midistyle.music.harmony import critique
from midistyle.music.score import Note, Score, make_voices

PARALLELS = ("parallel_fifths", "parallel_octaves")


@pytest.fixture(scope="module")
def generator():
    return ChoraleGenerator.load()


@pytest.fixture(scope="module")
def guard(generator):
    return ParallelGuard(generator.tokenizer)


def _refusals(guard, ids) -> int:
    """How many of ``ids`` the guard refuses, replaying them in order."""
    state, refused = guard.start([]), 0
    for token in ids:
        refused += not guard.allows(state, token)
        guard.advance(state, token)
    return refused


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
    for chorale in test_chorales[:12]:
        ids = tokenizer.encode(chorale)
        marks = [m for m in critique(tokenizer.decode(ids)).marks if m.rule in PARALLELS]
        refused = _refusals(guard, ids)
        # one token may write two notes, each in parallels with another voice: it is refused once
        assert (refused > 0) == (len(marks) > 0) and refused <= len(marks), chorale.title


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
        for seed in range(3):
            score = generator.generate(bars=4, seed=seed, voice_leading_retries=0, **options).score
            found += sum(m.rule in PARALLELS for m in critique(score).marks)
        return found

    assert parallels(parallel_guard=False) > 0
    assert parallels() == 0
