"""The studio's HTTP API and its page (FastAPI). ``midistyle serve`` runs it with uvicorn.

Every POST checks its input at once (a bad upload is a 4xx with the CLI's one-line message and no
job), then answers 202 with the job's JSON; the client polls ``job`` until ``done`` or ``error``.
Only files a job recorded in its own folder are served; the page and its two assets are the only
other files. The OpenAPI document is served at /api/openapi.json; Swagger's /docs and /redoc are off
(they would load scripts from a CDN).
"""

from __future__ import annotations

import ipaddress
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response

from midistyle.errors import InputError
from midistyle.serve.jobs import BusyError, Job, JobStore
from midistyle.serve.uploads import MAX_UPLOAD_BYTES, save_upload
from midistyle.serve.work import ENSEMBLES, Studio

PAGE = Path(__file__).parent / "page"
PAGE_FILES = {"studio.js": "text/javascript", "studio.css": "text/css"}


@dataclass(frozen=True)
class StudioConfig:
    """How the studio runs: concurrent jobs, how long finished jobs are kept, where they live."""

    max_running: int = 1
    keep_minutes: float = 60.0
    jobs_dir: str | None = None
    warm_up: bool = True
    max_queue: int = 32  # jobs queued or running in all; beyond, 503
    max_per_client: int = 8  # of those from one client address; beyond, 429
    max_disk_mb: int = 1024  # job folders (outputs and kept uploads); beyond, the oldest go, then 503


