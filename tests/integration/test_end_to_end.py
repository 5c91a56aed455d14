"""End-to-end tests through the ``nncli`` command (issue 4's acceptance).

Every config in ``configs/`` trains for a few epochs and evaluates; the lecture's LFW setup
reaches its accuracy over five seeds with the test-split baseline beside it; ``predict`` on raw
rows agrees with what ``evaluate`` saw; the circle needs a nonlinear network; the task rules,
bad data files and the offline LFW error each end in one clear message and an exit code.

LFW runs use a copy of the shared offline cache (``../shared/data/lfw``) in a temporary folder
and are skipped, with the reason, where it is absent.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner, Result

from nncli import experiment
from nncli.cli import app

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / "configs"
CONFIGS = sorted(CONFIG_DIR.glob("*.yaml"))
LFW = CONFIG_DIR / "lfw.yaml"
CIRCLE = CONFIG_DIR / "circle.yaml"
LFW_SEEDS = range(5)


# ---------------------------------------------------------------- helpers


def nncli(*args: str | Path) -> Result:
    """Run the ``nncli`` command in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(app, [str(arg) for arg in args])


def train(config: Path, runs_dir: Path, *overrides: str, name: str | None = None) -> tuple[Path, Result]:
    """``nncli train CONFIG OVERRIDES --no-plots``; the run directory (stdout's last line) and the result."""
    options = ["--runs-dir", runs_dir, "--no-plots"] + (["--name", name] if name else [])
    result = nncli("train", *options, config, *overrides)
    assert result.exit_code == 0, f"exit {result.exit_code}\n{result.stderr}\n{result.stdout}"
    run_dir = Path(result.stdout.strip().splitlines()[-1])
    assert run_dir.is_dir()
    return run_dir, result


def read_metrics(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "metrics.json").read_text())


def evaluate_json(run_dir: Path) -> dict[str, Any]:
    result = nncli("evaluate", run_dir, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def assert_one_clean_error(result: Result, exit_codes: tuple[int, ...], *words: str) -> str:
    """One ``error:`` line on stderr naming ``words``, an expected exit code, no traceback."""
    output = result.stdout + result.stderr
    assert result.exit_code in exit_codes, f"exit {result.exit_code}\n{output}"
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("error: "), line
    assert "Traceback" not in output and "internal error" not in line, output
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"
    return line


def assert_no_run_created(runs_dir: Path) -> None:
    assert not runs_dir.exists() or not any(runs_dir.iterdir()), list(runs_dir.iterdir())


def uses_lfw(config: Path) -> bool:
    data = yaml.safe_load(config.read_text()).get("data")
    return isinstance(data, dict) and data.get("source") == "lfw"


# ---------------------------------------------------------------- the offline LFW copy


@pytest.fixture(scope="module")
def lfw_data_home(shared_lfw_data_home_for_module: Path) -> Path:
    return shared_lfw_data_home_for_module


@pytest.fixture(scope="module")
def lfw_runs(lfw_data_home: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, Result]]:
    """The lecture's setup, as shipped (20 epochs), once per seed 0-4."""
    runs_dir = tmp_path_factory.mktemp("lfw_runs")
    return {
        seed: train(LFW, runs_dir, f"data.data_home={lfw_data_home}", f"seed={seed}", name=f"lfw-seed{seed}")
        for seed in LFW_SEEDS
    }


# ---------------------------------------------------------------- every config


@pytest.mark.parametrize("config", CONFIGS, ids=lambda path: path.stem)
def test_every_config_trains_a_few_epochs_and_evaluates(config: Path, tmp_path: Path, monkeypatch, request):
    overrides = ["training.epochs=2"]
    if uses_lfw(config):
        overrides.append(f"data.data_home={request.getfixturevalue('lfw_data_home')}")
    monkeypatch.chdir(tmp_path)  # data paths are relative to the config file, not to the caller
    run_dir, result = train(config.resolve(), tmp_path / "runs", *overrides)
    metrics = read_metrics(run_dir)
    assert metrics["status"] == "completed"
    assert metrics["epochs_completed"] == 2
    assert set(metrics["final"]) >= {"train", "test"}
    test_baseline = metrics["baseline"]["test"]
    assert test_baseline["kind"] in ("majority_class", "mean_predictor")
    assert "baseline" in result.stdout  # the final report shows it

    evaluated = evaluate_json(run_dir)
    assert evaluated["split"] == "test"
    assert evaluated["metrics"] == pytest.approx(metrics["final"]["test"], rel=1e-5, abs=1e-7)
    assert evaluated["baseline"] == test_baseline


def test_the_configs_folder_holds_the_shipped_examples():
    # The parametrized test above covers whatever is in configs/; make sure it is not empty.
    assert {"lfw", "digits", "iris", "breast_cancer", "diabetes", "circle", "spiral", "iris_csv"} <= {
        path.stem for path in CONFIGS
    }


# ---------------------------------------------------------------- LFW, the lecture's setup


