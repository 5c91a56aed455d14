"""Nothing let in, nothing half-written: divergence, concurrent runs, hostile files, random input,
read-only and full disks (issue 6, DESIGN.md §5–§6).

Hostile payloads are live: each test first proves, in a scratch folder, that unpickling or
unsafe-loading the payload really creates its marker file, then checks that nncli refuses the
same kind of file and that its marker never appears.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nncli.cli import app
from nncli.io import load_npz

REPO = Path(__file__).resolve().parents[2]
IRIS = REPO / "configs" / "iris.yaml"
DIABETES = REPO / "configs" / "diabetes.yaml"
GUARD_S = 120.0  # only stops a hung process; never part of an assertion


def cli(*args: str | os.PathLike, input: str | bytes | None = None):
    return CliRunner().invoke(app, [str(arg) for arg in args], input=input)


def nncli_command(*args: str | os.PathLike) -> list[str]:
    return [sys.executable, "-m", "nncli.cli", *map(str, args)]


def assert_clean_failure(result, codes: tuple[int, ...] = (2,)) -> None:
    """Exit with one of ``codes``, one message on stderr, no traceback and no internal error."""
    assert result.exit_code in codes, (result.exit_code, result.output)
    assert isinstance(result.exception, (SystemExit, type(None))), repr(result.exception)
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    assert result.stderr.strip().startswith("error:"), result.stderr


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory) -> Path:
    """A trained iris run (4 features, 3 classes)."""
    result = cli("train", IRIS, "training.epochs=2", "--runs-dir", tmp_path_factory.mktemp("runs"), "--no-plots", "-q")
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture()
def iris_copy(iris_run, tmp_path) -> Path:
    copy = tmp_path / "iris"
    shutil.copytree(iris_run, copy)
    return copy


# -- divergence -------------------------------------------------------------------------------
DIVERGING = ["data.scaler=none", "training.metrics=[]", "training.epochs=10", "--no-plots", "-q"]


def diverged_epoch(message: str) -> int:
    match = re.search(r"at epoch (\d+)", message)
    assert match, message
    return int(match.group(1))


def assert_failed_run(runs_dir: Path, result) -> Path:
    assert_clean_failure(result, codes=(1,))
    assert "diverged" in result.stderr
    assert "learning rate" in result.stderr
    (run,) = [path for path in runs_dir.iterdir() if path.is_dir()]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["status"] == "failed"
    assert "diverged" in metrics["reason"]
    listing = cli("runs", runs_dir, "--json")
    assert [row["status"] for row in json.loads(listing.stdout)] == ["failed"]
    assert not (run / "model.npz").exists()
    return run


def test_divergence_after_some_epochs_keeps_the_last_good_checkpoint(tmp_path):
    result = cli("train", DIABETES, "training.optimizer={name: sgd, learning_rate: 3.0}", *DIVERGING,
                 "--runs-dir", tmp_path)
    run = assert_failed_run(tmp_path, result)
    epoch = diverged_epoch(result.stderr)
    if epoch == 1:
        assert not (run / "checkpoint.npz").exists()
        return
    checkpoint = load_npz(run / "checkpoint.npz")
    assert int(checkpoint["epoch"]) == epoch - 1
    weights = [value for name, value in checkpoint.items() if name.startswith("weight_")]
    assert weights and all(np.isfinite(w).all() for w in weights)


def test_divergence_in_the_first_epoch_keeps_the_starting_checkpoint(tmp_path):
    # The starting point is checkpointed before the first batch, so even a run that diverges in
    # epoch 1 leaves a checkpoint that loads (epoch 0, the initial weights), and no model.npz.
    result = cli("train", DIABETES, "training.optimizer.learning_rate=1.0e+6", *DIVERGING, "--runs-dir", tmp_path)
    run = assert_failed_run(tmp_path, result)
    assert diverged_epoch(result.stderr) == 1
    checkpoint = load_npz(run / "checkpoint.npz")
    assert int(checkpoint["epoch"]) == 0
    assert all(np.isfinite(value).all() for key, value in checkpoint.items() if key.startswith("weight_"))
    assert not (run / "model.npz").exists()


def test_divergence_with_an_sklearn_metric_is_reported_as_divergence(tmp_path):
    # r2 is computed by scikit-learn, which rejects NaN predictions: the divergence must be
    # found before the metric is computed.
    result = cli("train", DIABETES, "training.optimizer.learning_rate=1.0e+6", "data.scaler=none",
                 "training.epochs=3", "--no-plots", "-q", "--runs-dir", tmp_path)
    assert_failed_run(tmp_path, result)


# -- concurrent runs with one name --------------------------------------------------------------
def test_eight_processes_with_one_name_get_eight_complete_runs(tmp_path):
    command = nncli_command("train", IRIS, "training.epochs=2", "--name", "same", "--runs-dir", tmp_path,
                            "--no-plots", "-q")
    processes = [subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(8)]
    outputs = [process.communicate(timeout=GUARD_S) for process in processes]
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr
    printed = {stdout.strip().splitlines()[-1] for stdout, _ in outputs}
    expected = {"same"} | {f"same-{number}" for number in range(2, 9)}
    assert {Path(path).name for path in printed} == expected
    assert {path.name for path in tmp_path.iterdir()} == expected
    for name in expected:
        run = tmp_path / name
        assert json.loads((run / "metrics.json").read_text())["status"] == "completed"
        assert any(key.startswith("weight_") for key in load_npz(run / "model.npz"))
        assert [n for n in os.listdir(run) if n.endswith(".tmp")] == []


# -- pickles ----------------------------------------------------------------------------------
class _CreatesFile:
    """Unpickling this calls open(marker, "w"), which creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def pickled_array(marker: Path) -> np.ndarray:
    array = np.empty((1, 4), dtype=object)
    array[0, 0] = _CreatesFile(marker)
    array[0, 1:] = 1.0
    return array


