"""Chorale language models over miditok tokens: a decoder-only Transformer and an LSTM baseline (Keras 3).

    tokens (B, T) ─ Embedding (B, T, D) ─ [ LN ─ causal self-attention (rotary) ─ + ─ LN ─ MLP ─ + ] × L
                  ─ LN ─ Dense(vocab) ─ logits (B, T, V)

Positions are rotary (RoPE): each query and key is rotated by an angle proportional to its position,
so attention scores depend only on the *distance* between tokens, as with Music Transformer's
relative attention, at no extra memory; and a key/value cache stays valid as the sequence grows
(a cached key never needs re-encoding), which is what sampling one token per step needs.

``step_function()`` gives the one-token step that :mod:`midistyle.models.chorale_sampling` samples
with (temperature / top-k / top-p): the Transformer keeps each layer's keys and values, the LSTM its
states. ``sample_batch`` (training's own samples) draws a batch of pieces at once.
"""

from __future__ import annotations

import numpy as np

from midistyle.keras_backend import import_keras
from midistyle.models.chorale_config import ChoraleConfig
from midistyle.models.chorale_sampling import filter_logits

keras = import_keras()
ops = keras.ops
layers = keras.layers


# -- Transformer pieces ------------------------------------------------------------------------------
def rotate(x, positions):
    """Rotary position embedding: rotate feature pairs of ``x`` by position-dependent angles.

    Parameters
    ----------
    x : tensor, shape=(B, H, T, Dh)
    positions : tensor, shape=(T,), int
    """
    half = ops.shape(x)[-1] // 2
    frequencies = 1.0 / (10000.0 ** (ops.arange(half, dtype="float32") / half))  # (Dh/2,)
    angles = ops.cast(positions, "float32")[:, None] * frequencies[None, :]  # (T, Dh/2)
    cos, sin = ops.cos(angles), ops.sin(angles)
    x1, x2 = x[..., :half], x[..., half:]
    return ops.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)


