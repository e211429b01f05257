"""The studio's HTTP API through FastAPI's test client: every endpoint, error and limit."""

import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import soundfile
import symusic

from midistyle.music.harmony import above_bach
from midistyle.music.io import read_score

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from midistyle.serve.app import StudioConfig, create_app, is_loopback  # noqa: E402
from midistyle.serve.jobs import JobStore  # noqa: E402


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(StudioConfig(max_running=1, jobs_dir=str(tmp_path_factory.mktemp("jobs")), warm_up=False))
    with TestClient(app) as client:
        yield client


def _wait(client, job, seconds=120):
    deadline = time.time() + seconds
    while job["status"] in ("queued", "running"):
        assert time.time() < deadline, job
        time.sleep(0.1)
        response = client.get(job["job"])
        assert response.status_code == 200
        job = response.json()
    return job


def _midi_bytes(notes):
    midi = symusic.Score(480)
    track = symusic.Track("melody", 0, False)
    for onset, duration, pitch in notes:
        track.notes.append(symusic.Note(onset, duration, pitch, 80))
    midi.tracks.append(track)
    return midi.dumps_midi()


@pytest.fixture(scope="module")
def harmonized(client, data_dir):
    with open(data_dir / "melody_only.mid", "rb") as handle:
        response = client.post("/api/harmonize", files={"file": ("tune.mid", handle, "audio/midi")},
                               data={"samples": "2", "seed": "3"})
    assert response.status_code == 202, response.text
    return _wait(client, response.json())


def test_harmonize_with_the_network_alone(client):
    response = client.post("/api/harmonize", data={"decoder": "greedy"})
    job = _wait(client, response.json())
    assert job["status"] == "done", job["error"]
    assert any("decoder: greedy" in m for m in job["messages"])


def test_a_key_that_does_not_fit_the_melody_is_warned_about_in_the_report(client, data_dir):
    with open(data_dir / "melody_only.mid", "rb") as handle:  # in G major
        response = client.post("/api/harmonize", files={"file": ("tune.mid", handle, "audio/midi")},
                               data={"key": "Ab major"})
    job = _wait(client, response.json())
    assert job["status"] == "done", job["error"]
    assert any(m.startswith("warning: --key Ab major does not fit this melody") for m in job["messages"])


def test_health(client):
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["max_running"] == 1


def test_harmonize_gives_every_file_and_ranked_samples(client, harmonized, tmp_path):
    assert harmonized["status"] == "done", harmonized["error"]
    assert set(harmonized["files"]) >= {"mid", "musicxml", "svg", "png", "wav"}
    midi = client.get(harmonized["files"]["mid"])
    assert midi.status_code == 200
    (tmp_path / "chorale.mid").write_bytes(midi.content)
    assert read_score(tmp_path / "chorale.mid").num_voices == 4
    svg = client.get(harmonized["files"]["svg"]).text
    assert svg.count('class="staff"') >= 4 and svg.count('class="note"') > 20
    audio, rate = soundfile.read(io.BytesIO(client.get(harmonized["files"]["wav"]).content))
    assert rate == 44100 and audio.shape[0] > rate
    roll = client.get(harmonized["files"]["png"])  # drawn on this first request
    assert roll.status_code == 200 and roll.content.startswith(b"\x89PNG")
    assert [s["rank"] for s in harmonized["samples"]] == [1, 2]
    assert client.get(harmonized["samples"][1]["url"]).content.startswith(b"MThd")  # served, not in "files"
    assert harmonized["labels"]["mid"] == "MIDI" and harmonized["labels"]["png"] == "piano roll"
    assert harmonized["samples"][0]["critic"] >= harmonized["samples"][1]["critic"]
    assert any(line.startswith("key: ") for line in harmonized["messages"])


