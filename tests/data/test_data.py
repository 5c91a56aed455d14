"""Tests of nncli.data: sources, files, splitting, preprocessing, inputs, baseline, task rules."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest_lfw import FakeLfw
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nncli import data
from nncli.data.formats import check_features
from nncli.engine.losses import one_hot
from nncli.data import SOURCES, Dataset, Preprocessor
from nncli.errors import (
    ConfigError,
    DataError,
    DataUnavailableError,
    RunDirError,
    ShapeError,
    UnknownNameError,
    UsageError,
)

REPO = Path(__file__).resolve().parents[2]
BUNDLED = {
    "digits": ("classification", 1797, 64, [str(d) for d in range(10)]),
    "iris": ("classification", 150, 4, ["setosa", "versicolor", "virginica"]),
    "wine": ("classification", 178, 13, ["class_0", "class_1", "class_2"]),
    "breast_cancer": ("classification", 569, 30, ["malignant", "benign"]),
    "diabetes": ("regression", 442, 10, None),
}
PLAYGROUND = ["circle", "xor", "gauss", "spiral", "moons", "plane", "multi_gaussian"]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def load_dataset(source: str, options: dict | None = None, *, seed: int = 0, base_dir: Path | None = None) -> Dataset:
    """A source's data from its keys (relative paths joined to ``base_dir``, as config loading does)."""
    entry = SOURCES[source]
    options = dict(options or {})
    for name in entry.path_fields:
        if options.get(name) is not None and base_dir is not None and not Path(options[name]).is_absolute():
            options[name] = str(Path(base_dir) / options[name])
    return entry.load(entry.params(**options), seed)


def load(source: str, **options) -> Dataset:
    seed = options.pop("seed", 0)
    return load_dataset(source, options, seed=seed)


def source_params(source: str, options: dict | None = None):
    return SOURCES[source].params(**(options or {}))


def data_problem(source: str, options: dict) -> str:
    """The message config loading gives for a data section with these keys."""
    import tempfile

    import yaml

    from nncli.config import load_config

    section = {"source": source, **options}
    config = {"data": section, "model": {"layers": [{"type": "Dense", "units": 1}]}, "training": {"loss": "mse"}}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        path.write_text(yaml.safe_dump(config))
        with pytest.raises(ConfigError) as caught:
            load_config(path)
    return str(caught.value)


def split(dataset, *, test_size=0.25, split_seed=0, stratify=False):
    return data.split(dataset, test_size=test_size, split_seed=split_seed, stratify=stratify)


def single_line(message: str) -> bool:
    return "\n" not in message and "Traceback" not in message


# --- registry and params ------------------------------------------------------------------------


def test_registry_holds_every_source():
    expected = set(BUNDLED) | set(PLAYGROUND) | {"lfw", "csv", "npz", "npy"}
    assert set(SOURCES.names()) == expected


@pytest.mark.parametrize("name", SOURCES.names())
def test_every_source_rejects_unknown_keys_with_a_suggestion(name):
    source = SOURCES[name]
    fields = list(source.params.model_fields)
    typo = (fields[0][:-1] + "x") if fields else "nosie"
    message = data_problem(name, {typo: 1})
    assert f"data.{typo}" in message and repr(name) in message
    if fields:
        assert repr(fields[0]) in message  # the closest valid key


def test_param_errors_name_the_key_and_the_value():
    assert re.search(r"data\.noise.*0\.9", data_problem("circle", {"noise": 0.9}))
    assert re.search(r"data\.path: missing required key 'path' for data source 'csv'", data_problem("csv", {}))
    assert re.search(r"data\.slice_", data_problem("lfw", {"slice_": [[195, 70], [78, 172]]}))


def test_unknown_source_suggests_the_closest_name():
    with pytest.raises(UnknownNameError, match="did you mean 'circle'"):
        SOURCES["circel"]


def test_importing_the_module_does_not_import_sklearn():
    code = "import sys, nncli.data; print('sklearn' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.strip() == "False"


# --- bundled sets -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BUNDLED))
def test_bundled_sets_load_with_their_shapes_and_names(name):
    task, n_samples, n_features, class_names = BUNDLED[name]
    dataset = load(name)
    assert dataset.X.shape == (n_samples, n_features) and dataset.X.dtype == np.float64
    assert dataset.y.shape == (n_samples,)
    assert dataset.task == task and SOURCES[name].task == task
    assert dataset.class_names == class_names
    assert SOURCES[name].n_features(source_params(name)) == n_features
    assert dataset.description
    if class_names:
        assert set(np.unique(dataset.y)) == set(range(len(class_names)))


# --- LFW ----------------------------------------------------------------------------------------