def write_pickled_npz(path: Path, marker: Path, **others: np.ndarray) -> Path:
    np.savez(path, **others, X=pickled_array(marker))
    return path


def assert_payload_is_live(tmp_path: Path, load) -> None:
    marker = tmp_path / "proof" / "marker"
    marker.parent.mkdir()
    load(marker)
    assert marker.exists(), "the payload should create its marker when loaded unsafely"


def test_npz_pickle_payload_is_live(tmp_path):
    def load(marker: Path) -> None:
        path = write_pickled_npz(marker.parent / "evil.npz", marker)
        with np.load(path, allow_pickle=True) as archive:
            archive["X"]

    assert_payload_is_live(tmp_path, load)


@pytest.mark.parametrize("suffix", [".npz", ".npy"])
def test_predict_refuses_a_pickled_input_without_running_it(iris_run, tmp_path, suffix):
    marker = tmp_path / "marker"
    path = tmp_path / f"evil{suffix}"
    if suffix == ".npz":
        write_pickled_npz(path, marker)
    else:
        np.save(path, pickled_array(marker), allow_pickle=True)
    result = cli("predict", iris_run, "--input", path)
    assert_clean_failure(result)
    assert "pickle" in result.stderr.lower()
    assert not marker.exists()


def test_evaluate_refuses_a_pickled_data_file_without_running_it(iris_run, tmp_path):
    marker = tmp_path / "marker"
    path = write_pickled_npz(tmp_path / "evil.npz", marker, y=np.zeros(1))
    result = cli("evaluate", iris_run, "--data", path)
    assert_clean_failure(result)
    assert not marker.exists()


@pytest.mark.parametrize("command", [["predict", "--input", "ROWS"], ["evaluate"], ["summary"]])
def test_a_pickled_model_npz_is_refused_without_running_it(iris_copy, tmp_path, command):
    marker = tmp_path / "marker"
    arrays = load_npz(iris_copy / "model.npz")
    arrays["weight_000"] = pickled_array(marker)
    (iris_copy / "model.npz").unlink()
    np.savez(iris_copy / "model.npz", **arrays)
    rows = tmp_path / "rows.csv"
    rows.write_text("5.1,3.5,1.4,0.2\n")
    args = [str(rows) if word == "ROWS" else word for word in command]
    result = cli(args[0], iris_copy, *args[1:])
    if command == ["summary"]:  # summary reads only config.yaml: fine as long as nothing is unpickled
        assert result.exit_code == 0, result.output
    else:
        assert_clean_failure(result)
        assert "pickle" in result.stderr.lower()
    assert not marker.exists()


