"""Find SoundFonts and decide which one to use.

Resolution order: the ``soundfont`` argument (``--soundfont``), then the
``MIDISTYLE_SOUNDFONT`` environment variable, then system fonts, best first:
MuseScore General (Debian's ``musescore-general-soundfont-small``, which ``make``
installs; MIT, 40 MB SF3), then FluidR3_GM (``fluid-soundfont-gm``), then the
others found, then the embedded default: the ``TimGM6mb.sf2`` that pretty_midi
ships inside its package (GPL-2, 6 MB), so rendering works on a fresh install
with no download. A font reached through several links (Debian's
``default-GM.sf2`` points at whichever GM font is installed) is listed once.
See ``soundfonts/README.md`` for how the default was chosen.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from midistyle.errors import InputError, MissingDependencyError

ENVIRONMENT_VARIABLE = "MIDISTYLE_SOUNDFONT"
SOUNDFONT_EXTENSIONS = (".sf2", ".sf3")
SYSTEM_DIRECTORIES = (
    Path("/usr/share/sounds/sf2"),
    Path("/usr/share/sounds/sf3"),
    Path("/usr/share/soundfonts"),
    Path("/usr/local/share/soundfonts"),
    Path.home() / ".local/share/soundfonts",
)
PREFERRED_SYSTEM_NAMES = ("MuseScore_General.sf3", "MuseScore_General_Lite.sf3", "MuseScore_General.sf2",
                          "FluidR3_GM.sf2", "FluidR3_GM.sf3", "default-GM.sf2", "default-GM.sf3")


@dataclass(frozen=True)
class FoundSoundfont:
    """A SoundFont on this machine and where it was found (``flag``, ``environment``, ``system``…)."""

    path: Path
    origin: str


def embedded_soundfont() -> Path:
    """The TimGM6mb.sf2 inside the pretty_midi package, found without importing it (its import loads
    pyfluidsynth and mido: about 25 ms of a cold render by ``python -X importtime``, and a line on
    stdout when $CI is set)."""
    spec = importlib.util.find_spec("pretty_midi")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("pretty_midi is not installed (it carries the embedded TimGM6mb.sf2): "
                                     "pip install pretty_midi")
    return Path(next(iter(spec.submodule_search_locations))) / "TimGM6mb.sf2"


def project_soundfont_dir() -> Path:
    """The repository's ``soundfonts/`` folder (fonts dropped there are found too)."""
    return Path(__file__).resolve().parents[2] / "soundfonts"


def find_soundfonts() -> list[FoundSoundfont]:
    """Every SoundFont found, in resolution order; the first is the default."""
    found: list[FoundSoundfont] = []
    from_environment = os.environ.get(ENVIRONMENT_VARIABLE)
    if from_environment:
        found.append(FoundSoundfont(Path(from_environment), "environment"))
    system = []
    for folder in (*SYSTEM_DIRECTORIES, project_soundfont_dir()):
        if folder.is_dir():
            system += sorted(p for p in folder.iterdir() if p.suffix.lower() in SOUNDFONT_EXTENSIONS)
    system.sort(key=_preference)
    seen = {p.resolve() for p in (f.path for f in found)}
    for path in system:
        if path.resolve() not in seen and path.is_file():
            seen.add(path.resolve())
            found.append(FoundSoundfont(path, "system"))
    embedded = embedded_soundfont()
    if embedded.is_file():
        found.append(FoundSoundfont(embedded, "embedded"))
    return found


def _preference(path: Path) -> tuple[int, str]:
    """Sort key: the preferred names in their order, then every other font by name."""
    if path.name in PREFERRED_SYSTEM_NAMES:
        return PREFERRED_SYSTEM_NAMES.index(path.name), path.name
    return len(PREFERRED_SYSTEM_NAMES), path.name


def resolve_soundfont(soundfont: str | os.PathLike | None = None) -> Path:
    """The SoundFont to use: ``soundfont`` if given, else the first one found.

    Raises
    ------
    InputError
        When the chosen file is missing or not a SoundFont; the message lists the fonts found.
    """
    if soundfont is not None:
        return validate_soundfont(Path(soundfont).expanduser())
    found = find_soundfonts()
    if not found:
        raise InputError("no SoundFont found; pass --soundfont FILE.sf2 or set MIDISTYLE_SOUNDFONT")
    return validate_soundfont(found[0].path)


def validate_soundfont(path: Path) -> Path:
    """Check that ``path`` is a readable RIFF ``sfbk`` file; name it and the alternatives if not."""
    problem = None
    if not path.is_file():
        problem = "no such file" if not path.exists() else "is not a file"
    elif path.suffix.lower() not in SOUNDFONT_EXTENSIONS:
        problem = f"is not a .sf2/.sf3 file (extension {path.suffix or '(none)'})"
    else:
        with open(path, "rb") as handle:
            header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"sfbk":
            problem = "is not a valid SoundFont (no RIFF sfbk header)"
    if problem:
        alternatives = ", ".join(str(f.path) for f in find_soundfonts() if f.path != path) or "none"
        raise InputError(f"soundfont {path}: {problem}; found: {alternatives}")
    return path
