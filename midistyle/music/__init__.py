"""The symbolic layer: scores, their files, piano rolls, tokens, metrics. No TensorFlow here."""

from midistyle.music.io import read_score, write_score
from midistyle.music.score import VOICE_NAMES, Key, Note, Score, Voice

__all__ = ["VOICE_NAMES", "Key", "Note", "Score", "Voice", "read_score", "write_score"]
