"""Sampling tokens from a chorale language model, one token per step — no TensorFlow here.

The model is anything that steps: it has ``config`` (a :class:`ChoraleConfig`), ``empty_cache(batch)``,
``step_function()``, which returns ``step(token (B, 1) int32, cache, position int32) ->
(logits (B, V), cache)``, and ``copy_cache(cache)``. The Keras models of
:mod:`midistyle.models.chorale` step with a compiled ``tf.function`` and never modify a cache (a
copy is the cache itself); :class:`midistyle.models.onnx_networks.OnnxChoraleModel` steps with ONNX
Runtime and writes its cache in place, so snapshots copy it.
"""

from __future__ import annotations

import numpy as np


def filter_logits(logits: np.ndarray, *, temperature: float, top_k: int | None, top_p: float | None) -> np.ndarray:
    """Probabilities after temperature, top-k and nucleus (top-p) filtering, shape=(V,)."""
    logits = np.asarray(logits, dtype=np.float64) / max(temperature, 1e-6)
    if top_k is not None and 0 < top_k < len(logits):
        cutoff = np.partition(logits, -top_k)[-top_k]
        logits = np.where(logits < cutoff, -np.inf, logits)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    if top_p is not None and top_p < 1.0:
        order = np.argsort(-p, kind="stable")
        keep = np.cumsum(p[order]) - p[order] < top_p  # smallest set whose mass reaches top_p
        mask = np.zeros_like(p, dtype=bool)
        mask[order[keep]] = True
        p = np.where(mask, p, 0.0)
        p /= p.sum()
    return p


