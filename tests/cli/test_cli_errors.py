"""Bad configs, overrides and arguments end as one readable message and exit code 2 (usage) or 1
(runtime failure), never a traceback; with ``--debug`` the exception comes through."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import yaml

from bad_configs import BAD_CONFIGS, expected_line
from cli_helpers import CONFIGS, invoke, train_run, write_config
from nncli.errors import ConfigError


def assert_clean_failure(result, code: int, *pieces: str) -> None:
    """Exit ``code``, every piece in stderr, nothing on stdout, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stderr, result.stdout)
    for piece in pieces:
        assert piece in result.stderr, f"{piece!r} not in:\n{result.stderr}"
    assert result.stdout == ""
    assert "Traceback" not in result.output


# -- the shared table of bad configs, through `nncli train` ----------------------------------------
def test_the_table_has_at_least_25_cases():
    assert len(BAD_CONFIGS) >= 25


@pytest.mark.parametrize("case", BAD_CONFIGS, ids=[case[0] for case in BAD_CONFIGS])
def test_bad_config_exits_2_naming_the_key_and_line(tmp_path, case):
    _, text, overrides, key, substring = case
    path = write_config(tmp_path, text)
    runs_dir = tmp_path / "runs"
    result = invoke(["train", path, *overrides, "--runs-dir", runs_dir])
    assert_clean_failure(result, 2, substring)
    message = result.stderr
    if key is not None:
        assert f" {key}: " in message
    failing_override = next((o for o in overrides if f"override {o!r}" in message), None)
    if failing_override is None:
        line = expected_line(text)
        assert (f"{path}:{line}" if line is not None else f"{path}:") in message
    assert not runs_dir.exists()  # validated before any work


def test_every_problem_of_a_file_is_listed_at_once(tmp_path):
    text = BAD_CONFIGS[0][1].replace("units: 8, activation: relu", "units: -3, activation: rellu")
    result = invoke(["train", write_config(tmp_path, text), "--runs-dir", tmp_path / "runs"])
    assert_clean_failure(result, 2, "sed: ", "model.layers.0.units: ", "model.layers.0.activation: ")


# -- command-line specific mistakes -----------------------------------------------------------------
@pytest.fixture(scope="module")
def iris_run(tmp_path_factory) -> Path:
    return train_run(tmp_path_factory.mktemp("runs"), "iris.yaml")


def _wrong_columns_csv(folder: Path) -> Path:
    path = folder / "three_columns.csv"
    path.write_text("1,2,3\n4,5,6\n")
    return path


def _rows_npy(folder: Path) -> Path:
    np.save(folder / "rows.npy", np.ones((2, 4)))
    return folder / "rows.npy"


def _config_with_missing_architecture(folder: Path) -> Path:
    text = (CONFIGS / "iris.yaml").read_text().replace("architectures/small_mlp.yaml", "architectures/nope.yaml")
    return write_config(folder, text)


def _architecture_without_input_dim(folder: Path) -> Path:
    return write_config(folder, "layers:\n  - {type: Dense, units: 2}\n", "arch.yaml")


IRIS = str(CONFIGS / "iris.yaml")
# (id, arguments with RUN / TMP placeholders or callables of the tmp folder, pieces of the message)
CLI_CASES: list[tuple[str, list, list[str]]] = [
    ("config_missing", ["train", "TMP/nope.yaml"], ["nope.yaml", "file not found"]),
    ("config_is_a_directory", ["train", "TMP"], ["is a folder, not a file"]),
    ("config_not_given", ["train"], ["missing CONFIG"]),
    ("unknown_option", ["train", IRIS, "--bogus"], ["No such option", "--bogus"]),
    ("unknown_command", ["trian"], ["No such command 'trian'", "train"]),
    ("name_with_parent", ["train", IRIS, "--name", "../x", "--runs-dir", "TMP/runs"],
     ["invalid run name '../x'", "one folder name"]),
    ("name_with_slash", ["train", IRIS, "--name", "a/b", "--runs-dir", "TMP/runs"], ["invalid run name 'a/b'"]),
    ("name_hidden", ["train", IRIS, "--name", ".x", "--runs-dir", "TMP/runs"], ["invalid run name '.x'"]),
    ("override_typo", ["train", IRIS, "training.epoch=3", "--runs-dir", "TMP/runs"],
     ["override 'training.epoch=3'", "did you mean 'epochs'"]),
    ("override_wrong_type", ["train", IRIS, "training.epochs=abc", "--runs-dir", "TMP/runs"],
     ["override 'training.epochs=abc' training.epochs: ", "integer"]),
    ("rule_2_last_layer", ["train", IRIS, "model.layers.2.units=1", "model.layers.2.activation=sigmoid",
                           "--runs-dir", "TMP/runs"], ["rule 2", "3 softmax units"]),
    ("architecture_file_missing", ["train", _config_with_missing_architecture, "--runs-dir", "TMP/runs"],
     [" model: ", "nope.yaml", "not found"]),
    ("resume_and_config", ["train", IRIS, "--resume", "RUN"], ["not both"]),
    ("resume_changes_config", ["train", "--resume", "RUN", "training.batch_size=3"], ["only training.epochs"]),
    ("resume_not_a_run", ["train", "--resume", "TMP"], ["not a run directory"]),
    ("summary_missing_file", ["summary", "TMP/nope.yaml"], ["file not found"]),
    ("summary_not_a_run", ["summary", "TMP"], ["not a run directory"]),
    ("summary_rule_1", ["summary", _architecture_without_input_dim], ["rule 1", "set input_dim"]),
    ("split_unknown", ["evaluate", "RUN", "--split", "nope"], ["--split", "'nope'"]),
    ("split_val_without_validation", ["evaluate", "RUN", "--split", "val"], ["no validation split"]),
    ("evaluate_not_a_run", ["evaluate", "TMP"], ["not a run directory"]),
    ("evaluate_missing_run", ["evaluate", "TMP/gone"], ["run directory not found"]),
    ("evaluate_a_config_file", ["evaluate", IRIS], ["not a run directory", "looks like a config file"]),
    ("evaluate_data_missing", ["evaluate", "RUN", "--data", "TMP/nope.csv"], ["not found", "nope.csv"]),
    ("evaluate_npy_without_labels", ["evaluate", "RUN", "--data", _rows_npy], ["holds no labels"]),
    ("evaluate_unknown_target", ["evaluate", "RUN", "--data", str(CONFIGS / "data" / "iris.csv"), "--target",
                                 "nope"], ["no target column named 'nope'"]),
    ("predict_wrong_column_count", ["predict", "RUN", "--input", _wrong_columns_csv],
     ["expected 4 columns", "got 3"]),
    ("predict_missing_input_option", ["predict", "RUN"], ["Missing option", "--input"]),
    ("predict_input_missing", ["predict", "RUN", "--input", "TMP/nope.csv"], ["not found"]),
    ("predict_format_xml", ["predict", "RUN", "--input", _rows_npy, "--format", "xml"], ["--format", "'xml'"]),
    ("predict_not_a_run", ["predict", "TMP", "--input", _rows_npy], ["not a run directory"]),
    ("runs_sort_typo", ["runs", "RUNS", "--sort", "test_acc"], ["unknown sort key 'test_acc'", "'test_accuracy'"]),
    ("runs_on_a_file", ["runs", IRIS], ["is not a folder"]),
    ("plot_unknown_picture", ["plot", "RUN", "--what", "nope"], ["unknown picture 'nope'"]),
]