def test_lfw_feature_count_of_the_lecture_setup():
    assert SOURCES["lfw"].n_features(source_params("lfw")) == 713
    assert SOURCES["lfw"].n_features(source_params("lfw", {"color": True})) == 3 * 713


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"resize": 0.5},
        {"resize": 0.4, "color": True},
        {"resize": None, "slice_": [[100, 140], [90, 120]]},
        {"resize": 0.1, "slice_": None},
    ],
)
def test_lfw_feature_count_matches_what_the_loader_returns(fake_lfw: FakeLfw, options):
    options = {"data_home": str(fake_lfw.data_home), "download_if_missing": False, "min_faces_per_person": 0, **options}
    params = source_params("lfw", options)
    dataset = SOURCES["lfw"].load(params, 0)
    assert dataset.X.shape == (sum(fake_lfw.counts.values()), SOURCES["lfw"].n_features(params))


def test_lfw_loader_reads_a_fake_cache(fake_lfw: FakeLfw):
    dataset = load("lfw", data_home=str(fake_lfw.data_home), download_if_missing=False, min_faces_per_person=2)
    assert dataset.task == "classification"
    assert dataset.class_names == ["Ada Lovelace", "Alan Turing"]  # Grace Hopper has 1 picture
    assert dataset.X.shape == (7, 713)
    assert np.bincount(dataset.y).tolist() == [4, 3]
    for code, name in enumerate(dataset.class_names):  # labels stay with their images
        mean_pixel = dataset.X[dataset.y == code].mean()
        assert mean_pixel == pytest.approx(fake_lfw.gray_levels[name] / 255, abs=0.02)


def test_lfw_too_few_pictures_is_a_config_error(fake_lfw: FakeLfw):
    with pytest.raises(ConfigError, match="min_faces_per_person=5"):
        load("lfw", data_home=str(fake_lfw.data_home), download_if_missing=False, min_faces_per_person=5)


def test_lfw_relative_data_home_is_resolved_against_the_config_folder(fake_lfw: FakeLfw):
    base = fake_lfw.data_home.parent
    dataset = load_dataset(
        "lfw", {"data_home": fake_lfw.data_home.name, "download_if_missing": False, "min_faces_per_person": 3},
        base_dir=base,
    )
    assert dataset.class_names == ["Ada Lovelace", "Alan Turing"]


def test_lfw_lecture_data_from_the_shared_copy(shared_lfw_data_home: Path):
    dataset = load("lfw", data_home=str(shared_lfw_data_home), download_if_missing=False)
    assert dataset.X.shape == (766, 713)
    assert dataset.class_names == ["Colin Powell", "George W Bush"]
    assert np.bincount(dataset.y).tolist() == [236, 530]
    parts = split(dataset, test_size=0.25, split_seed=3)
    assert len(parts.y_test) == 192
    result = data.baseline(parts.y_test, "classification", class_names=dataset.class_names)
    assert result["class"] == "George W Bush" and result["accuracy"] == pytest.approx(0.651, abs=5e-4)
    assert data.baseline(dataset.y, "classification")["accuracy"] == pytest.approx(530 / 766)


def test_lfw_offline_without_cache_is_one_readable_error(tmp_path, no_network):
    data_home = tmp_path / "empty_home"
    with pytest.raises(DataUnavailableError) as caught:
        load("lfw", data_home=str(data_home), download_if_missing=True)
    message = str(caught.value)
    assert caught.value.exit_code == 1
    assert single_line(message)
    assert "could not be downloaded" in message
    assert str(data_home / "lfw_home") in message
    assert "data.data_home" in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_lfw_without_cache_and_downloads_off_says_so(tmp_path):
    with pytest.raises(DataUnavailableError) as caught:
        load("lfw", data_home=str(tmp_path), download_if_missing=False)
    message = str(caught.value)
    assert single_line(message)
    assert "download_if_missing is false" in message and str(tmp_path / "lfw_home") in message


def test_lfw_data_home_pointing_at_lfw_home_itself_gets_a_hint(fake_lfw: FakeLfw):
    wrong = fake_lfw.data_home / "lfw_home"
    with pytest.raises(DataUnavailableError) as caught:
        load("lfw", data_home=str(wrong), download_if_missing=False, min_faces_per_person=2)
    message = str(caught.value)
    assert single_line(message)
    assert f"set data.data_home={fake_lfw.data_home}" in message and "not lfw_home itself" in message


# --- playground ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PLAYGROUND)
def test_playground_sets_are_deterministic_for_a_seed(name):
    first, again, other = load(name, seed=7), load(name, seed=7), load(name, seed=8)
    np.testing.assert_array_equal(first.X, again.X)
    np.testing.assert_array_equal(first.y, again.y)
    assert not np.array_equal(first.X, other.X)


@pytest.mark.parametrize("name", PLAYGROUND)
@pytest.mark.parametrize("n_samples", [2, 101, 500])
def test_playground_sets_have_the_requested_shape(name, n_samples):
    dataset = load(name, n_samples=n_samples, noise=0.1)
    source = SOURCES[name]
    assert dataset.X.shape == (n_samples, 2) == (n_samples, source.n_features(source_params(name)))
    assert dataset.task == source.task
    if dataset.task == "classification":
        assert set(np.unique(dataset.y)) <= {0, 1} and dataset.class_names == ["0", "1"]
    else:
        assert dataset.y.dtype == np.float64 and dataset.y.shape == (n_samples,)


