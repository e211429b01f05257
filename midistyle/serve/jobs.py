"""Jobs of the web studio: each in its own folder, at most ``max_running`` at once, the rest queued.

A job is created by a request, runs in a worker thread, and is polled by its JSON. Only the files a
job recorded (by name, in its own folder) can ever be served. Folders of jobs older than
``keep_seconds`` are removed on the next request.

The store is bounded, so that no client can queue more work than the machine can do:

* at most ``max_active`` jobs queued or running in all (beyond: :class:`BusyError`, HTTP 503);
* at most ``max_per_client`` of them from one client address (beyond: HTTP 429);
* the job folders on disk (uploads kept for a job, and every output) within ``max_disk_bytes``:
  finished jobs are forgotten oldest first to make room, and when that is not enough, HTTP 503.
  (The count and the budget are checked together only for the queue; a few simultaneous requests
  may each pass the disk check, which the next request then corrects.) A job that needs another's
  file copies it into its own folder when it is submitted, so making room never breaks it.

A refusal says in how many seconds to try again (``Retry-After``), from the mean time of recent jobs.
"""

from __future__ import annotations

import os
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

from midistyle.errors import InputError, MidistyleError

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
DEFAULT_JOB_SECONDS = 2.0  # a harmonize request's time, until jobs have been timed


def folder_bytes(folder: Path) -> int:
    """Bytes of the files under ``folder``, counting on while other threads add and delete files."""
    total = 0
    for parent, _, names in os.walk(folder):  # os.walk skips a folder deleted meanwhile
        for name in names:
            try:
                total += os.lstat(os.path.join(parent, name)).st_size
            except FileNotFoundError:  # deleted since it was listed
                continue
    return total


