"""The studio in a real browser: Debian's Chromium driven by Playwright, against ``midistyle serve``.

The server runs as the user starts it, on a free loopback port. Screenshots are saved in
``out/test-artifacts/`` (ignored by git) for a person to look at.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import soundfile

from midistyle.music.io import read_score

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "out" / "test-artifacts"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("chromium is missing: `make test` installs it (apt-get install chromium)")
    pytest.skip("chromium is not installed (make test installs it)", allow_module_level=True)
try:
    import playwright.sync_api as playwright
except ModuleNotFoundError:
    if os.environ.get("CI"):
        raise RuntimeError("playwright is missing: `make` installs the dev extra (pip install -e '.[dev]')") from None
    pytest.skip("playwright is not installed (make installs it)", allow_module_level=True)


@pytest.fixture(scope="module")
def studio_url(tmp_path_factory):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "midistyle.cli", "serve", "--port", str(port)],
                                  stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.time() > deadline:
            server.kill()
            raise RuntimeError(f"the studio did not start: {log.read_text()[-2000:]}")
        time.sleep(0.3)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def driver():
    with playwright.sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def page(driver, studio_url):
    browser = driver.chromium.launch(executable_path=CHROMIUM)
    context = browser.new_context(viewport={"width": 1280, "height": 1400}, accept_downloads=True)
    yield context.new_page()
    browser.close()


@pytest.fixture(scope="module")
def microphone_page(driver, studio_url, tmp_path_factory):
    """A Chromium whose microphone plays a recording of a flute scale (Chromium's fake capture device)."""
    from midistyle.audio.render import RenderConfig, Renderer
    from midistyle.audio.soundfonts import embedded_soundfont
    from tests.test_transcribe import SCALE, _played

    with Renderer(RenderConfig(sample_rate=48000, soundfont=str(embedded_soundfont()))) as renderer:
        audio = renderer.render(_played(SCALE)).audio
    silence = np.zeros((48000, audio.shape[1]), np.float32)
    wav = tmp_path_factory.mktemp("microphone") / "scale.wav"
    soundfile.write(str(wav), np.concatenate([silence, audio, silence]), 48000, subtype="PCM_16")
    browser = driver.chromium.launch(executable_path=CHROMIUM, args=[
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}%noloop", "--autoplay-policy=no-user-gesture-required"])
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    yield context.new_page()
    browser.close()


def test_upload_a_melody_see_the_score_hear_it_download_it(page, studio_url, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(studio_url + "/")
    folk = Path(__file__).resolve().parents[1] / "datasets" / "folk_melodies" / "folk_02.mid"
    page.set_input_files("#harmonize-form input[name=file]", str(folk))
    page.fill("#harmonize-form input[name=samples]", "2")
    page.click("#harmonize-form button[type=submit]")
    page.wait_for_selector("#result:not([hidden])", timeout=120_000)
    page.wait_for_selector("#score-svg:not([hidden]) svg g.measure", timeout=30_000)  # inline: bars can be clicked
    svg = page.request.get(studio_url + page.get_attribute("#score-svg", "data-src")).text()
    assert svg.count('class="staff"') >= 4 and svg.count('class="note"') > 40  # four staves of notes
    assert page.locator("#score-svg g.note").count() > 40
    assert page.get_attribute("#audio", "src").endswith("chorale.wav")
    assert page.evaluate("document.getElementById('audio').canPlayType('audio/wav')") != ""
    page.wait_for_function("() => { const i = document.getElementById('roll'); "
                           "return i.complete && i.naturalWidth > 0 }")
    assert page.locator("#ranking tbody tr").count() == 2
    page.screenshot(path=str(ARTIFACTS / "studio_harmonized.png"), full_page=True)
    with page.expect_download() as download_info:
        page.click("#downloads a:has-text('Download MIDI')")
    target = tmp_path / "chorale.mid"
    download_info.value.save_as(str(target))
    assert read_score(target).num_voices == 4


def test_a_corrupt_upload_shows_the_one_line_message(page, studio_url, tmp_path):
    bad = tmp_path / "broken.mid"
    bad.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02garbage")
    page.goto(studio_url + "/")
    page.set_input_files("#harmonize-form input[name=file]", str(bad))
    page.click("#harmonize-form button[type=submit]")
    page.wait_for_selector("#error:not([hidden])", timeout=30_000)
    message = page.inner_text("#error")
    assert message.startswith("broken.mid: is not a readable MIDI file") and "\n" not in message
    page.screenshot(path=str(ARTIFACTS / "studio_error.png"))


def test_check_a_four_part_score_and_see_its_marks(page, studio_url, data_dir):
    page.goto(studio_url + "/")
    page.click("nav .tab[data-panel=check]")
    page.set_input_files("#check-form input[name=file]", str(data_dir / "chorale_excerpt.musicxml"))
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#critique:not([hidden])", timeout=60_000)
    page.wait_for_function("() => { const i = document.getElementById('score'); "
                           "return i.complete && i.naturalWidth > 0 }")
    assert page.locator("#rates tbody tr").count() == 18  # every rule, beside Bach's rate
    marks = page.locator("#marks tbody tr").count()
    svg = page.request.get(studio_url + page.get_attribute("#score", "src")).text()
    assert marks > 0 and "#d00000" in svg.lower()  # the marked notes are red on the sheet music
    assert page.is_hidden("#player-main") and "bar" in page.inner_text("#cadences")
    page.screenshot(path=str(ARTIFACTS / "studio_check.png"), full_page=True)


def _notes_outside(score, start: int, end: int) -> list:
    return [[(n.onset_step, n.pitch, n.duration_steps) for n in v.notes if not start <= n.onset_step < end]
            for v in score.voices]


def test_select_bars_on_the_score_regenerate_them_and_undo(page, studio_url, tmp_path):
    page.goto(studio_url + "/")
    page.click("#harmonize-form button[type=submit]")  # the embedded example, 16 bars, no pickup
    page.wait_for_selector("#score-svg:not([hidden]) svg g.measure .bar-hit", timeout=120_000)
    original = page.get_attribute("#downloads a:has-text('Download MusicXML')", "href")
    bars = page.locator("#score-svg g.measure")
    bars.nth(4).locator(".bar-hit").click(force=True)  # bar 5 ...
    bars.nth(5).locator(".bar-hit").click(modifiers=["Shift"], force=True)  # ... to bar 6
    assert page.inner_text("#selection") == "bars 5\u20136 selected"
    assert page.locator("#score-svg g.measure.selected").count() == 2
    page.check("#regenerate-form input[value=bass]")  # lock the bass
    page.click("#regenerate-form button[type=submit]")
    page.wait_for_function("() => [...document.querySelectorAll('#messages li')]"
                           ".some((li) => li.textContent.startsWith('bars 5-6: alto, tenor rewritten'))",
                           timeout=120_000)
    page.wait_for_selector("#score-svg:not([hidden]) svg g.measure", timeout=30_000)
    regenerated = page.get_attribute("#downloads a:has-text('Download MusicXML')", "href")
    assert page.inner_text("#selection") == "bars 5\u20136 selected"  # still selected: another version, one click
    assert regenerated != original
    before, after = tmp_path / "before.musicxml", tmp_path / "after.musicxml"
    before.write_bytes(page.request.get(studio_url + original).body())
    after.write_bytes(page.request.get(studio_url + regenerated).body())
    old, new = read_score(before), read_score(after)
    start, end = old.bar_span(5, 6)
    assert _notes_outside(old, start, end) == _notes_outside(new, start, end)  # the rest of the score is unchanged
    assert old.voices[3].notes == new.voices[3].notes  # the locked bass too
    assert old.voices[1].notes != new.voices[1].notes or old.voices[2].notes != new.voices[2].notes
    page.screenshot(path=str(ARTIFACTS / "studio_regenerated.png"), full_page=True)
    page.click("#undo")
    assert page.get_attribute("#downloads a:has-text('Download MusicXML')", "href") == original
    assert page.is_disabled("#undo")


def test_record_a_melody_see_it_then_harmonize_it(microphone_page, studio_url):
    from tests.test_transcribe import SCALE

    page = microphone_page
    page.goto(studio_url + "/")
    page.uncheck("#count-in")
    page.click("#record")
    page.wait_for_function("() => !document.getElementById('stop').disabled", timeout=10_000)
    page.wait_for_timeout(7_500)  # the fake microphone plays 1 s of silence, the 5 s scale, 1 s of silence
    page.click("#stop")
    page.wait_for_function("() => document.getElementById('record-status').textContent.startsWith('recorded ')",
                           timeout=10_000)  # after the recording is resampled and encoded
    assert page.is_visible("#recording")
    page.click("#show-melody")
    page.wait_for_function("() => [...document.querySelectorAll('#messages li')]"
                           ".some((li) => li.textContent.startsWith('transcribed '))", timeout=60_000)
    page.wait_for_selector("#score-svg:not([hidden]) svg g.measure", timeout=30_000)
    melody = page.get_attribute("#downloads a:has-text('Download MIDI')", "href")
    heard = page.request.get(studio_url + melody).body()
    path = ARTIFACTS / "recorded_melody.mid"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path.write_bytes(heard)
    assert [n.pitch for n in read_score(path).voices[0].notes] == SCALE  # heard through the microphone
    assert page.is_hidden("#regenerate-form")
    page.click("#harmonize-form button[type=submit]")  # the recording, harmonized
    page.wait_for_function("() => [...document.querySelectorAll('#messages li')]"
                           ".some((li) => li.textContent.startsWith('key: '))", timeout=120_000)
    page.wait_for_selector("#score-svg:not([hidden]) svg g.measure", timeout=30_000)
    chorale = page.request.get(studio_url + page.get_attribute("#downloads a:has-text('Download MIDI')", "href"))
    path.write_bytes(chorale.body())
    harmonized = read_score(path)
    assert harmonized.num_voices == 4 and [n.pitch for n in harmonized.voices[0].notes] == SCALE
    page.screenshot(path=str(ARTIFACTS / "studio_recorded.png"), full_page=True)