@pytest.mark.parametrize(
    "upload, status, message",
    [
        (("empty.mid", b""), 422, "empty.mid: is empty"),
        (("corrupt.mid", b"MThd\x00\x00\x00\x06\x00\x01\x00\x02garbage"), 422, "corrupt.mid: is not a readable MIDI"),
        (("notes.txt", b"just some text"), 415, "notes.txt: is not a MIDI, MusicXML"),
        (("huge.mid", b"MThd" + b"\x00" * (5 * 1024 * 1024)), 413, "larger than 5 MB"),
        (("fake.mid", b"#!/bin/sh\nrm -rf /\n"), 415, "is not a MIDI"),
    ],
    ids=["empty", "corrupt", "wrong type", "too large", "script named .mid"],
)
def test_bad_uploads_are_4xx_with_one_line(client, upload, status, message):
    response = client.post("/api/harmonize", files={"file": upload})
    assert response.status_code == status
    error = response.json()["error"]
    assert message in error and "\n" not in error
    assert client.get("/api/health").json()["status"] == "ok"


def test_a_piano_part_is_refused_with_the_hint(client):
    chords = [(i * 480, 480, pitch) for i in range(8) for pitch in (60, 64, 67)]
    response = client.post("/api/harmonize", files={"file": ("piano.mid", _midi_bytes(chords))})
    assert response.status_code == 422
    error = response.json()["error"]
    assert "piano.mid: the melody is polyphonic" in error and "--top-line" in error


@pytest.mark.parametrize("field, value, message", [("samples", "99", "samples=99 must be in 1..8"),
                                                    ("ensemble", "kazoo", "ensemble='kazoo'"),
                                                    ("key", "H major", "'H major'"),
                                                    ("instruments", "oboe, violin, viola, kazooo", "kazooo"),
                                                    ("instruments", "oboe, violin", "not 2"),
                                                    ("temperature", "hot", "temperature"),
                                                    ("decoder", "best", "decoder='best'")])
def test_bad_options_are_422(client, field, value, message):
    response = client.post("/api/harmonize", data={field: value})
    assert response.status_code == 422 and message in response.json()["error"]


@pytest.mark.parametrize(
    "path",
    ["/files/..%2F..%2Fetc%2Fpasswd", "/files/%2e%2e/%2e%2e/etc/passwd", "/files/../../../etc/passwd",
     "/files/..%252F..%252Fetc%252Fpasswd", "/files/chorale.mid%00.txt", "/files/%2Fetc%2Fpasswd",
     "/files/tune.mid", "/files/"],
)
def test_only_a_jobs_own_files_are_served(client, harmonized, path):
    response = client.get(harmonized["job"] + path)
    assert response.status_code == 404
    assert b"root:" not in response.content


@pytest.mark.parametrize("job_id", ["..", "../../etc", "0" * 32, "%2e%2e", "abc"])
def test_unknown_or_malformed_jobs_are_404(client, job_id):
    assert client.get(f"/api/jobs/{job_id}").status_code == 404
    assert client.get(f"/api/jobs/{job_id}/files/chorale.mid").status_code == 404


def test_page_and_assets_are_served_and_nothing_from_a_cdn(client):
    page = client.get("/")
    assert page.status_code == 200 and "midistyle studio" in page.text
    for asset in ("studio.js", "studio.css"):
        assert client.get(f"/static/{asset}").status_code == 200
    assert "http" not in page.text.replace("http-equiv", "")
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404


README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_table(first_header: str) -> list[list[str]]:
    """The rows of the README table whose first header cell is ``first_header``, as cells."""
    lines = README.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_api_is_as_the_readme_documents_it(client, harmonized, data_dir):
    """Every request in the README's table is in the OpenAPI document and the other way round, and the
    jobs' files have exactly the keys the README's table lists."""
    import re

    def request(method: str, path: str) -> tuple[str, str]:
        return method, re.sub(r"\{\w+\}", "{}", path)  # /api/jobs/{id} and /api/jobs/{job_id} are one

    documented = {request(*re.match(r"`(GET|POST) ([^`]+)`", row[0]).groups()) for row in _readme_table("request")}
    spec = client.get("/api/openapi.json").json()
    served = {request(method.upper(), path) for path, methods in spec["paths"].items() for method in methods
              if path.startswith("/api/")} | {("GET", "/api/openapi.json")}  # the document is not in itself
    assert documented == served
    keys = {row[0]: set(re.findall(r"`(\w+)`", row[1])) for row in _readme_table("job kind")}
    assert set(harmonized["files"]) == keys["harmonize, chorale, reharmonize, transcribe"]
    with open(data_dir / "chorale_excerpt.musicxml", "rb") as handle:
        check = _wait(client, client.post("/api/check", files={"file": ("x.musicxml", handle)}).json())
    assert set(check["files"]) == keys["check"]
    assert keys["stylize"] == {"wav", "before_wav", "png"}  # the restyle test checks a real job's


