"""Where a batch runs: this process, local worker processes, or actors on a Ray cluster.

Each executor builds one task per worker (models loaded once there) and yields manifest records
as inputs finish, in whatever order they finish; the driver alone writes the manifest.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed

from midistyle.batch.tasks import TASKS, run_one
from midistyle.errors import MissingDependencyError

Item = tuple[str, list[str]]  # (input path, output paths)

_worker_task = None  # one per worker process


def run_local(command: str, options: dict, items: list[Item], workers: int) -> Iterator[dict]:
    """Records of ``items`` done in this process (``workers == 1``) or in ``workers`` spawned processes."""
    if workers <= 1:
        task = TASKS[command](options)
        for source, outputs in items:
            yield run_one(task, source, outputs)
        return
    spawn = multiprocessing.get_context("spawn")  # not fork: TensorFlow and FluidSynth hold threads
    with ProcessPoolExecutor(workers, mp_context=spawn, initializer=_start_worker,
                             initargs=(command, options)) as pool:
        futures = [pool.submit(_run_in_worker, source, outputs) for source, outputs in items]
        try:
            for future in as_completed(futures):
                yield future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _start_worker(command: str, options: dict) -> None:
    global _worker_task
    _worker_task = TASKS[command](options)


def _run_in_worker(source: str, outputs: list[str]) -> dict:
    return run_one(_worker_task, source, outputs)


class _RayWorker:
    """A Ray actor holding one task (its models loaded once)."""

    def __init__(self, command: str, options: dict) -> None:
        self.task = TASKS[command](options)

    def run(self, source: str, outputs: list[str]) -> dict:
        return run_one(self.task, source, outputs)


def run_ray(command: str, options: dict, items: list[Item], workers: int, address: str | None) -> Iterator[dict]:
    """Records of ``items`` done by ``workers`` Ray actors: a local Ray on this machine when
    ``address`` is None, else the cluster at ``address`` (``"auto"`` finds a running one)."""
    try:
        import ray
        from ray.util import ActorPool
    except ModuleNotFoundError:
        raise MissingDependencyError("--ray needs Ray: pip install 'midistyle[ray]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        local = {"num_cpus": workers, "include_dashboard": False} if address is None else {}
        ray.init(address=address, log_to_driver=False, configure_logging=False, **local)
    try:
        actor = ray.remote(num_cpus=1)(_RayWorker)
        pool = ActorPool([actor.remote(command, options) for _ in range(workers)])
        yield from pool.map_unordered(lambda worker, item: worker.run.remote(*item), items)
    finally:
        if started_here:
            ray.shutdown()
