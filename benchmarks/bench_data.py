"""Dataset and token figures: cache load time, tokens per chorale with and without BPE, BPE training time.

Tokens are counted on the test split; BPE is trained on the train split to 1000 tokens.
"""

from __future__ import annotations

import time


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.music.tokens import TokenizerConfig, build_tokenizer

    started = time.perf_counter()
    everything = load_chorales("all")
    rows = [{"what": "load_chorales('all') from the committed cache", "value": round(time.perf_counter() - started, 2),
             "unit": f"s for {len(everything)} chorales"}]
    train, test = load_chorales("train"), load_chorales("test")
    if quick:
        train, test = train[:30], test[:5]
    for scheme in ("REMI", "TSD"):
        tokenizer = build_tokenizer(TokenizerConfig(scheme=scheme))
        plain = sum(len(tokenizer.encode(c)) for c in test) / len(test)
        started = time.perf_counter()
        tokenizer.train_bpe(train, vocab_size=1000)
        bpe_seconds = time.perf_counter() - started
        with_bpe = sum(len(tokenizer.encode(c)) for c in test) / len(test)
        rows += [
            {"what": f"{scheme} tokens per test chorale", "value": round(plain, 1), "unit": "tokens"},
            {"what": f"{scheme} + BPE 1000 tokens per test chorale", "value": round(with_bpe, 1), "unit": "tokens"},
            {"what": f"{scheme} BPE training on {len(train)} train chorales", "value": round(bpe_seconds, 2),
             "unit": "s"},
        ]
    return rows
