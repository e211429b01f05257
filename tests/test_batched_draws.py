"""Redraws side by side: a batch of continuations, each as if it had been drawn alone (shipped ONNX model)."""

import numpy as np
import pytest

from midistyle.models.chorale_sampling import TokenSampler
from midistyle.models.compose import ChoraleGenerator


@pytest.fixture(scope="module")
def generator():
    return ChoraleGenerator.load()


def _sampler(generator, prompt, seed):
    return TokenSampler(generator.model, list(prompt), rng=np.random.default_rng(seed), temperature=0.8, top_p=0.95)


@pytest.fixture(scope="module")
def prompt(generator, test_chorales):
    tokenizer = generator.tokenizer
    return [tokenizer.bos_id, *tokenizer.encode(test_chorales[0])[:40]]


def test_one_candidate_draws_what_next_token_draws(generator, prompt):
    alone = _sampler(generator, prompt, seed=3)
    expected = [alone.next_token() for _ in range(24)]
    (candidate,) = _sampler(generator, prompt, seed=3).draw_candidates(1, 24)
    assert candidate[0] == prompt + expected


def test_each_candidate_carries_its_own_cache(generator, prompt):
    sampler = _sampler(generator, prompt, seed=4)
    before = sampler.snapshot()
    candidates = sampler.draw_candidates(4, 20)
    assert sampler.tokens == before[0]  # the sampler's own state is left as it was
    assert len({tuple(tokens) for tokens, *_ in candidates}) > 1  # they differ from each other
    step = generator.model.step_function()
    for tokens, window_start, cache, _ in candidates:
        position = np.int32(len(tokens) - 1 - window_start)
        logits, _ = step(np.array([[tokens[-1]]], np.int32), cache.copy(), position)
        fresh = _sampler(generator, tokens, seed=0)
        fresh._fill_cache()  # the cache built token by token from the candidate's tokens alone
        expected, _ = step(np.array([[tokens[-1]]], np.int32), fresh.cache, position)
        np.testing.assert_allclose(logits, expected, atol=1e-4)


def test_a_candidate_stops_when_asked_and_keeps_the_cache_of_where_it_stopped(generator, prompt):
    start, asked = len(prompt), []

    def first_row_once(tokens, voices=None):  # rows are asked in order: the first long enough stops, no other
        if len(tokens) >= start + 8 and not asked:
            asked.append(True)
            return True
        return False

    sampler = _sampler(generator, prompt, seed=5)
    candidates = sampler.draw_candidates(2, 32, should_stop=first_row_once, check_every=4)
    assert [len(tokens) - start for tokens, *_ in candidates] == [8, 32]
    step = generator.model.step_function()
    for tokens, window_start, cache, _ in candidates:
        position = np.int32(len(tokens) - 1 - window_start)
        logits, _ = step(np.array([[tokens[-1]]], np.int32), cache.copy(), position)
        fresh = _sampler(generator, tokens, seed=0)
        fresh._fill_cache()
        expected, _ = step(np.array([[tokens[-1]]], np.int32), fresh.cache, position)
        np.testing.assert_allclose(logits, expected, atol=1e-4)
