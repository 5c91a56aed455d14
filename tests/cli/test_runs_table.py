"""`nncli runs` on real runs: the names in full at 80 columns, the metrics that matter first,
--columns, --where, --top, --aggregate, --json and --csv (issue 10)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from cli_helpers import CONFIGS, invoke, strip_ansi

TERMINAL_80 = {"FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "80"}


@pytest.fixture(scope="module")
def sweep_like(tmp_path_factory) -> Path:
    """The README's three learning rates and five seeds of one config, a few epochs each."""
    runs_dir = tmp_path_factory.mktemp("runs")
    for learning_rate in ("0.01", "0.001", "0.0001"):
        result = invoke(["train", CONFIGS / "digits.yaml", f"training.optimizer.learning_rate={learning_rate}",
                         "training.epochs=3", "--name", f"digits-lr{learning_rate}", "--runs-dir", runs_dir,
                         "--quiet", "--no-plots"])
        assert result.exit_code == 0, result.stderr
    for seed in range(5):
        result = invoke(["train", CONFIGS / "iris.yaml", f"seed={seed}", "training.epochs=5", "--name",
                         f"iris-seed{seed}", "--runs-dir", runs_dir, "--quiet", "--no-plots"])
        assert result.exit_code == 0, result.stderr
    return runs_dir


def test_every_run_name_shows_in_full_at_80_columns(sweep_like):
    result = invoke(["runs", sweep_like], env=TERMINAL_80)
    assert result.exit_code == 0, result.stderr
    lines = strip_ansi(result.stdout).splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    for name in ("digits-lr0.01", "digits-lr0.001", "digits-lr0.0001", *(f"iris-seed{s}" for s in range(5))):
        assert any(f"│ {name} " in line for line in lines), name
    header = next(line for line in lines if "name" in line and "status" in line)
    assert "test_accuracy" in header  # the metric the configs asked for, on the test split first
    assert "columns (" in result.stderr and "choose with --columns" in result.stderr


def test_columns_chooses_and_suggests(sweep_like):
    result = invoke(["runs", sweep_like, "--columns", "test_accuracy,training.optimizer.learning_rate"])
    assert result.exit_code == 0, result.stderr
    header = result.stdout.splitlines()[2]
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == \
        ["name", "test_accuracy", "training.optimizer.learning_rate"]
    wrong = invoke(["runs", sweep_like, "--columns", "test_acuracy"])
    assert wrong.exit_code == 2 and "did you mean 'test_accuracy'" in wrong.stderr


def test_where_and_top_on_config_and_metric_keys(sweep_like):
    result = invoke(["runs", sweep_like, "--where", "data.source=digits", "--where",
                     "training.optimizer.learning_rate<0.01", "--json"])
    assert sorted(row["name"] for row in json.loads(result.stdout)) == ["digits-lr0.0001", "digits-lr0.001"]
    best = json.loads(invoke(["runs", sweep_like, "--where", "data.source=digits", "--top", "1", "--json"]).stdout)
    everything = json.loads(invoke(["runs", sweep_like, "--where", "data.source=digits", "--json"]).stdout)
    assert len(best) == 1 and best[0]["test_accuracy"] == max(row["test_accuracy"] for row in everything)


def test_aggregate_seed_gives_mean_and_spread_per_configuration(sweep_like):
    result = invoke(["runs", sweep_like, "--where", "data.source=iris", "--aggregate", "seed", "--json"])
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["runs"] == 5 and row["seed"] == "0,1,2,3,4" and row["name"] == "iris"
    every = json.loads(invoke(["runs", sweep_like, "--where", "data.source=iris", "--json"]).stdout)
    accuracies = [run["test_accuracy"] for run in every]
    assert row["test_accuracy"] == pytest.approx(sum(accuracies) / 5)
    table = invoke(["runs", sweep_like, "--where", "data.source=iris", "--aggregate", "seed"])
    assert "±" in table.stdout and "iris " in table.stdout


def test_json_and_csv_keep_every_column(sweep_like):
    rows = json.loads(invoke(["runs", sweep_like, "--json"]).stdout)
    assert len(rows) == 8 and "training.batch_size" in rows[0] and "val_loss" in rows[0]
    table = list(csv.DictReader(io.StringIO(invoke(["runs", sweep_like, "--csv"]).stdout)))
    assert len(table) == 8 and set(rows[0]) - {"history_loss"} <= set(table[0])


def test_sorting_is_best_first_for_accuracy_like_keys(sweep_like):
    rows = json.loads(invoke(["runs", sweep_like, "--sort", "test_accuracy", "--json"]).stdout)
    values = [row["test_accuracy"] for row in rows]
    assert values == sorted(values, reverse=True)
    rows = json.loads(invoke(["runs", sweep_like, "--sort", "test_loss", "--json"]).stdout)
    assert [row["test_loss"] for row in rows] == sorted(row["test_loss"] for row in rows)
