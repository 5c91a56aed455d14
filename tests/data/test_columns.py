"""Real tables: column roles, gaps, categories, everything fitted on the training part, and the
saved state read back (nncli.data.columns, encoding, report; the csv source's keys)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nncli import data
from nncli.data import SOURCES, Frame, Preprocessor, tables
from nncli.data.columns import NA_VALUES
from nncli.data.preprocessing import PREPROCESSOR_FORMAT
from nncli.errors import ConfigError, DataError, NncliError, RunDirError, ShapeError, UsageError

REPO = Path(__file__).resolve().parents[2]
PENGUINS = REPO / "configs" / "data" / "penguins.csv"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def load(path: Path, **options) -> data.Dataset:
    entry = SOURCES["csv"]
    return entry.load(entry.params(path=str(path), **options), 0)


def fitted(dataset: data.Dataset, rows=None) -> Preprocessor:
    X = dataset.X if rows is None else dataset.X[rows]
    y = dataset.y if rows is None else dataset.y[rows]
    return Preprocessor("none").fit(X, y, dataset.task, None, dataset.feature_names)


def table(n: int = 30) -> str:
    """A small mixed table: a numeric column, a text column, a numeric-looking code, the target."""
    rng = np.random.RandomState(0)
    lines = ["size,colour,code,label"]
    for i in range(n):
        lines.append(f"{rng.uniform(0, 10):.3f},{['red', 'green', 'blue'][i % 3]},{i % 4:03d},{'yn'[i % 2]}")
    return "\n".join(lines) + "\n"


# --- roles ---------------------------------------------------------------------------------------


def test_text_columns_are_categorical_and_numbers_numeric(tmp_path):
    dataset = load(write(tmp_path / "t.csv", table()), target="label")
    assert isinstance(dataset.X, Frame)
    assert dataset.X.names == ["size", "colour", "code"]
    assert dataset.X.kinds == ["numeric", "categorical", "numeric"]
    report = dataset.X.report
    assert report.numeric == ["size", "code"] and report.categorical == ["colour"]
    pre = fitted(dataset)
    assert pre.table.output_names == ["size", "colour=blue", "colour=green", "colour=red", "code"]
    assert pre.n_features == 5
    X = pre.transform_X(dataset.X)
    np.testing.assert_array_equal(X[:3, 1:4], [[0, 0, 1], [0, 1, 0], [1, 0, 0]])


def test_a_numeric_looking_column_is_categorical_when_named(tmp_path):
    dataset = load(write(tmp_path / "t.csv", table()), target="label", categorical=["code"])
    assert dataset.X.kinds == ["numeric", "categorical", "categorical"]
    pre = fitted(dataset)
    # The cells' own text is the category, leading zeros and all.
    assert [n for n in pre.table.output_names if n.startswith("code=")] == ["code=000", "code=001", "code=002",
                                                                           "code=003"]
    assert pre.report.why_categorical["code"] == "named in data.categorical"


def test_a_mostly_numeric_column_with_a_word_is_categorical_and_the_report_names_the_word(tmp_path):
    text = "a,b,label\n" + "".join(f"{i},{i % 5},{i % 2}\n" for i in range(20)) + "3,unknown,1\n"
    dataset = load(write(tmp_path / "t.csv", text), target="label")
    assert dataset.X.kinds == ["numeric", "categorical"]
    why = dataset.X.report.why_categorical["b"]
    assert "'unknown' (line 22) is not a number" in why and "data.na_values" in why
    # Said that way, it is a gap and the column stays numeric.
    dataset = load(write(tmp_path / "t.csv", text), target="label", na_values=["unknown"])
    assert dataset.X.kinds == ["numeric", "numeric"]


def test_identifier_and_free_text_columns_are_left_out_with_a_reason(tmp_path):
    lines = ["id,comment,x,label"] + [f"P{i:04d},note number {i},{i % 7},{i % 2}" for i in range(40)]
    path = write(tmp_path / "t.csv", "\n".join(lines) + "\n")
    dataset = load(path, target="label")
    assert dataset.X.names == ["x"]
    dropped = dict(dataset.X.report.dropped)
    assert set(dropped) == {"id", "comment"}
    assert "40 distinct values in 40 rows" in dropped["id"] and "data.categorical" in dropped["id"]
    assert any("left out: id (looks like an identifier" in line for line in fitted(dataset).report.lines())
    kept = load(path, target="label", categorical=["id"])
    assert kept.X.names == ["id", "x"] and fitted(kept).n_features == 41


def test_few_distinct_values_are_never_an_identifier(tmp_path):
    # 20 distinct values at most, or at most half the rows distinct: a category, not an identifier.
    lines = ["city,label"] + [f"c{i % 20},{i % 2}" for i in range(30)]
    assert load(write(tmp_path / "a.csv", "\n".join(lines) + "\n"), target="label").X.names == ["city"]
    lines = ["city,label"] + [f"c{i % 30},{i % 2}" for i in range(60)]
    assert load(write(tmp_path / "b.csv", "\n".join(lines) + "\n"), target="label").X.names == ["city"]


def test_features_and_drop_choose_the_inputs(tmp_path):
    path = write(tmp_path / "t.csv", table())
    assert load(path, target="label", features=["code", "size"]).X.names == ["code", "size"]
    assert load(path, target="label", features=[2, 0]).X.names == ["code", "size"]
    dataset = load(path, target="label", drop=["colour"])
    assert dataset.X.names == ["size", "code"]
    assert dataset.X.report.dropped == [["colour", "named in data.drop"]]
    with pytest.raises(DataError, match=r"no feature column named 'sise'; did you mean 'size'\?"):
        load(path, target="label", features=["sise"])
    with pytest.raises(DataError, match="data.features names the target column 'label'"):
        load(path, target="label", features=["size", "label"])
    with pytest.raises(DataError, match="data.categorical names column 'size', which is not an input"):
        load(path, target="label", drop=["size"], categorical=["size"])


@pytest.mark.parametrize("keys, pattern", [
    ({"features": ["a"], "drop": ["b"]}, "features .* or drop .* not both"),
    ({"features": []}, "leaves no input"),
    ({"max_categories": 1}, "greater than or equal to 2"),
    ({"missing": "fill"}, "'impute' or 'drop'"),
])
def test_bad_table_keys_are_config_errors_with_the_key(tmp_path, keys, pattern):
    from nncli.config import load_config

    config = {"data": {"source": "csv", "path": "t.csv", **keys},
              "model": {"layers": [{"type": "Dense", "units": 1, "activation": "sigmoid"}]},
              "training": {"loss": "binary_crossentropy"}}
    import yaml

    path = write(tmp_path / "c.yaml", yaml.safe_dump(config))
    with pytest.raises(ConfigError, match=pattern) as caught:
        load_config(path)
    assert caught.value.exit_code == 2


def test_a_repeated_header_name_is_refused(tmp_path):
    with pytest.raises(DataError, match="names column 'a' twice"):
        load(write(tmp_path / "t.csv", "a,a,label\n1,2,0\n"), target="label")


def test_headerless_tables_name_columns_by_position(tmp_path):
    dataset = load(write(tmp_path / "t.csv", "1,red,0\n2,blue,1\n3,red,1\n"))
    assert dataset.X.names == ["0", "1"] and dataset.feature_names is None
    pre = fitted(dataset)
    X = pre.transform_X(data.read_features("-", pre.request(), io.StringIO("5,blue\n")))
    np.testing.assert_array_equal(X, [[5, 1, 0]])


# --- gaps ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["", *NA_VALUES])
def test_every_default_marker_is_a_gap(tmp_path, marker):
    text = f"x,colour,label\n1,red,0\n{marker},{marker},1\n3,blue,1\n5,red,0\n"
    frame = load(write(tmp_path / "t.csv", text), target="label").X
    assert frame.kinds == ["numeric", "categorical"]
    assert np.isnan(frame.columns[0][1]) and frame.columns[1].codes[1] == -1


def test_na_values_replace_the_markers_but_an_empty_cell_stays_a_gap(tmp_path):
    text = "x,colour,label\n1,red,0\n-999,NA,1\n,blue,1\n"
    frame = load(write(tmp_path / "t.csv", text), target="label", na_values=["-999"]).X
    assert np.isnan(frame.columns[0][1]) and np.isnan(frame.columns[0][2])
    assert frame.columns[1].levels[frame.columns[1].codes[1]] == "NA"  # a category now


def test_impute_fills_with_the_training_median_and_most_frequent_value(tmp_path):
    text = "x,colour,label\n1,red,0\n,blue,1\n3,,1\n10,red,0\n4,blue,0\n2,red,1\n"
    dataset = load(write(tmp_path / "t.csv", text), target="label")
    pre = fitted(dataset)
    assert pre.table.fill_values() == {"x": 3.0, "colour": "red"}
    X = pre.transform_X(dataset.X)
    np.testing.assert_array_equal(X[1], [3, 1, 0])  # x imputed, colour given
    np.testing.assert_array_equal(X[2], [3, 0, 1])  # colour imputed
    lines = "\n".join(pre.report.lines())
    assert "gaps: 2 cells in 2 columns (x 1, colour 1)" in lines and "x 3, colour 'red'" in lines


def test_missing_indicator_adds_a_column_per_numeric_column_with_gaps(tmp_path):
    text = "x,y,colour,label\n1,5,red,0\n,6,blue,1\n3,7,,1\n4,8,red,0\n"
    dataset = load(write(tmp_path / "t.csv", text), target="label", missing_indicator=True)
    pre = fitted(dataset)
    assert pre.table.indicators == ["x"]  # y had no gaps; categorical columns get none
    assert pre.table.output_names[-1] == "x (missing)"
    np.testing.assert_array_equal(pre.transform_X(dataset.X)[:, -1], [0, 1, 0, 0])


def test_drop_mode_drops_rows_with_a_gap_in_an_input_and_says_how_many(tmp_path):
    text = "x,colour,unused,label\n1,red,,0\n,blue,a,1\n3,,b,1\n4,red,c,0\n5,blue,d,1\n"
    dataset = load(write(tmp_path / "t.csv", text), target="label", missing="drop", drop=["unused"])
    assert len(dataset.X) == 3 and dataset.y.tolist() == [0, 0, 1]
    assert dataset.X.report.rows_dropped == [[2, "a gap in an input column (data.missing: drop)"]]
    pre = fitted(dataset)
    assert pre.table.medians is None and pre.table.fill_values() == {}
    with pytest.raises(UsageError, match=r"standard input line 3, column 'x' is a gap, and the run was trained with "
                                         r"data.missing: drop"):
        pre.transform_X(data.read_features("-", pre.request(), io.StringIO("x,colour\n1,red\n,blue\n")))


@pytest.mark.parametrize("missing", ["impute", "drop"])
def test_a_missing_target_drops_the_row_with_a_notice_in_every_mode(tmp_path, missing):
    text = "x,label\n1,a\n2,\n3,b\n4,NA\n5,a\n"
    dataset = load(write(tmp_path / "t.csv", text), target="label", missing=missing)
    assert dataset.y.tolist() == ["a", "b", "a"] and dataset.X.columns[0].tolist() == [1, 3, 5]
    report = fitted(dataset).report
    assert report.rows_dropped == [[2, "the target 'label' is missing"]]
    assert "  rows left out: 2 (the target 'label' is missing)" in report.lines()


def test_a_column_of_gaps_only_is_left_out(tmp_path):
    dataset = load(write(tmp_path / "t.csv", "x,empty,label\n1,,0\n2,NA,1\n"), target="label")
    assert dataset.X.names == ["x"] and ["empty", "no values (every cell is a gap)"] in dataset.X.report.dropped


# --- categories ----------------------------------------------------------------------------------


def test_an_unseen_category_is_zeros_with_one_notice_per_column(tmp_path):
    dataset = load(write(tmp_path / "t.csv", table()), target="label")
    pre = fitted(dataset)
    rows = "size,colour,code\n1,purple,1\n2,purple,2\n3,red,3\n4,pink,\n"
    frame = data.read_features("-", pre.request(), io.StringIO(rows))
    notices: list[str] = []
    X = pre.transform_X(frame, notices)
    np.testing.assert_array_equal(X[:, 1:4], [[0, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 0]])
    assert len(notices) == 1
    assert re.search(r"column 'colour': 'purple' \(2 rows, first on line 2\), 'pink' \(line 5\) never seen in "
                     r"training: encoded as all zeros", notices[0])
    with pytest.warns(UserWarning, match="'purple'"):
        pre.transform_X(frame)


def test_max_categories_folds_the_rare_ones_into_other(tmp_path):
    colours = ["red"] * 10 + ["blue"] * 6 + ["green"] * 2 + ["pink"] + ["grey"]
    text = "x,colour,label\n" + "".join(f"{i},{c},{i % 2}\n" for i, c in enumerate(colours))
    dataset = load(write(tmp_path / "t.csv", text), target="label", max_categories=3)
    pre = fitted(dataset)
    assert pre.table.output_names == ["x", "colour=blue", "colour=red", "colour=(other)"]
    assert sorted(pre.table.other[0].tolist()) == ["green", "grey", "pink"]
    notices: list[str] = []
    X = pre.transform_X({"x": [1, 2, 3], "colour": ["pink", "red", "mauve"]}, notices)
    np.testing.assert_array_equal(X[:, 1:], [[0, 0, 1], [0, 1, 0], [0, 0, 0]])
    assert len(notices) == 1 and "'mauve'" in notices[0]
    assert "colour (2 categories + other for 3 rare)" in "\n".join(pre.report.lines())


# --- fitted on the training part only ------------------------------------------------------------


def test_nothing_of_the_test_part_leaks_into_the_fitted_state(tmp_path):
    lines = ["x,colour,label"] + [f"{i},{['red', 'blue'][i % 2]},{i % 2}" for i in range(40)]
    path = write(tmp_path / "t.csv", "\n".join(lines) + "\n")
    split_once = data.split(load(path, target="label"), test_size=0.25, split_seed=0, stratify=False)
    test_lines = set(split_once.X_test.lines.tolist())
    # Only the test part holds the colour 'gold' and the huge values of x; a training row has a gap.
    train_line = int(split_once.X_train.lines[0])
    rows = path.read_text().splitlines()
    for line in test_lines:
        rows[line - 1] = f"{1e6 + line},gold,{line % 2}"
    rows[train_line - 1] = f"NA,red,{train_line % 2}"
    path.write_text("\n".join(rows) + "\n")
    parts = data.split(load(path, target="label"), test_size=0.25, split_seed=0, stratify=False)
    assert set(parts.X_test.lines.tolist()) == test_lines
    pre = Preprocessor("standard").fit(parts.X_train, parts.y_train, "classification")
    train_x = parts.X_train.columns[0]
    assert pre.table.medians[0] == np.nanmedian(train_x) < 1e6
    assert "gold" not in pre.table.categories[0].tolist()
    imputed = np.where(np.isnan(train_x), np.nanmedian(train_x), train_x)
    assert pre.scaler_state["mean"][0] == pytest.approx(imputed.mean())
    notices: list[str] = []
    encoded = pre.table.transform(parts.X_test, notices)  # before scaling
    assert np.all(encoded[:, 1:] == 0) and "'gold'" in notices[0]


# --- raw rows at predict / evaluate time ---------------------------------------------------------


def test_a_column_missing_at_predict_time_is_an_error_naming_it(tmp_path):
    pre = fitted(load(write(tmp_path / "t.csv", table()), target="label"))
    with pytest.raises(DataError, match=r"has no column 'colour', which the run takes as an input"):
        data.read_features("-", pre.request(), io.StringIO("size,code\n1,2\n"))
    with pytest.raises(DataError, match=r"the rows have no column 'code'"):
        pre.transform_X({"size": [1], "colour": ["red"]})
    with pytest.raises(ShapeError, match=r"expected 3 input columns \(size, colour, code\), got 2"):
        data.read_features("-", pre.request(), io.StringIO("1,2\n"))


def test_predict_rows_take_columns_by_name_in_any_order_with_extra_columns(tmp_path):
    dataset = load(write(tmp_path / "t.csv", table()), target="label")
    pre = fitted(dataset)
    expected = pre.transform_X(dataset.X[[0, 1]])
    size, code = dataset.X.columns[0], dataset.X.columns[2]
    text = "label,code,extra,colour,size\n" + "\n".join(
        f"y,{int(code[i])},zzz,{['red', 'green'][i]},{float(size[i])!r}" for i in (0, 1))
    np.testing.assert_array_equal(pre.transform_X(data.read_features("-", pre.request(), io.StringIO(text))), expected)


def test_a_text_cell_in_a_numeric_column_at_predict_time_names_line_and_column(tmp_path):
    pre = fitted(load(write(tmp_path / "t.csv", table()), target="label"))
    with pytest.raises(DataError, match=r"line 3, column 'size': 'big' is not a number \(a number or a gap"):
        data.read_features("-", pre.request(), io.StringIO("size,colour,code\n1,red,2\nbig,red,2\n"))


def test_evaluate_rows_drop_a_missing_target_with_a_notice(tmp_path):
    pre = fitted(load(write(tmp_path / "t.csv", table()), target="label"))
    text = "size,colour,code,label\n1,red,1,y\n2,blue,2,\n3,,3,n\n"
    X, y = data.read_labeled(write(tmp_path / "e.csv", text), pre.request("label"))
    assert y.tolist() == ["y", "n"] and len(X) == 2
    assert X.notices == [f"note: {tmp_path / 'e.csv'}: 1 rows left out: their target is missing"]


def test_rows_from_python_mapping_array_or_frame_encode_alike(tmp_path):
    dataset = load(write(tmp_path / "t.csv", table()), target="label")
    pre = fitted(dataset)
    frame = dataset.X[[0, 1, 2]]
    expected = pre.transform_X(frame)
    mapping = {"size": frame.columns[0].tolist(), "colour": frame.columns[1].values().tolist(),
               "code": frame.columns[2].tolist()}
    rows = [[mapping[name][i] for name in ("size", "colour", "code")] for i in range(3)]
    np.testing.assert_array_equal(pre.transform_X(mapping), expected)
    np.testing.assert_array_equal(pre.transform_X(rows), expected)
    np.testing.assert_array_equal(pre.transform_X(np.array(rows, dtype=object)), expected)
    gaps = pre.transform_X({"size": [None, float("nan"), "NA"], "colour": [None, "", "?"], "code": [1, 2, 3]})
    np.testing.assert_array_equal(gaps[:, 0], [pre.table.medians[0]] * 3)


# --- saving --------------------------------------------------------------------------------------


def test_the_fitted_state_round_trips_as_plain_arrays(tmp_path):
    dataset = load(PENGUINS, target="species", missing_indicator=True, max_categories=2)
    pre = Preprocessor("standard").fit(dataset.X, dataset.y, dataset.task, None, dataset.feature_names)
    arrays = pre.to_arrays()
    assert int(arrays["pre_format"]) == PREPROCESSOR_FORMAT == 2
    assert all(not value.dtype.hasobject for value in arrays.values())
    np.savez(tmp_path / "m.npz", **arrays)
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        back = Preprocessor.from_arrays(dict(archive))
    np.testing.assert_array_equal(back.transform_X(dataset.X), pre.transform_X(dataset.X))
    assert back.report == pre.report and back.table.output_names == pre.table.output_names
    assert back.encoding_steps == pre.encoding_steps != []


def test_a_format_1_state_still_reads():
    X = np.arange(12.0).reshape(6, 2)
    arrays = Preprocessor("standard").fit(X, np.arange(6) % 2, "classification").to_arrays()
    arrays["pre_format"] = np.array(1)
    old = Preprocessor.from_arrays(arrays)
    assert old.table is None and old.encoding_steps == [] and old.report is None
    np.testing.assert_array_equal(old.transform_X(X), Preprocessor.from_arrays(arrays).transform_X(X))


@pytest.mark.parametrize("damage", [
    lambda a: a.pop("pre_table_kinds"),
    lambda a: a.update(pre_table_kinds=np.array(["numeric"] * 7)),
    lambda a: a.update(pre_table_medians=np.zeros(2)),
    lambda a: a.update(pre_table_categories_000=np.arange(3)),
    lambda a: a.update(pre_table_report=np.array("[1, 2")),
    lambda a: a.update(pre_table_most_frequent=np.array(["Atlantis", "male"])),
])
def test_a_damaged_saved_state_is_a_run_dir_error(damage):
    dataset = load(PENGUINS, target="species")
    arrays = Preprocessor("standard").fit(dataset.X, dataset.y, dataset.task).to_arrays()
    damage(arrays)
    with pytest.raises(RunDirError):
        Preprocessor.from_arrays(arrays)


def test_encoding_steps_name_what_a_scaler_only_export_cannot_do(tmp_path):
    penguins = load(PENGUINS, target="species")
    assert fitted(penguins).encoding_steps == ["one-hot encoding of the categorical columns island, sex"]
    iris = load(REPO / "configs" / "data" / "iris.csv", target="species")
    assert fitted(iris).encoding_steps == []


# --- the reader ----------------------------------------------------------------------------------


def test_text_after_the_first_chunk_is_read_again_as_text(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "CHUNK_CELLS", 12)  # 4 rows of 3 cells
    text = "x,code,label\n" + "".join(f"{i},{i % 3}.50,{i % 2}\n" for i in range(10)) + "10,n/a,0\n"
    frame = load(write(tmp_path / "t.csv", text), target="label").X
    assert frame.kinds == ["numeric", "categorical"]
    assert set(frame.columns[1].levels) == {"0.50", "1.50", "2.50", "n/a"}  # the cells' text, not 0.5
    np.testing.assert_array_equal(frame.columns[0], np.arange(11))


def test_the_penguins_table_and_its_report(monkeypatch):
    monkeypatch.chdir(REPO)  # the report shows a file under the current folder by its relative path
    dataset = load(PENGUINS, target="species")
    assert dataset.task == "classification" and len(dataset.y) == 344
    report = fitted(dataset).report
    assert report.numeric == ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year"]
    assert report.categorical == ["island", "sex"] and report.categories == {"island": 3, "sex": 2}
    assert sum(report.gaps.values()) == 19 and report.gaps["sex"] == 11
    assert report.n_inputs == 10
    assert report.lines()[0] == "columns of configs/data/penguins.csv: 344 rows, target 'species'"


# --- random tables -------------------------------------------------------------------------------

CELL = st.one_of(st.sampled_from(["", "NA", "?", "red", "blue", "x y", "0", "1.5", "-2", "1e3", "nan", "inf"]),
                 st.floats(-1e6, 1e6, allow_nan=False).map(repr), st.text("abc ,\"\n", max_size=4))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n_rows=st.integers(1, 12), n_columns=st.integers(1, 4), cells=st.data(),
       missing=st.sampled_from(["impute", "drop"]), indicator=st.booleans(),
       max_categories=st.sampled_from([None, 2, 3]))
def test_random_tables_train_or_fail_with_an_nncli_error(tmp_path, n_rows, n_columns, cells, missing, indicator,
                                                         max_categories):
    import csv

    rows = [[cells.draw(CELL) for _ in range(n_columns)] + [cells.draw(st.sampled_from(["a", "b", "", "NA"]))]
            for _ in range(n_rows)]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[f"c{j}" for j in range(n_columns)] + ["label"], *rows])
    path = write(tmp_path / "random.csv", buffer.getvalue())
    try:
        dataset = load(path, target="label", missing=missing, missing_indicator=indicator,
                       max_categories=max_categories)
        parts = data.split(dataset, test_size=0.0, split_seed=0, stratify=False)
        pre = Preprocessor("standard").fit(parts.X_train, parts.y_train, dataset.task, None, dataset.feature_names)
        X = pre.transform_X(parts.X_train, [])
    except NncliError:
        return
    assert X.shape == (len(dataset.y), pre.n_features) and np.isfinite(X).all()
    back = Preprocessor.from_arrays(pre.to_arrays())
    np.testing.assert_array_equal(back.transform_X(parts.X_train, []), X)


# --- docs ----------------------------------------------------------------------------------------

def test_every_source_key_has_a_description_for_the_readme_table():
    """The README's config table (tests/test_readme.py) shows these descriptions."""
    from nncli.data import SOURCES

    for name in SOURCES.names():
        for key, info in SOURCES[name].params.model_fields.items():
            assert info.description, f"data.{key} of the {name} source needs a description"


def test_a_table_run_reads_npy_rows_of_its_raw_input_columns(tmp_path):
    text = "x,y,label\n1,5,0\n,6,1\n3,7,1\n4,8,0\n"
    dataset = load(write(tmp_path / "t.csv", text), target="label", missing_indicator=True)
    pre = fitted(dataset)
    assert pre.n_features == 3 and pre.request().n_inputs == 2  # x, y and "x (missing)"
    np.save(tmp_path / "rows.npy", np.array([[np.nan, 6.0], [2.0, 7.0]]))
    X = pre.transform_X(data.read_features(tmp_path / "rows.npy", pre.request()))
    np.testing.assert_array_equal(X, [[pre.table.medians[0], 6, 1], [2, 7, 0]])
