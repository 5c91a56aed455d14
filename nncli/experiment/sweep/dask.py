"""Running a sweep's tasks on a Dask cluster (``pip install "nncli[dask]"``).

``--scheduler tcp://host:8786`` connects to a running cluster; ``--scheduler local[:N]`` starts a
``LocalCluster`` of N single-threaded worker processes on 127.0.0.1, without a dashboard unless
``--dashboard`` asks for one.

Workers need nncli and its dependencies, but no data and no shared file system. This process
prepares each distinct data section once and scatters it to every worker (a scattered
value lives only where it was put: on one worker, its death would cancel every run needing it);
it claims each run here (folder and
``RunLock``, held until the run's files are back), and sends the run's config and, to resume it,
its files. The worker trains into a temporary folder and returns the run directory's files,
which are written here atomically, ``metrics.json`` last. A worker that dies mid-run leaves the
task to the scheduler, which gives it to another worker (``distributed.scheduler.allowed-failures``
times, then ``KilledWorker``: the run is recorded as failed). Client and workers must run the same
versions (``Client.get_versions(check=True)``). Epoch progress comes back as worker events
(``log_event``/``subscribe_topic``).
"""

from __future__ import annotations

import collections
import logging
import time
from pathlib import Path
from typing import Any

from nncli import io
from nncli.errors import NncliError, UsageError
from nncli.experiment.sweep import layout
from nncli.experiment.sweep.task import Outcome, Task, train_task

TOPIC = "nncli-sweep"
#: Files of a run sent to a worker to resume it (the rest it writes itself).
RESUME_FILES = ("config.yaml", "summary.txt", "history.csv", "checkpoint.npz", "metrics.json")
#: Seconds between two looks at the cluster's size (workers come and go).
CAPACITY_EVERY_S = 2.0
CONNECT_TIMEOUT_S = 20
#: Times a run may be lost on the cluster (cancelled by the scheduler) before it counts as failed.
MAX_LOST = 3


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise UsageError('--scheduler needs Dask, an optional extra: pip install "nncli[dask]"') from None
    return distributed


def check_address(address: str) -> int | None:
    """The number of LocalCluster workers of ``local[:N]`` (None for a scheduler's address);
    ``UsageError`` for anything else, or when Dask is not installed."""
    _distributed()
    if address == "local" or address.startswith("local:"):
        count = address.partition(":")[2] or "2"
        if not count.isdigit() or int(count) < 1:
            raise UsageError(f"--scheduler local:N expects a number of workers, 1 or more; received {address!r}")
        return int(count)
    if "://" not in address:
        raise UsageError(f"--scheduler expects tcp://HOST:PORT (a running Dask scheduler) or local[:N]; "
                         f"received {address!r}")
    return None


def connect(address: str, dashboard: str | None = None) -> tuple[Any, Any]:
    """(client, the LocalCluster started for ``local[:N]`` or None); the LocalCluster serves a
    dashboard only at ``dashboard`` when given."""
    distributed = _distributed()
    cluster = None
    count = check_address(address)
    if count is not None:
        cluster = distributed.LocalCluster(n_workers=count, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address=dashboard, silence_logs=logging.ERROR)
        address = cluster.scheduler_address
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as error:
        if cluster is not None:
            cluster.close()
        raise NncliError(f"could not reach the Dask scheduler at {address}: {error}") from None
    _check_versions(client, cluster)
    return client, cluster


def _check_versions(client: Any, cluster: Any) -> None:
    try:
        client.get_versions(check=True, packages=["nncli", "numpy", "scikit-learn"])
    except ValueError as error:
        client.close()
        if cluster is not None:
            cluster.close()
        raise NncliError(f"the Dask workers do not run the versions this process runs; install the same ones "
                         f"everywhere:\n{error}") from None


