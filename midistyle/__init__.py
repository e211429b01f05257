"""midistyle: compose in the style of Bach chorales and make it sound.

The public API grows with each stage; importing this package stays light
(no TensorFlow, no music21) so that the command line starts fast.
"""

from midistyle.audio.stylize import stylize
from midistyle.errors import InputError, MidistyleError, MissingDependencyError
from midistyle.music import Key, Note, Score, Voice, read_score, write_score

__version__ = "0.1.0"

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