@keras.saving.register_keras_serializable(package="midistyle")
class CausalSelfAttention(layers.Layer):
    """Multi-head causal self-attention with rotary positions and an optional key/value cache."""

    def __init__(self, d_model: int, heads: int, dropout: float, **kwargs):
        super().__init__(**kwargs)
        self.d_model, self.heads, self.dropout_rate = d_model, heads, dropout
        self.qkv = layers.Dense(3 * d_model, name="qkv")
        self.out = layers.Dense(d_model, name="out")
        self.dropout = layers.Dropout(dropout)

    def build(self, input_shape):
        self.qkv.build(input_shape)
        self.out.build((*input_shape[:-1], self.d_model))
        self.built = True

    def call(self, x, positions, cache=None, training=False):
        """x (B, T, D) -> (B, T, D), and the cache (keys, values) each (B, H, T_total, Dh)."""
        batch, steps = ops.shape(x)[0], ops.shape(x)[1]
        head_dim = self.d_model // self.heads
        qkv = ops.reshape(self.qkv(x), (batch, steps, 3, self.heads, head_dim))
        qkv = ops.transpose(qkv, (2, 0, 3, 1, 4))  # (3, B, H, T, Dh)
        q, k, v = rotate(qkv[0], positions), rotate(qkv[1], positions), qkv[2]
        if cache is not None:
            k = ops.concatenate([cache[0], k], axis=2)
            v = ops.concatenate([cache[1], v], axis=2)
        total = ops.shape(k)[2]
        scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) / float(np.sqrt(head_dim))  # (B, H, T, total)
        # query i (at absolute position total - T + i) may see keys 0 .. total - T + i
        query_positions = ops.arange(total - steps, total)[:, None]
        allowed = ops.arange(total)[None, :] <= query_positions
        scores = ops.where(allowed[None, None], scores, -1e9)
        scores = ops.exp(scores - ops.max(scores, axis=-1, keepdims=True))  # softmax, written out because
        weights = self.dropout(scores / ops.sum(scores, axis=-1, keepdims=True), training=training)  # T=1 is fine
        mixed = ops.reshape(ops.transpose(ops.matmul(weights, v), (0, 2, 1, 3)), (batch, steps, self.d_model))
        return self.out(mixed), (k, v)

    def call_fixed(self, x, position, keys, values):
        """One token (B, 1, D) at ``position`` with preallocated keys/values (B, H, context, Dh).

        Shapes never change, so a compiled step is traced once for a whole piece.
        """
        batch = ops.shape(x)[0]
        head_dim = self.d_model // self.heads
        qkv = ops.transpose(ops.reshape(self.qkv(x), (batch, 1, 3, self.heads, head_dim)), (2, 0, 3, 1, 4))
        positions = ops.reshape(position, (1,))
        q, k = rotate(qkv[0], positions), rotate(qkv[1], positions)
        # write the new key and value at ``position``: a select rather than a slice update, the same
        # numbers, and an op that ONNX has (XLA's dynamic update slice is not in ONNX)
        here = (ops.arange(ops.shape(keys)[2]) == position)[None, None, :, None]  # (1, 1, C, 1)
        keys = ops.where(here, k, keys)
        values = ops.where(here, qkv[2], values)
        scores = ops.matmul(q, ops.transpose(keys, (0, 1, 3, 2))) / float(np.sqrt(head_dim))  # (B, H, 1, C)
        visible = ops.arange(ops.shape(keys)[2]) <= position
        scores = ops.where(visible[None, None, None], scores, -1e9)
        scores = ops.exp(scores - ops.max(scores, axis=-1, keepdims=True))
        weights = scores / ops.sum(scores, axis=-1, keepdims=True)
        mixed = ops.reshape(ops.transpose(ops.matmul(weights, values), (0, 2, 1, 3)), (batch, 1, self.d_model))
        return self.out(mixed), keys, values

    def call_reading(self, x, position, keys, values):
        """``call_fixed`` that leaves the cache alone: attends to the cached keys below ``position`` and
        to the new token's own key, and returns that key and value (B, H, 1, Dh) for the caller to
        store. The same attention; what the ONNX step is exported from, so a step writes 2 x Dh
        numbers per head instead of a new copy of the whole cache.
        """
        batch = ops.shape(x)[0]
        head_dim = self.d_model // self.heads
        qkv = ops.transpose(ops.reshape(self.qkv(x), (batch, 1, 3, self.heads, head_dim)), (2, 0, 3, 1, 4))
        positions = ops.reshape(position, (1,))
        q, k, v = rotate(qkv[0], positions), rotate(qkv[1], positions), qkv[2]
        scale = float(np.sqrt(head_dim))
        cached = ops.matmul(q, ops.transpose(keys, (0, 1, 3, 2))) / scale  # (B, H, 1, C)
        before = ops.arange(ops.shape(keys)[2]) < position
        cached = ops.where(before[None, None, None], cached, -1e9)
        own = ops.sum(q * k, axis=-1, keepdims=True) / scale  # (B, H, 1, 1)
        top = ops.maximum(ops.max(cached, axis=-1, keepdims=True), own)
        cached, own = ops.exp(cached - top), ops.exp(own - top)
        mixed = (ops.matmul(cached, values) + own * v) / (ops.sum(cached, axis=-1, keepdims=True) + own)
        mixed = ops.reshape(ops.transpose(mixed, (0, 2, 1, 3)), (batch, 1, self.d_model))
        return self.out(mixed), k, v

    def get_config(self):
        return {**super().get_config(), "d_model": self.d_model, "heads": self.heads, "dropout": self.dropout_rate}