def test_a_pickled_checkpoint_is_refused_by_resume(iris_copy, tmp_path):
    marker = tmp_path / "marker"
    arrays = load_npz(iris_copy / "checkpoint.npz")
    arrays["weight_000"] = pickled_array(marker)
    (iris_copy / "checkpoint.npz").unlink()
    np.savez(iris_copy / "checkpoint.npz", **arrays)
    result = cli("train", "--resume", iris_copy, "training.epochs=4", "--no-plots", "-q")
    assert_clean_failure(result)
    assert "pickle" in result.stderr.lower()
    assert not marker.exists()


# -- YAML tags --------------------------------------------------------------------------------
YAML_PAYLOADS = {
    "apply_os_system": 'name: !!python/object/apply:os.system ["touch {marker}"]\n',
    "apply_in_a_list": 'training:\n  metrics: [!!python/object/apply:os.system ["touch {marker}"]]\n',
    "new_subprocess": 'name: !!python/object/new:subprocess.check_output [["touch", "{marker}"]]\n',
}


def hostile_yaml(kind: str, marker: Path) -> str:
    base = yaml.safe_load(IRIS.read_text())
    base["model"] = str(REPO / "configs" / "architectures" / "small_mlp.yaml")
    payload = YAML_PAYLOADS[kind].format(marker=marker)
    payload_key = next(iter(yaml.compose(payload).value))[0].value  # the top-level key it sets
    base.pop(payload_key, None)
    return payload + yaml.safe_dump(base, sort_keys=False)


@pytest.mark.parametrize("kind", sorted(YAML_PAYLOADS))
def test_yaml_payload_is_live(tmp_path, kind):
    assert_payload_is_live(tmp_path, lambda marker: yaml.unsafe_load(hostile_yaml(kind, marker)))


@pytest.mark.parametrize("kind", sorted(YAML_PAYLOADS))
@pytest.mark.parametrize("command", ["train", "summary"])
def test_a_config_with_python_tags_is_refused_without_running_it(tmp_path, kind, command):
    marker = tmp_path / "marker"
    config = tmp_path / "evil.yaml"
    config.write_text(hostile_yaml(kind, marker))
    extra = ["--runs-dir", tmp_path / "runs", "--no-plots", "-q"] if command == "train" else []
    result = cli(command, config, *extra)
    assert_clean_failure(result)
    assert "evil.yaml" in result.stderr
    assert not marker.exists()
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("command", ["predict", "evaluate", "resume"])
def test_a_run_config_with_python_tags_is_refused(iris_copy, tmp_path, command):
    marker = tmp_path / "marker"
    (iris_copy / "config.yaml").write_text(hostile_yaml("apply_os_system", marker))
    rows = tmp_path / "rows.csv"
    rows.write_text("5.1,3.5,1.4,0.2\n")
    args = {"predict": ["predict", iris_copy, "--input", rows], "evaluate": ["evaluate", iris_copy],
            "resume": ["train", "--resume", iris_copy, "--no-plots", "-q"]}[command]
    result = cli(*args)
    assert_clean_failure(result)
    assert not marker.exists()


