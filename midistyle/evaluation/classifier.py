"""A small convolutional style classifier over 2-bar piano-roll windows (Keras 3).

It answers "which corpus does this texture come from?" for the classes of
:mod:`midistyle.data.style_corpus`, and its penultimate layer is the embedding the Fréchet distance
is computed on. It is deliberately small (32 k parameters; trains in about two minutes on 2 CPU
cores) because its job is a yardstick, not a product.

    window (32, 72, 2) ─ Conv 3×3 16 ─ pool ─ Conv 3×3 32 ─ pool ─ Conv 3×3 64 ─ global mean+max
                      ─ Dense 64 (embedding) ─ Dropout ─ Dense classes (softmax)

TensorFlow is imported only by the functions that need a model.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from midistyle.data.style_corpus import STYLE_CLASSES, Piece, load_style_corpus
from midistyle.errors import InputError
from midistyle.evaluation.windows import NUM_PITCHES, WINDOW_STEPS, notes_to_roll, roll_windows
from midistyle.keras_backend import import_keras
from midistyle.music.io import write_atomically

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
EMBEDDING_LAYER = "embedding"


@dataclass
class ClassifierConfig:
    """Everything that defines a trained classifier; saved beside its weights as JSON."""

    classes: tuple[str, ...] = STYLE_CLASSES
    filters: tuple[int, ...] = (16, 32, 64)
    embedding_dim: int = 64
    dropout: float = 0.3
    epochs: int = 12
    batch_size: int = 128
    learning_rate: float = 2e-3
    max_windows_per_piece: int = 48
    hop_steps: int = 8
    max_transpose: int = 3
    seed: int = 0

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> ClassifierConfig:
        fields = json.loads(text)
        for name in ("classes", "filters"):
            fields[name] = tuple(fields[name])
        return cls(**fields)


# -- data ----------------------------------------------------------------------------------------
def make_windows(
    pieces: list[Piece], config: ClassifierConfig, *, augment: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Windows and class indices from pieces (random transposition when ``augment``).

    Returns
    -------
    x : np.ndarray, shape=(N, WINDOW_STEPS, NUM_PITCHES, 2), float32
    y : np.ndarray, shape=(N,), int
    """
    xs, ys = [], []
    for piece in pieces:
        transpose = int(rng.integers(-config.max_transpose, config.max_transpose + 1)) if augment else 0
        roll = notes_to_roll(piece.notes, transpose=transpose)
        windows = roll_windows(roll, hop_steps=config.hop_steps, max_windows=config.max_windows_per_piece, rng=rng)
        xs.append(windows)
        ys.append(np.full(len(windows), config.classes.index(piece.style)))
    return np.concatenate(xs), np.concatenate(ys)


# -- model ---------------------------------------------------------------------------------------
def build_model(config: ClassifierConfig):
    """The Keras classifier (uncompiled)."""
    keras = import_keras()
    layers = keras.layers

    inputs = keras.Input((WINDOW_STEPS, NUM_PITCHES, 2), name="window")
    x = inputs
    for i, filters in enumerate(config.filters):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        if i < len(config.filters) - 1:
            x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = layers.Concatenate(name="pool_mean_max")([layers.GlobalAveragePooling2D()(x), layers.GlobalMaxPooling2D()(x)])
    embedding = layers.Dense(config.embedding_dim, activation="relu", name=EMBEDDING_LAYER)(x)
    x = layers.Dropout(config.dropout, seed=config.seed)(embedding)
    outputs = layers.Dense(len(config.classes), activation="softmax", name="style")(x)
    return keras.Model(inputs, outputs, name="style_classifier")


