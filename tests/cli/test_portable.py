"""A trained run leaving nncli: `nncli export`, `nncli gradcheck`, photos for `nncli predict`,
`nncli.load_run` and `Sequential.save/load` (issue 13)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

import nncli
from cli_helpers import CONFIGS, invoke, train_run
from nncli import Sequential, layers
from nncli.errors import UsageError

onnxruntime = pytest.importorskip("onnxruntime", reason="the export extra is not installed")


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory) -> Path:
    return train_run(tmp_path_factory.mktemp("runs"), "digits.yaml")


@pytest.fixture(scope="module")
def lfw_run(tmp_path_factory, shared_lfw_data_home_for_module) -> Path:
    runs_dir = tmp_path_factory.mktemp("lfw_runs")
    result = invoke(["train", CONFIGS / "lfw.yaml", f"data.data_home={shared_lfw_data_home_for_module}",
                     "--runs-dir", runs_dir, "--quiet", "--no-plots"])
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip())


def test_export_writes_a_checked_onnx_file_and_prints_the_difference(digits_run, tmp_path):
    target = tmp_path / "digits.onnx"
    result = invoke(["export", digits_run, "--output", target])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(target)
    line = " ".join(result.stderr.split())
    assert "checked on 450 rows with onnxruntime" in line and "against nncli predict (tolerance 1e-05)" in line
    session = onnxruntime.InferenceSession(str(target))
    rows = np.loadtxt(io.StringIO("\n".join(",".join("0" for _ in range(64)) for _ in range(2))), delimiter=",",
                      ndmin=2).astype(np.float32)
    probabilities, label, _ = session.run(None, {"X": rows})
    assert probabilities.shape == (2, 10) and label.shape == (2,)


def test_the_lecture_lfw_run_exports_within_1e_5(lfw_run):
    result = invoke(["export", lfw_run])
    assert result.exit_code == 0, result.stderr
    difference = float(result.stderr.split("max difference ")[1].split()[0])
    assert difference <= 1e-5 and "192 rows" in result.stderr
    assert (lfw_run / "model.onnx").is_file()


def test_export_refuses_an_unknown_format_and_a_bad_opset(digits_run, tmp_path):
    assert invoke(["export", digits_run, "--format", "tflite"]).exit_code == 2
    result = invoke(["export", digits_run, "--opset", "7", "--output", tmp_path / "x.onnx"])
    assert result.exit_code == 2 and "opset" in result.stderr and not (tmp_path / "x.onnx").exists()


def test_a_table_run_with_categorical_columns_is_refused_naming_the_step(tmp_path):
    run = train_run(tmp_path, "penguins.yaml")
    result = invoke(["export", run])
    assert result.exit_code == 2, result.stderr
    message = " ".join(result.stderr.split())
    assert "cannot be exported" in message and "one-hot encoding of the categorical columns island, sex" in message
    assert not (run / "model.onnx").exists()


def test_a_numeric_table_exports_and_is_checked_on_its_complete_rows(tmp_path):
    run = train_run(tmp_path, "iris_csv.yaml")
    result = invoke(["export", run])
    assert result.exit_code == 0, result.stderr
    assert "checked on" in result.stderr and (run / "model.onnx").exists()


@pytest.mark.parametrize("config", sorted(path.name for path in CONFIGS.glob("*.yaml")))
def test_gradcheck_passes_on_every_shipped_config(config, tmp_path, shared_lfw_data_home_for_module):
    args = ["gradcheck", CONFIGS / config, "--samples", "16"]
    if config == "lfw.yaml":  # a config of the lfw source reads its data through an override-free copy
        text = (CONFIGS / config).read_text().replace("data_home: null", f"data_home: {shared_lfw_data_home_for_module}")
        (tmp_path / config).write_text(text)
        args[1] = tmp_path / config
    result = invoke(args)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "FAILED" not in result.stdout and " ok " in result.stdout


def test_gradcheck_of_a_trained_run_as_json(digits_run):
    result = invoke(["gradcheck", digits_run, "--samples", "8", "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["passed"] and [row["tensor"] for row in report["rows"]] == ["kernel", "bias", "kernel", "bias"]


def test_gradcheck_exits_1_when_a_gradient_is_wrong(digits_run, monkeypatch):
    from nncli.engine import layers as layers_module

    original = layers_module.Dense.backward

    def wrong(self, grad_output, need_input_grad=True, grad_is_preactivation=False):
        result = original(self, grad_output, need_input_grad, grad_is_preactivation)
        self.grad_bias *= 1.5
        return result

    monkeypatch.setattr(layers_module.Dense, "backward", wrong)
    result = invoke(["gradcheck", digits_run, "--samples", "8"])
    assert result.exit_code == 1 and "FAILED" in result.stdout


def test_photos_of_the_lfw_copy_give_the_labels_of_their_rows(lfw_run, shared_lfw_data_home_for_module):
    folder = Path(shared_lfw_data_home_for_module) / "lfw_home" / "lfw_funneled" / "Colin_Powell"
    result = invoke(["predict", lfw_run, "--input", str(folder / "Colin_Powell_000*.jpg"), "--proba"])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 9 and rows[0]["file"].endswith("Colin_Powell_0001.jpg")
    assert set(rows[0]) == {"file", "label", "p_Colin Powell", "p_George W Bush"}
    from nncli.data.faces import read_faces

    loaded = nncli.load_run(lfw_run)
    X, _ = read_faces(str(folder / "Colin_Powell_000*.jpg"), resize=0.25, slice_=[[70, 195], [78, 172]], color=False)
    assert [row["label"] for row in rows] == list(loaded.predict(X))


def test_photos_for_a_run_not_trained_on_lfw_are_refused(digits_run, tmp_path):
    from PIL import Image

    Image.new("RGB", (40, 30)).save(tmp_path / "face.png")
    result = invoke(["predict", digits_run, "--input", tmp_path / "face.png"])
    assert result.exit_code == 2 and "trained on 'digits'" in result.stderr


def test_load_run_predicts_exactly_what_the_cli_prints(digits_run, tmp_path):
    rows = np.random.default_rng(0).uniform(0, 16, size=(25, 64))
    np.savetxt(tmp_path / "rows.csv", rows, delimiter=",")
    result = invoke(["predict", digits_run, "--input", tmp_path / "rows.csv", "--proba"])
    assert result.exit_code == 0, result.stderr
    printed = list(csv.DictReader(io.StringIO(result.stdout)))
    loaded = nncli.load_run(digits_run)
    assert [row["label"] for row in printed] == list(loaded.predict(rows))
    probabilities = loaded.predict_proba(rows)
    assert probabilities.shape == (25, 10)
    np.testing.assert_allclose([[float(row[f"p_{k}"]) for k in range(10)] for row in printed], probabilities, rtol=1e-5)
    assert loaded.class_names == [str(k) for k in range(10)] and loaded.config.name == "digits"


def test_a_bare_model_saves_and_loads_without_pickle(tmp_path, digits_run):
    model = Sequential([layers.Dense(4, activation="relu", input_dim=3), layers.Dropout(0.1),
                        layers.Dense(2, activation="softmax")], seed=3)
    model.compile(loss="sparse_categorical_crossentropy", optimizer={"name": "sgd", "learning_rate": 0.05},
                  metrics=["accuracy"])
    x = np.random.default_rng(1).normal(size=(30, 3))
    y = (x[:, 0] > 0).astype(int)
    model.fit(x, y, epochs=3, verbose=0)
    path = model.save(tmp_path / "bare.npz")
    again = Sequential.load(path)
    np.testing.assert_array_equal(again.predict(x), model.predict(x))
    assert again.metrics_names == ["loss", "accuracy"] and again.optimizer.learning_rate == 0.05
    assert again.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    with pytest.raises(UsageError, match="not a model saved by Sequential.save.*nncli.load_run"):
        Sequential.load(digits_run / "model.npz")