def _argument(value: str | Callable[[Path], Path], tmp_path: Path, run: Path) -> str:
    if callable(value):
        return str(value(tmp_path))
    replacements = {"RUN": str(run), "RUNS": str(run.parent), "TMP": str(tmp_path)}
    for placeholder, real in replacements.items():
        if value == placeholder or value.startswith(placeholder + "/"):
            return real + value[len(placeholder):]
    return value


@pytest.mark.parametrize("case", CLI_CASES, ids=[case[0] for case in CLI_CASES])
def test_command_line_mistake_exits_2(tmp_path, iris_run, case):
    _, arguments, pieces = case
    result = invoke([_argument(value, tmp_path, iris_run) for value in arguments])
    assert_clean_failure(result, 2, *pieces)
    assert not (tmp_path / "runs").exists()


def test_the_cli_cases_and_the_table_together_pass_25():
    assert len(CLI_CASES) >= 25 and len(BAD_CONFIGS) + len(CLI_CASES) >= 50


def test_empty_run_name_is_refused(tmp_path):
    result = invoke(["train", IRIS, "--name", "", "--runs-dir", tmp_path / "runs"])
    assert_clean_failure(result, 2, "invalid run name ''")
    assert not (tmp_path / "runs").exists()


def test_debug_lets_the_exception_through(tmp_path):
    path = write_config(tmp_path, (CONFIGS / "digits.yaml").read_text().replace("seed: 0", "sed: 0"))
    plain = invoke(["train", path, "--runs-dir", tmp_path / "runs"])
    assert plain.exit_code == 2 and plain.exception is not None and not isinstance(plain.exception, ConfigError)
    debug = invoke(["train", path, "--runs-dir", tmp_path / "runs", "--debug"])
    assert isinstance(debug.exception, ConfigError)
    assert "sed" in str(debug.exception)


# -- runtime failures: exit 1 ---------------------------------------------------------------------------
def _lfw_config(folder: Path, **data: object) -> Path:
    config = yaml.safe_load((CONFIGS / "lfw.yaml").read_text())
    config["data"].update(data_home=str(folder / "empty_home"), **data)
    (folder / "empty_home").mkdir()
    return write_config(folder, yaml.safe_dump(config), "lfw.yaml")


def test_lfw_offline_without_a_cache_exits_1(tmp_path, no_network):
    result = invoke(["train", _lfw_config(tmp_path), "--runs-dir", tmp_path / "runs"])
    assert_clean_failure(result, 1, "could not be downloaded", str(tmp_path / "empty_home" / "lfw_home"),
                         "data.data_home")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_lfw_without_cache_and_downloads_off_exits_1(tmp_path):
    result = invoke(["train", _lfw_config(tmp_path, download_if_missing=False), "--runs-dir", tmp_path / "runs"])
    assert_clean_failure(result, 1, "download_if_missing is false")


def test_runs_folder_that_is_a_file_exits_1(tmp_path):
    blocker = tmp_path / "runs"
    blocker.write_text("")
    result = invoke(["train", IRIS, "training.epochs=1", "--runs-dir", blocker])
    assert_clean_failure(result, 1, "not a folder")


def test_diverging_training_exits_1_and_records_the_failure(tmp_path):
    result = invoke(["train", IRIS, "training.epochs=3", "training.optimizer={name: sgd, learning_rate: 1.0e+9}",
                     "--runs-dir", tmp_path, "--no-plots"])
    assert_clean_failure(result, 1, "diverged", "learning rate")
    metrics = json.loads((tmp_path / "iris" / "metrics.json").read_text())
    assert metrics["status"] == "failed" and "diverged" in metrics["reason"]
    assert not (tmp_path / "iris" / "model.npz").exists()
