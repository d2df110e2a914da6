"""The Ray engine: ``gkreport batch --engine ray [--ray-address ADDR]``.

The same tasks as the local engine, run by Ray actors: each actor is one worker that builds its
classifier and OCR engine once (``extract.batch.worker_setup``) and runs
``extract.batch.process_item`` on one task at a time. Results come back to the driver, which
writes the record files and the store exactly as the local engine does, so the outputs are the
same. Ray is an optional extra: ``pip install 'gkreport[ray]'``.

Per-file timeout: the driver kills an actor whose task passes ``Options.timeout`` and starts
another. Memory: each actor runs a watchdog that ends its process when its resident memory
passes ``max_memory_mb`` (Ray's own memory monitor may also kill it first); either way the
driver records the file as failed and replaces the actor.

Cluster: every node needs gkreport installed (same version) and must see the inputs and the
staging folder ``OUTDIR/.staging`` at the same paths (shared storage); only the driver writes
OUTDIR. See docs/batch.md.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable, Iterable

from .batch import (DEFAULT_MAX_MEMORY_MB, Result, Task, _rss_mb, failed_result, process_item,
                    worker_setup)
from .errors import GkError, OptionsError
from .options import Options

log = logging.getLogger(__name__)


class BatchActor:
    """One worker on a Ray node (wrapped by ``ray.remote`` at run time)."""

    def __init__(self, options: Options, max_memory_mb: int):
        self.options = options
        worker_setup(options)
        self._watch = threading.Thread(target=self._watchdog, args=(max_memory_mb,),
                                       daemon=True)
        self._watch.start()

    @staticmethod
    def _watchdog(limit_mb: int) -> None:
        pid = os.getpid()
        while True:
            rss = _rss_mb(pid)
            if rss is not None and rss > limit_mb:
                log.error("worker %d uses %.0f MB, over --max-memory %d MB: exiting", pid, rss,
                          limit_mb)
                os._exit(137)
            time.sleep(0.25)

    def ready(self) -> int:
        return os.getpid()

    def run(self, task: Task) -> Result:
        return process_item(task, self.options)


class RayEngine:
    """Dispatches tasks to ``jobs`` actors (``jobs=0``: one per ``threads`` CPUs of the
    cluster), one task in flight per actor."""

    POLL = 0.25

    def __init__(self, options: Options, jobs: int, max_memory_mb: int = DEFAULT_MAX_MEMORY_MB,
                 *, address: str | None = None):
        try:
            import ray
        except ImportError as e:
            raise OptionsError("--engine ray needs Ray: pip install 'gkreport[ray]'") from e
        self.ray = ray
        self.options = options
        self.max_memory_mb = max_memory_mb
        self.started_ray = False
        if not ray.is_initialized():
            try:
                ray.init(address=address, include_dashboard=False,
                         logging_level=logging.WARNING, log_to_driver=True)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise OptionsError(f"cannot start or join Ray (--ray-address {address}): "
                                   f"{e}") from e
            self.started_ray = True
        cpus = int(ray.cluster_resources().get("CPU", 1))
        threads = max(1, options.effective_threads)
        self.jobs = jobs if jobs > 0 else max(1, cpus // threads)
        self.actor_cls = ray.remote(num_cpus=threads, max_restarts=0,
                                    max_concurrency=1)(BatchActor)
        self.actors: list = []

    def _new_actor(self):
        return self.actor_cls.remote(self.options, self.max_memory_mb)

    def run(self, tasks: Iterable[Task], on_result: Callable[[Result], None],
            on_start: Callable[[Task, int], None] | None = None) -> None:
        ray = self.ray
        pending = list(tasks)[::-1]
        if not pending:
            return
        n = min(self.jobs, len(pending))
        self.actors = [self._new_actor() for _ in range(n)]
        starting = {self.actors[i].ready.remote(): i for i in range(n)}
        inflight: dict = {}          # ref -> (actor index, task, started)
        idle: list[int] = []
        fatal = 0
        while pending or inflight:
            while idle and pending:
                i = idle.pop()
                task = pending.pop()
                inflight[self.actors[i].run.remote(task)] = (i, task, time.monotonic())
            refs = list(starting) + list(inflight)
            if not refs:
                raise GkError("no Ray worker could start; see the Ray logs")
            ready, _ = ray.wait(refs, num_returns=1, timeout=self.POLL)
            for ref in ready:
                if ref in starting:
                    i = starting.pop(ref)
                    try:
                        pid = ray.get(ref)
                        idle.append(i)
                        log.debug("ray worker %d ready (pid %s)", i, pid)
                    except ray.exceptions.RayError as e:
                        fatal += 1
                        if fatal >= 3 or (not idle and not inflight and not starting):
                            raise GkError(f"Ray workers cannot start: {_cause(e)}") from e
                        self._replace(i, starting)
                    continue
                i, task, started = inflight.pop(ref)
                try:
                    res = ray.get(ref)
                    idle.append(i)
                except ray.exceptions.RayError as e:
                    res = failed_result(task, "WorkerDied", "the worker died while extracting "
                                        f"it ({_cause(e)}); it may have passed --max-memory "
                                        f"{self.max_memory_mb} MB", seconds=time.monotonic()
                                        - started)
                    self._replace(i, starting)
                on_result(res)
            now = time.monotonic()
            for ref, (i, task, started) in list(inflight.items()):
                if now - started > self.options.timeout:
                    del inflight[ref]
                    ray.kill(self.actors[i], no_restart=True)
                    self._replace(i, starting)
                    on_result(failed_result(task, "Timeout", f"took more than "
                                            f"{self.options.timeout:g} s (the per-file limit; "
                                            "raise it with --timeout)", seconds=now - started))

    def _replace(self, i: int, starting: dict) -> None:
        try:
            self.ray.kill(self.actors[i], no_restart=True)
        except Exception:  # the actor is already gone: nothing to kill
            pass
        self.actors[i] = self._new_actor()
        starting[self.actors[i].ready.remote()] = i

    def shutdown(self) -> None:
        for a in self.actors:
            try:
                self.ray.kill(a, no_restart=True)
            except Exception:  # already dead
                pass
        self.actors = []
        if self.started_ray:
            self.ray.shutdown()
            self.started_ray = False


def _cause(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0][:300] if text else type(e).__name__
