"""A real table through the experiment layer: prepare gives the encoded input size and the column
report, a trained run evaluates and resumes on its saved encoding, and a category met only in the
test part is a notice, not an error (nothing of it in the fitted state)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from nncli import experiment
from nncli.config import load_config
from nncli.experiment.prepare import checked_model

REPO = Path(__file__).resolve().parents[2]
PENGUINS = REPO / "configs" / "penguins.yaml"


def test_prepare_gives_the_encoded_width_and_the_report():
    prepared = experiment.prepare(load_config(PENGUINS))
    assert prepared.n_features == 10 and prepared.X_train.shape == (258, 10) and prepared.X_test.shape == (86, 10)
    assert prepared.columns.n_inputs == 10 and prepared.columns.n_train == 258
    assert prepared.notices == []
    assert np.isfinite(prepared.X_train).all() and np.isfinite(prepared.X_test).all()
    model, resolved = checked_model(load_config(PENGUINS), prepared)
    assert resolved.model.input_dim == 10 and model.count_params() == 10 * 16 + 16 + 16 * 3 + 3


def test_a_table_run_evaluates_and_resumes_on_its_saved_encoding(tmp_path):
    config = load_config(PENGUINS, ["training.epochs=4"])
    straight = experiment.train(config, runs_dir=tmp_path, name="straight")
    halfway = experiment.train(load_config(PENGUINS, ["training.epochs=2"]), runs_dir=tmp_path, name="halfway")
    resumed = experiment.resume(halfway.run_dir, ["training.epochs=4"])
    for a, b in zip(straight.model.get_weights(), resumed.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    evaluated = experiment.evaluate_run(straight.run_dir)
    assert evaluated["metrics"]["accuracy"] == straight.metrics["final"]["test"]["accuracy"]
    assert evaluated["notices"] == []
    loaded = experiment.load_run(straight.run_dir)
    assert loaded.preprocessor.report == straight.prepared.columns
    with np.load(straight.run_dir / "checkpoint.npz", allow_pickle=False) as archive:
        assert "pre_table_report" in archive


def test_a_category_only_in_the_test_part_is_a_notice_and_never_fitted(tmp_path):
    rows = ["x,colour,label"] + [f"{i},{['red', 'blue'][i % 2]},{i % 2}" for i in range(40)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    base = {"name": "t", "data": {"source": "csv", "path": "t.csv", "target": "label", "split_seed": 1},
            "model": {"layers": [{"type": "Dense", "units": 1, "activation": "sigmoid"}]},
            "training": {"loss": "binary_crossentropy", "epochs": 1}}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(base))
    test_lines = experiment.prepare(load_config(tmp_path / "t.yaml")).X_test_raw.lines
    for line in test_lines[:2]:
        rows[line - 1] = f"{line},gold,{line % 2}"
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    prepared = experiment.prepare(load_config(tmp_path / "t.yaml"))
    assert prepared.preprocessor.table.categories[0].tolist() == ["blue", "red"]
    assert len(prepared.notices) == 1 and "'gold' (2 rows, first on line" in prepared.notices[0]
    result = experiment.train(load_config(tmp_path / "t.yaml"), runs_dir=tmp_path / "runs", prepared=prepared)
    evaluated = experiment.evaluate_run(result.run_dir)
    assert any("'gold'" in notice for notice in evaluated["notices"])
