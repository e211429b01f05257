import pytest

from midistyle.errors import InputError
from midistyle.music.tokens import ScoreTokenizer, TokenizerConfig, build_tokenizer

CONFIGS = {
    "remi": TokenizerConfig(),
    "tsd": TokenizerConfig(scheme="TSD"),
    "remi-bpe": TokenizerConfig(bpe_vocab_size=600),
    "tsd-bpe": TokenizerConfig(scheme="TSD", bpe_vocab_size=600),
}


@pytest.fixture(scope="module", params=list(CONFIGS), ids=list(CONFIGS))
def tokenizer(request, all_chorales):
    config = CONFIGS[request.param]
    tokenizer = build_tokenizer(config)
    if config.bpe_vocab_size:
        tokenizer.train_bpe(all_chorales[:60])
    return tokenizer


def test_round_trip_keeps_every_note_and_the_pickup(tokenizer, test_chorales):
    for chorale in test_chorales:
        back = tokenizer.decode(tokenizer.encode(chorale))
        assert [v.notes for v in back.voices] == [v.notes for v in chorale.voices], chorale.title
        assert back.anacrusis_steps == chorale.anacrusis_steps
        assert back.time_signature == chorale.time_signature


def test_bpe_shortens_sequences(all_chorales, test_chorales):
    plain = build_tokenizer()
    trained = build_tokenizer(TokenizerConfig(bpe_vocab_size=600))
    trained.train_bpe(all_chorales[:60])
    plain_length = sum(len(plain.encode(c)) for c in test_chorales)
    trained_length = sum(len(trained.encode(c)) for c in test_chorales)
    assert trained.vocab_size == 600
    assert trained_length < 0.6 * plain_length


def test_save_and_load_rebuild_the_same_tokenizer(tokenizer, test_chorales, tmp_path):
    path = tokenizer.save(tmp_path / "tokenizer.json")
    loaded = ScoreTokenizer.load(path)
    assert loaded.config == tokenizer.config
    assert loaded.encode(test_chorales[0]) == tokenizer.encode(test_chorales[0])
    assert loaded.fingerprint() == tokenizer.fingerprint()


def test_fingerprints_tell_apart_tokenizers_that_encode_differently(all_chorales):
    remi, tsd = build_tokenizer(), build_tokenizer(TokenizerConfig(scheme="TSD"))
    fewer, more = (build_tokenizer(TokenizerConfig(bpe_vocab_size=600)) for _ in range(2))
    fewer.train_bpe(all_chorales[:20])
    more.train_bpe(all_chorales[:40])  # the same vocabulary size, other merges
    prints = {t.fingerprint() for t in (remi, tsd, fewer, more)}
    assert len(prints) == 4
    assert build_tokenizer().fingerprint() == remi.fingerprint()


def test_config_json_round_trip():
    config = TokenizerConfig(scheme="TSD", pitch_range=(30, 90), bpe_vocab_size=800)
    assert TokenizerConfig.from_json(config.to_json()) == config


def test_bad_inputs(tmp_path):
    with pytest.raises(InputError, match="scheme"):
        TokenizerConfig(scheme="Octuple")
    tokenizer = build_tokenizer()
    with pytest.raises(InputError, match="no musical tokens"):
        tokenizer.decode([tokenizer.bos_id, tokenizer.eos_id])
    (tmp_path / "t.json").write_text("{}")
    with pytest.raises(InputError, match="not a midistyle tokenizer"):
        ScoreTokenizer.load(tmp_path / "t.json")


def test_next_onset_step_is_what_a_full_decode_gives_for_any_prefix(test_chorales):
    """The sampler's cheap progress check agrees with decoding the score, on half-written pieces."""
    import numpy as np

    from midistyle.models.compose import ChoraleGenerator, _next_onset

    generator = ChoraleGenerator.load()  # the shipped BPE tokenizer, as the sampler uses it
    tokenizer = generator.tokenizer
    rng = np.random.default_rng(0)
    prefixes = []
    for chorale in test_chorales[:6]:
        ids = [tokenizer.bos_id, *tokenizer.encode(chorale)]
        prefixes += [ids[:cut] for cut in rng.integers(1, len(ids) + 1, 25)]
    prefixes += [[tokenizer.bos_id, *rng.integers(3, tokenizer.vocab_size, rng.integers(1, 60))] for _ in range(60)]
    expected = [_next_onset(generator._decoded(ids)) for ids in prefixes]
    assert [tokenizer.next_onset_step(ids) for ids in prefixes] == expected
    assert max(expected) > 0 and 0 in expected  # both finished bars and undecodable noise were tried


def test_bach_sequences_are_encoded_once_per_tokenizer_and_read_only(all_chorales, test_chorales, tmp_path):
    from midistyle.models.chorale_data import bach_sequences, token_sequences

    tokenizer = build_tokenizer()
    sequences = bach_sequences(tokenizer, "test", augment=False)
    assert [s.tolist() for s in sequences] == [s.tolist() for s in token_sequences(tokenizer, test_chorales,
                                                                                   augment=False)]
    reloaded = ScoreTokenizer.load(tokenizer.save(tmp_path / "tokenizer.json"))
    assert bach_sequences(reloaded, "test", augment=False) is sequences  # the same tokens: not encoded again
    assert bach_sequences(build_tokenizer(TokenizerConfig(scheme="TSD")), "test", augment=False) is not sequences
    with pytest.raises(ValueError, match="read-only"):
        sequences[0][0] = 0
    tokenizer.train_bpe(all_chorales[:10], vocab_size=tokenizer.vocab_size + 20)  # changed in place
    assert bach_sequences(tokenizer, "test", augment=False) is not sequences