def test_harmonize_follows_chord_symbols_given_in_the_form(client, tmp_path):
    from midistyle.music.chord_symbols import chord_agreement

    response = client.post("/api/harmonize", data={"chords": " ".join(["G", "D", "G", "C"] * 4)})  # Ode to Joy: 16 bars
    assert response.status_code == 202, response.text
    job = _wait(client, response.json())
    assert job["status"] == "done" and any(m.startswith("chords: 16 symbols followed") for m in job["messages"])
    path = tmp_path / "chorale.musicxml"
    path.write_bytes(client.get(job["files"]["musicxml"]).content)
    score = read_score(path)
    assert [s.figure for s in score.chord_symbols] == ["G", "D", "G", "C"] * 4  # shown over the engraved score
    agree, total = chord_agreement(score)
    assert agree / total >= 0.95
    bad = client.post("/api/harmonize", data={"chords": "G Q"})
    assert bad.status_code == 422 and "unknown chord symbol 'Q'" in bad.json()["error"]


def test_regenerate_bars_of_a_finished_job_and_keep_the_rest(client, harmonized, tmp_path):
    before = tmp_path / "before.musicxml"
    before.write_bytes(client.get(harmonized["files"]["musicxml"]).content)
    response = client.post("/api/reharmonize", data={"job": harmonized["id"], "bars": "2-3",
                                                     "voices": "alto,tenor", "seed": "1"})
    assert response.status_code == 202, response.text
    job = _wait(client, response.json())
    assert job["status"] == "done" and set(job["files"]) == set(harmonized["files"])
    assert any("bars 2-3: alto, tenor rewritten" in m for m in job["messages"])
    after = tmp_path / "after.musicxml"
    after.write_bytes(client.get(job["files"]["musicxml"]).content)
    old, new = read_score(before), read_score(after)
    start, end = old.bar_span(2, 3)
    for a, b in zip(old.voices, new.voices):
        assert [(n.onset_step, n.pitch, n.duration_steps) for n in a.notes if not start <= n.onset_step < end] == \
            [(n.onset_step, n.pitch, n.duration_steps) for n in b.notes if not start <= n.onset_step < end]
    assert old.voices[3].notes == new.voices[3].notes  # the bass was not asked for
    for data, message in (({"job": harmonized["id"], "bars": "3-2"}, "run backwards"),
                          ({"job": harmonized["id"], "bars": "2-99"}, "outside the score's bars"),
                          ({"job": harmonized["id"], "bars": "2", "voices": "soprano"}, "voices="),
                          ({"job": "nope", "bars": "2"}, "finished harmonize or chorale job")):
        refused = client.post("/api/reharmonize", data=data)
        assert refused.status_code == 422 and message in refused.json()["error"], refused.text


def test_check_an_uploaded_score_and_a_finished_job(client, harmonized, data_dir):
    with open(data_dir / "chorale_excerpt.musicxml", "rb") as handle:
        response = client.post("/api/check", files={"file": ("exercise.musicxml", handle, "application/xml")})
    assert response.status_code == 202, response.text
    job = _wait(client, response.json())
    assert job["status"] == "done" and set(job["files"]) == {"json", "svg"}
    found = client.get(job["files"]["json"]).json()
    assert set(found["rates"]) == set(found["bach_rates"]) == set(found["rule_names"])
    assert all({"rule", "bar", "beat", "voices"} <= set(m) for m in found["marks"])
    assert found["marks"] and "#d00000" in client.get(job["files"]["svg"]).text.lower()  # the marked notes in red
    assert any(line.startswith("above Bach's rate:") for line in job["messages"])
    assert found["above_bach"] == above_bach(found["rates"], found["bach_rates"])  # what the page colours
    again = _wait(client, client.post("/api/check", data={"job": harmonized["id"]}).json())
    assert again["status"] == "done" and "cadences: " in again["messages"][0]