class DaskRunner:
    """As many runs at once as the cluster has worker threads."""

    def __init__(self, address: str, sweep_dir: Path, events: Any, dashboard: str | None = None) -> None:
        self.client, self.cluster = connect(address, dashboard)
        self.sweep_dir, self.events = sweep_dir, events
        self.futures: dict[Any, tuple[Task, layout.Claim]] = {}
        self.tasks: dict[str, Task] = {}
        self.messages: collections.deque = collections.deque()
        self.client.subscribe_topic(TOPIC, lambda event: self.messages.append(tuple(event[1])))
        self.prepared: dict[str, Any] = {}
        self.data: dict[str, Any] = {}
        self.lost: collections.Counter = collections.Counter()
        self._capacity, self._capacity_at = 1, -CAPACITY_EVERY_S

    def use(self, prepared: dict[str, Any]) -> None:
        self.prepared = prepared
        self.data = {key: self._scatter(key) for key in prepared}

    def _scatter(self, key: str) -> Any:
        """The data on every worker (a copy each): a worker's death does not lose it, and a new
        worker fetches it from a peer."""
        return self.client.scatter(self.prepared[key], broadcast=True)

    @property
    def running(self) -> int:
        return len(self.futures)

    def has_room(self) -> bool:
        if time.monotonic() - self._capacity_at >= CAPACITY_EVERY_S:
            self._capacity = max(1, sum(self.client.nthreads().values()))
            self._capacity_at = time.monotonic()
        return len(self.futures) < self._capacity

    def task_of(self, name: str) -> Task:
        return self.tasks[name]

    def submit(self, task: Task) -> None:
        self.tasks[task.name] = task
        claim = layout.claim(self.sweep_dir / task.name, task.retry_failed)
        if claim.lock is None:
            self.futures[_Done(Outcome(task.name, claim.action, False, claim.reason))] = (task, claim)
            return
        files = _resume_files(self.sweep_dir / task.name) if claim.action == "resume" else {}
        future = self.client.submit(remote_train, task, claim.action, files, self.data[task.data_key], pure=False,
                                    key=f"nncli-sweep-{task.name}-{time.time_ns()}")
        self.futures[future] = (task, claim)
        self.events.message(("start", task.name, task.name, 0, 0))

    def wait(self, timeout: float) -> list[Outcome]:
        deadline = time.monotonic() + timeout
        while True:  # Future.done() is also true when cancelled, unlike what distributed.wait waits for
            done = [future for future in self.futures if isinstance(future, _Done) or future.done()]
            if done or time.monotonic() >= deadline:
                break
            time.sleep(0.01)
        while self.messages:
            self.events.message(self.messages.popleft())
        return [self._collect(future) for future in done]

    def _collect(self, future: Any) -> Outcome:
        task, claim = self.futures.pop(future)
        try:
            if isinstance(future, _Done):
                return future.outcome
            if future.cancelled():
                return self._lost(task)
            try:
                outcome = future.result()
            except Exception as error:  # KilledWorker (workers died on it), or the worker could not run it
                return Outcome(task.name, "failed", False, f"on the Dask cluster: {type(error).__name__}: {error}")
            _write_files(self.sweep_dir / task.name, outcome.files)
            outcome.files = {}
            return outcome
        finally:
            claim.release()

    def _lost(self, task: Task) -> Outcome:
        """The scheduler dropped the task (its data was lost with the workers that held it): the
        data is scattered again and the run asked again later, at most ``MAX_LOST`` times."""
        self.lost[task.name] += 1
        if self.lost[task.name] > MAX_LOST:
            return Outcome(task.name, "failed", False, f"lost on the Dask cluster {self.lost[task.name]} times")
        if self.data[task.data_key].status != "finished":
            self.data[task.data_key] = self._scatter(task.data_key)
        return Outcome(task.name, "busy", False, "lost on the Dask cluster; trying again")

    def stop(self) -> None:
        """Runs on the cluster cannot be stopped half-way: they are cancelled, and their folders
        here stay as they were (trained afresh, or resumed from their old checkpoint, next time)."""
        for future, (task, claim) in list(self.futures.items()):
            if not isinstance(future, _Done):
                future.cancel()
                self.futures[_Done(Outcome(task.name, "interrupted", False, "cancelled on the Dask cluster"))] = \
                    self.futures.pop(future)

    def close(self) -> None:
        self.stop()
        for future in list(self.futures):
            self._collect(future)
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


class _Done:
    """An outcome known without the cluster (the run was busy or final when claimed)."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


def _resume_files(run_path: Path) -> dict[str, bytes]:
    return {name: (run_path / name).read_bytes() for name in RESUME_FILES if (run_path / name).is_file()}


def _write_files(run_path: Path, files: dict[str, bytes]) -> None:
    for name in sorted(files, key=lambda name: name == "metrics.json"):  # metrics.json last: it says "done"
        io.atomic_write_bytes(run_path / name, files[name])


def remote_train(task: Task, action: str, files: dict[str, bytes], prepared: Any) -> Outcome:
    """On a worker: train the task in a temporary folder and return the run directory's files."""
    import tempfile

    from nncli.experiment.sweep.local import Reporter
    from nncli.runs import RunLock

    with tempfile.TemporaryDirectory(prefix="nncli-sweep-") as folder:
        run_path = Path(folder) / task.name
        run_path.mkdir()
        for name, data in files.items():
            (run_path / name).write_bytes(data)
        with RunLock(run_path):
            outcome = train_task(task, run_path, action, prepared, [Reporter(_log_event, task.name, task.name)])
        outcome.files = {path.name: path.read_bytes() for path in run_path.iterdir()
                         if path.is_file() and not path.name.startswith(".")}
    return outcome


def _log_event(message: tuple) -> None:
    from distributed import get_worker

    get_worker().log_event(TOPIC, list(message))