# -- run names cannot escape the runs folder --------------------------------------------------
@pytest.mark.parametrize("name", ["../escaped", "a/b", "/tmp/escaped-run", "..", ".hidden", "bad\nname", ""])
@pytest.mark.parametrize("where", ["--name", "config"])
def test_run_names_cannot_escape_the_runs_folder(tmp_path, name, where):
    runs_dir = tmp_path / "deep" / "runs"
    if where == "--name":
        result = cli("train", IRIS, "training.epochs=1", "--name", name, "--runs-dir", runs_dir, "--no-plots", "-q")
    else:
        config = tmp_path / "named.yaml"
        config.write_text(IRIS.read_text().replace("name: iris", f"name: {json.dumps(name)}")
                          .replace("architectures/", str(IRIS.parent / "architectures") + "/"))
        result = cli("train", config, "training.epochs=1", "--runs-dir", runs_dir, "--no-plots", "-q")
    assert_clean_failure(result)
    assert "name" in result.stderr
    assert not (tmp_path / "deep" / "escaped").exists()
    assert not Path("/tmp/escaped-run").exists()
    created = [path for path in tmp_path.rglob("*") if path.is_dir() and path.name not in ("deep", "runs")]
    assert created == []


# -- hypothesis: random configs and overrides ---------------------------------------------------
KEY_PATHS = [
    "name", "seed", "data", "data.source", "data.test_size", "data.split_seed", "data.stratify", "data.scaler",
    "model", "model.layers", "model.layers.0", "model.layers.0.units", "model.layers.0.activation",
    "model.layers.0.type", "model.layers.1.units", "model.layers.1.activation", "model.input_dim",
    "training", "training.loss", "training.optimizer", "training.optimizer.name",
    "training.optimizer.learning_rate", "training.metrics", "training.batch_size", "training.validation_split",
    "training.shuffle", "training.dtype", "training.early_stopping", "training.class_weight",
]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 64), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["iris", "wine", "xor", "circle", "relu", "softmax", "adam", "sgd", "mse", "Dense",
                     "Dropout", "float64", "standard", "none", "balanced", "accuracy", "", "nope"]),
    st.text(max_size=12),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=6)


def base_config() -> dict:
    return {
        "name": "fuzz", "seed": 0,
        "data": {"source": "iris", "test_size": 0.25, "split_seed": 3, "stratify": True},
        "model": {"layers": [{"type": "Dense", "units": 8, "activation": "relu"},
                             {"type": "Dense", "units": 3, "activation": "softmax"}]},
        "training": {"loss": "sparse_categorical_crossentropy", "optimizer": {"name": "adam", "learning_rate": 0.01},
                     "metrics": ["accuracy"], "batch_size": 16, "epochs": 1},
    }


def set_path(config: dict, path: str, value, delete: bool) -> None:
    keys = path.split(".")
    node = config
    for key in keys[:-1]:
        index = int(key) if key.isdigit() else key
        try:
            node = node[index]
        except (KeyError, IndexError, TypeError):
            return
        if not isinstance(node, (dict, list)):
            return
    last = int(keys[-1]) if keys[-1].isdigit() else keys[-1]
    try:
        if delete:
            del node[last]
        else:
            node[last] = value
    except (KeyError, IndexError, TypeError):
        pass


mutations = st.lists(st.tuples(st.sampled_from(KEY_PATHS + ["unknown", "training.nope", "model.layers.0.nope"]),
                               values, st.booleans()), max_size=3)
override_keys = st.one_of(st.sampled_from(KEY_PATHS), st.text(max_size=15))
override_values = st.one_of(values.map(lambda v: yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip()),
                            st.text(max_size=15))
VALID_OVERRIDES = [
    "training.batch_size=8", "model.layers.0.units=4", "model.layers.0.activation=tanh", "training.optimizer=sgd",
    "training.optimizer.learning_rate=0.1", "training.validation_split=0.2", "data.scaler=minmax", "seed=3",
    "training.metrics=[accuracy, f1]", "training.dtype=float64", "data.test_size=0.5", "training.shuffle=false",
]
overrides = st.lists(st.sampled_from(VALID_OVERRIDES)
                     | st.tuples(override_keys, override_values).map(lambda kv: f"{kv[0]}={kv[1]}")
                     | st.text(max_size=15), max_size=3)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def assert_handled(result) -> None:
    """Exit 0, 2, or 1 only for divergence; never a traceback or an internal error."""
    assert isinstance(result.exception, (SystemExit, type(None))), repr(result.exception)
    assert "Traceback" not in result.output
    assert "internal error" not in result.output, result.output
    event(f"exit {result.exit_code}")
    allowed = result.exit_code in (0, 2) or (result.exit_code == 1 and "diverged" in result.stderr)
    assert allowed, (result.exit_code, result.output)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations=mutations, overrides=overrides)