@pytest.mark.parametrize("name", ["circle", "gauss", "spiral", "moons"])
def test_playground_classes_are_balanced_without_noise(name):
    assert np.bincount(load(name, n_samples=400).y).tolist() == [200, 200]


def test_circle_classes_are_separated_by_the_radius():
    dataset = load("circle", n_samples=1000)
    radius = np.hypot(dataset.X[:, 0], dataset.X[:, 1])
    assert radius[dataset.y == 1].max() < 2.5
    assert 3.5 <= radius[dataset.y == 0].min() and radius.max() <= 5.0


def test_circle_noise_mislabels_some_points_near_the_border():
    dataset = load("circle", n_samples=2000, noise=0.5)
    radius = np.hypot(dataset.X[:, 0], dataset.X[:, 1])
    inside_by_radius = (radius < 2.5).astype(int)
    assert 0.05 < np.mean(inside_by_radius != dataset.y) < 0.5


def test_xor_labels_are_the_sign_of_the_product_with_padding():
    dataset = load("xor", n_samples=1000)
    np.testing.assert_array_equal(dataset.y, (dataset.X[:, 0] * dataset.X[:, 1] >= 0).astype(int))
    assert np.abs(dataset.X).min() >= 0.3 and np.abs(dataset.X).max() <= 5.3


@pytest.mark.parametrize("noise, variance", [(0.0, 0.5), (0.5, 4.0)])
def test_gauss_clusters_have_the_playground_centres_and_variance(noise, variance):
    dataset = load("gauss", n_samples=4000, noise=noise)
    for label, centre in [(1, 2.0), (0, -2.0)]:
        points = dataset.X[dataset.y == label]
        np.testing.assert_allclose(points.mean(axis=0), [centre, centre], atol=0.15)
        np.testing.assert_allclose(points.var(axis=0), [variance, variance], rtol=0.1)


def test_spiral_arms_are_point_reflections_of_each_other():
    dataset = load("spiral", n_samples=300)
    positive = dataset.X[dataset.y == 1]
    negative = dataset.X[dataset.y == 0]
    order = np.lexsort(positive.T)
    reflected = -negative[np.lexsort((-negative).T)]
    np.testing.assert_allclose(positive[order], reflected, atol=1e-9)
    assert np.hypot(*dataset.X.T).max() < 5.0


def test_plane_target_is_the_scaled_sum_of_the_coordinates():
    dataset = load("plane", n_samples=300)
    np.testing.assert_allclose(dataset.y, dataset.X.sum(axis=1) / 10)
    noisy = load("plane", n_samples=300, noise=0.3)
    assert not np.allclose(noisy.y, noisy.X.sum(axis=1) / 10)
    assert np.corrcoef(noisy.y, noisy.X.sum(axis=1))[0, 1] > 0.5


def _multi_gaussian_reference(x: float, y: float) -> float:
    """The playground's rule written point by point: the signed bump of largest magnitude."""
    bumps = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]
    label = 0.0
    for cx, cy, sign in bumps:
        distance = ((x - cx) ** 2 + (y - cy) ** 2) ** 0.5
        value = sign * min(1.0, max(0.0, 1 - distance / 2))
        if abs(value) > abs(label):
            label = value
    return label


def test_multi_gaussian_matches_the_playground_rule():
    dataset = load("multi_gaussian", n_samples=300, seed=3)
    expected = [_multi_gaussian_reference(x, y) for x, y in dataset.X]
    np.testing.assert_allclose(dataset.y, expected)
    assert dataset.y.min() < -0.5 and dataset.y.max() > 0.5


def test_extra_features_are_the_playground_ones():
    plain = load("circle", n_samples=50, seed=2)
    extra = load("circle", n_samples=50, seed=2, extra_features=True)
    x1, x2 = plain.X.T
    np.testing.assert_allclose(extra.X, np.column_stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)]))
    assert extra.feature_names == ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]
    assert SOURCES["circle"].n_features(source_params("circle", {"extra_features": True})) == 7


def test_circle_is_learnable_with_squares_but_not_linearly():
    from sklearn.linear_model import LogisticRegression

    plain = load("circle", n_samples=400, seed=1)
    extra = load("circle", n_samples=400, seed=1, extra_features=True)
    assert LogisticRegression().fit(plain.X, plain.y).score(plain.X, plain.y) < 0.75
    assert LogisticRegression(max_iter=1000).fit(extra.X, extra.y).score(extra.X, extra.y) > 0.97


# --- CSV ----------------------------------------------------------------------------------------