class BusyError(InputError):
    """The studio cannot take another job now: HTTP 429 (this client has enough) or 503 (full)."""

    def __init__(self, message: str, *, status: int, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.status, self.retry_after_seconds = status, retry_after_seconds


@dataclass
class Job:
    """One unit of work and what the page needs to know about it."""

    id: str
    kind: str
    folder: Path
    client: str = ""
    status: str = "queued"  # queued, running, done, error
    progress: float = 0.0
    stage: str = "waiting for a free worker"
    files: dict[str, str] = field(default_factory=dict)  # key (its format: "mid", "svg"…) -> file name in ``folder``
    labels: dict[str, str] = field(default_factory=dict)  # key -> what a person calls it ("MIDI", "piano roll")
    unlisted: set[str] = field(default_factory=set)  # file names served but not in ``files`` (ranked samples)
    deferred: dict[str, Callable[[Path], Path]] = field(default_factory=dict)  # file name -> how to make it
    messages: list[str] = field(default_factory=list)
    samples: list[dict] = field(default_factory=list)
    info: dict = field(default_factory=dict)  # facts the page needs about the result (the first bar's number)
    error: str | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None

    def step(self, progress: float, stage: str) -> None:
        self.progress, self.stage = progress, stage

    def add_file(self, path: Path, label: str, *, key: str | None = None) -> None:
        """Record one of the job's files under ``key``, by default its format (``chorale.mid`` -> ``mid``)."""
        assert path.parent == self.folder, "a job only records files of its own folder"
        self._record(key or path.suffix.lstrip(".").lower(), path.name, label)

    def add_deferred_file(self, name: str, label: str, make: Callable[[Path], Path]) -> None:
        """A file made the first time it is asked for (``make(path)``), so the job finishes sooner."""
        self._record(Path(name).suffix.lstrip(".").lower(), name, label)
        self.deferred[name] = make

    def add_unlisted_file(self, path: Path) -> None:
        """A file that can be fetched by name but is not one of ``files`` (a ranked sample's MIDI)."""
        assert path.parent == self.folder, "a job only records files of its own folder"
        self.unlisted.add(path.name)

    def _record(self, key: str, name: str, label: str) -> None:
        assert key not in self.files, f"a job has one file per key ({key!r} twice)"
        self.files[key], self.labels[key] = name, label

    def file_path(self, name: str) -> Path | None:
        """The path of one of this job's files, made now if it was deferred; None if not its file."""
        if name not in self.files.values() and name not in self.unlisted:
            return None
        path = self.folder / name
        make = self.deferred.pop(name, None)
        if make is not None and not path.exists():
            make(path)
        return path


class JobStore:
    """Creates, runs, finds and forgets jobs."""

    def __init__(self, root: Path | None = None, *, max_running: int = 1, keep_seconds: float = 3600.0,
                 max_active: int = 32, max_per_client: int = 8, max_disk_bytes: int = 1 << 30) -> None:
        self.root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="midistyle-studio-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_running = max_running
        self.keep_seconds = keep_seconds
        self.max_active, self.max_per_client, self.max_disk_bytes = max_active, max_per_client, max_disk_bytes
        self._durations: list[float] = []  # seconds of the last finished jobs
        self._jobs: dict[str, Job] = {}
        self._order: list[str] = []  # queued job ids, oldest first
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max_running, thread_name_prefix="studio-job")

    def submit(self, kind: str, work: Callable[[Job], None], *, client: str = "") -> Job:
        """Queue ``work(job)``; it records files and progress on the job it is given.

        Raises
        ------
        BusyError
            When the queue, this client's share of it, or the disk budget is full.
        """
        self.clean_up()
        self.check_room(client)  # the disk budget, and an early answer
        job_id = uuid.uuid4().hex
        folder = self.root / job_id
        job = Job(job_id, kind, folder, client)
        with self._lock:  # counted and added at once: simultaneous requests cannot all slip in
            self._refuse_when_full(client)
            self._jobs[job_id] = job
            self._order.append(job_id)
        folder.mkdir()
        self._pool.submit(self._run, job, work)
        return job

    def check_room(self, client: str = "") -> None:
        """Raise :class:`BusyError` unless one more job from ``client`` fits (see the module docstring)."""
        with self._lock:
            self._refuse_when_full(client)
            active = sum(j.status in ("queued", "running") for j in self._jobs.values())
        if self.disk_bytes() > self.max_disk_bytes:
            self.clean_up(make_room=True)
            if self.disk_bytes() > self.max_disk_bytes:
                seconds = self._retry_after(max(active, 1))
                raise BusyError(f"the studio's disk budget ({self.max_disk_bytes >> 20} MB) is full; try again in "
                                f"{seconds} s", status=503, retry_after_seconds=seconds)

    def _refuse_when_full(self, client: str) -> None:
        """Raise :class:`BusyError` when the queue or this client's share is full (hold the lock)."""
        active = [j for j in self._jobs.values() if j.status in ("queued", "running")]
        if len(active) >= self.max_active:
            seconds = self._retry_after(len(active))
            raise BusyError(f"the studio is busy ({len(active)} jobs waiting or running); try again in {seconds} s",
                            status=503, retry_after_seconds=seconds)
        mine = sum(j.client == client for j in active)
        if mine >= self.max_per_client:
            seconds = self._retry_after(mine)
            raise BusyError(f"you have {mine} jobs waiting or running (at most {self.max_per_client}); "
                            f"try again in {seconds} s", status=429, retry_after_seconds=seconds)

    def _retry_after(self, jobs_ahead: int) -> int:
        """Seconds until about ``jobs_ahead`` jobs have finished, from the mean of recent job times."""
        mean = sum(self._durations) / len(self._durations) if self._durations else DEFAULT_JOB_SECONDS
        return max(1, round(mean * max(jobs_ahead, 1) / self.max_running))

    def disk_bytes(self) -> int:
        """Bytes of every file under the store's folder (job outputs and uploads kept for jobs)."""
        return folder_bytes(self.root)

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

    def clean_up(self, *, make_room: bool = False) -> None:
        """Forget finished jobs older than ``keep_seconds`` and delete their folders; with
        ``make_room``, also the oldest finished ones until the folders fit the disk budget."""
        now = time.time()
        with self._lock:
            old = [j for j in self._jobs.values() if j.finished is not None and now - j.finished > self.keep_seconds]
            if make_room:
                finished = sorted((j for j in self._jobs.values() if j.finished is not None and j not in old),
                                  key=lambda j: j.finished)
                excess = folder_bytes(self.root) - self.max_disk_bytes
                for job in finished:
                    if excess <= 0:
                        break
                    excess -= folder_bytes(job.folder)
                    old.append(job)
            for job in old:
                del self._jobs[job.id]
                if job.id in self._order:
                    self._order.remove(job.id)
        for job in old:
            shutil.rmtree(job.folder, ignore_errors=True)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: Job, work: Callable[[Job], None]) -> None:
        job.status, job.stage, job.started = "running", "starting", time.time()
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
                self._durations = (self._durations + [job.finished - (job.started or job.created)])[-20:]
