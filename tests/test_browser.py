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

import pytest

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
def page(studio_url):
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(viewport={"width": 1280, "height": 1400}, accept_downloads=True)
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
    page.wait_for_function("() => { const i = document.getElementById('score'); "
                           "return i.complete && i.naturalWidth > 0 }")
    svg = page.request.get(studio_url + page.get_attribute("#score", "src")).text()
    assert svg.count('class="staff"') >= 4 and svg.count('class="note"') > 40  # four staves of notes
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
