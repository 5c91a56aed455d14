"""Running a sweep's tasks on this machine, and the loop every runner shares.

``drive`` hands tasks to a runner as it has room, asks again later for a run another process
holds (``busy``), stops on an interrupt (running runs checkpoint and are marked interrupted) or,
with ``fail_fast``, at the first failure. A runner has ``use(prepared)`` (the data, by data key:
given after the runner is made, so that workers start while the data loads), ``running`` (how
many now), ``has_room()``, ``submit(task)``, ``wait(timeout) -> [Outcome]``, ``stop()`` and
``close()``.

``InProcess`` trains one run at a time in this process (``--jobs 1``: no start-up, no copy of
the data). ``Pool`` runs K at once in worker processes started with ``spawn`` through
``concurrent.futures``: a fresh interpreter per worker (no fork of a process that already runs
BLAS or display threads), ``initializer`` to cap each worker's BLAS threads at cores / K
(threadpoolctl) and to wire the stop event and the progress queue, and futures that finish one
by one. A worker stops its run when the sweep asks, on Ctrl-C, or when the sweep process is gone
(kill -9): it never trains on unwatched.
"""

from __future__ import annotations

import collections
import os
import signal
import threading
import time
from concurrent import futures
from pathlib import Path
from typing import Any

from nncli.engine.callbacks import Callback
from nncli.experiment.sweep.task import Outcome, Task, run_task

#: Seconds before asking again for a run that another process holds.
BUSY_RETRY_S = 0.5
#: How often a worker looks whether the sweep asked it to stop (its runs check after each batch).
STOP_CHECK_S = 0.05


def drive(tasks: list[Task], runner: Any, on_outcome: Any, interrupt: Any = None,
          fail_fast: bool = False) -> str | None:
    """Run every task; returns None, or why it stopped early: "interrupted" or "failed"."""
    pending, waiting = collections.deque(tasks), []
    stopping: str | None = None
    while pending or waiting or runner.running:
        try:
            if stopping is None and interrupt is not None and interrupt.is_set():
                stopping = _stop(runner, "interrupted")
            if stopping is None:
                now = time.monotonic()
                pending.extend(task for due, task in waiting if due <= now)
                waiting = [(due, task) for due, task in waiting if due > now]
                while pending and runner.has_room():
                    runner.submit(pending.popleft())
            if not runner.running:
                if stopping is not None:
                    break
                time.sleep(BUSY_RETRY_S / 5)
                continue
            for outcome in runner.wait(0.1):
                if outcome.status == "busy":
                    waiting.append((time.monotonic() + BUSY_RETRY_S, runner.task_of(outcome.name)))
                    continue
                on_outcome(outcome)
                if stopping is None and outcome.status == "interrupted":
                    stopping = _stop(runner, "interrupted")
                elif stopping is None and fail_fast and outcome.status == "failed":
                    stopping = _stop(runner, "failed")
        except KeyboardInterrupt:  # no handler installed (a Python caller): stop the same way
            if stopping is not None:
                raise
            stopping = _stop(runner, "interrupted")
    return stopping


def _stop(runner: Any, why: str) -> str:
    runner.stop()
    return why


class Reporter(Callback):
    """Tells the sweep's display which run a slot trains and how far it got (each epoch)."""

    def __init__(self, send: Any, slot: Any, name: str) -> None:
        self.send, self.slot, self.name = send, slot, name

    def on_train_begin(self, logs=None):
        self.send(("start", self.slot, self.name, self.params.get("initial_epoch", 0), self.params.get("epochs")))

    def on_epoch_end(self, epoch, logs=None):
        self.send(("epoch", self.slot, self.name, epoch + 1, self.params.get("epochs")))


class InProcess:
    """One run at a time, in this process."""

    def __init__(self, sweep_dir: Path, events: Any, interrupt: Any = None) -> None:
        self.sweep_dir, self.events, self.interrupt = sweep_dir, events, interrupt
        self.prepared: dict[str, Any] = {}
        self.queued: list[Task] = []
        self.tasks: dict[str, Task] = {}

    def use(self, prepared: dict[str, Any]) -> None:
        self.prepared = prepared

    @property
    def running(self) -> int:
        return len(self.queued)

    def has_room(self) -> bool:
        return not self.queued

    def submit(self, task: Task) -> None:
        self.queued.append(task)
        self.tasks[task.name] = task

    def task_of(self, name: str) -> Task:
        return self.tasks[name]

    def wait(self, timeout: float) -> list[Outcome]:
        task = self.queued.pop()
        reporter = Reporter(self.events.message, 0, task.name)
        return [run_task(task, self.sweep_dir, self.prepared[task.data_key], [reporter], self.interrupt)]

    def stop(self) -> None:
        """Nothing runs between two calls of ``wait``; a run in progress watches ``interrupt``."""

    def close(self) -> None:
        pass