@keras.saving.register_keras_serializable(package="midistyle")
class Block(layers.Layer):
    """Pre-norm Transformer block: x + attention(LN x), then + MLP(LN x)."""

    def __init__(self, d_model: int, heads: int, ff_dim: int, dropout: float, **kwargs):
        super().__init__(**kwargs)
        self.settings = dict(d_model=d_model, heads=heads, ff_dim=ff_dim, dropout=dropout)
        self.norm1, self.norm2 = layers.LayerNormalization(epsilon=1e-5), layers.LayerNormalization(epsilon=1e-5)
        self.attention = CausalSelfAttention(d_model, heads, dropout)
        self.mlp_in = layers.Dense(ff_dim, activation="gelu")
        self.mlp_out = layers.Dense(d_model)
        self.dropout = layers.Dropout(dropout)

    def build(self, input_shape):
        for sublayer in (self.norm1, self.norm2, self.attention, self.mlp_in):
            sublayer.build(input_shape)
        self.mlp_out.build((*input_shape[:-1], self.settings["ff_dim"]))
        self.built = True

    def call(self, x, positions, cache=None, training=False):
        attended, cache = self.attention(self.norm1(x), positions, cache, training=training)
        x = x + self.dropout(attended, training=training)
        x = x + self.dropout(self.mlp_out(self.mlp_in(self.norm2(x))), training=training)
        return x, cache

    def call_fixed(self, x, position, keys, values):
        attended, keys, values = self.attention.call_fixed(self.norm1(x), position, keys, values)
        x = x + attended
        return x + self.mlp_out(self.mlp_in(self.norm2(x))), keys, values

    def call_reading(self, x, position, keys, values):
        attended, key, value = self.attention.call_reading(self.norm1(x), position, keys, values)
        x = x + attended
        return x + self.mlp_out(self.mlp_in(self.norm2(x))), key, value

    def get_config(self):
        return {**super().get_config(), **self.settings}


class TensorCacheSteps:
    """What the sampler asks of a Keras chorale model besides ``step_fixed``: its cache is a list of
    layers, each a list of tensors with the batch first, and is never modified in place."""

    def step_function(self):
        return compiled_step(self)

    def copy_cache(self, cache):
        return cache  # tensors: never modified in place

    def repeat_cache(self, cache, count: int):
        """``count`` copies of a batch-1 cache side by side (batch ``count``), for batched draws."""
        return [[ops.repeat(tensor, count, axis=0) for tensor in layer] for layer in cache]

    def cache_row(self, cache, index: int):
        """Row ``index`` of a batched cache, as a batch-1 cache of its own."""
        return [[tensor[index:index + 1] for tensor in layer] for layer in cache]


