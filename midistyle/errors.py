"""The one error hierarchy of midistyle.

The command line turns a :class:`MidistyleError` into a single line on stderr:
:class:`InputError` exits with code 2 (the user gave something we cannot use),
:class:`MissingDependencyError` with code 3 (the machine lacks a piece; the
message says how to install it). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class MidistyleError(Exception):
    """Base class of every error midistyle raises on purpose."""

    exit_code = 1


class InputError(MidistyleError, ValueError):
    """Bad user input: a missing, empty, corrupt or out-of-range file or value."""

    exit_code = 2


class MissingDependencyError(MidistyleError, ImportError):
    """An optional native dependency is missing; the message names the fix."""

    exit_code = 3