def test_random_configs_and_overrides_never_crash(fuzz_dir, mutations, overrides):
    config = base_config()
    for path, value, delete in mutations:
        set_path(config, path, value, delete)
    config_path = fuzz_dir / "config.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    bounded = [*overrides, "training.epochs=1", "data.source=iris"] if "data.source" in str(overrides) else [
        *overrides, "training.epochs=1"]
    result = cli("train", config_path, *bounded, "--runs-dir", fuzz_dir / "runs", "--no-plots", "-q")
    assert_handled(result)


@settings(max_examples=30, deadline=None)
@given(text=st.text(max_size=200))
def test_random_yaml_text_never_crashes(fuzz_dir, text):
    config_path = fuzz_dir / "text.yaml"
    config_path.write_text(text + "\ntraining: {epochs: 1}\n" if "epochs" not in text else text, encoding="utf-8")
    result = cli("train", config_path, "--runs-dir", fuzz_dir / "runs", "--no-plots", "-q")
    assert_handled(result)


# -- hypothesis: random predict inputs ----------------------------------------------------------
numeric_cells = st.floats(-1e3, 1e3, allow_nan=False).map(repr)
any_cells = st.one_of(numeric_cells, st.sampled_from(["nan", "NaN", "inf", "-inf", "", "abc", "1,5", '"', "1e309"]),
                      st.text(max_size=6))


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(any_cells, max_size=6), max_size=5))
def test_random_predict_rows_never_crash(iris_run, rows):
    text = "\n".join(",".join(row) for row in rows)
    result = cli("predict", iris_run, "--input", "-", input=text)
    assert_handled(result)
    if result.exit_code == 0:
        assert result.stdout.splitlines()[0] == "label"
    else:
        assert result.stderr.startswith("error:")


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.lists(numeric_cells, min_size=4, max_size=4), min_size=2, max_size=5), data=st.data())
def test_a_non_numeric_cell_is_named_by_line_and_column(iris_run, rows, data):
    # Not in the first line: a first line with text in it is taken as a CSV header (reported).
    row = data.draw(st.integers(1, len(rows) - 1))
    column = data.draw(st.integers(0, 3))
    rows[row][column] = data.draw(st.sampled_from(["abc", "x1", "one", "?"]))
    result = cli("predict", iris_run, "--input", "-", input="\n".join(",".join(r) for r in rows))
    assert_clean_failure(result)
    assert f"line {row + 1}" in result.stderr
    assert f"column {column}" in result.stderr
    assert "not a number" in result.stderr


@settings(max_examples=30, deadline=None)
@given(n_columns=st.integers(1, 9).filter(lambda n: n != 4), n_rows=st.integers(1, 4), data=st.data())
def test_a_wrong_number_of_columns_says_expected_and_got(iris_run, n_columns, n_rows, data):
    rows = data.draw(st.lists(st.lists(numeric_cells, min_size=n_columns, max_size=n_columns),
                              min_size=n_rows, max_size=n_rows))
    result = cli("predict", iris_run, "--input", "-", input="\n".join(",".join(r) for r in rows))
    assert_clean_failure(result)
    assert "expected 4 columns" in result.stderr
    assert f"got {n_columns}" in result.stderr


def test_a_text_cell_in_the_first_line_is_not_silently_dropped_as_a_header(iris_run):
    rows = "abc,1,2,3\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n"
    result = cli("predict", iris_run, "--input", "-", input=rows)
    assert_clean_failure(result)
    assert "line 1, column 0" in result.stderr


@pytest.mark.parametrize("cell", ["nan", "inf", "-inf", "NaN"])
def test_non_finite_cells_are_refused_by_position(iris_run, cell):
    result = cli("predict", iris_run, "--input", "-", input=f"1,2,3,4\n1,{cell},3,4\n")
    assert_clean_failure(result)
    assert "line 2, column 1" in result.stderr


