"""Sheet music: a score engraved by verovio, as SVG pages, one long SVG, PDF or PNG.

The score goes to verovio as our own MusicXML (real measures, ties, named parts, key, meter and
pickup), and verovio (LGPL-3.0, offline, fonts inside its wheel) lays it out and draws it. PDF and
PNG are drawn from those SVGs by CairoSVG; a PDF keeps one page per verovio page. The SVGs carry
no external URLs, so a browser shows them offline.

verovio finds its music font only through a resource path that it sets in the thread that imports
it; a toolkit made in another thread (a web server's worker) draws nothing unless it is given the
path itself, so every toolkit here is made with ``toolkit(False)`` and ``setResourcePath``.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from midistyle.errors import InputError, MissingDependencyError
from midistyle.music.io import atomic_path, read_score_as_written, write_score
from midistyle.music.score import Score

ENGRAVE_EXTENSIONS = (".svg", ".pdf", ".png")
PNG_WIDTH_PX = 1600
PNG_MAX_HEIGHT_PX = 32000  # cairo's images stop at 32 767 pixels a side
PNG_MIN_WIDTH_PX = 600  # narrower, and the notes are too small to read


@dataclass(frozen=True)
class EngraveConfig:
    """Page layout in verovio's units (tenths of a millimetre at scale 100); ``long_page`` puts every
    system on one page (for the screen), otherwise A4 pages."""

    scale: int = 40
    page_width: int = 2100
    page_height: int = 2970
    long_page: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def _toolkit(config: EngraveConfig):
    try:
        import verovio
    except ModuleNotFoundError:
        raise MissingDependencyError("engraving needs verovio: pip install verovio") from None
    toolkit = verovio.toolkit(False)  # fonts by explicit path: works in any thread
    toolkit.setResourcePath(str(Path(verovio.__file__).parent / "data"))
    options = {"scale": config.scale, "pageWidth": config.page_width, "pageHeight": config.page_height,
               "adjustPageHeight": True, "footer": "none", "header": "auto", "breaks": "auto"}
    if config.long_page:
        options["pageHeight"] = 60000  # verovio's maximum: every system on one page
    toolkit.setOptions(options)
    return toolkit


MARK_COLOUR = "#d00000"


def engrave_svg(score: Score, config: EngraveConfig | None = None,
                highlights: Mapping[tuple[int, int], str] | None = None) -> list[str]:
    """The score as SVG pages (one string per page).

    Parameters
    ----------
    highlights : mapping of (voice index, onset step) to str, optional
        Notes to draw in red, each with its label written under it (the harmony critic's marks).

    Raises
    ------
    InputError
        When verovio cannot lay the score out.
    """
    with tempfile.TemporaryDirectory(prefix="midistyle-engrave-") as folder:
        if highlights:
            musicxml = _highlighted_musicxml(score, highlights, Path(folder) / "score.musicxml")
        else:
            musicxml = write_score(score, Path(folder) / "score.musicxml").read_text()
    return engrave_musicxml(musicxml, config)


def _highlighted_musicxml(score: Score, highlights: Mapping[tuple[int, int], str], path: Path) -> str:
    """Our MusicXML with the highlighted notes coloured and labelled (a lyric under each)."""
    from midistyle.music.musicxml import score_to_music21

    parsed = score_to_music21(score)
    for v, part in enumerate(parsed.parts):
        line = 0  # labels of neighbouring notes alternate between two lines, so that they never run together
        for element in part.recurse().notes:
            if element.tie is not None and element.tie.type in ("stop", "continue"):
                continue  # the note's later pieces across a bar line
            quarters = float(element.getOffsetInHierarchy(part))  # from the pickup's first note
            label = highlights.get((v, round(quarters * score.steps_per_quarter)))
            if label:
                element.style.color = MARK_COLOUR
                element.addLyric(label, lyricNumber=line + 1)
                line = 1 - line
    parsed.write("musicxml", fp=str(path), makeNotation=True)
    return path.read_text()


def engrave_musicxml(musicxml: str, config: EngraveConfig | None = None) -> list[str]:
    """Like :func:`engrave_svg`, from MusicXML text already written (saves writing it again)."""
    config = config or EngraveConfig()
    toolkit = _toolkit(config)
    if not toolkit.loadData(musicxml):
        raise InputError("verovio could not read the score's MusicXML")
    pages = [toolkit.renderToSVG(page) for page in range(1, toolkit.getPageCount() + 1)]
    if not pages or "<path" not in pages[0]:
        raise InputError("verovio drew an empty page (its music font was not found)")
    return pages


def engrave(source: Score | str | os.PathLike, out_path: str | os.PathLike, *,
            config: EngraveConfig | None = None,
            highlights: Mapping[tuple[int, int], str] | None = None) -> Path:
    """Engrave a score (or a score file) to ``out_path``: ``.svg`` (one long page), ``.pdf`` (A4
    pages) or ``.png`` (one long page). Written atomically. ``highlights`` as for :func:`engrave_svg`.

    Raises
    ------
    InputError
        An unknown extension, or a score file that cannot be read.
    """
    out_path = Path(out_path)
    suffix = out_path.suffix.lower()
    if suffix not in ENGRAVE_EXTENSIONS:
        raise InputError(f"{out_path}: cannot engrave to {suffix or '(none)'!r}; use .svg, .pdf or .png")
    score = source if isinstance(source, Score) else read_score_as_written(source)
    if config is None:
        config = EngraveConfig(long_page=suffix != ".pdf")
    pages = engrave_svg(score, config, highlights)
    with atomic_path(out_path) as temporary:
        if suffix == ".svg":
            temporary.write_text(stack_pages(pages))
        elif suffix == ".png":
            svg = music_text_as_paths(stack_pages(pages))
            _cairosvg().svg2png(bytestring=svg.encode(), write_to=str(temporary),
                                output_width=_png_width(svg, out_path), background_color="white")
        else:
            _pdf(pages, temporary)
    return out_path


def _png_width(svg: str, out_path: Path) -> int:
    """The PNG width: 1600 px, narrower when a long score would pass cairo's height limit.

    Raises
    ------
    InputError
        When the score is too long to read on one PNG page.
    """
    match = re.search(r'<svg[^>]*width="([\d.]+)px"[^>]*height="([\d.]+)px"', svg)
    if not match:
        return PNG_WIDTH_PX
    width, height = float(match.group(1)), float(match.group(2))
    fitting = int(PNG_MAX_HEIGHT_PX * width / height)
    if fitting < PNG_MIN_WIDTH_PX:
        raise InputError(f"{out_path}: the score is too long to read on one PNG page; write .pdf or .svg")
    return min(PNG_WIDTH_PX, fitting)


def _cairosvg():
    try:
        import cairosvg
    except (ModuleNotFoundError, OSError):
        raise MissingDependencyError("PDF and PNG engraving need CairoSVG and the cairo library: "
                                     "pip install cairosvg; apt-get install libcairo2") from None
    return cairosvg


def _pdf(pages: list[str], target: Path) -> None:
    from pypdf import PdfWriter

    cairosvg = _cairosvg()
    writer = PdfWriter()
    with tempfile.TemporaryDirectory(prefix="midistyle-pdf-") as folder:
        for index, page in enumerate(pages):
            page_path = Path(folder) / f"page{index}.pdf"
            cairosvg.svg2pdf(bytestring=music_text_as_paths(page).encode(), write_to=str(page_path))
            writer.append(str(page_path))
        with open(target, "wb") as handle:
            writer.write(handle)


_MUSIC_TEXT = re.compile(  # a text whose first run is in the music font: the note of a tempo mark
    r'<text x="(?P<x>-?[\d.]+)" y="(?P<y>-?[\d.]+)"(?P<attributes>[^>]*)>(?P<before>\s*(?:<tspan[^>]*>\s*)*)'
    r'<tspan font-family="(?P<font>[A-Za-z]+)" font-size="(?P<size>[\d.]+)px">(?P<glyphs>[\ue000-\uf8ff]+)</tspan>')


def music_text_as_paths(svg: str) -> str:
    """``svg`` with the music-font characters verovio writes as text (the note in "♩ = 120") drawn
    as outlines instead, shape unchanged otherwise.

    Browsers draw those characters with the font verovio embeds in the SVG (``@font-face``), but
    CairoSVG ignores embedded fonts, so the PNG and PDF showed an empty box. Each glyph comes from
    verovio's own outline for it (``data/<font>/<code>.xml``, 1000 units per em) at the text's
    size; the rest of the text moves right by the glyphs' advance. Centred or right-aligned text
    (a ``text-anchor``) is left as it is: where its glyphs fall depends on the width of the whole.
    Accidentals after a letter (a chord symbol's flat) become characters of the text font
    (:func:`_music_accidentals_as_characters`).
    """
    def outline(match: re.Match) -> str:
        if "text-anchor" in match["attributes"]:
            return match[0]
        size = float(match["size"])
        drawn, advance = [], 0.0
        for glyph in match["glyphs"]:
            shape = _glyph(match["font"], f"{ord(glyph):04X}")
            if shape is None:
                return match[0]  # a glyph verovio has no outline for: leave the text as it was
            path, width = shape
            drawn.append(f'<g transform="translate({advance:g},0)">{path}</g>')
            advance += width
        scale = size / 1000
        shapes = f'<g transform="translate({match["x"]},{match["y"]}) scale({scale!r})">{"".join(drawn)}</g>'
        return (f'{shapes}<text x="{float(match["x"]) + advance * scale:.3f}" y="{match["y"]}"{match["attributes"]}>'
                f'{match["before"]}<tspan font-size="{match["size"]}px"></tspan>')

    return _music_accidentals_as_characters(_MUSIC_TEXT.sub(outline, svg))


_ACCIDENTAL_CHARACTERS = {"Flat": "\u266d", "Sharp": "\u266f", "Natural": "\u266e",
                          "DoubleFlat": "\u266d\u266d", "DoubleSharp": "\u266f\u266f"}
_TEXT = re.compile(r"<text\b[^>]*>.*?</text>", re.S)
_MUSIC_RUN = re.compile(
    r'<tspan font-family="(?P<font>[A-Za-z]+)" font-size="[\d.]+px">(?P<glyphs>[\ue000-\uf8ff]+)</tspan>')
_TEXT_SIZE = re.compile(r'<tspan font-size="(?P<size>[\d.]+)px">[^<\ue000-\uf8ff]')


def _music_accidentals_as_characters(svg: str) -> str:
    """``svg`` with the music-font accidentals inside a text (the flat of a ``Bb`` chord symbol,
    which verovio writes as the figured-bass glyph after the letter) written as the text font's
    ♭, ♯ or ♮ at the text's size: where they fall depends on the letter's width, so they cannot be
    drawn as outlines as :func:`music_text_as_paths` draws a leading glyph, and CairoSVG showed an
    empty box for them. A glyph that is not an accidental is left as it was."""
    def in_text(block: re.Match) -> str:
        text = block[0]
        size = _TEXT_SIZE.search(text)
        if size is None:
            return text

        def character(run: re.Match) -> str:
            names = [_glyph_name(run["font"], f"{ord(glyph):04X}") for glyph in run["glyphs"]]
            kinds = [next((k for k in sorted(_ACCIDENTAL_CHARACTERS, key=len, reverse=True)
                           if name and name.endswith(k)), None) for name in names]
            if None in kinds:
                return run[0]
            return f'<tspan font-size="{size["size"]}px">{"".join(_ACCIDENTAL_CHARACTERS[k] for k in kinds)}</tspan>'

        return _MUSIC_RUN.sub(character, text)

    return _TEXT.sub(in_text, svg)


@functools.lru_cache(maxsize=64)
def _glyph_name(font: str, code: str) -> str | None:
    """The SMuFL name verovio's font table gives a glyph (``figbassFlat``), or None."""
    import verovio

    try:
        table = (Path(verovio.__file__).parent / "data" / f"{font}.xml").read_text()
    except OSError:
        return None
    name = re.search(rf'<g c="{code}"[^>]*\bn="([^"]+)"', table)
    return name[1] if name else None


@functools.lru_cache(maxsize=64)
def _glyph(font: str, code: str) -> tuple[str, float] | None:
    """verovio's outline of one music-font glyph as SVG (y up, 1000 units per em) and its advance."""
    import verovio

    data = Path(verovio.__file__).parent / "data"
    try:
        outline = (data / font / f"{code}.xml").read_text()
        boxes = (data / f"{font}.xml").read_text()
    except OSError:
        return None
    advance = re.search(rf'<g c="{code}"[^>]*h-a-x="([\d.]+)"', boxes)
    path = re.search(r"<path[^>]*/>", outline)
    return (path[0], float(advance[1])) if advance and path else None


def stack_pages(pages: list[str]) -> str:
    """SVG pages as one tall SVG (nested <svg> elements, one under the other); one page as it is."""
    if len(pages) == 1:
        return pages[0]
    import re

    heights, bodies, width = [], [], 0
    for page in pages:
        match = re.search(r'<svg[^>]*width="(\d+(?:\.\d+)?)px"[^>]*height="(\d+(?:\.\d+)?)px"', page)
        page_width, page_height = (float(match.group(1)), float(match.group(2))) if match else (800.0, 1100.0)
        width = max(width, page_width)
        body = page[page.index("<svg"):] if "<svg" in page else page
        bodies.append(f'<g transform="translate(0,{sum(heights)})">{body}</g>')
        heights.append(page_height)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{width}px" height="{sum(heights)}px">' + "".join(bodies) + "</svg>")