class ChoraleTransformer(TensorCacheSteps, keras.Model):
    """Decoder-only Transformer: ``call(tokens)`` gives logits (B, T, V); ``step`` extends a cache."""

    def __init__(self, config: ChoraleConfig, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.embedding = layers.Embedding(config.vocab_size, config.d_model)
        self.blocks = [Block(config.d_model, config.heads, config.ff_dim, config.dropout, name=f"block{i}")
                       for i in range(config.layers)]
        self.norm = layers.LayerNormalization(epsilon=1e-5)
        self.head = layers.Dense(config.vocab_size, name="logits")

    def call(self, tokens, training=False):
        logits, _ = self.step(tokens, None, 0, training=training)
        return logits

    def step(self, tokens, caches, start: int, training=False):
        """Logits for ``tokens`` (B, T) placed at positions ``start..start+T-1`` after the cached prefix."""
        positions = ops.arange(start, start + ops.shape(tokens)[1])
        x = self.embedding(tokens)
        new_caches = []
        for i, block in enumerate(self.blocks):
            x, cache = block(x, positions, None if caches is None else caches[i], training=training)
            new_caches.append(cache)
        return self.head(self.norm(x)), new_caches

    def empty_cache(self, batch: int = 1) -> list:
        """Preallocated keys and values per layer, each (B, H, context, Dh), for ``step_fixed``."""
        shape = (batch, self.config.heads, self.config.context, self.config.d_model // self.config.heads)
        return [[ops.zeros(shape), ops.zeros(shape)] for _ in self.blocks]

    def step_fixed(self, token, cache, position):
        """Logits (B, V) for one token (B, 1) at ``position``; the cache keeps its shape."""
        x = self.embedding(token)
        new_cache = []
        for block, (keys, values) in zip(self.blocks, cache):
            x, keys, values = block.call_fixed(x, position, keys, values)
            new_cache.append([keys, values])
        return self.head(self.norm(x))[:, 0], new_cache

    def step_reading(self, token, cache, position):
        """Logits (B, V) for one token (B, 1) at ``position``, and each layer's new key and value
        (B, H, 1, Dh), leaving ``cache`` as it was (see :meth:`CausalSelfAttention.call_reading`)."""
        x = self.embedding(token)
        new = []
        for block, (keys, values) in zip(self.blocks, cache):
            x, key, value = block.call_reading(x, position, keys, values)
            new.append([key, value])
        return self.head(self.norm(x))[:, 0], new


class ChoraleLSTM(TensorCacheSteps, keras.Model):
    """The baseline: Embedding, stacked LSTMs, Dense; ``step`` carries the LSTM states."""

    def __init__(self, config: ChoraleConfig, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.embedding = layers.Embedding(config.vocab_size, config.d_model)
        self.lstms = [layers.LSTM(config.lstm_units, return_sequences=True, return_state=True, name=f"lstm{i}")
                      for i in range(config.lstm_layers)]
        self.dropout = layers.Dropout(config.dropout)
        self.head = layers.Dense(config.vocab_size, name="logits")

    def call(self, tokens, training=False):
        logits, _ = self.step(tokens, None, 0, training=training)
        return logits

    def step(self, tokens, states, start: int, training=False):
        x = self.embedding(tokens)
        new_states = []
        for i, lstm in enumerate(self.lstms):
            x, hidden, cell = lstm(x, initial_state=None if states is None else states[i], training=training)
            x = self.dropout(x, training=training)
            new_states.append([hidden, cell])
        return self.head(x), new_states

    def empty_cache(self, batch: int = 1) -> list:
        return [[ops.zeros((batch, self.config.lstm_units)), ops.zeros((batch, self.config.lstm_units))]
                for _ in self.lstms]

    def step_fixed(self, token, cache, position):
        logits, states = self.step(token, cache, 0)
        return logits[:, 0], states


def build_model(config: ChoraleConfig):
    """The model a config names, built (weights created) on a dummy batch."""
    model = ChoraleTransformer(config) if config.model == "transformer" else ChoraleLSTM(config)
    model(np.zeros((1, 2), dtype="int32"))
    return model


# -- sampling --------------------------------------------------------------------------------------
def compiled_step(model):
    """``model.step_fixed`` compiled once per model (TensorFlow backend): one token per call."""
    if not hasattr(model, "_compiled_step"):
        import tensorflow as tf

        model._compiled_step = tf.function(model.step_fixed, reduce_retracing=True)
    return model._compiled_step


def sample_batch(
    model,
    prompt: list[int],
    *,
    batch_size: int,
    new_tokens: int,
    rng: np.random.Generator,
    temperature: float = 1.0,
    top_p: float | None = None,
    banned_tokens: tuple[int, ...] = (),
) -> np.ndarray:
    """``batch_size`` independent continuations of one prompt, sampled together (one cache, batch B).

    Training uses it to sample the model's own pieces quickly; the prompt plus the new tokens must
    fit the context (no sliding window here).

    Returns
    -------
    np.ndarray, shape=(batch_size, len(prompt) + new_tokens), int32
    """
    total = len(prompt) + new_tokens
    if not prompt or total > model.config.context:
        raise ValueError(f"prompt of {len(prompt)} + {new_tokens} new tokens must fit the context "
                         f"{model.config.context}")
    step = model.step_function()
    tokens = np.zeros((batch_size, total), dtype=np.int32)
    tokens[:, : len(prompt)] = prompt
    cache = model.empty_cache(batch_size)
    for position in range(total - 1):
        logits, cache = step(tokens[:, position : position + 1], cache, np.int32(position))
        if position + 1 < len(prompt):
            continue
        logits = np.asarray(logits, dtype=np.float64)
        logits[:, list(banned_tokens)] = -np.inf
        for row in range(batch_size):
            p = filter_logits(logits[row], temperature=temperature, top_k=None, top_p=top_p)
            tokens[row, position + 1] = rng.choice(len(p), p=p)
    return tokens
