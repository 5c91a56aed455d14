"""``nncli sweep`` in-process: what it prints where, its exit codes, its help."""

from __future__ import annotations

import json
import sys

import pytest

from cli_helpers import CONFIGS, invoke, last_line

DIGITS = CONFIGS / "digits.yaml"
BASE = ["training.epochs=2"]


def test_a_sweep_prints_the_plan_a_line_per_run_the_best_runs_and_the_folder(tmp_path):
    result = invoke(["sweep", DIGITS, *BASE, "--grid", "model.layers.0.units=4,8", "--seeds", "0,1",
                     "--runs-dir", tmp_path, "--name", "s"])
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == f"s: 2 points × 2 seeds = 4 runs, 4 to train, in {tmp_path / 's'}"
    finished = [line for line in lines if line.startswith("[")]
    assert len(finished) == 4 and finished[-1].startswith("[4/4] completed units=")
    assert "test_accuracy=" in finished[0]
    assert "s: best of 4 runs by test_accuracy (highest first)" in result.stdout
    assert last_line(result.stdout) == str(tmp_path / "s")
    assert (tmp_path / "s" / "sweep.png").is_file()
    again = invoke(["sweep", DIGITS, *BASE, "--grid", "model.layers.0.units=4,8", "--seeds", "0,1",
                    "--runs-dir", tmp_path, "--name", "s", "--no-plots"])
    assert again.exit_code == 0 and "0 to train, 4 completed before" in again.stderr.splitlines()[0]


def test_json_and_quiet(tmp_path):
    result = invoke(["sweep", DIGITS, *BASE, "--grid", "model.layers.0.units=4", "--runs-dir", tmp_path, "--json",
                     "--quiet", "--no-plots"])
    assert result.exit_code == 0 and result.stderr == ""
    report = json.loads(result.stdout)
    assert report["trained"] == 1 and report["metric"] == "test_accuracy"
    assert report["rows"][0]["status"] == "completed" and report["rows"][0]["model.layers.0.units"] == 4


def test_a_bad_key_is_exit_2_with_the_closest_key_and_nothing_runs(tmp_path):
    result = invoke(["sweep", DIGITS, "--grid", "model.layers.0.unit=4,8", "--runs-dir", tmp_path])
    assert result.exit_code == 2
    assert "did you mean 'units'?" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option", [["--param", "lr=normal(0,1)", "--random", "2"], ["--random", "3"],
                                    ["--seeds", "a"], ["--jobs", "0"], ["--scheduler", "127.0.0.1:8786"],
                                    ["--name", "a/b"], ["--dashboard", "127.0.0.1:8787"]])
def test_bad_options_are_exit_2(tmp_path, option):
    result = invoke(["sweep", DIGITS, *BASE, "--grid", "model.layers.0.units=4", "--runs-dir", tmp_path, *option])
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: ")


def test_a_failed_run_is_exit_1_with_a_line_saying_why(tmp_path):
    result = invoke(["sweep", DIGITS, *BASE, "training.optimizer.name=sgd", "--grid",
                     "training.optimizer.learning_rate=1e9,0.01", "--runs-dir", tmp_path, "--no-plots"])
    assert result.exit_code == 1
    assert "1 failed, 1 completed" in result.stdout
    failure = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failure) == 1 and "lr=1e+09" in failure[0] and "diverged" in failure[0]


def test_the_scheduler_without_the_dask_extra_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed raises ImportError
    result = invoke(["sweep", DIGITS, *BASE, "--grid", "model.layers.0.units=4", "--runs-dir", tmp_path,
                     "--scheduler", "local:2"])
    assert result.exit_code == 2
    assert 'pip install "nncli[dask]"' in result.stderr


def test_help_shows_an_example_of_every_option():
    result = invoke(["sweep", "--help"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    options = ["--grid", "--random", "--param", "--seeds", "--name", "--runs-dir", "--jobs", "--scheduler",
               "--dashboard", "--resume", "--retry-failed", "--fail-fast", "--json", "--quiet", "--no-plots"]
    examples = [line for line in result.stdout.splitlines() if "nncli sweep " in line or "e.g." in line]
    for option in options:
        assert option in result.stdout
        assert any(option in line for line in examples), option