class TokenSampler:
    """Sampling state for one sequence: the tokens, the window start and the key/value (or LSTM) cache.

    ``snapshot()`` and ``restore()`` keep the state apart from later steps (a copy of the cache where
    the model writes it in place, about 1 MB), so a caller can draw a stretch of tokens, judge it,
    and draw it again.

    ``logit_bias`` (None, or shape=(V,)) is added to every step's logits before filtering; the
    chorale generator sets it for the last phrase (:mod:`midistyle.models.home_key_bias`).

    With a ``guard`` (:class:`midistyle.models.parallel_guard.ParallelGuard`) a drawn token that it
    refuses is put aside and the token drawn again from what is left (see that module for when it
    looks past its draws, and when it keeps a refused one).
    """

    def __init__(self, model, prompt: list[int], *, rng: np.random.Generator, temperature: float = 1.0,
                 top_k: int | None = None, top_p: float | None = None, banned_tokens: tuple[int, ...] = (),
                 use_cache: bool = True, guard=None):
        if not prompt:
            raise ValueError("the prompt needs at least one token (BOS)")
        if not use_cache and not callable(model):
            raise ValueError("use_cache=False runs the whole model on the window; this model only steps "
                             "(load it with MIDISTYLE_BACKEND=keras)")
        self.model, self.rng = model, rng
        self.temperature, self.top_k, self.top_p, self.banned_tokens = temperature, top_k, top_p, banned_tokens
        self.use_cache = use_cache
        self.step = model.step_function() if use_cache else None
        self.tokens, self.window_start, self.cache = list(prompt), 0, None
        self.guard = guard
        self.logit_bias: np.ndarray | None = None  # (V,), added to each step's logits
        self.voices = guard.start(self.tokens) if guard is not None else None  # what the guard follows

    def snapshot(self):
        return list(self.tokens), self.window_start, self._copy(self.cache), self._copy_voices(self.voices)

    def restore(self, snapshot) -> None:
        tokens, self.window_start, cache, voices = snapshot
        self.tokens, self.cache, self.voices = list(tokens), self._copy(cache), self._copy_voices(voices)

    @staticmethod
    def _copy_voices(voices):
        return voices.copy() if voices is not None else None

    def _copy(self, cache):
        return self.model.copy_cache(cache) if cache is not None and self.use_cache else cache

    def make_room(self, tokens_ahead: int) -> None:
        """Slide the window now if the next ``tokens_ahead`` tokens would fill it: a caller that draws
        a stretch several times from one snapshot then refills the cache once, not once per draw."""
        context = self.model.config.context
        if len(self.tokens) - self.window_start + tokens_ahead >= context and tokens_ahead < context // 2:
            self.window_start, self.cache = len(self.tokens) - context // 2, None
            if self.use_cache:
                self._fill_cache()

    def _fill_cache(self) -> None:
        """(Re)fill the cache with the window but its last token, one token at a time."""
        self.cache = self.model.empty_cache()
        for position, token in enumerate(self.tokens[self.window_start : -1]):
            _, self.cache = self.step(np.array([[token]], dtype="int32"), self.cache, np.int32(position))

    def next_token(self) -> int:
        context = self.model.config.context
        if len(self.tokens) - self.window_start >= context:  # slide to the last half of the window
            self.window_start, self.cache = len(self.tokens) - context // 2, None
        if self.use_cache:
            if self.cache is None:
                self._fill_cache()
            position = np.int32(len(self.tokens) - 1 - self.window_start)
            logits, self.cache = self.step(np.array([[self.tokens[-1]]], dtype="int32"), self.cache, position)
            logits = np.asarray(logits)[0]
        else:
            logits = np.asarray(self.model(np.array([self.tokens[self.window_start :]], dtype="int32")))[0, -1]
        token = self._choose(logits, self.voices)
        self.tokens.append(token)
        if self.guard is not None:
            self.guard.advance(self.voices, token)
        return token

    def _choose(self, logits: np.ndarray, voices=None) -> int:
        """One token from logits (V,): the logit bias added, banned tokens removed, filtered, sampled
        with this sampler's rng; with a guard, tokens it refuses after ``voices`` are put aside and
        the token drawn again."""
        if self.logit_bias is not None:
            logits = logits + self.logit_bias  # a new array: the fallback below reads the biased logits
        if self.banned_tokens:
            logits = logits.copy()
            logits[list(self.banned_tokens)] = -np.inf
        p = filter_logits(logits, temperature=self.temperature, top_k=self.top_k, top_p=self.top_p)
        first = token = self._draw(p)
        if self.guard is None or self.guard.allows(voices, token):
            return token
        from midistyle.models.parallel_guard import FALLBACK_IDS, MAX_REFUSALS

        refused = [token]
        for _ in range(MAX_REFUSALS):
            p = p.copy()
            p[refused] = 0.0
            if p.sum() <= 0.0:
                break
            p /= p.sum()
            token = self._draw(p)
            if self.guard.allows(voices, token):
                return token
            refused.append(token)
        # the nucleus used up or MAX_REFUSALS draws refused: the likeliest id the guard allows that does
        # not leap a seventh or more either (drawing from the tail wrote sevenths and chromatic notes)
        for token in np.argsort(-np.asarray(logits), kind="stable")[:FALLBACK_IDS]:
            token = int(token)
            if token not in refused and np.isfinite(logits[token]) and self.guard.allows(voices, token, leaps=True):
                return token
        return first

    def _draw(self, p: np.ndarray) -> int:
        return int(self.rng.choice(len(p), p=p)) if self.temperature > 0 else int(np.argmax(p))

    def draw_candidates(self, count: int, max_tokens: int, *, should_stop=None, check_every: int = 4) -> list:
        """``count`` continuations of the current state drawn side by side, one batched step per token.

        Each continuation takes up to ``max_tokens`` tokens, fewer when ``should_stop(tokens,
        voices)`` (asked every ``check_every`` tokens; ``voices`` is the guard's state of that
        continuation, None without a guard) says so. Row by row, a step's tokens are sampled with
        this sampler's rng in order, so one candidate draws exactly what ``next_token`` would.
        The sampler keeps its tokens; its window slides first if the candidates would not fit in it
        (as :meth:`make_room` does), and its rng has moved on.

        Returns
        -------
        list of snapshots
            One per candidate, for :meth:`restore`; each holds its own (batch 1) cache.
        """
        if not self.use_cache or not hasattr(self.model, "repeat_cache"):
            return self._draw_one_by_one(count, max_tokens, should_stop, check_every)
        self.make_room(max_tokens)
        if self.cache is None:
            self._fill_cache()
        start = self.snapshot()
        cache = self.model.repeat_cache(self.cache, count)
        rows = [list(self.tokens) for _ in range(count)]
        voices = [self._copy_voices(self.voices) for _ in range(count)]
        # a row's cache is taken when it stops: the batch steps on together, feeding a stopped row's
        # last token again, which an LSTM's state would take in (a Transformer's mask would hide it)
        kept_caches: list = [None] * count
        position = len(self.tokens) - 1 - self.window_start
        for drawn in range(1, max_tokens + 1):
            last = np.array([[row[-1]] for row in rows], dtype="int32")
            logits, cache = self.step(last, cache, np.int32(position + drawn - 1))
            logits = np.asarray(logits)
            for index, row in enumerate(rows):
                if kept_caches[index] is None:
                    row.append(self._choose(logits[index], voices[index]))
                    if self.guard is not None:
                        self.guard.advance(voices[index], row[-1])
            if should_stop is not None and drawn % check_every == 0:
                for index, row in enumerate(rows):
                    if kept_caches[index] is None and should_stop(row, voices[index]):
                        kept_caches[index] = self.model.cache_row(cache, index)  # all of ``row`` but its last
                if all(kept is not None for kept in kept_caches):
                    break
        self.restore(start)
        return [(row, self.window_start, kept if kept is not None else self.model.cache_row(cache, index),
                 voices[index]) for index, (row, kept) in enumerate(zip(rows, kept_caches))]

    def _draw_one_by_one(self, count: int, max_tokens: int, should_stop, check_every: int) -> list:
        """:meth:`draw_candidates` for models without batched caches (or without a cache)."""
        start, candidates = self.snapshot(), []
        for _ in range(count):
            self.restore(start)
            for drawn in range(1, max_tokens + 1):
                self.next_token()
                if should_stop is not None and drawn % check_every == 0 and should_stop(self.tokens, self.voices):
                    break
            candidates.append(self.snapshot())
        self.restore(start)
        return candidates


def generate_tokens(
    model,
    prompt: list[int],
    *,
    max_new_tokens: int,
    rng: np.random.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    stop_token: int | None = None,
    banned_tokens: tuple[int, ...] = (),
    should_stop=None,
    check_every: int = 32,
    use_cache: bool = True,
) -> list[int]:
    """Sample a continuation of ``prompt`` (non-empty) one token at a time.

    When the sequence fills the context, the window slides: the model continues from the last
    ``context // 2`` tokens (rotary positions make the restart exact for what it sees).

    Parameters
    ----------
    banned_tokens : tuple of int
        Tokens never sampled (e.g. EOS while a requested length is not reached).
    should_stop : callable or None
        ``should_stop(tokens) -> bool``, asked every ``check_every`` new tokens.
    use_cache : bool
        True feeds only the newest token each step (keys/values or LSTM states kept); False
        recomputes the whole window every step.
    """
    sampler = TokenSampler(model, prompt, rng=rng, temperature=temperature, top_k=top_k, top_p=top_p,
                           banned_tokens=banned_tokens, use_cache=use_cache)
    for count in range(1, max_new_tokens + 1):
        token = sampler.next_token()
        checking = should_stop is not None and count % check_every == 0
        if token == stop_token or (checking and should_stop(sampler.tokens)):
            break
    return sampler.tokens
