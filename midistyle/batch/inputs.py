"""Inputs of a batch: files, folders (searched recursively) and globs, each with its output paths.

An input keeps its path relative to the folder it was found in (a file given by name keeps only
its name), so ``OUT_DIR`` mirrors the corpus. Two inputs that would write the same output are
refused before anything runs.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from midistyle.errors import InputError


@dataclass(frozen=True)
class BatchInput:
    """One input file and its path relative to where it was found (``a/b/tune.mid``)."""

    source: Path
    relative: Path


def find_inputs(patterns: list[str], extensions: tuple[str, ...]) -> list[BatchInput]:
    """Every input named by ``patterns`` (files, folders, globs) with one of ``extensions``, in a stable order.

    Raises
    ------
    InputError
        A pattern that matches nothing, or no input at all.
    """
    found: dict[Path, BatchInput] = {}
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in extensions):
                found.setdefault(file.resolve(), BatchInput(file, file.relative_to(path)))
        elif path.is_file():
            found.setdefault(path.resolve(), BatchInput(path, Path(path.name)))
        else:
            matches = sorted(Path(m) for m in glob.glob(pattern, recursive=True))
            files = [m for m in matches if m.is_file() and m.suffix.lower() in extensions]
            if not files:
                raise InputError(f"{pattern}: no such file, folder, or files matching it")
            for file in files:
                found.setdefault(file.resolve(), BatchInput(file, Path(file.name)))
    if not found:
        raise InputError(f"no input files with the extensions {', '.join(extensions)}")
    return list(found.values())


def check_collisions(outputs: dict[Path, list[Path]], sources: list[Path]) -> None:
    """Refuse two inputs writing one output, and an output that is an input."""
    seen: dict[Path, Path] = {}
    inputs = {s.resolve() for s in sources}
    for source, paths in outputs.items():
        for path in paths:
            key = Path(os.path.abspath(path))
            if key in seen:
                raise InputError(f"{source} and {seen[key]} would both write {path}; "
                                 "give their folders instead of the files, or rename one")
            if key.resolve() in inputs:
                raise InputError(f"{path}: output would overwrite an input; choose another OUT_DIR")
            seen[key] = source