def test_the_shipped_iris_csv_loads_with_string_labels():
    dataset = load_dataset("csv", {"path": "data/iris.csv"}, base_dir=REPO / "configs")
    assert dataset.X.shape == (150, 4)
    assert dataset.feature_names == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert dataset.task == "classification" and dataset.class_names is None
    assert sorted(set(dataset.y)) == ["setosa", "versicolor", "virginica"]
    bundled = load("iris")
    np.testing.assert_array_equal(dataset.X, bundled.X)
    np.testing.assert_array_equal(dataset.y, np.array(bundled.class_names)[bundled.y])


def test_csv_without_header_uses_the_last_column_and_infers_classification(tmp_path):
    path = write(tmp_path / "d.csv", "1,2,0\n3,4,1\n5,6,1\n")
    dataset = load("csv", path=str(path))
    np.testing.assert_array_equal(dataset.X, [[1, 2], [3, 4], [5, 6]])
    assert dataset.y.dtype == np.int64 and dataset.y.tolist() == [0, 1, 1]
    assert dataset.task == "classification" and dataset.feature_names is None


def test_csv_target_by_name_index_and_negative_index(tmp_path):
    path = write(tmp_path / "d.csv", "label,a,b\nx,1,2\ny,3,4\n")
    by_name = load("csv", path=str(path), target="label")
    by_index = load("csv", path=str(path), target=0)
    by_negative = load("csv", path=str(path), target=-3)
    for dataset in (by_name, by_index, by_negative):
        np.testing.assert_array_equal(dataset.X, [[1, 2], [3, 4]])
        assert dataset.y.tolist() == ["x", "y"] and dataset.feature_names == ["a", "b"]


def test_csv_header_detection_can_be_overridden(tmp_path):
    path = write(tmp_path / "d.csv", "1,2,3\n4,5,6\n")
    assert load("csv", path=str(path)).X.shape == (2, 2)
    assert load("csv", path=str(path), header=True).X.shape == (1, 2)


def test_csv_delimiter_and_quoted_cells(tmp_path):
    path = write(tmp_path / "d.csv", 'a;b;kind\n1.5;2;"big one"\n\n3;4e2;small\n')
    dataset = load("csv", path=str(path), delimiter=";")
    np.testing.assert_array_equal(dataset.X, [[1.5, 2], [3, 400]])
    assert dataset.y.tolist() == ["big one", "small"]


def test_csv_task_inference(tmp_path):
    floats = write(tmp_path / "f.csv", "a,t\n1,0.5\n2,1.5\n3,2.25\n")
    assert load("csv", path=str(floats)).task == "regression"
    many_integers = write(tmp_path / "i.csv", "a,t\n" + "".join(f"{i},{i * 3}\n" for i in range(30)))
    assert load("csv", path=str(many_integers)).task == "regression"
    forced = load("csv", path=str(floats), task="classification")
    assert forced.task == "classification"
    text = write(tmp_path / "t.csv", "a,t\n1,x\n2,y\n")
    with pytest.raises(DataError, match="holds text .*'x'.* regression"):
        load("csv", path=str(text), task="regression")


@pytest.mark.parametrize(
    "content, pattern",
    [
        ("", r"is empty"),
        ("\n\n", r"is empty"),
        ("a,b,target\n", r"has a header \(line 1\) but no data rows"),
        ("a,b,target\n1,2,0\n3,4\n", r"line 3: expected 3 columns \(as in the header\), got 2"),
        ("1,2,0\n3,4,1,9\n", r"line 2: expected 3 columns \(as in line 1\), got 4"),
        # A text cell, an empty cell or NA in a feature column is no error any more: see test_columns.py.
        ("a,b,target\n1,inf,0\n", r"line 2, column 'b': 'inf' is not a finite number"),
        ("a,b,target\n1,2,0\n3,-inf,1\n4,5,1\n", r"line 3, column 'b': '-inf' is not a finite number"),
        ("a,b,target\n1,2,\n3,4,NA\n", r"no row is left to train on \(2 rows: the target 'target' is missing\)"),
        ("target\n1\n2\n", r"has only the target column"),
    ],
)
def test_csv_errors_are_one_clear_message(tmp_path, content, pattern):
    path = write(tmp_path / "bad.csv", content)
    with pytest.raises(DataError, match=pattern) as caught:
        load("csv", path=str(path))
    assert str(path) in str(caught.value) and single_line(str(caught.value))
    assert caught.value.exit_code == 2


def test_csv_missing_file_names_the_path(tmp_path):
    with pytest.raises(DataError, match=r"data file not found: .*nothere\.csv"):
        load("csv", path=str(tmp_path / "nothere.csv"))
    with pytest.raises(DataError, match="is a folder, not a file"):
        load("csv", path=str(tmp_path))


def test_csv_missing_target_column_lists_columns_and_the_closest(tmp_path):
    path = write(tmp_path / "d.csv", "sepal,petal,species\n1,2,a\n")
    with pytest.raises(DataError) as caught:
        load("csv", path=str(path), target="specie")
    message = str(caught.value)
    assert "no target column named 'specie'" in message
    assert "did you mean 'species'" in message and "sepal, petal, species" in message


