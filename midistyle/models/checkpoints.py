"""What both training loops share: checkpoint folders replaced atomically, and config files read safely."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from midistyle.errors import InputError


def replace_checkpoint(out_dir: Path, fill: Callable[[Path], None], name: str = "checkpoint") -> Path:
    """Write a new ``out_dir/name`` through ``fill(folder)``, replacing the old one atomically.

    The new folder is filled beside the old one and swapped in by renames, so a kill at any
    moment leaves ``checkpoint`` or ``checkpoint.old`` complete (``find_checkpoint`` takes either).
    """
    staging = out_dir / f".{name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    fill(staging)
    final, old = out_dir / name, out_dir / f"{name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def find_checkpoint(out_dir: Path, name: str = "checkpoint") -> Path:
    """The complete checkpoint folder ``name`` in ``out_dir`` (``--resume``)."""
    folder = next((f for f in (out_dir / name, out_dir / f"{name}.old") if f.exists()), None)
    if folder is None:
        raise InputError(f"--resume: no {name} in {out_dir}")
    return folder


def refuse_existing_checkpoint(out_dir: Path) -> None:
    if (out_dir / "checkpoint").exists():
        raise InputError(f"{out_dir} already holds a checkpoint: pass --resume or choose another --out")


def read_config_file(path: str, config_class, what: str):
    """A config dataclass from a JSON file, with one-line errors for a missing or wrong file."""
    try:
        return config_class.from_json(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: no such config file") from None
    except (ValueError, TypeError) as error:
        raise InputError(f"{path}: not a {what} config ({error})") from None
