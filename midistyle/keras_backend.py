"""The one place that imports Keras: quiet TensorFlow logs, the TensorFlow backend, a clear error.

Model modules call ``import_keras()`` inside the functions that need it, so importing
``midistyle.music`` or ``midistyle.audio`` never loads TensorFlow.
"""

from __future__ import annotations

import os

from midistyle.errors import MissingDependencyError


def import_keras():
    """Keras 3 on TensorFlow, with TensorFlow's C++ info logs silenced.

    Raises
    ------
    MissingDependencyError
        When TensorFlow is not installed (``pip install 'midistyle[cpu]'``).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    try:
        import keras
        import tensorflow  # noqa: F401  (the backend must be importable, not only keras)
    except ImportError as error:
        raise MissingDependencyError(
            f"this needs TensorFlow ({error.name} is missing): pip install 'midistyle[cpu]'"
        ) from None
    return keras
