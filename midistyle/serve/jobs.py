"""Jobs of the web studio: each in its own folder, at most ``max_running`` at once, the rest queued.

A job is created by a request, runs in a worker thread, and is polled by its JSON. Only the files a
job recorded (by name, in its own folder) can ever be served. Folders of jobs older than
``keep_seconds`` are removed on the next request.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from midistyle.errors import MidistyleError

JOB_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class Job:
    """One unit of work and what the page needs to know about it."""

    id: str
    kind: str
    folder: Path
    status: str = "queued"  # queued, running, done, error
    progress: float = 0.0
    stage: str = "waiting for a free worker"
    files: dict[str, str] = field(default_factory=dict)  # what -> file name inside ``folder``
    deferred: dict[str, Callable[[Path], Path]] = field(default_factory=dict)  # file name -> how to make it
    messages: list[str] = field(default_factory=list)
    samples: list[dict] = field(default_factory=list)
    error: str | None = None
    created: float = field(default_factory=time.time)
    finished: float | None = None

    def step(self, progress: float, stage: str) -> None:
        self.progress, self.stage = progress, stage

    def add_file(self, what: str, path: Path) -> None:
        assert path.parent == self.folder, "a job only records files of its own folder"
        self.files[what] = path.name

    def add_deferred_file(self, what: str, name: str, make: Callable[[Path], Path]) -> None:
        """A file made the first time it is asked for (``make(path)``), so the job finishes sooner."""
        self.files[what] = name
        self.deferred[name] = make

    def file_path(self, name: str) -> Path | None:
        """The path of one of this job's files, made now if it was deferred; None if not its file."""
        if name not in self.files.values():
            return None
        path = self.folder / name
        make = self.deferred.pop(name, None)
        if make is not None and not path.exists():
            make(path)
        return path


class JobStore:
    """Creates, runs, finds and forgets jobs."""

    def __init__(self, root: Path | None = None, *, max_running: int = 1, keep_seconds: float = 3600.0) -> None:
        self.root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="midistyle-studio-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_running = max_running
        self.keep_seconds = keep_seconds
        self._jobs: dict[str, Job] = {}
        self._order: list[str] = []  # queued job ids, oldest first
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max_running, thread_name_prefix="studio-job")

    def submit(self, kind: str, work: Callable[[Job], None]) -> Job:
        """Queue ``work(job)``; it records files and progress on the job it is given."""
        self.clean_up()
        job_id = uuid.uuid4().hex
        folder = self.root / job_id
        folder.mkdir()
        job = Job(job_id, kind, folder)
        with self._lock:
            self._jobs[job_id] = job
            self._order.append(job_id)
        self._pool.submit(self._run, job, work)
        return job

    def get(self, job_id: str) -> Job | None:
        if not JOB_ID.match(job_id):
            return None
        with self._lock:
            return self._jobs.get(job_id)

    def queue_position(self, job: Job) -> int:
        """How many queued jobs are ahead of this one (0 when it runs or has finished)."""
        with self._lock:
            if job.status != "queued":
                return 0
            waiting = [i for i in self._order if self._jobs[i].status == "queued"]
            return waiting.index(job.id) if job.id in waiting else 0

    def clean_up(self) -> None:
        """Forget finished jobs older than ``keep_seconds`` and delete their folders."""
        now = time.time()
        with self._lock:
            old = [j for j in self._jobs.values() if j.finished is not None and now - j.finished > self.keep_seconds]
            for job in old:
                del self._jobs[job.id]
                if job.id in self._order:
                    self._order.remove(job.id)
        for job in old:
            shutil.rmtree(job.folder, ignore_errors=True)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: Job, work: Callable[[Job], None]) -> None:
        job.status, job.stage = "running", "starting"
        try:
            work(job)
            job.status, job.progress, job.stage = "done", 1.0, "done"
        except MidistyleError as error:
            job.status, job.error, job.stage = "error", str(error).replace(str(job.folder) + "/", ""), "failed"
        except Exception as error:  # a bug: say so in one line, keep the server alive
            job.status, job.stage = "error", "failed"
            detail = str(error).splitlines()[0][:200] if str(error) else ""
            job.error = f"internal error ({type(error).__name__}: {detail})"
        finally:
            job.finished = time.time()
            with self._lock:
                if job.id in self._order:
                    self._order.remove(job.id)