def test_csv_target_index_and_name_errors(tmp_path):
    path = write(tmp_path / "d.csv", "1,2,0\n")
    with pytest.raises(DataError, match=r"index 5 is out of range; the file has 3 columns"):
        load("csv", path=str(path), target=5)
    with pytest.raises(DataError, match="no header row, so the target column cannot be named"):
        load("csv", path=str(path), target="label")


def test_csv_binary_file_is_refused(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x92")
    with pytest.raises(DataError, match="not UTF-8 text"):
        load("csv", path=str(path))


@settings(max_examples=25, deadline=None)
@given(
    X=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
                 elements=st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)),
    header=st.booleans(),
)
def test_csv_round_trips_numbers(X, header, tmp_path_factory):
    labels = np.arange(X.shape[0]) % 2
    lines = [",".join([f"f{j}" for j in range(X.shape[1])] + ["label"])] if header else []
    lines += [",".join([repr(float(v)) for v in row] + [str(label)]) for row, label in zip(X, labels)]
    path = write(tmp_path_factory.mktemp("csv") / "d.csv", "\n".join(lines) + "\n")
    dataset = load("csv", path=str(path), header=header)
    np.testing.assert_array_equal(dataset.X, X)
    np.testing.assert_array_equal(dataset.y, labels)


# --- npz / npy ----------------------------------------------------------------------------------


def test_npz_and_npy_sources(tmp_path):
    X = np.arange(12.0).reshape(4, 3)
    y = np.array(["a", "b", "a", "b"])
    np.savez(tmp_path / "d.npz", X=X, y=y)
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", np.array([0.5, 1.5, 2.5, 3.25]))
    from_npz = load("npz", path=str(tmp_path / "d.npz"))
    np.testing.assert_array_equal(from_npz.X, X)
    assert from_npz.y.tolist() == y.tolist() and from_npz.task == "classification"
    from_npy = load_dataset("npy", {"x_path": "x.npy", "y_path": "y.npy"}, base_dir=tmp_path)
    assert from_npy.task == "regression" and from_npy.y.dtype == np.float64


def test_npz_images_are_flattened_and_two_column_targets_are_regression(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.zeros((5, 4, 3)), y=np.ones((5, 2)) * [[0.5, 2.5]])
    dataset = load("npz", path=str(tmp_path / "d.npz"))
    assert dataset.X.shape == (5, 12) and dataset.task == "regression" and dataset.y.shape == (5, 2)


def test_npz_without_X_lists_the_keys(tmp_path):
    np.savez(tmp_path / "d.npz", features=np.zeros((2, 2)), y=np.zeros(2))
    with pytest.raises(DataError, match=r"has no array 'X' \(the features\); arrays found: 'features', 'y'"):
        load("npz", path=str(tmp_path / "d.npz"))


def test_pickled_object_arrays_are_refused(tmp_path):
    objects = np.array([{"a": 1}, None], dtype=object)
    np.savez(tmp_path / "d.npz", X=objects, y=np.zeros(2))
    with pytest.raises(DataError, match="holds pickled Python objects"):
        load("npz", path=str(tmp_path / "d.npz"))
    np.save(tmp_path / "x.npy", objects, allow_pickle=True)
    np.save(tmp_path / "y.npy", np.zeros(2))
    with pytest.raises(DataError, match="holds pickled Python objects"):
        load("npy", x_path=str(tmp_path / "x.npy"), y_path=str(tmp_path / "y.npy"))


@pytest.mark.parametrize(
    "arrays, pattern",
    [
        ({"X": np.zeros((3, 2)), "y": np.zeros(2)}, "the features have 3 rows but the labels have 2"),
        ({"X": np.zeros(3), "y": np.zeros(3)}, r"need shape \(n_samples, n_features\)"),
        ({"X": np.array([["a", "b"]]), "y": np.zeros(1)}, "features must be numbers"),
        ({"X": np.array([[1.0, np.nan]]), "y": np.zeros(1)}, "row 0, column 1: nan is not a finite number"),
        ({"X": np.zeros((0, 2)), "y": np.zeros(0)}, "has no samples"),
        ({"X": np.zeros((2, 2))}, "has no array 'y'"),
    ],
)
def test_npz_content_errors(tmp_path, arrays, pattern):
    np.savez(tmp_path / "d.npz", **arrays)
    with pytest.raises(DataError, match=pattern):
        load("npz", path=str(tmp_path / "d.npz"))


def test_npz_file_errors(tmp_path):
    with pytest.raises(DataError, match="data file not found"):
        load("npz", path=str(tmp_path / "missing.npz"))
    write(tmp_path / "empty.npz", "")
    with pytest.raises(DataError, match="is empty"):
        load("npz", path=str(tmp_path / "empty.npz"))
    write(tmp_path / "text.npz", "not an archive at all")
    with pytest.raises(DataError, match="cannot read .*text.npz"):
        load("npz", path=str(tmp_path / "text.npz"))


