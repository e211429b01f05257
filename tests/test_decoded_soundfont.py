"""An SF3 decoded once into an SF2 renders bit for bit as the SF3 does, and the cache behaves."""

import os
import struct
from pathlib import Path

import numpy as np
import pytest

from midistyle.audio import decoded_soundfont
from midistyle.audio.decoded_soundfont import SAMPLE_HEADER, decode_soundfont, decoded_path, playable_soundfont
from midistyle.audio.render import RenderConfig, Renderer
from midistyle.audio.soundfonts import embedded_soundfont, find_soundfonts

SF3_FONTS = [f.path for f in find_soundfonts() if f.path.suffix.lower() == ".sf3"]
needs_sf3 = pytest.mark.skipif(not SF3_FONTS, reason="no SF3 font installed (make installs MuseScore General)")


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "midistyle-cache"
    monkeypatch.setenv(decoded_soundfont.CACHE_ENVIRONMENT_VARIABLE, str(folder))
    return folder


def _render(font, chorale, program_names, sample_cache):
    config = RenderConfig(sample_rate=22050, soundfont=str(font), instruments=program_names,
                          sample_cache=sample_cache)
    with Renderer(config) as renderer:
        return renderer.render(chorale).audio


def _sample_headers(path: Path) -> list[tuple]:
    data = path.read_bytes()
    at = data.index(b"shdr")
    size = struct.unpack_from("<I", data, at + 4)[0]
    return [SAMPLE_HEADER.unpack_from(data, at + 8 + i * SAMPLE_HEADER.size) for i in range(size // SAMPLE_HEADER.size)]


@needs_sf3
@pytest.mark.parametrize("instruments", [None, ("church organ",), ("choir aahs",)], ids=["piano", "organ", "choir"])
def test_decoded_font_renders_bit_for_bit_as_the_sf3(test_chorales, instruments):
    sf3 = SF3_FONTS[0]
    decoded = playable_soundfont(sf3)
    assert decoded != sf3 and decoded.suffix == ".sf2" and decoded.is_file()
    chorale = test_chorales[0]
    assert np.array_equal(_render(sf3, chorale, instruments, sample_cache=True),
                          _render(sf3, chorale, instruments, sample_cache=False))


@needs_sf3
def test_every_sample_is_pcm_with_its_loop_inside_it():
    decoded = playable_soundfont(SF3_FONTS[0])
    headers = _sample_headers(decoded)[:-1]
    assert headers and all(not kind & decoded_soundfont.VORBIS_FLAG for *_, kind in headers)
    for _, start, end, loop_start, loop_end, *_ in headers:
        assert start < end and start <= loop_start <= loop_end <= end + decoded_soundfont.PADDING_SAMPLES
    ends = [end for _, _, end, *_ in headers]
    starts = [start for _, start, *_ in headers]
    assert all(b - a == decoded_soundfont.PADDING_SAMPLES for a, b in zip(ends, starts[1:]))


@needs_sf3
def test_the_cache_is_built_once_and_named_after_the_fonts_state(tmp_path):
    first = playable_soundfont(SF3_FONTS[0])
    built = first.stat().st_mtime_ns
    assert playable_soundfont(SF3_FONTS[0]) == first and first.stat().st_mtime_ns == built
    font = tmp_path / "Copy.sf3"
    font.write_bytes(b"RIFF")
    before = decoded_path(font)
    os.utime(font, ns=(font.stat().st_atime_ns, font.stat().st_mtime_ns + 10**9))  # the font changed
    assert decoded_path(font) != before


def test_an_sf2_is_used_as_it_is_and_a_rewrite_of_it_renders_the_same(tmp_path, test_chorales):
    font = embedded_soundfont()
    assert playable_soundfont(font) == font
    copy = tmp_path / "rewritten.sf2"
    assert decode_soundfont(font, copy) == 0  # no compressed samples
    assert [h[0] for h in _sample_headers(copy)] == [h[0] for h in _sample_headers(font)]
    assert np.array_equal(_render(copy, test_chorales[0], None, True), _render(font, test_chorales[0], None, True))


@needs_sf3
def test_an_unwritable_cache_falls_back_to_the_sf3(monkeypatch, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    monkeypatch.setenv(decoded_soundfont.CACHE_ENVIRONMENT_VARIABLE, str(blocked))
    assert playable_soundfont(SF3_FONTS[0]) == SF3_FONTS[0]


def test_a_file_that_is_not_a_soundfont_is_refused_once_and_leaves_nothing(tmp_path, private_cache, capsys):
    bad = tmp_path / "bad.sf3"
    bad.write_bytes(b"RIFF\x04\x00\x00\x00WAVE")
    with pytest.raises(ValueError, match="not a SoundFont"):
        decode_soundfont(bad, tmp_path / "out.sf2")
    assert playable_soundfont(bad) == bad  # FluidSynth then names the problem when it loads it
    assert capsys.readouterr().err == ""  # the renderer's error is the one line a user sees
    folder = decoded_path(bad).parent
    assert not list(folder.glob("bad-*.sf2")) and not list(folder.glob(".bad-*.part"))
    assert "not a SoundFont" in decoded_path(bad).with_suffix(".failed").read_text()  # the reason is kept
    assert playable_soundfont(bad) == bad and "decoding" not in capsys.readouterr().err  # not tried again


def test_a_missing_font_is_left_to_the_renderer_to_name(tmp_path):
    missing = tmp_path / "gone.sf3"
    assert playable_soundfont(missing) == missing


def test_leftovers_of_a_killed_decode_are_removed(tmp_path, private_cache):
    bad = tmp_path / "other.sf3"
    bad.write_bytes(b"RIFF\x04\x00\x00\x00sfbk")
    folder = decoded_path(bad).parent
    folder.mkdir(parents=True, exist_ok=True)
    leftover = folder / ".Some-0123.sf2.abc.part"
    leftover.write_bytes(b"half a font")
    playable_soundfont(bad)  # fails to decode, but under the lock first clears what a dead writer left
    assert not leftover.exists()