def test_lfw_reaches_the_lecture_accuracy_over_five_seeds(lfw_runs):
    accuracies = [read_metrics(run_dir)["final"]["test"]["accuracy"] for run_dir, _ in lfw_runs.values()]
    assert len(set(accuracies)) > 1  # the seeds really train different networks
    assert np.mean(accuracies) >= 0.92, accuracies


def test_lfw_report_and_metrics_show_the_test_split_baseline(lfw_runs):
    for run_dir, result in lfw_runs.values():
        baseline = read_metrics(run_dir)["baseline"]["test"]
        assert baseline["kind"] == "majority_class"
        assert baseline["class"] == "George W Bush"
        assert baseline["accuracy"] == pytest.approx(125 / 192)  # 0.651
        test_column = next(line for line in result.stdout.splitlines() if line.strip("│┃ ").startswith("accuracy"))
        assert "0.6510" in test_column
        assert "most frequent class" in result.stdout


def test_predict_on_raw_lfw_test_rows_gives_what_evaluate_saw(lfw_runs, lfw_data_home: Path, tmp_path: Path):
    from sklearn.datasets import fetch_lfw_people
    from sklearn.model_selection import train_test_split

    run_dir = lfw_runs[0][0]
    # The raw test rows, rebuilt the lecture's way, independently of nncli.
    faces = fetch_lfw_people(data_home=str(lfw_data_home), min_faces_per_person=200, resize=0.25,
                             download_if_missing=False)
    X = faces.images.reshape(len(faces.images), -1).astype(np.float64)
    _, X_test_raw, _, y_test = train_test_split(X, faces.target, test_size=0.25, random_state=3)
    assert X_test_raw.shape == (192, 713)

    # What evaluate sees: the model on the scaled test split nncli rebuilds from the saved config.
    loaded = experiment.load_run(run_dir)
    prepared = experiment.prepare(loaded.config, loaded.preprocessor)
    np.testing.assert_array_equal(prepared.X_test_raw, X_test_raw)
    assert not np.allclose(prepared.X_test, X_test_raw)  # evaluate's rows are scaled
    probabilities = loaded.model.predict(prepared.X_test)[:, 0]
    expected = [str(faces.target_names[int(p > 0.5)]) for p in probabilities]

    raw_csv = tmp_path / "raw_test_faces.csv"
    np.savetxt(raw_csv, X_test_raw, delimiter=",", fmt="%.17g")
    result = nncli("predict", run_dir, "--input", raw_csv)
    assert result.exit_code == 0, result.stderr
    labels = [row["label"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert labels == expected
    assert set(labels) == {"Colin Powell", "George W Bush"}

    correct = np.array(labels) == faces.target_names[y_test]
    assert evaluate_json(run_dir)["metrics"]["accuracy"] == pytest.approx(correct.mean())


def test_predict_on_raw_csv_rows_with_a_header_gives_class_names_evaluate_saw(tmp_path: Path):
    # Without ../shared too: the CSV example, string classes, raw rows under their column names.
    run_dir, _ = train(CONFIG_DIR / "iris_csv.yaml", tmp_path / "runs", "training.epochs=5")
    loaded = experiment.load_run(run_dir)
    prepared = experiment.prepare(loaded.config, loaded.preprocessor)
    expected_indices = loaded.model.predict(prepared.X_test).argmax(axis=1)
    expected = [str(name) for name in loaded.preprocessor.decode(expected_indices)]

    raw_csv = tmp_path / "raw_flowers.csv"
    header = ",".join(loaded.preprocessor.feature_names)
    np.savetxt(raw_csv, prepared.X_test_raw, delimiter=",", fmt="%.17g", header=header, comments="")
    result = nncli("predict", run_dir, "--input", raw_csv)
    assert result.exit_code == 0, result.stderr
    labels = [row["label"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert labels == expected
    assert set(labels) <= {"setosa", "versicolor", "virginica"}
    correct = np.array(labels) == np.asarray(prepared.y_test).astype(str)
    assert evaluate_json(run_dir)["metrics"]["accuracy"] == pytest.approx(correct.mean())


# ---------------------------------------------------------------- the circle


def test_circle_needs_a_nonlinear_network(tmp_path: Path):
    relu_dir, _ = train(CIRCLE, tmp_path, name="relu")
    linear_dir, _ = train(CIRCLE, tmp_path, "model.layers.0.activation=linear", "model.layers.1.activation=linear",
                          name="linear")
    saved = yaml.safe_load((linear_dir / "config.yaml").read_text())
    assert [layer.get("activation") for layer in saved["model"]["layers"]] == ["linear", "linear", "sigmoid"]
    assert read_metrics(relu_dir)["final"]["test"]["accuracy"] >= 0.95
    assert read_metrics(linear_dir)["final"]["test"]["accuracy"] <= 0.70


# ---------------------------------------------------------------- task rules


TASK_MISMATCHES = [
    pytest.param(
        "circle.yaml", ["model.layers.2.units=8", "model.layers.2.activation=softmax"],
        ["rule 2", "binary_crossentropy", "1 sigmoid unit", "Dense(8, softmax)"],
        id="softmax-8-units-with-binary-crossentropy-on-2-classes",
    ),
    pytest.param(
        "diabetes.yaml", ["model.layers.2.activation=sigmoid"],
        ["rule 2", "regression", "linear unit", "Dense(1, sigmoid)"],
        id="regression-with-a-sigmoid-output",
    ),
    pytest.param(
        "digits.yaml", ["model.layers.1.units=1"],
        ["rule 2", "10 classes", "10 softmax units", "Dense(1, softmax)"],
        id="10-classes-with-1-unit",
    ),
    pytest.param(
        "digits.yaml", ["model.input_dim=63"],
        ["rule 1", "63", "64 features", "model.input_dim"],
        id="input-dim-differs-from-the-data",
    ),
]


@pytest.mark.parametrize("config_name, overrides, words", TASK_MISMATCHES)
def test_a_task_mismatch_is_rejected_naming_the_rule(config_name, overrides, words, tmp_path: Path):
    runs_dir = tmp_path / "runs"
    result = nncli("train", "--runs-dir", runs_dir, CONFIG_DIR / config_name, *overrides)
    line = assert_one_clean_error(result, (2,), *words)
    assert "Set " in line  # and the fix
    assert_no_run_created(runs_dir)


# ---------------------------------------------------------------- bad data files


GOOD_ROWS = "".join(f"{i % 7},{(i * 3) % 5},{i % 2}\n" for i in range(20))


def _write_text(text: str):
    def write(path: Path) -> None:
        path.write_text(text)

    return write


def _write_npz(**arrays: np.ndarray):
    def write(path: Path) -> None:
        with open(path, "wb") as stream:
            np.savez(stream, **arrays)

    return write


BAD_FILES = [
    pytest.param("missing.csv", None, "label", ["not found"], id="missing"),
    pytest.param("empty.csv", _write_text(""), "label", ["empty"], id="empty"),
    pytest.param("ragged.csv", _write_text("a,b,label\n1,2,0\n3,1\n4,5,1\n"), "label", ["line 3", "columns"],
                 id="ragged-csv"),
    # A text cell or NA in a feature column is no defect since issue 16 (tests/integration/test_tables.py).
    pytest.param("text.csv", _write_text("a,a,label\n1,2,0\n3,4,1\n" + GOOD_ROWS), "label",
                 ["names column 'a' twice"], id="repeated-column-name"),
    pytest.param("no_target.csv", _write_text("a,b,label\n" + GOOD_ROWS), "species", ["'species'", "label"],
                 id="missing-target-column"),
    pytest.param("inf.csv", _write_text("a,b,label\n1,2,0\n3,inf,1\n" + GOOD_ROWS), "label", ["line 3", "infinite"],
                 id="infinite-feature"),
    pytest.param("no_x.npz", _write_npz(features=np.zeros((10, 2)), y=np.arange(10) % 2), None, ["'X'"],
                 id="npz-without-X"),
    pytest.param("nan.npz", _write_npz(X=np.where(np.eye(10, 2) > 0, np.nan, 1.0), y=np.arange(10) % 2), None,
                 ["NaN"], id="npz-nan-feature"),
]


def _file_config(path: Path, target: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"source": "npz" if path.suffix == ".npz" else "csv", "path": path.name}
    if target is not None:
        data["target"] = target
    return {
        "name": "bad_file",
        "data": data,
        "model": {"layers": [{"type": "Dense", "units": 4, "activation": "relu"},
                             {"type": "Dense", "units": 1, "activation": "sigmoid"}]},
        "training": {"loss": "binary_crossentropy", "optimizer": "adam", "epochs": 1},
    }


@pytest.mark.parametrize("file_name, write, target, words", BAD_FILES)
def test_a_bad_data_file_is_one_clear_error(file_name, write, target, words, tmp_path: Path):
    data_file = tmp_path / file_name
    if write is not None:
        write(data_file)
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump(_file_config(data_file, target)))
    runs_dir = tmp_path / "runs"
    result = nncli("train", "--runs-dir", runs_dir, config)
    assert_one_clean_error(result, (1, 2), str(data_file), *words)
    assert_no_run_created(runs_dir)


def test_the_good_rows_of_those_files_do_train(tmp_path: Path):
    # The control: the bad files above differ from a file that works only by their defect.
    data_file = tmp_path / "good.csv"
    data_file.write_text("a,b,label\n" + GOOD_ROWS)
    config = tmp_path / "good.yaml"
    config.write_text(yaml.safe_dump(_file_config(data_file, "label")))
    run_dir, _ = train(config, tmp_path / "runs")
    assert read_metrics(run_dir)["status"] == "completed"


# ---------------------------------------------------------------- LFW offline


def test_lfw_offline_without_a_cache_is_one_readable_error(tmp_path: Path, no_network):
    empty_home = tmp_path / "empty_home"
    empty_home.mkdir()
    runs_dir = tmp_path / "runs"
    result = nncli("train", "--runs-dir", runs_dir, LFW, f"data.data_home={empty_home}")
    assert_one_clean_error(
        result, (1,), "could not be downloaded", str(empty_home / "lfw_home"), "data.data_home",
    )
    assert_no_run_created(runs_dir)
