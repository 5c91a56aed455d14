"""Every command and option of ``nncli``, in-process with Typer's CliRunner (stdout and stderr
captured apart): summary, train, evaluate, predict, runs, plot, Rich and plain output."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cli_helpers import (
    ARCHITECTURES,
    CONFIGS,
    PLAIN_EPOCH_LINE,
    TERMINAL_ENV,
    invoke,
    last_line,
    strip_ansi,
    train_run,
    write_config,
)
from nncli import runs
from nncli.io import load_npz

IRIS_CSV = CONFIGS / "data" / "iris.csv"
IRIS_CLASSES = ["setosa", "versicolor", "virginica"]


def iris_rows() -> tuple[np.ndarray, list[str]]:
    """The 150 raw iris rows of the shipped CSV and their species."""
    with IRIS_CSV.open() as handle:
        records = list(csv.DictReader(handle))
    X = np.array([[float(r[k]) for k in ("sepal_length", "sepal_width", "petal_length", "petal_width")]
                  for r in records])
    return X, [r["species"] for r in records]


# -- shared runs (trained once per module) -------------------------------------------------------
@pytest.fixture(scope="module")
def iris_training(tmp_path_factory):
    """configs/iris.yaml for 2 epochs, with pictures and the default (plain) progress."""
    runs_dir = tmp_path_factory.mktemp("iris_runs")
    result = invoke(["train", CONFIGS / "iris.yaml", "training.epochs=2", "--runs-dir", runs_dir])
    assert result.exit_code == 0, result.stderr
    return result, Path(last_line(result.stdout))


@pytest.fixture(scope="module")
def iris_run(iris_training) -> Path:
    return iris_training[1]


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory) -> Path:
    """configs/digits.yaml for 2 epochs (it holds out a validation split of 0.1)."""
    return train_run(tmp_path_factory.mktemp("digits_runs"), "digits.yaml")


# -- summary ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("architecture, total, layer_params", [
    ("lecture_61.yaml", "61", ["50", "11"]),
    ("lecture_mnist.yaml", "55,050", ["50,240", "4,160", "650"]),
])
def test_summary_of_the_lecture_models_prints_their_totals(architecture, total, layer_params):
    result = invoke(["summary", ARCHITECTURES / architecture])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for header in ("Layer (type)", "Output Shape", "Param #"):
        assert header in out
    assert f"Total params: {total} " in out
    assert f"Trainable params: {total} " in out
    assert "Non-trainable params: 0 " in out
    rows = [line for line in out.splitlines() if "(Dense)" in line]
    assert [row.split("│")[-2].strip() for row in rows] == layer_params
    assert result.stderr == ""


def test_summary_json_of_the_mnist_model():
    result = invoke(["summary", ARCHITECTURES / "lecture_mnist.yaml", "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["total"], summary["trainable"], summary["non_trainable"]) == (55050, 55050, 0)
    assert [layer["params"] for layer in summary["layers"]] == [50240, 4160, 650]
    assert [layer["output_shape"] for layer in summary["layers"]] == [[None, 64], [None, 64], [None, 10]]
    assert {layer["type"] for layer in summary["layers"]} == {"Dense"}


def test_summary_takes_the_input_size_from_the_data_source():
    # digits.yaml has no input_dim: 64 pixels → Dense(64) holds 64*64+64 weights.
    summary = json.loads(invoke(["summary", CONFIGS / "digits.yaml", "--json"]).stdout)
    assert [layer["params"] for layer in summary["layers"]] == [64 * 64 + 64, 64 * 10 + 10]
    # iris.yaml names an architecture file without input_dim: 4 features.
    summary = json.loads(invoke(["summary", CONFIGS / "iris.yaml", "--json"]).stdout)
    assert summary["layers"][0]["params"] == 4 * 16 + 16
    assert summary["total"] == 403


def test_summary_of_the_lfw_config_without_input_dim_needs_no_download(tmp_path, no_network):
    config = yaml.safe_load((CONFIGS / "lfw.yaml").read_text())
    del config["model"]["input_dim"]
    config["data"]["data_home"] = str(tmp_path / "empty_home")
    path = write_config(tmp_path, yaml.safe_dump(config))
    result = invoke(["summary", path, "--json"])
    assert result.exit_code == 0, result.stderr
    # 713 pixels → 20 → 10 → 1: 14,280 + 210 + 11.
    assert json.loads(result.stdout)["total"] == 14501


def test_summary_of_a_run_directory_matches_its_config(iris_run):
    from_run = invoke(["summary", iris_run])
    assert from_run.exit_code == 0, from_run.stderr
    assert "Total params: 403 " in from_run.stdout
    assert "Total params: 403 " in (iris_run / "summary.txt").read_text()
    assert json.loads(invoke(["summary", iris_run, "--json"]).stdout) == \
        json.loads(invoke(["summary", CONFIGS / "iris.yaml", "--json"]).stdout)


def test_summary_without_input_size_fails_with_rule_1(tmp_path):
    path = write_config(tmp_path, "layers:\n  - {type: Dense, units: 3, activation: softmax}\n", "arch.yaml")
    result = invoke(["summary", path])
    assert result.exit_code == 2
    assert "rule 1" in result.stderr and "set input_dim" in result.stderr  # the key of an architecture file
    assert result.stdout == ""
    assert "Traceback" not in result.output


# -- train --------------------------------------------------------------------------------------------
def test_train_writes_the_whole_run_directory(iris_training):
    result, run_dir = iris_training
    assert run_dir.is_dir() and run_dir.name == "iris"
    for name in ("config.yaml", "summary.txt", "history.csv", "checkpoint.npz", "model.npz", "metrics.json"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # stdout: the final metrics table, then the run directory as the last line.
    assert last_line(result.stdout) == str(run_dir)
    assert "final metrics" in result.stdout and "test baseline" in result.stdout
    # stderr: one plain progress line per epoch, nothing on stdout.
    epoch_lines = [line for line in result.stderr.splitlines() if line.startswith("epoch ")]
    assert [PLAIN_EPOCH_LINE.match(line).group(1, 2) for line in epoch_lines] == [("1", "2"), ("2", "2")]
    assert "epoch " not in result.stdout


def test_the_saved_config_is_resolved(iris_run):
    saved = yaml.safe_load((iris_run / "config.yaml").read_text())
    assert saved["model"]["input_dim"] == 4
    assert [layer["units"] for layer in saved["model"]["layers"]] == [16, 16, 3]  # the architecture file, inlined
    assert saved["training"]["optimizer"] == {**saved["training"]["optimizer"], "name": "adam", "learning_rate": 0.01}
    assert saved["training"]["epochs"] == 2  # the override is recorded
    assert saved["seed"] == 0 and saved["data"]["source"] == "iris"


def test_metrics_json_records_the_finished_run(iris_run):
    metrics = json.loads((iris_run / "metrics.json").read_text())
    assert metrics["status"] == "completed"
    assert metrics["epochs_completed"] == metrics["epochs_planned"] == 2
    assert set(metrics["final"]) == {"train", "test"}
    for split in ("train", "test"):
        assert set(metrics["final"][split]) == {"loss", "accuracy"}
        assert 0.0 <= metrics["final"][split]["accuracy"] <= 1.0
        assert metrics["baseline"][split]["kind"] == "majority_class"
        assert metrics["baseline"][split]["class"] in IRIS_CLASSES
    assert metrics["best_epoch"] in (1, 2)
    assert metrics["wall_time_s"] > 0 and metrics["samples_per_s"] > 0
    assert {"nncli", "numpy", "python"} <= set(metrics["versions"])
    assert metrics["seed"] == 0


def test_history_has_one_row_per_epoch(iris_run, digits_run):
    history = runs.read_history(iris_run / "history.csv")
    assert history["epoch"] == [1.0, 2.0]
    assert {"loss", "accuracy", "learning_rate", "seconds"} <= set(history)
    with_validation = runs.read_history(digits_run / "history.csv")
    assert with_validation["epoch"] == [1.0, 2.0]
    assert {"val_loss", "val_accuracy"} <= set(with_validation)
    checkpoint = load_npz(digits_run / "checkpoint.npz")
    assert int(checkpoint["epoch"]) == 2


def test_train_name_option_and_collisions(tmp_path):
    first = train_run(tmp_path, "iris.yaml", options=["--name", "lr-test"])
    second = train_run(tmp_path, "iris.yaml", options=["--name", "lr-test"])
    assert (first, second) == (tmp_path / "lr-test", tmp_path / "lr-test-2")
    assert json.loads((second / "metrics.json").read_text())["name"] == "lr-test-2"


def test_train_quiet_prints_only_the_run_directory(tmp_path):
    result = invoke(["train", CONFIGS / "iris.yaml", "training.epochs=2", "--runs-dir", tmp_path, "--quiet"])
    assert result.exit_code == 0
    assert result.stdout == f"{tmp_path / 'iris'}\n"
    assert result.stderr == ""


def test_train_json_prints_one_json_document(tmp_path):
    result = invoke(["train", CONFIGS / "iris.yaml", "training.epochs=2", "--runs-dir", tmp_path, "--json",
                     "--no-plots"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["run_dir"] == str(tmp_path / "iris")
    assert report["status"] == "completed" and report["epochs_completed"] == 2
    assert report["final"] == json.loads((tmp_path / "iris" / "metrics.json").read_text())["final"]


def test_overrides_change_the_model_and_are_recorded(tmp_path):
    run_dir = train_run(tmp_path, "iris.yaml", "model.layers.0.units=5", "training.optimizer.learning_rate=0.05",
                        "training.batch_size=50")
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["model"]["layers"][0]["units"] == 5
    assert saved["training"]["optimizer"]["learning_rate"] == 0.05
    assert saved["training"]["batch_size"] == 50
    # 4*5+5 + 5*16+16 + 16*3+3
    assert "Total params: 172 " in (run_dir / "summary.txt").read_text()
    assert runs.read_history(run_dir / "history.csv")["learning_rate"] == [0.05, 0.05]


def test_no_plots_draws_no_pictures(tmp_path):
    run_dir = train_run(tmp_path, "iris.yaml")  # train_run passes --no-plots
    assert not list(run_dir.glob("*.png"))


def test_the_same_config_trains_the_same_weights(iris_run, tmp_path):
    again = train_run(tmp_path, "iris.yaml")
    first, second = load_npz(iris_run / "model.npz"), load_npz(again / "model.npz")
    weights = sorted(name for name in first if name.startswith("weight_"))
    assert weights and weights == sorted(name for name in second if name.startswith("weight_"))
    for name in weights:
        np.testing.assert_array_equal(first[name], second[name])


def test_a_diverging_regression_with_r2_is_reported_as_divergence(tmp_path):
    result = invoke(["train", CONFIGS / "diabetes.yaml", "training.epochs=3", "--runs-dir", tmp_path, "--no-plots",
                     "training.optimizer={name: sgd, learning_rate: 1.0e+6}"])
    assert result.exit_code == 1
    assert "diverged" in result.stderr and "internal error" not in result.stderr
    assert json.loads((tmp_path / "diabetes" / "metrics.json").read_text())["status"] == "failed"


# -- evaluate ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("split", ["test", "train"])
def test_evaluate_reproduces_the_final_metrics(iris_run, split):
    result = invoke(["evaluate", iris_run, "--split", split, "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    saved = json.loads((iris_run / "metrics.json").read_text())
    assert report["split"] == split
    assert report["n_samples"] == {"test": 38, "train": 112}[split]
    assert report["metrics"] == pytest.approx(saved["final"][split], rel=1e-6)
    assert report["baseline"] == saved["baseline"][split]


def test_evaluate_defaults_to_test_and_shows_the_baseline_beside(iris_run):
    result = invoke(["evaluate", iris_run])
    assert result.exit_code == 0, result.stderr
    saved = json.loads((iris_run / "metrics.json").read_text())
    header = next(line for line in result.stdout.splitlines() if "metric" in line)
    assert "test" in header and "test baseline" in header
    accuracy_row = next(line for line in result.stdout.splitlines() if "accuracy" in line)
    cells = [cell.strip() for cell in accuracy_row.split("│") if cell.strip()]
    assert cells == ["accuracy", f"{saved['final']['test']['accuracy']:.4f}",
                     f"{saved['baseline']['test']['accuracy']:.4f}"]
    assert "most frequent class" in result.stdout


def test_evaluate_validation_split(digits_run):
    report = json.loads(invoke(["evaluate", digits_run, "--split", "val", "--json"]).stdout)
    saved = json.loads((digits_run / "metrics.json").read_text())
    assert report["metrics"] == pytest.approx(saved["final"]["val"], rel=1e-6)
    assert report["n_samples"] == 135  # the last 10% of 1,347 training images


def test_evaluate_on_a_labelled_csv_by_target_name_or_index(iris_run):
    by_name = json.loads(invoke(["evaluate", iris_run, "--data", IRIS_CSV, "--target", "species", "--json"]).stdout)
    by_index = json.loads(invoke(["evaluate", iris_run, "--data", IRIS_CSV, "--target", "4", "--json"]).stdout)
    default = json.loads(invoke(["evaluate", iris_run, "--data", IRIS_CSV, "--json"]).stdout)
    assert by_name["n_samples"] == 150
    assert by_name["metrics"] == by_index["metrics"] == default["metrics"]
    assert by_name["baseline"]["accuracy"] == pytest.approx(1 / 3)
    # The accuracy is the share of rows predict labels correctly.
    X, species = iris_rows()
    buffer = io.StringIO()
    np.savetxt(buffer, X, delimiter=",")
    labels = [row["label"] for row in csv.DictReader(io.StringIO(invoke(["predict", iris_run, "-i", "-"],
                                                                          input=buffer.getvalue()).stdout))]
    assert by_name["metrics"]["accuracy"] == pytest.approx(np.mean(np.array(labels) == np.array(species)))


def test_evaluate_on_an_npz_file(digits_run, tmp_path):
    from sklearn.datasets import load_digits

    digits = load_digits()
    np.savez(tmp_path / "few.npz", X=digits.data[:60], y=digits.target[:60])
    report = json.loads(invoke(["evaluate", digits_run, "--data", tmp_path / "few.npz", "--json"]).stdout)
    assert report["n_samples"] == 60
    assert set(report["metrics"]) == {"loss", "accuracy"}
    assert report["baseline"]["kind"] == "majority_class"


# -- predict -------------------------------------------------------------------------------------------
def test_predict_csv_gives_class_names(iris_run, tmp_path):
    X, species = iris_rows()
    np.savetxt(tmp_path / "rows.csv", X[[0, 60, 120]], delimiter=",")
    result = invoke(["predict", iris_run, "--input", tmp_path / "rows.csv"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "label" and len(lines) == 4
    assert set(lines[1:]) <= set(IRIS_CLASSES)


def test_predict_reads_npy_npz_and_stdin_alike(iris_run, tmp_path):
    X, _ = iris_rows()
    rows = X[::15]
    np.save(tmp_path / "rows.npy", rows)
    np.savez(tmp_path / "rows.npz", X=rows)
    with_header = "sepal_length,sepal_width,petal_length,petal_width\n" + "\n".join(
        ",".join(repr(float(v)) for v in row) for row in rows) + "\n"
    outputs = [
        invoke(["predict", iris_run, "--input", tmp_path / "rows.npy"]),
        invoke(["predict", iris_run, "--input", tmp_path / "rows.npz"]),
        invoke(["predict", iris_run, "--input", "-"], input=with_header),
    ]
    assert all(result.exit_code == 0 for result in outputs), [r.stderr for r in outputs]
    assert outputs[0].stdout == outputs[1].stdout == outputs[2].stdout
    assert len(outputs[0].stdout.splitlines()) == len(rows) + 1


def test_predict_json_with_probabilities(iris_run, tmp_path):
    X, _ = iris_rows()
    np.save(tmp_path / "rows.npy", X[:5])
    result = invoke(["predict", iris_run, "-i", tmp_path / "rows.npy", "--format", "json", "--proba"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 5
    for row in rows:
        probabilities = {name: row[f"p_{name}"] for name in IRIS_CLASSES}
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        assert row["label"] == max(probabilities, key=probabilities.get)
    plain = json.loads(invoke(["predict", iris_run, "-i", tmp_path / "rows.npy", "--format", "json"]).stdout)
    assert plain == [{"label": row["label"]} for row in rows]


def test_predict_csv_with_probabilities_has_a_column_per_class(iris_run, tmp_path):
    X, _ = iris_rows()
    np.save(tmp_path / "rows.npy", X[:3])
    result = invoke(["predict", iris_run, "-i", tmp_path / "rows.npy", "--proba"])
    records = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(records[0]) == ["label"] + [f"p_{name}" for name in IRIS_CLASSES]
    assert all(sum(float(r[f"p_{n}"]) for n in IRIS_CLASSES) == pytest.approx(1.0, abs=1e-4) for r in records)


def test_predict_output_file(iris_run, tmp_path):
    X, _ = iris_rows()
    np.save(tmp_path / "rows.npy", X[:4])
    target = tmp_path / "out" / "predictions.csv"
    target.parent.mkdir()
    result = invoke(["predict", iris_run, "-i", tmp_path / "rows.npy", "--output", target])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "4 predictions" in result.stderr
    assert target.read_text() == invoke(["predict", iris_run, "-i", tmp_path / "rows.npy"]).stdout


def test_predict_regression_values(tmp_path):
    from sklearn.datasets import load_diabetes

    run_dir = train_run(tmp_path / "runs", "diabetes.yaml")
    np.save(tmp_path / "rows.npy", load_diabetes().data[:7])
    records = list(csv.DictReader(io.StringIO(invoke(["predict", run_dir, "-i", tmp_path / "rows.npy"]).stdout)))
    assert len(records) == 7 and list(records[0]) == ["prediction"]
    assert all(np.isfinite(float(record["prediction"])) for record in records)


finite_rows = arrays(np.float64, st.tuples(st.integers(1, 6), st.just(4)),
                     elements=st.floats(-50, 50, allow_nan=False, allow_infinity=False))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=finite_rows)
def test_predict_gives_one_known_label_per_row(iris_run, rows):
    text = "\n".join(",".join(repr(float(v)) for v in row) for row in rows) + "\n"
    result = invoke(["predict", iris_run, "-i", "-", "--format", "json", "--proba"], input=text)
    assert result.exit_code == 0, result.stderr
    predicted = json.loads(result.stdout)
    assert len(predicted) == len(rows)
    for row in predicted:
        assert row["label"] in IRIS_CLASSES
        assert sum(row[f"p_{name}"] for name in IRIS_CLASSES) == pytest.approx(1.0, abs=1e-5)


# -- runs ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def three_runs(tmp_path_factory) -> Path:
    runs_dir = tmp_path_factory.mktemp("three")
    for learning_rate in ("0.05", "0.001", "0.0001"):
        train_run(runs_dir, "iris.yaml", f"training.optimizer.learning_rate={learning_rate}",
                  options=["--name", f"lr{learning_rate}"])
    return runs_dir


def test_runs_json_lists_every_run(three_runs):
    result = invoke(["runs", three_runs, "--json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert sorted(row["name"] for row in rows) == ["lr0.0001", "lr0.001", "lr0.05"]
    for row in rows:
        assert row["status"] == "completed" and row["epochs_completed"] == 2
        assert row["test_accuracy"] == json.loads((three_runs / row["name"] / "metrics.json").read_text()
                                                   )["final"]["test"]["accuracy"]


@pytest.mark.parametrize("key, descending", [("test_accuracy", True), ("test_loss", False), ("loss", False)])
def test_runs_sort(three_runs, key, descending):
    rows = json.loads(invoke(["runs", three_runs, "--sort", key, "--json"]).stdout)
    values = [row[key] for row in rows]
    assert len(values) == 3
    assert values == sorted(values, reverse=descending)


def test_runs_table(three_runs):
    result = invoke(["runs", three_runs, "--sort", "test_loss"])
    assert result.exit_code == 0, result.stderr
    table_rows = [line for line in result.stdout.splitlines() if "completed" in line]
    assert len(table_rows) == 3
    json_order = [row["name"] for row in json.loads(invoke(["runs", three_runs, "--sort", "test_loss", "--json"]).stdout)]
    assert [line.split("│")[1].strip() for line in table_rows] == json_order
    assert all("2/2" in line for line in table_rows)


def test_runs_of_a_missing_folder_is_a_usage_error_naming_it(tmp_path):
    result = invoke(["runs", tmp_path / "nothing", "--json"])
    assert result.exit_code == 2
    assert f"runs folder not found: {tmp_path / 'nothing'}" in result.stderr.replace("\n", "")


# -- plot ----------------------------------------------------------------------------------------------
def test_plot_draws_again_into_another_folder(iris_run, tmp_path):
    result = invoke(["plot", iris_run, "--what", "curves,confusion", "--out", tmp_path / "pictures"])
    assert result.exit_code == 0, result.stderr
    written = [Path(line) for line in result.stdout.splitlines()]
    assert sorted(path.name for path in written) == ["confusion.png", "curves.png"]
    assert all(path.parent == tmp_path / "pictures" and path.read_bytes()[:4] == b"\x89PNG" for path in written)


# -- Rich on a terminal, plain lines otherwise ---------------------------------------------------------
def test_progress_draws_with_rich_on_a_terminal(tmp_path):
    result = invoke(["train", CONFIGS / "iris.yaml", "training.epochs=2", "--runs-dir", tmp_path, "--no-plots"],
                    env=TERMINAL_ENV)
    assert result.exit_code == 0, result.stderr
    assert "\x1b[" in result.stderr  # styled and redrawn
    visible = strip_ansi(result.stderr)
    assert "━" in visible  # the bar
    assert "epoch 2/2" in visible and "7/7" in visible  # 112 training rows in batches of 16
    assert "loss=" in visible and "accuracy=" in visible and "ETA" in visible
    # Each finished epoch leaves its plain log line above the live area, once.
    finished = [line for line in visible.splitlines() if PLAIN_EPOCH_LINE.match(line)]
    assert [line.split()[1] for line in finished] == ["1/2", "2/2"]
    # stdout: a styled table, the run directory still the last line, as plain text.
    assert "\x1b[" in result.stdout
    assert result.stdout.splitlines()[-1] == str(tmp_path / "iris")


def test_summary_table_renders_on_a_terminal():
    result = invoke(["summary", ARCHITECTURES / "lecture_61.yaml"], env=TERMINAL_ENV)
    assert result.exit_code == 0
    assert "\x1b[" in result.stdout
    visible = strip_ansi(result.stdout)
    assert "Total params: 61 " in visible and "┏" in visible


def test_plain_output_without_a_terminal(tmp_path):
    result = invoke(["train", CONFIGS / "digits.yaml", "training.epochs=3", "--runs-dir", tmp_path, "--no-plots"])
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stderr and "\r" not in result.stderr
    assert "\x1b" not in result.stdout
    epoch_lines = [line for line in result.stderr.splitlines() if line.startswith("epoch ")]
    assert len(epoch_lines) == 3
    for number, line in enumerate(epoch_lines, start=1):
        assert PLAIN_EPOCH_LINE.match(line), line
        assert line.startswith(f"epoch {number}/3 loss=")
        assert " accuracy=" in line and " val_loss=" in line and " val_accuracy=" in line
