"""The small things a person hit on the command line (issue 10), one test each."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cli_helpers import CONFIGS, REPO, invoke, train_run
from nncli import __version__


def test_version_and_short_help():
    assert invoke(["--version"]).stdout.strip() == f"nncli {__version__}"
    short, long = invoke(["-h"]), invoke(["--help"])
    assert short.exit_code == 0 and short.stdout == long.stdout
    assert invoke(["train", "-h"]).exit_code == 0


def test_shell_completion_is_typer_s_own():
    result = invoke(["--show-completion", "bash"], env={"SHELL": "/bin/bash"})
    assert result.exit_code == 0 and "complete" in result.stdout and "nncli" in result.stdout.lower()
    assert "--install-completion" in invoke(["--help"]).stdout


def test_train_json_is_one_object_on_stdout_and_progress_stays_on_stderr(tmp_path):
    result = invoke(["train", CONFIGS / "iris.yaml", "training.epochs=2", "--runs-dir", tmp_path, "--json",
                     "--no-plots"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["run_dir"] == str(tmp_path / "iris") and report["status"] == "completed"
    assert re.search(r"^epoch 2/2 loss=", result.stderr, re.M)
    quiet = invoke(["train", CONFIGS / "iris.yaml", "training.epochs=2", "--runs-dir", tmp_path, "--json", "--quiet",
                    "--no-plots"])
    assert quiet.stderr == "" and json.loads(quiet.stdout)["run_dir"] == str(tmp_path / "iris-2")
    assert "run_dir" in " ".join(invoke(["train", "--help"]).stdout.split())


def test_the_readme_never_shows_config_together_with_resume():
    usage = [line for line in (REPO / "README.md").read_text().splitlines() if line.startswith("### `nncli train")]
    assert usage and not any("CONFIG" in line and "--resume RUN" in line for line in usage)


def test_resume_with_fewer_epochs_names_training_epochs_and_how_to_finish_early(tmp_path):
    run = train_run(tmp_path, "iris.yaml")
    metrics_path = run / "metrics.json"
    metrics = json.loads(metrics_path.read_text())
    metrics["status"] = "interrupted"
    metrics_path.write_text(json.dumps(metrics))
    result = invoke(["train", "--resume", run, "training.epochs=1"])
    message = " ".join(result.stderr.split())
    assert result.exit_code == 2 and "--epochs" not in message
    assert "training.epochs=1 is lower than the 2 epochs this run planned" in message
    assert f"nncli evaluate {run}" in message


def test_plot_says_in_a_person_s_words_why_a_picture_does_not_apply(tmp_path):
    run = train_run(tmp_path, "digits.yaml")
    result = invoke(["plot", run, "--what", "curves,boundary,roc"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(run / "curves.png")
    text = " ".join(result.stderr.split())
    assert "boundary: not drawn: needs exactly 2 input features; this model has 64" in text
    assert "roc: not drawn: needs exactly 2 classes; this run is a classifier of 10 classes" in text
    nothing = invoke(["plot", run, "--what", "residuals"])
    assert nothing.exit_code == 2 and "needs a regression" in nothing.stderr


def test_relative_paths_in_overrides_count_from_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "mine.csv").write_text((CONFIGS / "data" / "iris.csv").read_text())
    monkeypatch.chdir(tmp_path)
    run = train_run(tmp_path / "runs", "iris_csv.yaml", "data.path=mine.csv")
    assert f"path: {tmp_path / 'mine.csv'}" in (run / "config.yaml").read_text()


def test_a_semicolon_file_suggests_the_delimiter(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("a;b;label\n1;2;x\n3;4;y\n")
    config = tmp_path / "semi.yaml"
    config.write_text(f"data: {{source: csv, path: {path}, target: 0}}\nmodel: {{layers: [{{type: Dense, units: 2, "
                      "activation: softmax}]}\ntraining: {loss: sparse_categorical_crossentropy}\n")
    result = invoke(["train", config, "--runs-dir", tmp_path / "runs"])
    assert result.exit_code == 2
    assert "its lines contain ';': set data.delimiter=';'" in " ".join(result.stderr.split())


@pytest.mark.parametrize("epochs", ["0", "-3"])
def test_zero_epochs_is_a_config_error(tmp_path, epochs):
    result = invoke(["train", CONFIGS / "iris.yaml", f"training.epochs={epochs}", "--runs-dir", tmp_path])
    assert result.exit_code == 2 and "training.epochs" in result.stderr and "greater than 0" in result.stderr
    assert not any(Path(tmp_path).iterdir())