@pytest.mark.parametrize(("data", "message"), [
    ({}, "give a four-part score file"),
    ({"job": "nope"}, "give a four-part score file"),
], ids=["nothing", "unknown job"])
def test_check_without_a_score_is_422(client, data, message):
    response = client.post("/api/check", data=data)
    assert response.status_code == 422 and message in response.json()["error"]


def test_check_refuses_a_melody_in_one_line(client, data_dir):
    with open(data_dir / "melody_only.mid", "rb") as handle:
        response = client.post("/api/check", files={"file": ("tune.mid", handle, "audio/midi")})
    assert response.status_code == 422
    assert response.json()["error"].startswith("tune.mid: is not a four-part score: 1 part")


def test_generate_a_chorale(client):
    response = client.post("/api/chorale", data={"bars": "4", "seed": "1", "instruments": "oboe, violin, viola, cello"})
    assert response.status_code == 202
    job = _wait(client, response.json())
    assert job["status"] == "done", job["error"]
    assert {"mid", "svg", "wav", "musicxml"} <= set(job["files"])
    assert any("phrases, fermatas at" in message for message in job["messages"])  # what the plan did
    musicxml = client.get(job["files"]["musicxml"]).text
    assert musicxml.count("<fermata") >= 4  # at least the final chord's, in all four voices
    assert client.post("/api/chorale", data={"bars": "0"}).status_code == 422


def test_restyle_an_uploaded_clip_with_the_embedded_cello(client):
    rate = 22050
    t = np.arange(2 * rate) / rate
    clip = io.BytesIO()
    soundfile.write(clip, 0.3 * np.sin(2 * np.pi * 220 * t) * np.exp(-t), rate, format="WAV")
    response = client.post("/api/stylize", files={"content": ("tone.wav", clip.getvalue())},
                           data={"strength": "0.5"})
    assert response.status_code == 202, response.text
    job = _wait(client, response.json())
    assert job["status"] == "done", job["error"]
    assert set(job["files"]) == {"wav", "before_wav", "png"}
    silent = io.BytesIO()
    soundfile.write(silent, np.zeros(rate), rate, format="WAV")
    response = client.post("/api/stylize", files={"content": ("silent.wav", silent.getvalue())})
    assert response.status_code == 422 and "silent" in response.json()["error"]
    response = client.post("/api/stylize", data={"job": "f" * 32})
    assert response.status_code == 422 and "finished harmonize or chorale job" in response.json()["error"]
    root = client.app.state.store.root
    assert not list(root.glob("stylize-*"))  # uploads go with their job, or at once when refused


def test_twenty_concurrent_requests_from_one_client_get_its_share_and_429s(client):
    def post(_):
        return client.post("/api/chorale", data={"bars": "1", "seed": "0"})

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(post, range(20)))
    accepted = [r for r in responses if r.status_code == 202]
    refused = [r for r in responses if r.status_code == 429]
    assert len(accepted) == 8 and len(refused) == 12  # the per-client limit, then "busy, try again"
    assert all(int(r.headers["Retry-After"]) >= 1 and "try again in" in r.json()["error"] for r in refused)
    jobs = [r.json() for r in accepted]
    assert max(j["queue_position"] for j in jobs) >= 1  # one runs at a time, the rest say they wait
    finished = [_wait(client, job, seconds=300) for job in jobs]
    assert all(j["status"] == "done" for j in finished), [j["error"] for j in finished]
    assert client.get("/api/health").json()["status"] == "ok"
    assert client.post("/api/chorale", data={"bars": "1"}).status_code == 202  # room again


