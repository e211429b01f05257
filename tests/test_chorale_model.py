"""The chorale language models: shapes, cached sampling equals uncached, tiny configs learn."""

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from midistyle.models.chorale import ChoraleConfig, build_model  # noqa
from midistyle.models.chorale_sampling import TokenSampler, filter_logits, generate_tokens  # noqa: E402

TINY = dict(vocab_size=120, d_model=32, heads=2, layers=2, ff_dim=64, lstm_units=32, lstm_layers=1, context=96,
            dropout=0.0)


@pytest.mark.parametrize("kind", ["transformer", "lstm"])
def test_cached_and_uncached_sampling_give_identical_tokens(kind):
    model = build_model(ChoraleConfig(model=kind, **TINY))
    runs = [generate_tokens(model, [1, 4, 9], max_new_tokens=30, rng=np.random.default_rng(5), temperature=1.0,
                            top_k=40, use_cache=cache) for cache in (True, False)]
    assert runs[0] == runs[1] and len(runs[0]) == 33


@pytest.mark.parametrize("kind", ["transformer", "lstm"])
def test_step_with_cache_matches_the_full_forward_pass(kind):
    model = build_model(ChoraleConfig(model=kind, **TINY))
    tokens = np.random.default_rng(0).integers(0, TINY["vocab_size"], (2, 20)).astype("int32")
    full = np.asarray(model(tokens))
    logits, cache = model.step(tokens[:, :7], None, 0)
    parts = [np.asarray(logits)]
    for i in range(7, 20):
        logits, cache = model.step(tokens[:, i : i + 1], cache, i)
        parts.append(np.asarray(logits))
    np.testing.assert_allclose(np.concatenate(parts, axis=1), full, atol=1e-4)
    assert full.shape == (2, 20, TINY["vocab_size"])


@pytest.mark.parametrize("kind", ["transformer", "lstm"])
def test_tiny_models_learn_chorale_tokens(kind, test_chorales):
    import keras

    from midistyle.music.tokens import TokenizerConfig, build_tokenizer

    keras.utils.set_random_seed(0)
    tokenizer = build_tokenizer(TokenizerConfig())
    sequences = [tokenizer.encode(c)[:65] for c in test_chorales[:16]]
    data = np.array(sequences, dtype="int32")
    config = ChoraleConfig(model=kind, **{**TINY, "vocab_size": tokenizer.vocab_size})
    model = build_model(config)
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(data[:, :-1], data[:, 1:], batch_size=8, epochs=15, verbose=0).history["loss"]
    assert history[-1] < history[0] * 0.8


def test_filter_logits_top_k_and_top_p():
    logits = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    assert np.count_nonzero(filter_logits(logits, temperature=1.0, top_k=2, top_p=None)) == 2
    p = filter_logits(logits, temperature=1.0, top_k=None, top_p=0.7)
    np.testing.assert_allclose(p, [0.5 / 0.8, 0.3 / 0.8, 0, 0])


@pytest.mark.parametrize("kind", ["transformer", "lstm"])
def test_a_batched_draw_that_stops_early_keeps_its_own_state(kind):
    """Side-by-side redraws step on together; a row that stopped must not carry the later steps
    (an LSTM's state would take in its last token again and again)."""
    model = build_model(ChoraleConfig(model=kind, **TINY))
    prompt, asked = [1, 4, 9, 7], []

    def first_row_once(tokens, voices=None):
        if len(tokens) >= len(prompt) + 4 and not asked:
            asked.append(True)
            return True
        return False

    sampler = TokenSampler(model, prompt, rng=np.random.default_rng(2), temperature=1.0)
    candidates = sampler.draw_candidates(2, 16, should_stop=first_row_once, check_every=4)
    assert [len(tokens) for tokens, *_ in candidates] == [len(prompt) + 4, len(prompt) + 16]
    step = model.step_function()
    for tokens, window_start, cache, _ in candidates:
        position = np.int32(len(tokens) - 1 - window_start)
        logits, _ = step(np.array([[tokens[-1]]], np.int32), cache, position)
        fresh = TokenSampler(model, tokens, rng=np.random.default_rng(0))
        fresh._fill_cache()
        expected, _ = step(np.array([[tokens[-1]]], np.int32), fresh.cache, position)
        np.testing.assert_allclose(np.asarray(logits), np.asarray(expected), atol=1e-5)
