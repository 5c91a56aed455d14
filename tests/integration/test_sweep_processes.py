"""``nncli sweep`` as real processes: --jobs 2 against nncli train, kill -9 at random moments,
two sweeps at once on one folder, Ctrl-C, and the live display on an 80x24 terminal.

Kill moments come from a seeded generator (a failure can be replayed) scaled to the measured
length of an uninterrupted sweep; no assertion is about time.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nncli import experiment
from nncli.io import load_npz

REPO = Path(__file__).resolve().parents[2]
DIGITS = REPO / "configs" / "digits.yaml"
GUARD_S = 180.0  # only stops a hung test
# Small batches make a run last long enough to be hit mid-way.
LONG = ["training.epochs=12", "training.batch_size=4"]
GRID = ["--grid", "training.optimizer.learning_rate=0.01,0.001", "--grid", "model.layers.0.units=8,16"]
STATUSES = {"pending", "running", "interrupted", "completed"}

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals and kill -9")


def sweep_command(runs_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "nncli.cli", "sweep", str(DIGITS), *args, "--runs-dir", str(runs_dir), "--no-plots"]


def run_sweep(runs_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(sweep_command(runs_dir, *args), capture_output=True, text=True, cwd=REPO, timeout=GUARD_S)


def weights(run_dir: Path) -> dict[str, np.ndarray]:
    return {key: value for key, value in load_npz(run_dir / "model.npz").items() if key.startswith("weight")}


def assert_same_weights(a: Path, b: Path) -> None:
    first, second = weights(a), weights(b)
    assert first.keys() == second.keys()
    for key in first:
        assert np.array_equal(first[key], second[key]), f"{b.name}: {key} differs"


def table(folder: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((folder / "sweep.csv").read_text(encoding="utf-8"))))


def run_folders(folder: Path) -> list[Path]:
    return sorted(path for path in folder.iterdir() if path.is_dir())


def reference_runs(folder: Path, base: list[str], out: Path) -> dict[str, Path]:
    """Each run of the sweep folder trained by nncli train's library call with the same overrides."""
    import yaml

    spec = yaml.safe_load((folder / "sweep.yaml").read_text())
    made = {}
    for entry in spec["runs"]:
        result = experiment.train_config(DIGITS, base + entry["overrides"], runs_dir=out, name="ref")
        made[entry["name"]] = result.run_dir
    return made