def test_the_queue_is_bounded_in_all_and_per_client(tmp_path):
    from midistyle.serve.jobs import BusyError

    store = JobStore(tmp_path, max_running=1, max_active=3, max_per_client=2)
    release = threading.Event()
    jobs = [store.submit("test", lambda job: release.wait(5), client="a") for _ in range(2)]
    with pytest.raises(BusyError) as refused:
        store.submit("test", lambda job: None, client="a")
    assert refused.value.status == 429 and refused.value.retry_after_seconds >= 1
    jobs.append(store.submit("test", lambda job: release.wait(5), client="b"))
    with pytest.raises(BusyError) as full:
        store.submit("test", lambda job: None, client="c")
    assert full.value.status == 503 and "busy" in str(full.value)
    release.set()
    deadline = time.time() + 5
    while any(j.status != "done" for j in jobs) and time.time() < deadline:
        time.sleep(0.02)
    assert store.submit("test", lambda job: None, client="c").status in ("queued", "running", "done")
    store.close()


def test_disk_bytes_counts_files_and_survives_a_missing_folder(tmp_path):
    from midistyle.serve.jobs import folder_bytes

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.bin").write_bytes(b"x" * 300)
    (tmp_path / "y.bin").write_bytes(b"y" * 200)
    assert folder_bytes(tmp_path) == 500 and folder_bytes(tmp_path / "gone") == 0


def test_restyling_a_finished_job_works_on_its_own_copy(client, harmonized):
    response = client.post("/api/stylize", data={"job": harmonized["id"], "strength": "0.3"})
    assert response.status_code == 202, response.text
    job = _wait(client, response.json(), seconds=300)
    assert job["status"] == "done", job["error"]
    assert set(job["files"]) == {"wav", "before_wav", "png"}


def test_the_disk_budget_forgets_the_oldest_finished_jobs_then_refuses(tmp_path):
    from midistyle.serve.jobs import BusyError

    size = 2000  # each job's file, over the 1000-byte budget
    store = JobStore(tmp_path, max_disk_bytes=1000)
    old = store.submit("test", lambda job: (job.folder / "big.bin").write_bytes(b"x" * size))
    deadline = time.time() + 5
    while old.status != "done" and time.time() < deadline:
        time.sleep(0.02)
    release = threading.Event()

    def hold(job):
        (job.folder / "big.bin").write_bytes(b"x" * size)
        release.wait(5)

    holding = store.submit("test", hold)  # makes room: the finished job's folder goes
    assert store.get(old.id) is None and not old.folder.exists()
    big, deadline = holding.folder / "big.bin", time.time() + 5
    while not (big.exists() and big.stat().st_size == size) and time.time() < deadline:  # written, not just opened
        time.sleep(0.02)
    assert big.exists() and big.stat().st_size == size, "the held job did not write its file within 5 s"
    with pytest.raises(BusyError) as full:  # a running job's files cannot be deleted
        store.submit("test", lambda job: None)
    assert full.value.status == 503 and "disk budget" in str(full.value)
    release.set()
    store.close()


def test_jobs_wait_their_turn_and_old_ones_are_cleaned_up(tmp_path):
    store = JobStore(tmp_path, max_running=1, keep_seconds=0.2)
    release = threading.Event()
    first = store.submit("test", lambda job: release.wait(5))
    second = store.submit("test", lambda job: None)
    time.sleep(0.2)
    assert first.status == "running" and second.status == "queued" and store.queue_position(second) == 0
    release.set()
    deadline = time.time() + 5
    while second.status != "done" and time.time() < deadline:
        time.sleep(0.05)
    assert second.status == "done" and second.folder.is_dir()
    time.sleep(0.3)
    store.submit("test", lambda job: None)  # any new job cleans up the old ones
    assert not first.folder.exists() and store.get(first.id) is None
    store.close()


def test_a_failing_job_reports_one_line_and_the_store_survives(tmp_path):
    store = JobStore(tmp_path, max_running=1)
    job = store.submit("test", lambda job: 1 / 0)
    deadline = time.time() + 5
    while job.status != "error" and time.time() < deadline:
        time.sleep(0.05)
    assert job.status == "error" and job.error.startswith("internal error (ZeroDivisionError")
    assert store.submit("test", lambda job: None).folder.is_dir()
    store.close()


def test_only_loopback_addresses_count_as_local():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")


def test_serve_refuses_a_port_in_use_in_one_line():
    import socket
    import subprocess
    import sys

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "midistyle.cli", "serve", "--port", str(port)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and len(result.stderr.strip().splitlines()) == 1