def test_empty_input_is_refused(iris_run):
    assert_clean_failure(cli("predict", iris_run, "--input", "-", input=""))
    assert_clean_failure(cli("predict", iris_run, "--input", "-", input="\n\n"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".npy", ".npz", ".txt"]))
def test_binary_junk_files_never_crash(iris_run, tmp_path, junk, suffix):
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(junk)
    result = cli("predict", iris_run, "--input", path)
    assert_handled(result)


@pytest.mark.parametrize("array", [np.zeros((2, 3)), np.zeros(4), np.array([["a", "b", "c", "d"]]),
                                   np.full((1, 4), np.nan), np.zeros((0, 4)), np.zeros((1, 4), dtype=complex)],
                         ids=["3-columns", "1d", "strings", "nan", "empty", "complex"])
def test_bad_npy_inputs_are_refused(iris_run, tmp_path, array):
    path = tmp_path / "rows.npy"
    np.save(path, array)
    assert_clean_failure(cli("predict", iris_run, "--input", path))


# -- read-only and full disks ------------------------------------------------------------------
def test_runs_dir_under_a_regular_file_fails_cleanly(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = cli("train", IRIS, "training.epochs=1", "--runs-dir", blocker / "runs", "--no-plots", "-q")
    assert_clean_failure(result, codes=(1,))
    assert str(blocker) in result.stderr
    assert sorted(os.listdir(tmp_path)) == ["file"]
    assert blocker.read_text() == "not a folder"


def _can_mount_in_a_namespace() -> str | None:
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "needs unshare and mount (util-linux)"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=8k tmpfs /mnt"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"cannot mount a tmpfs in a private mount namespace: {probe.stderr.strip()}"
    return None


def train_on_small_tmpfs(tmp_path: Path, mount_options: str, prepare: str) -> tuple[int, str, Path]:
    """Train iris into a tmpfs mounted (privately) with ``mount_options``; return exit code,
    stderr and a copy of what was left on the tmpfs."""
    reason = _can_mount_in_a_namespace()
    if reason:
        pytest.skip(reason)
    mount_point, left = tmp_path / "mnt", tmp_path / "left"
    mount_point.mkdir()
    left.mkdir()
    train = " ".join(map(str, nncli_command("train", "configs/digits.yaml", "training.epochs=2",
                                            "--runs-dir", mount_point / "runs", "--no-plots", "-q")))
    script = (f"mount -t tmpfs -o {mount_options} tmpfs {mount_point} && {prepare} "
              f"{train}; code=$?; cp -a {mount_point}/. {left}/; exit $code")
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=REPO, capture_output=True, text=True,
                          timeout=GUARD_S)
    return done.returncode, done.stderr, left


def all_files(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def test_read_only_runs_folder_fails_cleanly(tmp_path):
    code, stderr, left = train_on_small_tmpfs(
        tmp_path, "size=1m", prepare=f"mkdir {tmp_path / 'mnt' / 'runs'} && mount -o remount,ro {tmp_path / 'mnt'} &&")
    assert code == 1, stderr
    assert stderr.startswith("error:") and "read-only" in stderr
    assert "Traceback" not in stderr
    assert all_files(left) == []


def test_full_disk_fails_cleanly_without_a_partial_file(tmp_path):
    # 40 KiB: room for config.yaml, summary.txt, history.csv and metrics.json, not for the
    # 64 KiB checkpoint of the digits model.
    code, stderr, left = train_on_small_tmpfs(tmp_path, "size=40k", prepare="")
    assert code == 1, stderr
    assert stderr.startswith("error:") and "disk is full" in stderr
    assert "Traceback" not in stderr
    files = all_files(left)
    assert not [name for name in files if name.endswith((".tmp", "checkpoint.npz", "model.npz"))], files
    metrics = json.loads((left / "runs" / "digits" / "metrics.json").read_text())
    assert metrics["status"] == "failed"
    assert "checkpoint.npz" in metrics["reason"]
