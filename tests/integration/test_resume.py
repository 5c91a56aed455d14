"""Interrupt and resume with real processes: kill -9, SIGINT, SIGTERM, then ``--resume``.

Every interrupted run must resume to the same final weights, bit for bit, as a run that was never
interrupted (DESIGN.md §5), keep whole ``history.csv`` rows, and be listed as ``interrupted`` by
``nncli runs`` until it is resumed. The kill moments are drawn from a seeded generator (so a failure
can be replayed) and scaled to the measured length of a reference run; no assertion is about time.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nncli.cli import app
from nncli.io import load_npz

REPO = Path(__file__).resolve().parents[2]
DIGITS = REPO / "configs" / "digits.yaml"
IRIS = REPO / "configs" / "iris.yaml"
EPOCHS = 30
# Small batches make an epoch long enough (tens of ms) to be hit mid-way by a signal.
DIGITS_OVERRIDES = [f"training.epochs={EPOCHS}", "training.batch_size=4"]
GUARD_S = 120.0  # only stops a hung test; never part of an assertion

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals and kill -9")


# -- helpers ---------------------------------------------------------------------------------
def nncli_command(*args: str | os.PathLike) -> list[str]:
    return [sys.executable, "-m", "nncli.cli", *map(str, args)]


def start_training(runs_dir: Path, *extra: str) -> subprocess.Popen:
    command = nncli_command("train", DIGITS, *DIGITS_OVERRIDES, "--runs-dir", runs_dir, "--no-plots", *extra)
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until(condition, process: subprocess.Popen, poll_s: float = 0.001) -> bool:
    """Poll ``condition`` every ``poll_s`` (0: a tight loop, for a state that lasts microseconds);
    False when the process ended first. The pause leaves the core to the training process."""
    deadline = time.monotonic() + GUARD_S
    while time.monotonic() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return bool(condition())
        if poll_s:
            time.sleep(poll_s)
    raise AssertionError("the training process neither reached the awaited state nor ended")


def only_run(runs_dir: Path) -> Path | None:
    runs = [path for path in runs_dir.iterdir() if path.is_dir()] if runs_dir.exists() else []
    assert len(runs) <= 1, runs
    return runs[0] if runs else None


def run_appears(runs_dir: Path):
    return lambda: (run := only_run(runs_dir)) is not None and (run / "config.yaml").exists()


def checkpoint_appears(runs_dir: Path):
    """The first epoch's checkpoint (the starting point's, epoch 0, is written before training)."""

    def condition() -> bool:
        run = only_run(runs_dir)
        if run is None or not (run / "history.csv").exists():
            return False
        return len((run / "history.csv").read_text().splitlines()) >= 2 and (run / "checkpoint.npz").exists()

    return condition


def checkpoint_being_written(runs_dir: Path):
    def condition() -> bool:
        run = only_run(runs_dir)
        return run is not None and any(name.startswith(".checkpoint.npz.") for name in os.listdir(run))

    return condition


def kill_hard(process: subprocess.Popen) -> None:
    process.kill()  # SIGKILL
    process.communicate()  # reap it: a zombie would still look alive to `nncli runs`


def resume(run: Path, *overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(nncli_command("train", "--resume", run, *overrides, "--no-plots", "-q"),
                          cwd=REPO, capture_output=True, text=True, timeout=GUARD_S)


def listed_status(runs_dir: Path, run: Path) -> str:
    listing = subprocess.run(nncli_command("runs", runs_dir, "--json"), cwd=REPO, capture_output=True,
                             text=True, timeout=GUARD_S)
    assert listing.returncode == 0, listing.stderr
    rows = {row["name"]: row for row in json.loads(listing.stdout)}
    return rows[run.name]["status"]


def model_weights(run: Path) -> dict[str, np.ndarray]:
    arrays = load_npz(run / "model.npz")
    weights = {name: value for name, value in arrays.items() if name.startswith("weight_")}
    assert weights, f"{run}/model.npz holds no weight_* arrays"
    return weights


def assert_same_weights(run: Path, reference: dict[str, np.ndarray]) -> None:
    weights = model_weights(run)
    assert sorted(weights) == sorted(reference)
    for name, expected in reference.items():
        assert weights[name].dtype == expected.dtype, name
        assert np.array_equal(weights[name], expected), f"{name} differs from the uninterrupted run"


def history_epochs(run: Path) -> list[int]:
    with open(run / "history.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    return [int(float(row["epoch"])) for row in rows]


def assert_resumes_to_reference(runs_dir: Path, run: Path, reference: dict[str, np.ndarray]) -> None:
    assert listed_status(runs_dir, run) == "interrupted"
    checkpoint = run / "checkpoint.npz"
    if checkpoint.exists():
        assert 0 <= int(load_npz(checkpoint)["epoch"]) <= EPOCHS  # 0: the starting point
    resumed = resume(run)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip().splitlines()[-1] == str(run)
    assert_same_weights(run, reference)
    assert history_epochs(run) == list(range(1, EPOCHS + 1))
    assert json.loads((run / "metrics.json").read_text())["status"] == "completed"
    assert listed_status(runs_dir, run) == "completed"


# -- the uninterrupted reference --------------------------------------------------------------
@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, object]:
    """Final weights of an uninterrupted run, and how long its training part lasted."""
    runs_dir = tmp_path_factory.mktemp("reference")
    process = start_training(runs_dir, "-q")
    wait_until(run_appears(runs_dir), process)
    appeared = time.monotonic()
    _, stderr = process.communicate(timeout=GUARD_S)
    training_s = time.monotonic() - appeared
    assert process.returncode == 0, stderr
    run = only_run(runs_dir)
    assert history_epochs(run) == list(range(1, EPOCHS + 1))
    return {"weights": model_weights(run), "training_s": training_s}


# -- kill -9 ----------------------------------------------------------------------------------
def test_kill_before_the_run_directory_leaves_nothing_or_a_resumable_run(tmp_path, reference):
    process = start_training(tmp_path)
    time.sleep(random.Random(1).uniform(0.0, 0.3))  # while Python and NumPy are still importing
    kill_hard(process)
    run = only_run(tmp_path)
    if run is not None and (run / "config.yaml").exists():
        assert_resumes_to_reference(tmp_path, run, reference["weights"])


def test_kill_right_after_the_run_directory_appears(tmp_path, reference):
    process = start_training(tmp_path)
    assert wait_until(run_appears(tmp_path), process)
    kill_hard(process)
    assert_resumes_to_reference(tmp_path, only_run(tmp_path), reference["weights"])


@pytest.mark.parametrize("which", ["first", "later"])
def test_kill_while_the_checkpoint_is_being_written(tmp_path, reference, which):
    process = start_training(tmp_path)
    if which == "later":
        assert wait_until(checkpoint_appears(tmp_path), process)
    caught = wait_until(checkpoint_being_written(tmp_path), process, poll_s=0)
    kill_hard(process)
    if not caught:
        pytest.skip("the training ended before a checkpoint write could be observed in progress")
    run = only_run(tmp_path)
    if (run / "checkpoint.npz").exists():
        load_npz(run / "checkpoint.npz")  # the previous checkpoint is whole
    assert_resumes_to_reference(tmp_path, run, reference["weights"])


def history_rows_at_least(runs_dir: Path, rows: int):
    def condition() -> bool:
        run = only_run(runs_dir)
        try:
            return (run / "history.csv").read_bytes().count(b"\n") - 1 >= rows
        except (FileNotFoundError, TypeError):
            return False

    return condition


@pytest.mark.parametrize("draw", range(3))
def test_kill_at_a_random_moment_of_training(tmp_path, reference, draw):
    # A random epoch, then a random fraction of an epoch: the kill lands anywhere in training
    # (mid-batch, between the checkpoint and its history row, ...) but never after the end.
    rng = random.Random(100 + draw)
    epoch_s = float(reference["training_s"]) / EPOCHS
    process = start_training(tmp_path)
    assert wait_until(run_appears(tmp_path), process)
    assert wait_until(history_rows_at_least(tmp_path, rng.randrange(0, EPOCHS - 5)), process)
    time.sleep(rng.uniform(0.0, 1.5) * epoch_s)
    kill_hard(process)
    assert_resumes_to_reference(tmp_path, only_run(tmp_path), reference["weights"])


def checkpoint_replaced(run: Path, previous: int | None):
    """True once checkpoint.npz is a new file (each atomic write gives it a new inode)."""
    def condition() -> bool:
        try:
            return os.stat(run / "checkpoint.npz").st_ino != previous
        except FileNotFoundError:
            return False

    return condition


def checkpoint_inode(run: Path) -> int | None:
    try:
        return os.stat(run / "checkpoint.npz").st_ino
    except FileNotFoundError:
        return None


def test_killed_again_and_again_including_during_resumes(tmp_path, reference):
    rng = random.Random(7)
    epoch_s = float(reference["training_s"]) / EPOCHS
    process = start_training(tmp_path)
    assert wait_until(run_appears(tmp_path), process)
    run = only_run(tmp_path)
    time.sleep(rng.uniform(0.0, 0.3) * float(reference["training_s"]))
    for _ in range(3):
        kill_hard(process)
        assert listed_status(tmp_path, run) == "interrupted"
        previous = checkpoint_inode(run)
        process = subprocess.Popen(nncli_command("train", "--resume", run, "--no-plots", "-q"), cwd=REPO,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Kill each resumed process too, a random fraction of an epoch after its first checkpoint.
        assert wait_until(checkpoint_replaced(run, previous), process)
        time.sleep(rng.uniform(0.0, 2.0) * epoch_s)
    kill_hard(process)
    assert_resumes_to_reference(tmp_path, run, reference["weights"])


# -- SIGINT / SIGTERM -------------------------------------------------------------------------
def interrupt_and_check(tmp_path: Path, process: subprocess.Popen, signum: int) -> tuple[Path, str]:
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=GUARD_S)
    assert process.returncode == 130, stderr
    run = only_run(tmp_path)
    assert stdout.strip().splitlines()[-1] == str(run)
    assert f"nncli train --resume {run}" in stderr
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["status"] == "interrupted"
    assert metrics["reason"]
    assert listed_status(tmp_path, run) == "interrupted"
    return run, stderr


def run_printed_resume_command(stderr: str) -> subprocess.CompletedProcess:
    line = next(line for line in stderr.splitlines() if "nncli train --resume" in line)
    words = shlex.split(line[line.index("nncli train --resume"):])
    return subprocess.run(nncli_command(*words[1:], "--no-plots", "-q"), cwd=REPO, capture_output=True, text=True,
                          timeout=GUARD_S)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_mid_training_saves_checkpoint_and_resumes_exactly(tmp_path, reference, signum):
    process = start_training(tmp_path)
    assert wait_until(checkpoint_appears(tmp_path), process)
    run, stderr = interrupt_and_check(tmp_path, process, signum)
    epochs_done = int(load_npz(run / "checkpoint.npz")["epoch"])
    assert 1 <= epochs_done < EPOCHS
    assert history_epochs(run) == list(range(1, epochs_done + 1))
    resumed = run_printed_resume_command(stderr)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_weights(run, reference["weights"])
    assert history_epochs(run) == list(range(1, EPOCHS + 1))
    assert listed_status(tmp_path, run) == "completed"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_the_first_epoch_resumes_from_scratch(tmp_path, reference, signum):
    process = start_training(tmp_path)
    assert wait_until(run_appears(tmp_path), process)
    run, stderr = interrupt_and_check(tmp_path, process, signum)
    if (run / "checkpoint.npz").exists():
        load_npz(run / "checkpoint.npz")
    resumed = run_printed_resume_command(stderr)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_weights(run, reference["weights"])
    assert history_epochs(run) == list(range(1, EPOCHS + 1))


def test_second_sigint_exits_at_once_and_keeps_the_checkpoint(tmp_path, reference):
    process = start_training(tmp_path)
    assert wait_until(checkpoint_appears(tmp_path), process)
    # The worst moment for an immediate exit: while the next checkpoint is being written.
    assert wait_until(checkpoint_being_written(tmp_path), process, poll_s=0)
    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=GUARD_S)
    assert process.returncode == 130, stderr
    run = only_run(tmp_path)
    assert 0 <= int(load_npz(run / "checkpoint.npz")["epoch"]) <= EPOCHS  # 0: the starting point
    assert_resumes_to_reference(tmp_path, run, reference["weights"])


# -- what --resume accepts ----------------------------------------------------------------------
def cli(*args: str | os.PathLike):
    return CliRunner().invoke(app, [str(arg) for arg in args])


@pytest.fixture()
def finished_iris_run(tmp_path) -> Path:
    result = cli("train", IRIS, "training.epochs=3", "--runs-dir", tmp_path / "runs", "--no-plots", "-q")
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip().splitlines()[-1])


def test_resume_refuses_an_override_that_changes_the_model(finished_iris_run):
    before = (finished_iris_run / "config.yaml").read_text()
    result = cli("train", "--resume", finished_iris_run, "model.layers.0.units=5", "--no-plots", "-q")
    assert result.exit_code == 2
    assert "model.layers.0.units=5" in result.stderr
    assert "training.epochs" in result.stderr
    assert "Traceback" not in result.output
    assert (finished_iris_run / "config.yaml").read_text() == before


def test_resume_raising_epochs_continues_to_the_same_weights_as_a_longer_run(tmp_path, finished_iris_run):
    result = cli("train", "--resume", finished_iris_run, "training.epochs=5", "--no-plots", "-q")
    assert result.exit_code == 0, result.output
    assert history_epochs(finished_iris_run) == [1, 2, 3, 4, 5]
    longer = cli("train", IRIS, "training.epochs=5", "--runs-dir", tmp_path / "longer", "--no-plots", "-q")
    assert longer.exit_code == 0, longer.output
    assert_same_weights(finished_iris_run, model_weights(Path(longer.stdout.strip().splitlines()[-1])))


def test_resume_lowering_epochs_is_refused(finished_iris_run):
    result = cli("train", "--resume", finished_iris_run, "training.epochs=2", "--no-plots", "-q")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert history_epochs(finished_iris_run) == [1, 2, 3]


def test_resume_lowering_epochs_message_names_the_override(finished_iris_run):
    result = cli("train", "--resume", finished_iris_run, "training.epochs=2", "--no-plots", "-q")
    assert "--epochs" not in result.stderr
    assert "training.epochs" in result.stderr


def test_resuming_a_completed_run_says_so_and_changes_nothing(finished_iris_run):
    weights = model_weights(finished_iris_run)
    result = cli("train", "--resume", finished_iris_run, "--no-plots", "-q")
    assert result.exit_code == 2, result.output
    assert "already completed" in result.stderr
    assert "training.epochs=" in result.stderr  # how to train further
    assert "Traceback" not in result.output
    assert_same_weights(finished_iris_run, weights)
    assert history_epochs(finished_iris_run) == [1, 2, 3]
    assert json.loads((finished_iris_run / "metrics.json").read_text())["status"] == "completed"
