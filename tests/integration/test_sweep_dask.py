"""``nncli sweep --scheduler`` on Dask, on loopback only: a LocalCluster of 2 gives the weights
of --jobs 1; a scheduler and two worker processes started here (bound to 127.0.0.1) finish a
sweep although one worker is killed in the middle of it. Skipped without the dask extra."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nncli.io import load_npz

distributed = pytest.importorskip("distributed", reason='the dask extra is not installed (pip install "nncli[dask]")')

REPO = Path(__file__).resolve().parents[2]
DIGITS = REPO / "configs" / "digits.yaml"
DASK = Path(sys.executable).parent / "dask"
GUARD_S = 180.0
LONG = ["training.epochs=12", "training.batch_size=4"]
GRID = ["--grid", "training.optimizer.learning_rate=0.01,0.001,0.0001", "--grid", "model.layers.0.units=8,16"]


def sweep(runs_dir: Path, *args: str) -> dict:
    command = [sys.executable, "-m", "nncli.cli", "sweep", str(DIGITS), *args, "--runs-dir", str(runs_dir),
               "--no-plots", "--quiet", "--json"]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=GUARD_S)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def assert_same_runs(first: Path, second: Path) -> None:
    names = sorted(path.name for path in first.iterdir() if path.is_dir())
    assert names == sorted(path.name for path in second.iterdir() if path.is_dir())
    for name in names:
        a, b = load_npz(first / name / "model.npz"), load_npz(second / name / "model.npz")
        for key in a:
            if key.startswith("weight"):
                assert np.array_equal(a[key], b[key]), f"{name}: {key}"


def test_a_local_cluster_of_2_gives_the_weights_of_jobs_1(tmp_path):
    on_dask = sweep(tmp_path / "dask", "training.epochs=3", *GRID, "--scheduler", "local:2", "--name", "s")
    here = sweep(tmp_path / "here", "training.epochs=3", *GRID, "--jobs", "1", "--name", "s")
    assert on_dask["trained"] == here["trained"] == 6
    assert_same_runs(tmp_path / "here" / "s", tmp_path / "dask" / "s")
    assert [row["status"] for row in on_dask["rows"]] == ["completed"] * 6
    again = sweep(tmp_path / "dask", "training.epochs=3", *GRID, "--scheduler", "local:2", "--name", "s")
    assert again["trained"] == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([str(DASK), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
                            start_new_session=True)


def _wait_for_workers(address: str, count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with distributed.Client(address, timeout=5) as client:
                client.wait_for_workers(count, timeout=30)
                return
        except (OSError, TimeoutError):
            time.sleep(0.5)
    raise AssertionError(f"the Dask scheduler at {address} did not get {count} workers")


def _wait_until_training(client, worker_name: str, folder: Path, sweep_process: subprocess.Popen) -> None:
    """Until the named worker is processing a run, after one run has come back (so the kill falls
    in the middle of the sweep, on a worker that holds a task)."""
    deadline = time.monotonic() + GUARD_S
    while time.monotonic() < deadline and sweep_process.poll() is None:
        names = {address: info["name"] for address, info in client.scheduler_info()["workers"].items()}
        busy = [names.get(address) for address, keys in client.processing().items() if keys]
        if worker_name in busy and _completed_rows(folder) >= 1:
            return
        time.sleep(0.02)
    raise AssertionError(f"worker {worker_name} never trained a run while the sweep ran")


def _completed_rows(folder: Path) -> int:
    path = folder / "sweep.csv"
    if not path.exists():
        return 0
    return sum(row["status"] == "completed" for row in csv.DictReader(io.StringIO(path.read_text())))


def test_a_sweep_on_a_scheduler_and_two_workers_survives_a_killed_worker(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    processes = [_start("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")]
    try:
        for index in range(2):
            processes.append(_start("worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard",
                                    "--name", f"w{index}"))
        _wait_for_workers(address, 2)
        command = [sys.executable, "-m", "nncli.cli", "sweep", str(DIGITS), *LONG, *GRID, "--scheduler", address,
                   "--runs-dir", str(tmp_path / "dask"), "--name", "s", "--no-plots", "--quiet", "--json"]
        running = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with distributed.Client(address, timeout=10) as watcher:
            _wait_until_training(watcher, "w0", tmp_path / "dask" / "s", running)
            os.killpg(processes[1].pid, signal.SIGKILL)  # worker w0 and its nanny, while w0 trains a run
        out, err = running.communicate(timeout=GUARD_S)
        assert running.returncode == 0, err
        report = json.loads(out)
        assert [row["status"] for row in report["rows"]] == ["completed"] * 6
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=30)
    sweep(tmp_path / "here", *LONG, *GRID, "--jobs", "1", "--name", "s")
    assert_same_runs(tmp_path / "here" / "s", tmp_path / "dask" / "s")


def test_client_and_worker_versions_must_match(monkeypatch):
    from nncli.errors import NncliError
    from nncli.experiment.sweep import dask as dask_runner

    class Mismatched:
        def get_versions(self, check, packages):
            raise ValueError("Mismatched versions found\n+---------+--------+\n| numpy   | 2.0 ...")

        def close(self):
            pass

    with pytest.raises(NncliError, match="do not run the versions this process runs"):
        dask_runner._check_versions(Mismatched(), None)


@pytest.mark.parametrize(("dashboard", "expected"), [(None, None), ("127.0.0.1:8787", "127.0.0.1:8787")])
def test_the_local_cluster_serves_a_dashboard_only_when_asked(monkeypatch, dashboard, expected):
    from nncli.experiment.sweep import dask as dask_runner

    asked = {}

    class Stop(Exception):
        pass

    def local_cluster(**options):
        asked.update(options)
        raise Stop

    monkeypatch.setattr(distributed, "LocalCluster", local_cluster)
    with pytest.raises(Stop):
        dask_runner.connect("local:2", dashboard)
    assert asked["dashboard_address"] == expected and asked["host"] == "127.0.0.1"