def create_app(config: StudioConfig | None = None) -> FastAPI:
    """The FastAPI application (used by ``midistyle serve`` and by the tests' client)."""
    config = config or StudioConfig()
    store = JobStore(Path(config.jobs_dir) if config.jobs_dir else None, max_running=config.max_running,
                     keep_seconds=config.keep_minutes * 60, max_active=config.max_queue,
                     max_per_client=config.max_per_client, max_disk_bytes=config.max_disk_mb << 20)
    studio = Studio()
    app = FastAPI(title="midistyle studio", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.store, app.state.studio = store, studio
    if config.warm_up:
        threading.Thread(target=studio.warm_up, name="studio-warm-up", daemon=True).start()

    @app.exception_handler(InputError)
    async def bad_input(request: Request, error: InputError) -> JSONResponse:
        if isinstance(error, BusyError):
            return JSONResponse({"error": str(error), "retry_after": error.retry_after_seconds},
                                status_code=error.status, headers={"Retry-After": str(error.retry_after_seconds)})
        return JSONResponse({"error": str(error)}, status_code=getattr(error, "status", 422))

    @app.exception_handler(RequestValidationError)
    async def bad_form(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        field = ".".join(str(part) for part in first.get("loc", ())[1:]) or "request"
        return JSONResponse({"error": f"{field}: {first.get('msg', 'is not valid')}"}, status_code=422)

    @app.get("/")
    def page() -> FileResponse:
        return FileResponse(PAGE / "index.html", media_type="text/html")

    @app.get("/static/{name}")
    def asset(name: str) -> Response:
        if name not in PAGE_FILES:
            return JSONResponse({"error": "no such file"}, status_code=404)
        return FileResponse(PAGE / name, media_type=PAGE_FILES[name])

    @app.get("/api/health")
    def health() -> dict:
        from midistyle.audio.soundfonts import find_soundfonts

        fonts = find_soundfonts()
        return {"status": "ok", "models_loaded": studio._harmonizer is not None,
                "max_running": store.max_running, "soundfont": str(fonts[0].path) if fonts else None}

    @app.post("/api/harmonize", status_code=202)
    async def harmonize(request: Request, file: UploadFile | None = File(None), example: str | None = Form(None),
                        key: str | None = Form(None), samples: int = Form(1), seed: int = Form(0),
                        temperature: float = Form(0.0), ensemble: str = Form("organ"),
                        instruments: str | None = Form(None), track: int | None = Form(None),
                        tune: int | None = Form(None), top_line: bool = Form(False),
                        decoder: str = Form("joint"), chords: str | None = Form(None)) -> dict:
        store.check_room(_client(request))  # before reading the upload
        _check_range("samples", samples, 1, 8)
        _check_range("temperature", temperature, 0.0, 2.0)
        _check_choice("decoder", decoder, ("joint", "greedy", "sample"))
        voices = _check_key_and_sound(key, ensemble, instruments)
        melody, notes = await _read_melody(file, example, track=track, tune=tune, top_line=top_line,
                                           root=store.root)
        symbols = None  # the melody file's own
        if chords and chords.strip():
            from midistyle.music.chord_symbols import parse_chord_line

            symbols = parse_chord_line(chords, melody.score)
        job = store.submit("harmonize", lambda j: studio.harmonize(j, melody, key=key or None, samples=samples,
                                                                    seed=seed, temperature=temperature,
                                                                    ensemble=ensemble, instruments=voices,
                                                                    decoder=decoder, chords=symbols),
                           client=_client(request))
        job.messages.extend(notes)
        return _job_json(request, job, store)

    @app.post("/api/transcribe", status_code=202)
    async def transcribe(request: Request, file: UploadFile | None = File(None), ensemble: str = Form("piano"),
                         track: int | None = Form(None), tune: int | None = Form(None)) -> dict:
        """The melody alone, as the harmonizer would hear it: to look at and listen to first."""
        store.check_room(_client(request))
        _check_key_and_sound(None, ensemble, None)
        if file is None or not file.filename:
            raise InputError("give a recording or a melody file to transcribe")
        melody, notes = await _read_melody(file, None, track=track, tune=tune, top_line=False, root=store.root)
        job = store.submit("transcribe", lambda j: studio.show_melody(j, melody, ensemble=ensemble),
                           client=_client(request))
        job.messages.extend(notes)
        return _job_json(request, job, store)

    @app.post("/api/chorale", status_code=202)
    def chorale(request: Request, bars: int = Form(8), key: str | None = Form(None), seed: int = Form(0),
                temperature: float = Form(0.8), ensemble: str = Form("organ"),
                instruments: str | None = Form(None)) -> dict:
        store.check_room(_client(request))
        _check_range("bars", bars, 1, 64)
        _check_range("temperature", temperature, 0.05, 2.0)
        voices = _check_key_and_sound(key, ensemble, instruments)
        job = store.submit("chorale", lambda j: studio.chorale(j, bars=bars, key=key or None, seed=seed,
                                                                temperature=temperature, ensemble=ensemble,
                                                                instruments=voices), client=_client(request))
        return _job_json(request, job, store)

    @app.post("/api/check", status_code=202)
    async def check(request: Request, file: UploadFile | None = File(None), job: str | None = Form(None)) -> dict:
        store.check_room(_client(request))
        score = await _four_part_score(file, job, store)
        return _job_json(request, store.submit("check", lambda j: studio.check(j, score), client=_client(request)),
                         store)

    @app.post("/api/reharmonize", status_code=202)
    async def reharmonize(request: Request, job: str = Form(...), bars: str = Form(...),
                          voices: str = Form("alto,tenor,bass"), seed: int = Form(0),
                          ensemble: str = Form("organ")) -> dict:
        from midistyle.pipeline import parse_bars

        store.check_room(_client(request))
        first, last = parse_bars(bars)
        names = tuple(v.strip() for v in voices.split(",") if v.strip())
        if not names or any(name not in ("alto", "tenor", "bass") for name in names):
            raise InputError(f"voices={voices!r}: name some of alto, tenor, bass (the others are kept)")
        _check_key_and_sound(None, ensemble, None)
        score = await _four_part_score(None, job, store)
        if score.steps_per_quarter != 4:
            raise InputError("this score has triplets or notes shorter than a 16th: bars can be regenerated only "
                             "on the 16th grid")
        score.bar_span(first, last)  # a bad span is refused now, not in the queue
        return _job_json(request, store.submit("reharmonize", lambda j: studio.reharmonize(
            j, score, first, last, voices=names, seed=seed, ensemble=ensemble), client=_client(request)), store)

    @app.post("/api/stylize", status_code=202)
    async def stylize(request: Request, job: str | None = Form(None), content: UploadFile | None = File(None),
                      style: UploadFile | None = File(None), style_example: str = Form("cello"),
                      strength: float = Form(1.0), method: str = Form("stft")) -> dict:
        store.check_room(_client(request))
        _check_range("strength", strength, 0.0, 1.0)
        _check_choice("method", method, ("stft", "sms"))
        folder = Path(tempfile.mkdtemp(prefix="stylize-", dir=store.root))  # the uploads, until the job ends
        try:
            content_path = await _content_audio(job, content, folder, store)
            style_path = await _style_audio(style, style_example, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

        def work(j: Job) -> None:
            try:
                studio.stylize(j, content_path, style_path, strength=strength, method=method)
            finally:
                shutil.rmtree(folder, ignore_errors=True)

        try:
            return _job_json(request, store.submit("stylize", work, client=_client(request)), store)
        except BusyError:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    @app.get("/api/jobs/{job_id}")
    def job_state(request: Request, job_id: str) -> Response:
        job = store.get(job_id)
        if job is None:
            return JSONResponse({"error": f"no job {job_id[:40]!r} (finished jobs are kept "
                                          f"{config.keep_minutes:g} minutes)"}, status_code=404)
        return JSONResponse(_job_json(request, job, store))

    @app.get("/api/jobs/{job_id}/files/{name}")
    def job_file(job_id: str, name: str) -> Response:
        job = store.get(job_id)
        path = job.file_path(name) if job is not None and job.status == "done" else None
        if path is None or not path.is_file():
            return JSONResponse({"error": "no such file"}, status_code=404)
        return FileResponse(path, filename=name)

    return app


def _client(request: Request) -> str:
    """The address a request came from: the per-client limit counts jobs by it."""
    return request.client.host if request.client is not None else ""


def _job_json(request: Request, job: Job, store: JobStore) -> dict:
    base = f"/api/jobs/{job.id}"
    done = job.status == "done"
    return {
        "id": job.id, "kind": job.kind, "status": job.status, "job": base,
        "progress": round(job.progress, 3), "stage": job.stage, "queue_position": store.queue_position(job),
        "files": {key: f"{base}/files/{name}" for key, name in job.files.items()} if done else {},
        "labels": dict(job.labels) if done else {},
        "samples": [{**s, "url": f"{base}/files/{s['file']}"} for s in job.samples] if done else [],
        "messages": list(job.messages), "error": job.error, "info": dict(job.info) if done else {},
    }


def _check_key_and_sound(key: str | None, ensemble: str, instruments: str | None) -> tuple[str, ...] | None:
    """Check a key, an ensemble and per-voice instruments now; return the instruments as a tuple."""
    _check_choice("ensemble", ensemble, ENSEMBLES)
    if key:
        from midistyle.music.score import Key

        Key.parse(key)
    return _instruments(instruments)


def _instruments(text: str | None) -> tuple[str, ...] | None:
    """Per-voice General MIDI instruments, soprano to bass (one name for all), checked now."""
    if not text or not text.strip():
        return None
    from midistyle.audio.instruments import programs_for

    voices = tuple(name.strip() for name in text.split(","))
    if len(voices) not in (1, 4):
        raise InputError(f"instruments: give one name, or four (soprano, alto, tenor, bass), not {len(voices)}")
    programs_for(4, instruments=voices, ensemble=None)  # unknown names fail here with suggestions
    return voices


def _check_range(name: str, value, low, high) -> None:
    if not low <= value <= high:
        raise InputError(f"{name}={value} must be in {low}..{high}")


def _check_choice(name: str, value: str, choices) -> None:
    if value not in choices:
        raise InputError(f"{name}={value!r} must be one of {', '.join(choices)}")


async def _read_upload(upload: UploadFile) -> bytes:
    """At most one byte past the limit: enough to tell an upload is too large without reading it all."""
    return await upload.read(MAX_UPLOAD_BYTES + 1)


async def _read_melody(file: UploadFile | None, example: str | None, *, track, tune, top_line, root: Path):
    """The melody of an upload or of the embedded example, read now so that a bad file is a 4xx."""
    import dataclasses

    from midistyle.music.melody import read_melody_file
    from midistyle.pipeline import embedded_melody_path, read_melody_input

    notes: list[str] = []
    if file is None or not file.filename:
        if example not in (None, "", "ode_to_joy"):
            raise InputError(f"example={example!r}: the embedded example is 'ode_to_joy'")
        return read_melody_file(embedded_melody_path(), report=notes.append), notes
    with tempfile.TemporaryDirectory(prefix="upload-", dir=root) as folder:
        path = save_upload(await _read_upload(file), file.filename, Path(folder), kind="melody")
        shown = Path(file.filename).name[:80]
        try:
            melody = read_melody_input(path, track=track, tune=tune, top_line=top_line, report=notes.append)
        except InputError as error:  # name the upload, not our temporary copy
            raise InputError(str(error).replace(str(path), shown).replace(path.name, shown)) from None
    if melody.score.title in ("", path.stem):
        melody = dataclasses.replace(melody, score=melody.score.replace(title=Path(shown).stem))
    return melody, notes


async def _four_part_score(upload: UploadFile | None, job_id: str | None, store: JobStore):
    """A four-part score from an upload, or a finished harmonize or chorale job's, read and checked now."""
    from midistyle.music.io import read_score_as_written
    from midistyle.music.satb import four_voices

    if upload is not None and upload.filename:
        with tempfile.TemporaryDirectory(prefix="upload-", dir=store.root) as folder:
            path = save_upload(await _read_upload(upload), upload.filename, Path(folder), kind="score")
            shown = Path(upload.filename).name[:80]
            try:
                score = read_score_as_written(path)
                return four_voices(score).replace(title=score.title if score.title != path.stem else Path(shown).stem)
            except InputError as error:  # name the upload, not our temporary copy
                message = str(error).replace(str(path), shown)
                raise InputError(message if message.startswith(shown) else f"{shown}: {message}") from None
    source = store.get(job_id or "")
    if source is None or source.status != "done" or "musicxml" not in source.files:
        raise InputError("give a four-part score file, or the id of a finished harmonize or chorale job")
    return read_score_as_written(source.folder / source.files["musicxml"])


async def _content_audio(job_id: str | None, upload: UploadFile | None, folder: Path, store: JobStore) -> Path:
    if upload is not None and upload.filename:
        return _checked_audio(save_upload(await _read_upload(upload), upload.filename, folder, kind="audio"),
                              upload.filename, "content")
    source = store.get(job_id or "")
    if source is None or source.status != "done" or "wav" not in source.files:
        raise InputError("content: give an audio file, or the id of a finished harmonize or chorale job")
    copy = folder / "content.wav"  # its own copy: the source job may be deleted to make room meanwhile
    try:
        shutil.copyfile(source.folder / source.files["wav"], copy)
    except FileNotFoundError:
        raise InputError("content: that job's files have been deleted; harmonize or compose again") from None
    return copy


async def _style_audio(upload: UploadFile | None, example: str, folder: Path) -> Path:
    from midistyle.pipeline import embedded_style_clip_path

    if upload is not None and upload.filename:
        return _checked_audio(save_upload(await _read_upload(upload), upload.filename, folder, kind="audio"),
                              upload.filename, "style")
    if example != "cello":
        raise InputError(f"style_example={example!r}: the embedded style clip is 'cello'")
    return embedded_style_clip_path()


def _checked_audio(path: Path, filename: str, what: str) -> Path:
    """Read the audio now (corrupt, silent, NaN), so a bad upload is a 4xx, not a failed job."""
    from midistyle.audio.files import read_audio
    from midistyle.audio.spectral import prepare_audio

    try:
        audio, rate = read_audio(path)
        prepare_audio(audio, rate, target_rate=rate, what=what)
    except InputError as error:
        raise InputError(str(error).replace(str(path), Path(filename).name[:80])) from None
    return path


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
