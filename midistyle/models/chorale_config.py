"""What defines a chorale language model and its training, as a dataclass that round-trips to JSON.

No TensorFlow here: the ONNX inference path reads it as well as the Keras one
(:mod:`midistyle.models.chorale`).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass


@dataclass
class ChoraleConfig:
    """A chorale model and its training; saved as JSON beside the weights."""

    model: str = "transformer"  # or "lstm"
    vocab_size: int = 512
    context: int = 256
    d_model: int = 128
    heads: int = 4
    layers: int = 4
    ff_dim: int = 512
    dropout: float = 0.1
    lstm_units: int = 256
    lstm_layers: int = 2
    # the tokens and the training run
    bpe_vocab_size: int = 1000  # 0: plain REMI
    augment: bool = True
    batch_size: int = 8
    epochs: int = 6
    steps_per_epoch: int = 250
    learning_rate: float = 1e-3
    seed: int = 0

    def __post_init__(self) -> None:
        if self.model not in ("transformer", "lstm"):
            raise ValueError(f"model={self.model!r} must be 'transformer' or 'lstm'")
        if self.d_model % (2 * self.heads):
            raise ValueError(f"d_model={self.d_model} must be a multiple of 2 * heads={2 * self.heads}")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> ChoraleConfig:
        return cls(**json.loads(text))