def train_classifier(
    config: ClassifierConfig, out_dir: str | os.PathLike, *, pieces: list[Piece] | None = None, verbose: int = 2
) -> dict:
    """Train on the train split, pick the epoch by valid accuracy, report test accuracy; save all.

    Writes ``style_classifier.weights.h5``, ``style_classifier.json`` (config) and
    ``style_classifier_report.json`` (data sizes, accuracy per split and class, wall time).
    """
    keras = import_keras()
    keras.utils.set_random_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    pieces = load_style_corpus() if pieces is None else pieces
    by_split = {
        split: [p for p in pieces if p.split == split and p.style in config.classes]
        for split in ("train", "valid", "test")
    }
    x_train, y_train = make_windows(by_split["train"], config, augment=True, rng=rng)
    x_valid, y_valid = make_windows(by_split["valid"], config, augment=False, rng=rng)
    x_test, y_test = make_windows(by_split["test"], config, augment=False, rng=rng)
    counts = np.bincount(y_train, minlength=len(config.classes))
    class_weight = {i: len(y_train) / (len(counts) * max(c, 1)) for i, c in enumerate(counts)}

    model = build_model(config)
    optimizer = keras.optimizers.Adam(config.learning_rate)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    best = keras.callbacks.ModelCheckpoint(
        str(Path(out_dir) / "_best.weights.h5"), monitor="val_accuracy", save_best_only=True, save_weights_only=True
    )
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        batch_size=config.batch_size,
        epochs=config.epochs,
        validation_data=(x_valid, y_valid),
        class_weight=class_weight,
        callbacks=[best],
        verbose=verbose,
    )
    wall_seconds = time.perf_counter() - started
    model.load_weights(str(Path(out_dir) / "_best.weights.h5"))
    os.replace(Path(out_dir) / "_best.weights.h5", Path(out_dir) / "style_classifier.weights.h5")
    report = {
        "windows": {"train": len(y_train), "valid": len(y_valid), "test": len(y_test)},
        "pieces": {s: len(p) for s, p in by_split.items()},
        "train_windows_per_class": dict(zip(config.classes, counts.tolist())),
        "best_valid_accuracy": float(max(history.history["val_accuracy"])),
        "test_accuracy": _accuracy(model, x_test, y_test),
        "test_accuracy_per_class": {
            name: _accuracy(model, x_test[y_test == i], y_test[y_test == i]) for i, name in enumerate(config.classes)
        },
        "parameters": int(model.count_params()),
        "train_seconds": round(wall_seconds, 1),
    }
    write_atomically(Path(out_dir) / "style_classifier.json", lambda t: t.write_text(config.to_json() + "\n"))
    write_atomically(
        Path(out_dir) / "style_classifier_report.json", lambda t: t.write_text(json.dumps(report, indent=1) + "\n")
    )
    return report


def _accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    if not len(y):
        return float("nan")
    return float(np.mean(np.argmax(model.predict(x, verbose=0, batch_size=512), axis=1) == y))


# -- the trained classifier ----------------------------------------------------------------------
class StyleClassifier:
    """A trained classifier: class probabilities and embeddings of windows.

    Load the shipped one with ``StyleClassifier.load()``.
    """

    def __init__(self, model, config: ClassifierConfig):
        keras = import_keras()
        self.model = model
        self.config = config
        self._both = keras.Model(model.inputs, [model.get_layer(EMBEDDING_LAYER).output, model.outputs[0]])

    @classmethod
    def load(cls, weights_dir: str | os.PathLike | None = None) -> StyleClassifier:
        weights_dir = Path(weights_dir) if weights_dir is not None else WEIGHTS_DIR
        config_path, weights_path = weights_dir / "style_classifier.json", weights_dir / "style_classifier.weights.h5"
        if not config_path.exists() or not weights_path.exists():
            raise InputError(f"no trained style classifier in {weights_dir} (run `midistyle train classifier`)")
        config = ClassifierConfig.from_json(config_path.read_text())
        model = build_model(config)
        model.load_weights(str(weights_path))
        return cls(model, config)

    def embed_and_classify(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings and class probabilities.

        Parameters
        ----------
        windows : np.ndarray, shape=(N, WINDOW_STEPS, NUM_PITCHES, 2)

        Returns
        -------
        embeddings : np.ndarray, shape=(N, embedding_dim)
        probabilities : np.ndarray, shape=(N, num_classes)
        """
        if not len(windows):
            raise InputError("no windows to classify (the pieces have no notes)")
        embeddings, probabilities = self._both.predict(windows, verbose=0, batch_size=512)
        return np.asarray(embeddings, np.float64), np.asarray(probabilities, np.float64)