class Pool:
    """K runs at once in worker processes (``concurrent.futures`` with ``spawn``)."""

    def __init__(self, jobs: int, sweep_dir: Path, events: Any) -> None:
        import multiprocessing

        self.jobs, self.sweep_dir, self.events = jobs, sweep_dir, events
        self.prepared: dict[str, Any] = {}
        self.context = multiprocessing.get_context("spawn")
        self.stop_event, self.queue = self.context.Event(), self.context.Queue()
        self.blas_threads = max(1, usable_cores() // jobs)
        self.futures: dict[futures.Future, tuple[Task, futures.ProcessPoolExecutor]] = {}
        self.tasks: dict[str, Task] = {}
        self.deaths: collections.Counter = collections.Counter()
        self.executor = self._new_executor()

    def _new_executor(self) -> futures.ProcessPoolExecutor:
        executor = futures.ProcessPoolExecutor(self.jobs, mp_context=self.context, initializer=worker_init,
                                               initargs=(self.stop_event, self.queue, os.getpid(), self.blas_threads))
        for _ in range(self.jobs):  # each submit starts a worker: they import nncli meanwhile
            executor.submit(worker_warm_up)
        return executor

    def use(self, prepared: dict[str, Any]) -> None:
        self.prepared = prepared

    def _replace_broken(self, broken: futures.ProcessPoolExecutor) -> None:
        """A dead worker breaks its whole pool (every future of it fails): start one new pool, once."""
        if broken is self.executor:
            broken.shutdown(wait=False, cancel_futures=True)
            self.executor = self._new_executor()

    @property
    def running(self) -> int:
        return len(self.futures)

    def has_room(self) -> bool:
        return len(self.futures) < self.jobs

    def task_of(self, name: str) -> Task:
        return self.tasks[name]

    def submit(self, task: Task) -> None:
        self.tasks[task.name] = task
        future = self.executor.submit(worker_run, task, str(self.sweep_dir), self.prepared[task.data_key])
        self.futures[future] = (task, self.executor)

    def wait(self, timeout: float) -> list[Outcome]:
        done, _ = futures.wait(list(self.futures), timeout=timeout, return_when=futures.FIRST_COMPLETED)
        self._forward_progress()
        outcomes = []
        for future in done:
            task, executor = self.futures.pop(future)
            try:
                outcomes.append(future.result())
            except (futures.process.BrokenProcessPool, futures.CancelledError):
                outcomes.append(self._worker_died(task))
                self._replace_broken(executor)
        return outcomes

    def _worker_died(self, task: Task) -> Outcome:
        """A worker process died (killed, out of memory): its run is tried once more, then failed."""
        self.deaths[task.name] += 1
        if self.deaths[task.name] > 1:
            return Outcome(task.name, "failed", False, "its worker process died twice while training it")
        return Outcome(task.name, "busy", False, "its worker process died; trying again")

    def _forward_progress(self) -> None:
        import queue

        while True:
            try:
                self.events.message(self.queue.get_nowait())
            except queue.Empty:
                return

    def stop(self) -> None:
        self.stop_event.set()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self._forward_progress()


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# --------------------------------------------------------------------------- in a worker process
_WORKER: dict[str, Any] = {}


class WorkerStop:
    """The ``interrupt`` of a worker's runs: set when the sweep asks, on Ctrl-C, or when the sweep
    process is gone; checked after every batch, looked at no more than every ``STOP_CHECK_S``."""

    def __init__(self) -> None:
        self._next = 0.0
        self._set = False

    def is_set(self) -> bool:
        now = time.monotonic()
        if not self._set and now >= self._next:
            self._next = now + STOP_CHECK_S
            self._set = _WORKER["sigint"] or _WORKER["orphaned"] or _WORKER["stop"].is_set()
        return self._set


def worker_init(stop_event: Any, progress: Any, parent_pid: int, blas_threads: int) -> None:
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(blas_threads)
    import numpy  # noqa: F401  (loads the BLAS, so that the limit below applies to it)
    from threadpoolctl import threadpool_limits

    _WORKER.update(stop=stop_event, progress=progress, parent=parent_pid, busy=False, sigint=False, orphaned=False,
                   limits=threadpool_limits(blas_threads))
    signal.signal(signal.SIGINT, lambda signum, frame: _WORKER.update(sigint=True))
    threading.Thread(target=_watch_parent, daemon=True).start()


def _watch_parent() -> None:
    """Kill -9 of the sweep leaves its workers behind: an idle one exits, a busy one stops its
    run after the batch (the run is marked interrupted) and exits then."""
    while os.getppid() == _WORKER["parent"]:
        time.sleep(0.5)
    _WORKER["orphaned"] = True
    deadline = time.monotonic() + 60.0
    while _WORKER["busy"] and time.monotonic() < deadline:
        time.sleep(0.05)
    os._exit(0)


def worker_warm_up() -> None:
    """What every run imports, while the sweep process still prepares the data: the trainer, the
    data package (it unpickles the arrays), scikit-learn (metrics.json names its version), YAML
    and Rich's tables (config.yaml, summary.txt). About 0.6 s that the first run would pay."""
    import rich.table  # noqa: F401
    import sklearn  # noqa: F401
    import yaml  # noqa: F401

    import nncli.data  # noqa: F401
    import nncli.experiment.training  # noqa: F401


def worker_run(task: Task, sweep_dir: str, prepared: Any) -> Outcome:
    _WORKER["busy"] = True
    try:
        reporter = Reporter(_WORKER["progress"].put, os.getpid(), task.name)
        return run_task(task, Path(sweep_dir), prepared, [reporter], WorkerStop())
    finally:
        _WORKER["busy"] = False
        if _WORKER["orphaned"]:
            os._exit(0)
