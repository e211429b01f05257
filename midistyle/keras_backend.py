"""The one place that imports Keras: quiet TensorFlow logs, the TensorFlow backend, a clear error.

Model modules call ``import_keras()`` inside the functions that need it, so importing
``midistyle.music`` or ``midistyle.audio`` never loads TensorFlow.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

from midistyle.errors import MissingDependencyError

# Start-up notices that TensorFlow's native code writes straight to the process's stderr while it
# loads (TF_CPP_MIN_LOG_LEVEL no longer reaches them in TF 2.21). Anything else is passed on.
START_UP_NOISE = (
    "All log messages before absl::InitializeLog() is called",
    "oneDNN custom operations are on",
    "This TensorFlow binary is optimized to use available CPU instructions",
    "To enable the following instructions",
    "Unable to register cuDNN factory", "Unable to register cuFFT factory", "Unable to register cuBLAS factory",
    "computation placer already registered",
    "TF-TRT Warning",
)


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
        with native_stderr_filtered():
            import keras
            import tensorflow  # noqa: F401  (the backend must be importable, not only keras)
    except ImportError as error:
        raise MissingDependencyError(
            f"this needs TensorFlow ({error.name} is missing): pip install 'midistyle[cpu]'"
        ) from None
    return keras


@contextlib.contextmanager
def native_stderr_filtered(noise: tuple[str, ...] = START_UP_NOISE):
    """Capture file descriptor 2 (C and Python writes alike) and re-emit all lines but those containing
    one of ``noise`` (default: TensorFlow's start-up notices)."""
    try:
        descriptor = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # a replaced stderr (e.g. under a notebook)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(descriptor)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), descriptor)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, descriptor)
            os.close(saved)
            capture.seek(0)
            for line in capture.read().decode(errors="replace").splitlines():
                if line.strip() and not any(text in line for text in noise):
                    print(line, file=sys.stderr)