def test_relative_paths_count_from_the_config_file_or_from_the_current_folder(tmp_path, monkeypatch):
    from nncli.config import load_config

    configs, elsewhere = tmp_path / "configs", tmp_path / "shell"
    configs.mkdir()
    elsewhere.mkdir()
    path = configs / "x.yaml"
    path.write_text("data: {source: npy, x_path: x.npy, y_path: y.npy}\nmodel: {layers: [{type: Dense, units: 1}]}\n"
                    "training: {loss: mse}\n")
    monkeypatch.chdir(elsewhere)
    written = load_config(path)
    assert written.data.x_path == str(configs / "x.npy") and written.data.y_path == str(configs / "y.npy")
    typed = load_config(path, ["data.x_path=features.npy", f"data.y_path={tmp_path / 'abs.npy'}"])
    assert typed.data.x_path == str(elsewhere / "features.npy")  # the shell's convention
    assert typed.data.y_path == str(tmp_path / "abs.npy") and typed.data.params.y_path == typed.data.y_path


# --- splitting ----------------------------------------------------------------------------------


def test_split_sizes_and_determinism():
    dataset = load("iris")
    first = split(dataset, test_size=0.25, split_seed=3)
    again = split(dataset, test_size=0.25, split_seed=3)
    assert len(first.y_train) == 112 and len(first.y_test) == 38  # test part rounded up, as scikit-learn does
    np.testing.assert_array_equal(first.X_test, again.X_test)
    assert not np.array_equal(first.X_test, split(dataset, test_size=0.25, split_seed=4).X_test)


def test_stratified_split_keeps_class_proportions():
    dataset = load("breast_cancer")
    parts = split(dataset, test_size=0.2, split_seed=0, stratify=True)
    assert np.mean(parts.y_test) == pytest.approx(np.mean(dataset.y), abs=0.01)


def test_test_size_zero_keeps_every_sample_for_training():
    dataset = load("iris")
    parts = split(dataset, test_size=0, split_seed=1)
    assert parts.X_test is None and parts.y_test is None
    assert parts.X_train.shape == dataset.X.shape
    assert sorted(map(tuple, parts.X_train)) == sorted(map(tuple, dataset.X))
    assert not np.array_equal(parts.y_train, dataset.y)  # shuffled: iris is sorted by class


@pytest.mark.parametrize("test_size", [1.0, -0.1, 150, True, "half"])
def test_invalid_test_size_is_a_config_error(test_size):
    with pytest.raises(ConfigError, match="data.test_size"):
        split(load("iris"), test_size=test_size)


def test_split_errors():
    with pytest.raises(ConfigError, match="stratify"):
        split(load("diabetes"), stratify=True)
    tiny = Dataset(np.zeros((5, 1)), np.array([0, 0, 0, 0, 1]), "classification")
    with pytest.raises(DataError, match="cannot split 5 samples"):
        split(tiny, test_size=0.4, stratify=True)


# --- preprocessing ------------------------------------------------------------------------------


@pytest.fixture
def iris_parts():
    dataset = load("iris")
    return dataset, split(dataset, test_size=0.25, split_seed=3)


@pytest.mark.parametrize("scaler, reference", [("standard", "StandardScaler"), ("minmax", "MinMaxScaler")])
def test_scalers_fit_on_training_part_match_scikit_learn(iris_parts, scaler, reference):
    import sklearn.preprocessing

    dataset, parts = iris_parts
    pre = Preprocessor(scaler).fit(parts.X_train, parts.y_train, "classification", dataset.class_names)
    expected = getattr(sklearn.preprocessing, reference)().fit(parts.X_train)
    np.testing.assert_allclose(pre.transform_X(parts.X_test), expected.transform(parts.X_test), rtol=1e-12, atol=1e-12)
    if scaler == "standard":
        np.testing.assert_allclose(pre.transform_X(parts.X_train).mean(axis=0), 0, atol=1e-12)
        assert np.abs(pre.transform_X(parts.X_test).mean(axis=0)).max() > 1e-3  # not refit on the test part


def test_no_scaling_and_constant_features():
    X = np.array([[1.0, 5.0], [3.0, 5.0]])
    np.testing.assert_array_equal(Preprocessor("none").fit(X, [0, 1], "classification").transform_X(X), X)
    scaled = Preprocessor("standard").fit(X, [0, 1], "classification").transform_X(X)
    assert np.all(np.isfinite(scaled)) and np.all(scaled[:, 1] == 0)


def test_unknown_scaler_suggests_the_closest():
    with pytest.raises(UnknownNameError, match="did you mean 'standard'"):
        Preprocessor("standart")