def test_jobs_2_grid_times_seeds_rerun_and_a_new_value(tmp_path):
    base = ["training.epochs=3"]
    grid = ["--grid", "training.optimizer.learning_rate=0.01,0.001,0.0001", "--grid", "model.layers.0.units=8,16"]
    first = run_sweep(tmp_path, *base, *grid, "--seeds", "0,1", "--jobs", "2", "--name", "g", "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    folder = tmp_path / "g"
    assert report["trained"] == 12 and len(run_folders(folder)) == 12
    rows = table(folder)
    assert len(rows) == 12
    for row in rows:
        metrics = json.loads((folder / row["run"] / "metrics.json").read_text())
        assert row["status"] == metrics["status"] == "completed"
        assert float(row["test_accuracy"]) == metrics["final"]["test"]["accuracy"]
        assert float(row["loss"]) == metrics["final"]["train"]["loss"]
    for name, reference in reference_runs(folder, base, tmp_path / "ref").items():
        assert_same_weights(reference, folder / name)
    again = run_sweep(tmp_path, *base, *grid, "--seeds", "0,1", "--jobs", "2", "--name", "g", "--json")
    assert json.loads(again.stdout)["trained"] == 0
    grid[-1] += ",4"
    more = run_sweep(tmp_path, *base, *grid, "--seeds", "0,1", "--jobs", "2", "--name", "g", "--json")
    assert json.loads(more.stdout)["trained"] == 6 and len(run_folders(folder)) == 18


def _wait_for(condition, process: subprocess.Popen | None = None) -> bool:
    deadline = time.monotonic() + GUARD_S
    while time.monotonic() < deadline:
        if condition():
            return True
        if process is not None and process.poll() is not None:
            return bool(condition())
        time.sleep(0.01)
    raise AssertionError("neither the awaited state nor the end of the sweep came")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_kill_9_at_random_moments_then_a_rerun_completes_every_run_bit_for_bit(tmp_path, jobs):
    args = [*LONG, *GRID, "--jobs", jobs, "--name", "k", "--quiet"]
    started = time.monotonic()
    whole = run_sweep(tmp_path / "whole", *args)
    assert whole.returncode == 0, whole.stderr
    length = time.monotonic() - started
    folder = tmp_path / "killed" / "k"
    moments = random.Random(int(jobs)).sample(range(30, 90), 3)
    for percent in moments:
        process = subprocess.Popen(sweep_command(tmp_path / "killed", *args), cwd=REPO, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        _wait_for(lambda: (folder / "sweep.csv").exists(), process)
        time.sleep(length * percent / 100 * 0.5)
        process.kill()
        process.wait()
        rows = table(folder)  # valid at every kill: whole rows, one per run
        assert len(rows) == 4 and {row["status"] for row in rows} <= STATUSES, rows
    final = run_sweep(tmp_path / "killed", *args)
    assert final.returncode == 0, final.stderr
    assert [row["status"] for row in table(folder)] == ["completed"] * 4
    names = [path.name for path in run_folders(folder)]
    assert names == [path.name for path in run_folders(tmp_path / "whole" / "k")]  # none duplicated
    for name in names:
        assert_same_weights(tmp_path / "whole" / "k" / name, folder / name)


def test_two_sweeps_at_once_on_one_folder_train_every_run_exactly_once(tmp_path):
    args = [*LONG, *GRID, "--seeds", "0,1", "--name", "t", "--json", "--quiet"]
    processes = [subprocess.Popen(sweep_command(tmp_path, *args), cwd=REPO, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=GUARD_S)
        assert process.returncode == 0, err
        reports.append(json.loads(out))
    assert sum(report["trained"] for report in reports) == 8
    assert all(report["trained"] > 0 for report in reports)  # both did work
    folder = tmp_path / "t"
    assert len(run_folders(folder)) == 8
    for report in reports:
        assert [row["status"] for row in report["rows"]] == ["completed"] * 8
    for path in run_folders(folder):
        history = (path / "history.csv").read_text().splitlines()
        assert len(history) == 1 + 12  # one training, never two


@pytest.mark.parametrize("target", ["sweep process", "process group"])
def test_ctrl_c_checkpoints_the_running_runs_and_prints_the_resume_command(tmp_path, target):
    args = [*LONG, *GRID, "--jobs", "2", "--name", "c"]
    folder = tmp_path / "c"
    process = subprocess.Popen(sweep_command(tmp_path, *args), cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)

    def training() -> bool:
        return any(len((path / "history.csv").read_text().splitlines()) > 2
                   for path in folder.glob("*") if (path / "history.csv").exists())

    _wait_for(training, process)
    if target == "sweep process":
        process.send_signal(signal.SIGINT)
    else:
        os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    out, err = process.communicate(timeout=GUARD_S)
    assert process.returncode == 130, err
    assert f"Resume with: nncli sweep --resume {folder}" in err
    statuses = [row["status"] for row in table(folder)]
    assert "interrupted" in statuses and "running" not in statuses
    for path in run_folders(folder):
        metrics = json.loads((path / "metrics.json").read_text())
        assert metrics["status"] in ("interrupted", "completed")
    resumed = subprocess.run([sys.executable, "-m", "nncli.cli", "sweep", "--resume", str(folder), "--no-plots"],
                             capture_output=True, text=True, cwd=REPO, timeout=GUARD_S)
    assert resumed.returncode == 0, resumed.stderr
    assert [row["status"] for row in table(folder)] == ["completed"] * 4
    for name, reference in reference_runs(folder, LONG, tmp_path / "ref").items():
        assert_same_weights(reference, folder / name)


def test_the_live_display_has_a_line_per_worker_and_an_overall_bar_at_80x24(tmp_path):
    from terminal import run_in_terminal

    seen = {"workers": 0, "overall": False}
    worker_line = re.compile(r"^\S+ epoch \d+/30 .*ETA")

    def watch(screen: list[str], seconds: float) -> None:
        for line in screen:
            assert len(line) <= 80
        seen["workers"] = max(seen["workers"], sum(bool(worker_line.match(line)) for line in screen))
        seen["overall"] = seen["overall"] or any(line.startswith("runs ") and "ETA" in line for line in screen)

    # Runs long enough (about 2 s each) that both workers are seen training at once, even on a busy machine.
    run = run_in_terminal(["sweep", DIGITS, "training.epochs=30", "training.batch_size=4", *GRID, "--jobs", "2",
                           "--runs-dir", tmp_path, "--no-plots"], watch=watch, timeout=GUARD_S)
    assert run.exit_code == 0, "\n".join(run.history)
    assert seen["workers"] == 2 and seen["overall"], seen
    text = "\n".join(run.history)
    assert text.count("] completed lr=") == 4
    assert "best of 4 runs by test_accuracy" in text


def _worker_pids(parent: int) -> list[int]:
    """The sweep's worker processes (spawned children running multiprocessing's worker loop)."""
    pids = []
    for task in Path(f"/proc/{parent}/task").iterdir():
        for child in (task / "children").read_text().split():
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            if b"multiprocessing.spawn" in command and b"resource_tracker" not in command:
                pids.append(int(child))
    return pids


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds the workers through /proc")
def test_a_killed_worker_process_leaves_its_run_to_a_new_one(tmp_path):
    args = [*LONG, *GRID, "--jobs", "2", "--name", "w", "--json", "--quiet"]
    folder = tmp_path / "w"
    process = subprocess.Popen(sweep_command(tmp_path, *args), cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: any(len((path / "history.csv").read_text().splitlines()) > 2
                          for path in folder.glob("*") if (path / "history.csv").exists()), process)
    os.kill(_worker_pids(process.pid)[0], signal.SIGKILL)
    out, err = process.communicate(timeout=GUARD_S)
    assert process.returncode == 0, err
    assert [row["status"] for row in json.loads(out)["rows"]] == ["completed"] * 4
    for name, reference in reference_runs(folder, LONG, tmp_path / "ref").items():
        assert_same_weights(reference, folder / name)
