"""midistyle: compose in the style of Bach chorales and make it sound.

The public API grows with each stage; importing this package stays light
(no TensorFlow, no music21) so that the command line starts fast.
"""

from typing import TYPE_CHECKING

from midistyle.errors import InputError, MidistyleError, MissingDependencyError
from midistyle.music import Key, Note, Score, Voice, read_score, write_score

if TYPE_CHECKING:  # for type checkers; at run time it is imported on first use (below)
    from midistyle.audio.stylize import stylize

__version__ = "0.1.0"


def __getattr__(name: str):
    """``midistyle.stylize`` is imported on first use: a render or a harmonization does not need it."""
    if name == "stylize":
        from midistyle.audio.stylize import stylize

        return stylize
    raise AttributeError(f"module 'midistyle' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"stylize"})


__all__ = [
    "InputError",
    "Key",
    "MidistyleError",
    "MissingDependencyError",
    "Note",
    "Score",
    "Voice",
    "read_score",
    "stylize",
    "write_score",
]