def test_string_labels_are_sorted_classes():
    pre = Preprocessor("standard").fit(np.zeros((4, 1)), np.array(["virginica", "setosa", "versicolor", "setosa"]), "classification")
    assert pre.class_names == ["setosa", "versicolor", "virginica"] and pre.n_classes == 3
    indices = pre.encode_y(["versicolor", "setosa"])
    assert indices.tolist() == [1, 0] and indices.dtype == np.int64
    assert pre.decode(indices).tolist() == ["versicolor", "setosa"]
    with pytest.raises(DataError, match=r"unknown label 'setosaa' in row 1; did you mean 'setosa'"):
        pre.encode_y(["setosa", "setosaa"])


def test_named_class_codes_encode_codes_names_and_numbers_as_text():
    pre = Preprocessor("standard").fit(np.zeros((3, 1)), np.array([0, 2, 1]), "classification", ["malignant", "benign", "other"])
    assert pre.encode_y(np.array([2, 0])).tolist() == [2, 0]
    assert pre.encode_y(np.array(["benign", "malignant"])).tolist() == [1, 0]
    assert pre.encode_y(np.array(["2", "1"])).tolist() == [2, 1]
    assert pre.decode(np.array([1, 0])).tolist() == ["benign", "malignant"]
    assert pre.decode(np.array([1]), as_names=False).tolist() == [1]
    with pytest.raises(DataError, match="unknown label 7"):
        pre.encode_y(np.array([7]))


def test_integer_labels_without_names():
    pre = Preprocessor("standard").fit(np.zeros((4, 1)), np.array([7, 3, 7, 3]), "classification")
    assert pre.class_names == ["3", "7"]
    assert pre.encode_y(np.array([7, 3])).tolist() == [1, 0]
    assert pre.decode(np.array([1, 0]), as_names=False).tolist() == [7, 3]


def test_regression_targets_become_columns():
    pre = Preprocessor("standard").fit(np.zeros((3, 1)), np.array([1.0, 2.0, 3.0]), "regression")
    assert pre.n_targets == 1 and pre.n_outputs == 1
    assert pre.encode_y(np.array([4, 5])).shape == (2, 1)
    with pytest.raises(ShapeError, match="expected 1 target column"):
        pre.encode_y(np.zeros((2, 2)))


def test_check_features_message():
    with pytest.raises(ShapeError, match=r"^expected 713 columns \(features\), got 712$"):
        check_features(np.zeros((3, 712)), 713)
    pre = Preprocessor("standard").fit(np.zeros((2, 3)), [0, 1], "classification")
    with pytest.raises(ShapeError, match="expected 3 columns"):
        pre.transform_X(np.zeros((2, 4)))


@pytest.mark.parametrize("scaler", ["standard", "minmax", "none"])
@pytest.mark.parametrize("source", ["iris", "diabetes", "csv"])
def test_preprocessor_round_trips_through_an_npz_without_pickle(tmp_path, scaler, source):
    dataset = load_dataset("csv", {"path": str(REPO / "configs/data/iris.csv")}) if source == "csv" else load(source)
    parts = split(dataset, split_seed=0)
    pre = Preprocessor(scaler).fit(parts.X_train, parts.y_train, dataset.task, dataset.class_names, dataset.feature_names)
    arrays = pre.to_arrays()
    assert all(key.startswith("pre_") for key in arrays)
    assert all(value.dtype.kind in "biufU" for value in arrays.values())
    np.savez(tmp_path / "model.npz", weights=np.ones(3), **arrays)
    with np.load(tmp_path / "model.npz", allow_pickle=False) as saved:
        restored = Preprocessor.from_arrays(saved)
    np.testing.assert_array_equal(restored.transform_X(parts.X_test), pre.transform_X(parts.X_test))
    np.testing.assert_array_equal(restored.encode_y(parts.y_test), pre.encode_y(parts.y_test))
    assert restored.class_names == pre.class_names and restored.feature_names == pre.feature_names
    if dataset.task == "classification":
        indices = pre.encode_y(parts.y_test)
        np.testing.assert_array_equal(restored.decode(indices), pre.decode(indices))


def test_from_arrays_without_state_is_a_run_dir_error():
    with pytest.raises(RunDirError, match="no preprocessing state"):
        Preprocessor.from_arrays({"weights": np.ones(2)})


def test_unfitted_preprocessor_says_so():
    with pytest.raises(UsageError, match="not fitted"):
        Preprocessor("standard").transform_X(np.zeros((1, 1)))


# --- inputs for predict / evaluate --------------------------------------------------------------


def test_read_inputs_from_csv_with_and_without_header(tmp_path):
    with_header = write(tmp_path / "a.csv", "a,b\n1,2\n3,4\n")
    without = write(tmp_path / "b.csv", "1,2\n3,4\n")
    for path in (with_header, without):
        np.testing.assert_array_equal(data.read_features(path, data.Request(2)), [[1, 2], [3, 4]])


