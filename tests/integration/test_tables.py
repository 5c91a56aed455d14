"""Issue 16's acceptance with real processes: the penguins table trains from the shipped config
with the documented column report, and raw rows with a gap and an unseen island predict species
names with one warning, as ``load_run(...).predict`` does."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import CONFIGS, REPO, run_nncli

from nncli import experiment

PENGUINS = CONFIGS / "penguins.yaml"
RAW_ROWS = """island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year
Biscoe,50.2,14.3,218,5700,male,2009
Dream,,18.4,190,3450,female,2008
Atlantis,46.5,17.9,192,3500,female,2008
Torgersen,39.1,18.7,181,3750,NA,2007
"""


@pytest.fixture(scope="module")
def penguins_run(tmp_path_factory) -> tuple[Path, str]:
    runs_dir = tmp_path_factory.mktemp("runs")
    result = run_nncli(["train", PENGUINS, "--runs-dir", runs_dir, "--no-plots"])
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1]), result.stderr


def _readme_report() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```\n\$ nncli train configs/penguins\.yaml\n(.*?)```", text, re.S)
    assert block, "the README shows the column report of configs/penguins.yaml"
    return [line for line in block.group(1).splitlines() if line.startswith(("columns of", "  "))]


def test_penguins_train_prints_the_documented_report_and_beats_the_baseline(penguins_run):
    run_dir, stderr = penguins_run
    report = _readme_report()
    assert report[0] == "columns of configs/data/penguins.csv: 344 rows, target 'species'"
    printed = stderr.splitlines()
    start = printed.index(report[0])
    assert printed[start:start + len(report)] == report
    assert stderr.count("columns of ") == 1 and start < min(i for i, line in enumerate(printed) if
                                                            line.startswith("epoch "))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "completed"
    assert metrics["final"]["test"]["accuracy"] >= 0.95
    assert metrics["baseline"]["test"]["accuracy"] < 0.5
    assert "input_dim: 10" in (run_dir / "config.yaml").read_text()


def test_penguins_predict_on_raw_rows_gives_species_with_one_warning(penguins_run, tmp_path):
    run_dir, _ = penguins_run
    rows = tmp_path / "new_penguins.csv"
    rows.write_text(RAW_ROWS)
    result = run_nncli(["predict", run_dir, "--input", rows])
    assert result.returncode == 0, result.stderr
    labels = [row["label"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert len(labels) == 4 and set(labels) <= {"Adelie", "Chinstrap", "Gentoo"}
    warnings = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and "'island'" in warnings[0] and "'Atlantis' (line 4)" in warnings[0]
    assert warnings[0].startswith("warning: ")

    from_stdin = run_nncli(["predict", run_dir, "--input", "-"], input=RAW_ROWS)
    assert [row["label"] for row in csv.DictReader(io.StringIO(from_stdin.stdout))] == labels

    loaded = experiment.load_run(run_dir)
    notices: list[str] = []
    assert loaded.predict(rows, notices).tolist() == labels
    assert len(notices) == 1
    table = list(csv.DictReader(io.StringIO(RAW_ROWS)))
    as_mapping = {name: [row[name] for row in table] for name in table[0]}
    with pytest.warns(UserWarning, match="'Atlantis'"):
        assert loaded.predict(as_mapping).tolist() == labels


def test_penguins_predict_without_a_column_names_it(penguins_run, tmp_path):
    run_dir, _ = penguins_run
    rows = tmp_path / "no_sex.csv"
    rows.write_text("\n".join(",".join(line.split(",")[:5] + line.split(",")[6:]) for line in
                              RAW_ROWS.splitlines()) + "\n")
    result = run_nncli(["predict", run_dir, "--input", rows])
    assert result.returncode == 2
    assert "has no column 'sex', which the run takes as an input" in result.stderr
    assert "Traceback" not in result.stderr


def test_penguins_evaluate_on_raw_labelled_rows(penguins_run, tmp_path):
    run_dir, _ = penguins_run
    labelled = tmp_path / "labelled.csv"
    labelled.write_text((REPO / "configs" / "data" / "penguins.csv").read_text().replace(
        "Gentoo,Biscoe,46.1,13.2", "NA,Biscoe,46.1,13.2", 1))
    result = run_nncli(["evaluate", run_dir, "--data", labelled, "--json"])
    assert result.returncode == 0, result.stderr
    evaluated = json.loads(result.stdout)
    assert evaluated["n_samples"] == 343 and evaluated["metrics"]["accuracy"] >= 0.95
    assert any("1 rows left out: their target is missing" in notice for notice in evaluated["notices"])


def test_penguins_summary_shows_the_encoded_input_size():
    result = run_nncli(["summary", PENGUINS])
    assert result.returncode == 0, result.stderr
    assert re.search(r"dense \(Dense\)\s+│ \(None, 16\)\s+│\s+176", result.stdout)  # (10 + 1) * 16


def test_penguins_model_keeps_the_report_and_the_fitted_state(penguins_run):
    run_dir, _ = penguins_run
    with np.load(run_dir / "model.npz", allow_pickle=False) as archive:
        report = json.loads(str(archive["pre_table_report"][()]))
        assert int(archive["pre_format"]) == 2
        assert archive["pre_table_columns"].tolist() == ["island", "bill_length_mm", "bill_depth_mm",
                                                          "flipper_length_mm", "body_mass_g", "sex", "year"]
        assert archive["pre_table_categories_000"].tolist() == ["Biscoe", "Dream", "Torgersen"]
    assert report["n_inputs"] == 10 and report["categories"] == {"island": 3, "sex": 2}
