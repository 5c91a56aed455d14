"""Evaluate, predict and plot run on what the run saved (issue 11): the fitted preprocessing, the
split from the saved config and seed, one best epoch everywhere; interrupted runs through their
last checkpoint."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import CONFIGS, invoke
from nncli import experiment, runs
from nncli.experiment.pictures import run_pictures
from nncli.experiment.prepare import targets


def _train(tmp_path: Path, config: Path, *overrides: str) -> Path:
    result = invoke(["train", config, *overrides, "--runs-dir", tmp_path / "runs", "--quiet", "--no-plots"])
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip())


def test_evaluating_after_the_data_file_changed_uses_the_saved_scaling(tmp_path):
    data = tmp_path / "iris.csv"
    shutil.copy(CONFIGS / "data" / "iris.csv", data)
    run = _train(tmp_path, CONFIGS / "iris_csv.yaml", f"data.path={data}", "training.epochs=20")
    loaded = experiment.load_run(run)
    saved_mean = loaded.preprocessor.scaler_state["mean"].copy()
    lines = data.read_text().splitlines()
    header, rows = lines[0], [line.split(",") for line in lines[1:]]
    for row in rows:  # the first feature in millimetres instead of centimetres, same rows, same order
        row[0] = str(float(row[0]) * 10)
    data.write_text("\n".join([header, *(",".join(row) for row in rows)]) + "\n")
    result = json.loads(invoke(["evaluate", run, "--json"]).stdout)
    prepared = experiment.prepare(loaded.config, loaded.preprocessor)
    np.testing.assert_array_equal(loaded.preprocessor.scaler_state["mean"], saved_mean)
    X, y = prepared.part("test")
    expected = loaded.model.evaluate(X, targets(loaded.preprocessor, y, loaded.model.loss), return_dict=True, verbose=0)
    assert result["metrics"]["loss"] == pytest.approx(expected["loss"])
    refitted = experiment.prepare(loaded.config)  # what the first wave did: fit the scaler again
    assert refitted.preprocessor.scaler_state["mean"][0] == pytest.approx(10 * saved_mean[0], rel=0.02)
    assert not np.allclose(refitted.X_test, X)


def test_one_best_epoch_in_metrics_json_the_curves_and_the_runs_table(tmp_path):
    run = _train(tmp_path, CONFIGS / "breast_cancer.yaml", "training.early_stopping.monitor=val_accuracy",
                 "training.early_stopping.patience=30", "training.epochs=12")
    metrics = json.loads((run / "metrics.json").read_text())
    history = runs.read_history(run / "history.csv")
    assert (metrics["best_epoch"], metrics["best_quantity"]) == runs.best_epoch(history, "val_accuracy")
    best_accuracy = max(history["val_accuracy"])
    assert history["val_accuracy"][metrics["best_epoch"] - 1] == best_accuracy  # maximised: it is an accuracy
    loaded = experiment.load_run(run)
    prepared = experiment.prepare(loaded.config, loaded.preprocessor)
    assert run_pictures(runs.RunDir(run), loaded.model, prepared, loaded.config).best_epoch == metrics["best_epoch"]
    (row,) = runs.list_runs(run.parent).rows
    assert row["best_epoch"] == metrics["best_epoch"]


def test_an_interrupted_run_is_evaluated_predicted_and_plotted_from_its_checkpoint(tmp_path):
    run = _train(tmp_path, CONFIGS / "digits.yaml", "training.epochs=4")
    (run / "model.npz").unlink()  # as a run stopped at its 4th epoch leaves it
    metrics = json.loads((run / "metrics.json").read_text())
    metrics.update(status="interrupted", epochs_planned=10)
    (run / "metrics.json").write_text(json.dumps(metrics))
    evaluated = invoke(["evaluate", run])
    assert evaluated.exit_code == 0, evaluated.stderr
    assert "is interrupted at epoch 4 of" in " ".join(evaluated.stderr.split())
    rows = tmp_path / "rows.csv"
    np.savetxt(rows, np.zeros((2, 64)), delimiter=",")
    assert invoke(["predict", run, "--input", rows]).exit_code == 0
    plotted = invoke(["plot", run, "--what", "curves"])
    assert plotted.exit_code == 0 and (run / "curves.png").exists()


def test_a_run_stopped_before_its_first_epoch_ended_says_it_has_no_weights(tmp_path):
    run = _train(tmp_path, CONFIGS / "iris.yaml", "training.epochs=1")
    (run / "model.npz").unlink()
    from nncli import io

    checkpoint = io.load_npz(run / "checkpoint.npz")
    checkpoint["epoch"] = np.array(0)
    io.save_npz(run / "checkpoint.npz", checkpoint)
    result = invoke(["evaluate", run])
    assert result.exit_code == 2 and "no trained weights" in result.stderr


def test_evaluate_data_uses_the_run_s_own_target_column_when_the_header_has_it(tmp_path):
    run = _train(tmp_path, CONFIGS / "iris_csv.yaml", "training.epochs=5")
    moved = tmp_path / "moved.csv"  # the target column first: not the last column any more
    header, *rows = list(csv.reader((CONFIGS / "data" / "iris.csv").read_text().splitlines()))
    order = [header.index("species")] + [i for i, name in enumerate(header) if name != "species"]
    lines = [",".join(row[i] for i in order) for row in [header, *rows] if row]
    moved.write_text("\n".join(lines) + "\n")
    result = invoke(["evaluate", run, "--data", moved, "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["n_samples"] == 150