def test_read_inputs_from_stdin_npy_and_npz(tmp_path):
    np.testing.assert_array_equal(data.read_features("-", data.Request(2), io.StringIO("1,2\n3,4\n")), [[1, 2], [3, 4]])
    np.save(tmp_path / "x.npy", np.ones((2, 3), dtype=np.float32))
    assert data.read_features(tmp_path / "x.npy", data.Request(3)).dtype == np.float64
    np.savez(tmp_path / "x.npz", X=np.ones((2, 3)))
    assert data.read_features(str(tmp_path / "x.npz"), data.Request(3)).shape == (2, 3)
    with pytest.raises(UsageError, match="text stream"):
        data.read_features("-", data.Request(2))


def test_read_inputs_selects_training_columns_by_name():
    csv_text = "species,petal,sepal\nsetosa,1,2\n"
    X = data.read_features("-", data.Request(2, ["sepal", "petal"]), io.StringIO(csv_text))
    np.testing.assert_array_equal(X, [[2, 1]])


@pytest.mark.parametrize(
    "content, error, pattern",
    [
        ("", DataError, "is empty"),
        ("1,2,3\n", ShapeError, r"expected 2 columns \(features\), got 3 \(does the input still contain the target"),
        ("1\n", ShapeError, r"expected 2 columns \(features\), got 1"),
        ("a,b\n1,2\nx,4\n", DataError, r"line 3, column 'a': 'x' is not a number"),
        ("1,2\n5,-inf\n", DataError, r"line 2, column 1: '-inf' is not a finite number"),
        ("1,2\n3\n", DataError, r"line 2: expected 2 columns"),
    ],
)
def test_read_inputs_errors(tmp_path, content, error, pattern):
    path = write(tmp_path / "in.csv", content)
    with pytest.raises(error, match=pattern):
        data.read_features(path, data.Request(2))


def test_read_inputs_refuses_object_arrays_and_wrong_widths(tmp_path):
    np.save(tmp_path / "o.npy", np.array([[1, None]], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="holds pickled Python objects"):
        data.read_features(tmp_path / "o.npy", data.Request(2))
    np.save(tmp_path / "w.npy", np.zeros((2, 5)))
    with pytest.raises(ShapeError, match=r"expected 4 columns \(features\), got 5"):
        data.read_features(tmp_path / "w.npy", data.Request(4))
    with pytest.raises(DataError, match="data file not found"):
        data.read_features(tmp_path / "nope.csv", data.Request(4))


def test_read_labeled_csv_and_npz(tmp_path):
    X, y = data.read_labeled(REPO / "configs/data/iris.csv", data.Request(4, target="species"))
    assert X.shape == (150, 4) and y[0] == "setosa"
    np.savez(tmp_path / "d.npz", X=np.zeros((2, 4)), y=np.array([0, 1]))
    X, y = data.read_labeled(tmp_path / "d.npz", data.Request(4, target=None))
    assert y.tolist() == [0, 1]
    with pytest.raises(ShapeError, match="expected 3 columns"):
        data.read_labeled(REPO / "configs/data/iris.csv", data.Request(3, target="species"))
    with pytest.raises(UsageError, match="holds no labels"):
        data.read_labeled(tmp_path / "x.npy", data.Request(4, target=None))


def test_read_labeled_picks_training_columns_by_name(tmp_path):
    path = write(tmp_path / "d.csv", "id,b,label,a\nx1,2,yes,1\nx2,4,no,3\n")
    X, y = data.read_labeled(path, data.Request(2, ["a", "b"], "label"))
    np.testing.assert_array_equal(X, [[1, 2], [3, 4]])
    assert y.tolist() == ["yes", "no"]
    with pytest.raises(DataError, match="column 'id': 'x1' is not a number"):
        data.read_labeled(path, data.Request(2, target="label"))


# --- baseline -----------------------------------------------------------------------------------


def test_majority_class_baseline():
    y = np.array([1] * 125 + [0] * 67)
    result = data.baseline(y, "classification", class_names=["Colin Powell", "George W Bush"])
    assert result == {"kind": "majority_class", "accuracy": pytest.approx(125 / 192), "class": "George W Bush"}
    assert data.baseline(np.array(["b", "a", "b"]), "classification")["class"] == "b"
    assert data.baseline(one_hot(np.array([2, 2, 0]), 3), "classification")["accuracy"] == pytest.approx(2 / 3)


def test_mean_predictor_baseline():
    y_test = np.array([1.0, 2.0, 3.0])
    result = data.baseline(y_test, "regression")
    assert result["kind"] == "mean_predictor"
    assert result["mse"] == pytest.approx(np.var(y_test)) and result["mae"] == pytest.approx(2 / 3)
    from_train = data.baseline(y_test, "regression", y_train=np.array([0.0, 0.0]))
    assert from_train["mse"] == pytest.approx(14 / 3) and from_train["mae"] == pytest.approx(2.0)


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.int64, st.integers(1, 50), elements=st.integers(0, 4)))
def test_majority_baseline_is_never_below_any_other_constant_guess(y):
    accuracy = data.baseline(y, "classification")["accuracy"]
    assert all(accuracy >= np.mean(y == label) for label in range(5))
