"""``nncli`` as real processes: exit codes, the stdout/stderr split, plain output when stderr is a
pipe, the batch loop of the README, retraining a saved config bit for bit, Ctrl-C, --help."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cli_helpers import ARCHITECTURES, CONFIGS, PLAIN_EPOCH_LINE, REPO, last_line, process_env, run_nncli
from nncli import runs
from nncli.io import load_npz

from nncli.cli.app import app

COMMANDS = tuple(command.callback.__name__ for command in app.registered_commands)


def assert_no_terminal_codes(text: str) -> None:
    assert "\x1b" not in text and "\r" not in text


# -- exit codes and the stdout/stderr split -----------------------------------------------------------
def test_train_exits_0_with_results_on_stdout_and_progress_on_stderr(tmp_path):
    done = run_nncli(["train", CONFIGS / "iris.yaml", "training.epochs=3", "--runs-dir", tmp_path, "--no-plots"])
    assert done.returncode == 0, done.stderr
    assert last_line(done.stdout) == str(tmp_path / "iris")
    assert "epoch " not in done.stdout and "final metrics" in done.stdout
    epoch_lines = [line for line in done.stderr.splitlines() if line.startswith("epoch ")]
    assert [line.split()[1] for line in epoch_lines] == ["1/3", "2/3", "3/3"]
    assert all(PLAIN_EPOCH_LINE.match(line) for line in epoch_lines), epoch_lines
    assert_no_terminal_codes(done.stderr)
    assert_no_terminal_codes(done.stdout)


def test_quiet_leaves_only_the_run_directory(tmp_path):
    done = run_nncli(["train", CONFIGS / "iris.yaml", "training.epochs=2", "--runs-dir", tmp_path, "--quiet"])
    assert done.returncode == 0
    assert done.stdout == f"{tmp_path / 'iris'}\n"
    assert done.stderr == ""


def test_bad_config_exits_2_with_one_message_and_no_traceback(tmp_path):
    done = run_nncli(["train", CONFIGS / "digits.yaml", "model.layers.0.activation=rellu", "--runs-dir", tmp_path])
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1
    assert "model.layers.0.activation" in done.stderr and "did you mean 'relu'" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_unknown_option_exits_2():
    done = run_nncli(["summary", ARCHITECTURES / "lecture_61.yaml", "--jsn"])
    assert done.returncode == 2
    assert "No such option" in done.stderr and done.stdout == ""


def test_data_unavailable_exits_1(tmp_path):
    (tmp_path / "home").mkdir()
    done = run_nncli(["train", CONFIGS / "lfw.yaml", f"data.data_home={tmp_path / 'home'}",
                      "data.download_if_missing=false", "--runs-dir", tmp_path / "runs"])
    assert done.returncode == 1
    assert done.stdout == ""
    assert "lfw_home" in done.stderr and "Traceback" not in done.stderr


def test_debug_shows_the_traceback(tmp_path):
    done = run_nncli(["train", CONFIGS / "digits.yaml", "training.epochs=-1", "--runs-dir", tmp_path, "--debug"])
    assert done.returncode != 0
    assert "Traceback" in done.stderr and "training.epochs" in done.stderr


def test_ctrl_c_saves_the_checkpoint_and_exits_130(tmp_path):
    command = [sys.executable, "-m", "nncli.cli", "train", str(CONFIGS / "digits.yaml"), "training.epochs=100000",
               "--runs-dir", str(tmp_path), "--no-plots"]
    process = subprocess.Popen(command, cwd=REPO, env=process_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        seen = []
        for line in process.stderr:
            seen.append(line)
            if line.startswith("epoch 2/"):
                break
        assert any(line.startswith("epoch 2/") for line in seen), "".join(seen)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, stderr
    run_dir = tmp_path / "digits"
    assert last_line(stdout) == str(run_dir)
    assert f"nncli train --resume {run_dir}" in stderr and "Traceback" not in stderr
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "interrupted"
    checkpoint = load_npz(run_dir / "checkpoint.npz")
    assert int(checkpoint["epoch"]) == metrics["epochs_completed"] >= 2


# -- the batch loop of the acceptance list, and retraining from a saved config ------------------------
@pytest.fixture(scope="module")
def learning_rate_runs(tmp_path_factory) -> Path:
    runs_dir = tmp_path_factory.mktemp("batch")
    loop = ("for lr in 0.01 0.001 0.0001; do nncli train configs/digits.yaml "
            "training.optimizer.learning_rate=$lr training.epochs=2 "
            f"--runs-dir {shlex.quote(str(runs_dir))} --quiet; done")
    if not (Path(sys.executable).parent / "nncli").exists():  # a venv without the entry point script
        loop = f'nncli() {{ {shlex.quote(sys.executable)} -m nncli.cli "$@"; }}; {loop}'
    done = subprocess.run(["bash", "-c", loop], cwd=REPO, env=process_env(), capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [str(runs_dir / name) for name in ("digits", "digits-2", "digits-3")]
    assert done.stderr == ""
    return runs_dir


def test_the_loop_makes_three_runs_with_their_learning_rates(learning_rate_runs):
    learning_rates = []
    for name in ("digits", "digits-2", "digits-3"):
        saved = yaml.safe_load((learning_rate_runs / name / "config.yaml").read_text())
        learning_rates.append(saved["training"]["optimizer"]["learning_rate"])
        assert json.loads((learning_rate_runs / name / "metrics.json").read_text())["status"] == "completed"
    assert learning_rates == [0.01, 0.001, 0.0001]


def test_runs_lists_the_loop_sorted_by_a_metric(learning_rate_runs):
    done = run_nncli(["runs", learning_rate_runs, "--sort", "test_accuracy", "--json"])
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert sorted(row["name"] for row in rows) == ["digits", "digits-2", "digits-3"]
    accuracies = [row["test_accuracy"] for row in rows]
    assert accuracies == sorted(accuracies, reverse=True)
    assert len(set(accuracies)) > 1  # three learning rates, not three copies
    table = run_nncli(["runs", learning_rate_runs, "--sort", "test_accuracy"])
    names = [line.split("│")[1].strip() for line in table.stdout.splitlines() if "completed" in line]
    assert names == [row["name"] for row in rows]


def test_training_the_saved_config_again_gives_the_same_model(learning_rate_runs, tmp_path):
    original = learning_rate_runs / "digits-2"
    done = run_nncli(["train", original / "config.yaml", "--runs-dir", tmp_path, "--quiet", "--no-plots"])
    assert done.returncode == 0, done.stderr
    again = Path(done.stdout.strip())
    first, second = load_npz(original / "model.npz"), load_npz(again / "model.npz")
    assert set(first) == set(second)
    weights = [name for name in first if name.startswith("weight_")]
    assert len(weights) == 4  # two Dense layers: kernel and bias each
    for name in first:
        assert first[name].dtype == second[name].dtype and first[name].shape == second[name].shape, name
        assert first[name].tobytes() == second[name].tobytes(), name
    before, after = runs.read_history(original / "history.csv"), runs.read_history(again / "history.csv")
    assert before["loss"] == after["loss"] and before["accuracy"] == after["accuracy"]


# -- help --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_exits_0_and_shows_an_example(command):
    done = run_nncli(["--help"] if command is None else [command, "--help"])
    assert done.returncode == 0, done.stderr
    assert "Example" in done.stdout
    assert "nncli" in done.stdout.split("Example", 1)[1]


def test_help_lists_every_command():
    listed = run_nncli(["--help"]).stdout
    assert all(command in listed for command in COMMANDS)


HEAVY = ("sklearn", "matplotlib", "numba", "onnx", "onnxruntime", "PIL", "jsonschema", "dask", "distributed")


@pytest.mark.parametrize("args", [["--help"], ["summary", str(ARCHITECTURES / "lecture_61.yaml")],
                                  ["summary", str(CONFIGS / "lfw.yaml")], ["runs", "RUNS"]])
def test_quick_commands_import_no_heavy_library(args, tmp_path):
    """--help, summary and runs stay quick: none of the libraries other commands need is imported."""
    (tmp_path / "digits").mkdir()  # a clean clone has no runs/: list a folder of this test's own
    (tmp_path / "digits" / "config.yaml").write_text((CONFIGS / "digits.yaml").read_text())
    args = [str(tmp_path) if arg == "RUNS" else arg for arg in args]
    script = ("import sys\nfrom nncli.cli import app\n"
              f"sys.argv = ['nncli', *{args!r}]\n"
              "try:\n    app()\nexcept SystemExit as done:\n    assert not done.code, done.code\n"
              f"sys.stderr.write('imported: ' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=process_env(), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.endswith("imported: "), done.stderr[-300:]
    if args[0] == "summary" and "lecture_61" in args[1]:
        assert "Total params: 61 " in done.stdout


def test_a_closed_pipe_ends_quietly(tmp_path):
    # `nncli runs --json | head -1`: the reader goes away; no traceback, no "internal error".
    for index in range(600):  # more JSON than a pipe buffers, so the writer meets the closed pipe
        (tmp_path / f"r{index}").mkdir()
        (tmp_path / f"r{index}" / "config.yaml").write_text("name: x\n")
    command = f"{shlex.quote(sys.executable)} -m nncli.cli runs {shlex.quote(str(tmp_path))} --json | head -c 1"
    finished = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert "Traceback" not in finished.stderr
    assert "internal error" not in finished.stderr
