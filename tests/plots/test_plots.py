"""Tests of nncli.plots: the computations on known inputs, then the PNGs and their choice."""

from __future__ import annotations

import math
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncli.plots import boundary, compute, draw
from nncli.plots.pictures import RunPictures, draw_all
from nncli.errors import DataError, NncliError, ShapeError, UsageError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk, after checking the PNG signature."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def assert_sensible_png(path: Path) -> None:
    width, height = png_size(path)
    assert 400 <= width <= 2000 and 400 <= height <= 2000, (width, height)


def inside_unit_circle(points: np.ndarray) -> np.ndarray:
    return (points[:, :1] ** 2 + points[:, 1:] ** 2 < 1).astype(float)


HISTORY = {
    "epoch": [1, 2, 3, 4],
    "loss": [0.9, 0.5, 0.3, 0.2],
    "accuracy": [0.6, 0.8, 0.9, 0.95],
    "val_loss": [1.0, 0.6, 0.5, 0.55],
    "val_accuracy": [0.55, 0.75, 0.85, 0.84],
    "learning_rate": [0.001] * 4,
    "seconds": [0.2] * 4,
}


# ---------------------------------------------------------------- import cost


def test_importing_plots_loads_neither_matplotlib_nor_sklearn():
    code = (
        "import sys, nncli.plots\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'sklearn')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_drawing_never_imports_pyplot(tmp_path):
    code = (
        "import sys, nncli.plots.draw\n"
        f"nncli.plots.draw.plot_roc([0, 1, 1], [0.2, 0.9, 0.6], {str(tmp_path / 'roc.png')!r})\n"
        "print('matplotlib.pyplot' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
    assert_sensible_png(tmp_path / "roc.png")


# ---------------------------------------------------------------- confusion matrix


def test_confusion_data_of_a_fixed_prediction():
    counts, shares = compute.confusion_data([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], n_classes=4)
    assert counts.dtype.kind == "i"
    np.testing.assert_array_equal(counts, [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
    np.testing.assert_allclose(shares, [[0.5, 0.5, 0, 0], [0, 1, 0, 0], [0.5, 0, 0.5, 0], [0, 0, 0, 0]])


def test_confusion_data_reads_one_hot_rows_and_column_vectors():
    one_hot = np.eye(3)[[0, 2, 1]]
    counts, _ = compute.confusion_data(one_hot, np.array([[0], [2], [2]]), n_classes=3)
    np.testing.assert_array_equal(counts, [[1, 0, 0], [0, 0, 1], [0, 0, 1]])


@pytest.mark.parametrize(
    ("y_true", "y_pred", "error", "words"),
    [
        ([0, 1, 3], [0, 1, 1], DataError, "class 3"),
        ([0, 1], [0, 1, 1], ShapeError, "same length"),
        ([0, 1], [0.2, 0.7], DataError, "whole class indices"),
    ],
)
def test_confusion_data_rejects_unusable_labels(y_true, y_pred, error, words):
    with pytest.raises(error, match=words):
        compute.confusion_data(y_true, y_pred, n_classes=3)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5).flatmap(lambda k: st.tuples(st.just(k), st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), max_size=40))))
def test_confusion_counts_add_up(case):
    n_classes, pairs = case
    true = np.array([t for t, _ in pairs], dtype=int)
    pred = np.array([p for _, p in pairs], dtype=int)
    counts, shares = compute.confusion_data(true, pred, n_classes)
    assert counts.shape == (n_classes, n_classes)
    np.testing.assert_array_equal(counts.sum(axis=1), np.bincount(true, minlength=n_classes))
    np.testing.assert_array_equal(counts.sum(axis=0), np.bincount(pred, minlength=n_classes))
    assert np.trace(counts) == np.sum(true == pred)
    row_totals = shares.sum(axis=1)
    np.testing.assert_allclose(row_totals, np.where(counts.sum(axis=1) > 0, 1.0, 0.0))


# ---------------------------------------------------------------- ROC


def test_perfect_ranking_has_auc_one():
    fpr, tpr, auc = compute.roc_data([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert auc == 1.0
    assert fpr[0] == 0 and fpr[-1] == 1 and tpr[-1] == 1
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [([0.9, 0.8, 0.2, 0.1], 0.0), ([0.5, 0.5, 0.5, 0.5], 0.5), ([0.1, 0.4, 0.35, 0.8], 0.75)],
)
def test_roc_auc_of_known_rankings(scores, expected):
    assert compute.roc_data([0, 0, 1, 1], scores)[2] == pytest.approx(expected)


def test_roc_reads_sigmoid_and_two_column_softmax_outputs_alike():
    p = np.array([0.1, 0.4, 0.35, 0.8])
    expected = compute.roc_data([0, 0, 1, 1], p)[2]
    assert compute.roc_data([0, 0, 1, 1], p[:, None])[2] == expected
    assert compute.roc_data([0, 0, 1, 1], np.column_stack([1 - p, p]))[2] == expected


@pytest.mark.parametrize(("labels", "words"), [([1, 1, 1, 1], "both classes"), ([0, 1, 2, 1], "labels 0 and 1")])
def test_roc_needs_two_classes_zero_and_one(labels, words):
    with pytest.raises(DataError, match=words):
        compute.roc_data(labels, [0.1, 0.2, 0.3, 0.4])


# ---------------------------------------------------------------- decision boundary


def test_boundary_grid_of_a_hand_set_circle_is_one_inside_and_zero_outside():
    X = np.array([[-1.0, -1.0], [1.0, 1.0]])
    xx, yy, zz = compute.boundary_grid(inside_unit_circle, X, resolution=41, margin=0.5)
    assert xx.shape == yy.shape == zz.shape == (41, 41)
    assert (xx.min(), xx.max(), yy.min(), yy.max()) == (-1.5, 1.5, -1.5, 1.5)
    assert xx[0, 1] > xx[0, 0] and yy[1, 0] > yy[0, 0]  # x along columns, y along rows
    np.testing.assert_array_equal(zz, (xx**2 + yy**2 < 1).astype(float))
    assert zz[20, 20] == 1.0 and zz[0, 0] == 0.0


def test_boundary_grid_calls_predict_once_with_all_points():
    calls = []

    def predict(points):
        calls.append(points.shape)
        return inside_unit_circle(points)

    compute.boundary_grid(predict, np.array([[0.0, 0.0], [2.0, 1.0]]), resolution=30)
    assert calls == [(900, 2)]


def test_boundary_grid_paints_the_class_index_of_softmax_outputs():
    def quadrant(points):  # class 0: x < 0, class 1: x >= 0 and y < 0, class 2: the rest
        index = np.where(points[:, 0] < 0, 0, np.where(points[:, 1] < 0, 1, 2))
        return np.eye(3)[index] * 0.7 + 0.1

    xx, yy, zz = compute.boundary_grid(quadrant, np.array([[-1.0, -2.0], [3.0, 1.0]]), resolution=9, margin=0.0)
    assert (xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0]) == (-1.0, 3.0, -2.0, 1.0)
    expected = np.where(xx < 0, 0, np.where(yy < 0, 1, 2))
    np.testing.assert_array_equal(zz, expected)
    _, confidence = compute.surface_values(compute.boundary_outputs(quadrant, np.array([[0.0, 0.0], [1.0, 1.0]]), 5)[2])
    np.testing.assert_allclose(confidence, 0.8)


def relu_diamond_network(points: np.ndarray, activation) -> np.ndarray:
    """Dense(4) → Dense(1, sigmoid) by hand: class 1 where |x| + |y| < 1 when the hidden layer is relu."""
    kernel = np.array([[1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, -1.0]])
    hidden = activation(points @ kernel)
    logit = 8.0 * (1.0 - hidden @ np.ones((4, 1)))
    return 1.0 / (1.0 + np.exp(-logit))


def test_a_relu_network_separates_the_ring_and_a_linear_one_cannot():
    X = np.array([[-2.0, -2.0], [2.0, 2.0]])
    xx, yy, relu_map = compute.boundary_grid(lambda p: relu_diamond_network(p, lambda z: np.maximum(z, 0)), X, 61, 0.0)
    inside = np.abs(xx) + np.abs(yy) < 0.9
    outside = np.abs(xx) + np.abs(yy) > 1.1
    assert np.all(relu_map[inside] > 0.5) and np.all(relu_map[outside] < 0.5)
    _, _, linear_map = compute.boundary_grid(lambda p: relu_diamond_network(p, lambda z: z), X, 61, 0.0)
    linear_classes = linear_map > 0.5
    # a linear model's class-1 region is a half-plane: it cannot hold the centre without a corner
    assert not (linear_classes[30, 30] and not linear_classes[[0, 0, -1, -1], [0, -1, 0, -1]].any())


@pytest.mark.parametrize(
    ("predict", "X", "resolution", "error"),
    [
        (lambda p: np.zeros((3, 1)), [[0.0, 0.0], [1.0, 1.0]], 10, ShapeError),
        (inside_unit_circle, [[0.0, 0.0, 0.0]], 10, ShapeError),
        (inside_unit_circle, [[0.0, 0.0], [1.0, 1.0]], 1, UsageError),
        (inside_unit_circle, [[0.0, np.nan], [1.0, 1.0]], 10, DataError),
    ],
)
def test_boundary_grid_rejects_bad_shapes_and_values(predict, X, resolution, error):
    with pytest.raises(error):
        compute.boundary_grid(predict, np.array(X), resolution=resolution)


# ---------------------------------------------------------------- residuals, best epoch


def test_residual_data_of_a_known_prediction():
    data = compute.residual_data(np.array([[1.0], [2.0], [3.0], [4.0]]), [1.0, 2.0, 3.0, 5.0])
    np.testing.assert_array_equal(data["residuals"], [0, 0, 0, -1])
    np.testing.assert_array_equal(data["y_pred"], [1, 2, 3, 5])
    assert data["mae"] == pytest.approx(0.25)
    assert data["r2"] == pytest.approx(1 - 1 / 5)


def test_residual_data_rejects_mismatched_shapes():
    with pytest.raises(ShapeError):
        compute.residual_data([1.0, 2.0], [1.0, 2.0, 3.0])


def test_curve_quantities_put_loss_first_and_skip_bookkeeping_columns():
    assert compute.curve_quantities(HISTORY) == ["loss", "accuracy"]
    assert compute.curve_quantities({"accuracy": [1], "val_mae": [1], "loss": [1]}) == ["loss", "accuracy", "mae"]


# ---------------------------------------------------------------- sparkline


@pytest.mark.parametrize(
    ("values", "width", "expected"),
    [
        ([], 20, ""),
        ([1, 2, 3, 4, 5, 6, 7, 8], 20, "▁▂▃▄▅▆▇█"),
        ([3.0, 3.0, 3.0], 20, "▄▄▄"),
        ([1.0, math.nan, 2.0], 20, "▁ █"),
        ([math.nan, math.inf], 20, "  "),
        ([1, 1, 9, 9], 2, "▁█"),
    ],
)
def test_sparkline_examples(values, width, expected):
    assert compute.sparkline(values, width) == expected


def test_sparkline_needs_a_positive_width():
    with pytest.raises(UsageError):
        compute.sparkline([1, 2], width=0)


finite_or_nan = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.just(math.nan))


@settings(max_examples=150, deadline=None)
@given(st.lists(finite_or_nan, max_size=60), st.integers(1, 40))
def test_sparkline_length_and_alphabet(values, width):
    line = compute.sparkline(values, width)
    assert len(line) == min(len(values), width)
    assert set(line) <= set(compute.SPARK_BLOCKS + " ")


@settings(max_examples=150, deadline=None)
@given(st.lists(finite_or_nan, min_size=1, max_size=30))
def test_sparkline_spans_the_blocks_and_keeps_gaps_when_not_shrunk(values):
    line = compute.sparkline(values, width=30)
    finite = [value for value in values if not math.isnan(value)]
    assert [char == " " for char in line] == [math.isnan(value) for value in values]
    if finite and min(finite) < max(finite):
        assert line[values.index(min(finite))] == "▁" and line[values.index(max(finite))] == "█"
    elif finite:
        assert set(line.replace(" ", "")) == {"▄"}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=80), st.integers(1, 30))
def test_sparkline_of_a_rising_series_never_falls(values, width):
    line = compute.sparkline(sorted(values), width)
    levels = [compute.SPARK_BLOCKS.index(char) for char in line]
    assert levels == sorted(levels)


# ---------------------------------------------------------------- pictures


def test_plot_curves_writes_an_800_by_500_png(tmp_path):
    path = draw.plot_curves(HISTORY, tmp_path / "curves.png", "demo")
    assert path == tmp_path / "curves.png"
    assert png_size(path) == (800, 500)
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]  # no temporary file left


def test_plot_curves_survives_a_diverged_history(tmp_path):
    history = {"loss": [math.nan, math.nan], "val_loss": ["", ""], "accuracy": [0.5, 0.5]}
    assert_sensible_png(draw.plot_curves(history, tmp_path / "curves.png"))


def test_each_picture_is_a_png_of_sensible_size(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(60, 2))
    y = inside_unit_circle(X)[:, 0].astype(int)
    written = [
        draw.plot_confusion([0, 1, 1, 0], [0, 1, 0, 0], ["Colin Powell", "George W Bush"], tmp_path / "c.png", "lfw"),
        draw.plot_confusion(rng.integers(0, 10, 50), rng.integers(0, 10, 50), None, tmp_path / "c10.png"),
        draw.plot_roc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], tmp_path / "r.png", "lfw"),
        boundary.plot_boundary(inside_unit_circle, X[:40], y[:40], X[40:], y[40:], tmp_path / "b.png", "circle", resolution=50),
        draw.plot_residuals(rng.normal(size=30), rng.normal(size=30), tmp_path / "res.png", "diabetes"),
    ]
    for path in written:
        assert_sensible_png(path)


def test_plot_boundary_of_a_softmax_model_without_test_points(tmp_path):
    X = np.array([[-1.0, -1.0], [1.0, 0.5], [0.2, 1.0]])
    three_classes = lambda p: np.eye(3)[np.where(p[:, 0] < 0, 0, np.where(p[:, 1] < 0, 1, 2))]  # noqa: E731
    path = boundary.plot_boundary(three_classes, X, [0, 1, 2], None, None, tmp_path / "b.png", resolution=30)
    assert_sensible_png(path)


def test_a_crash_while_saving_leaves_no_half_picture(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    target = tmp_path / "roc.png"
    draw.plot_roc([0, 1], [0.2, 0.8], target)
    before = target.read_bytes()

    def crash(self, stream, **kwargs):
        stream.write(PNG_SIGNATURE + b"half a picture")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Figure, "savefig", crash)
    with pytest.raises(RuntimeError, match="disk on fire"):
        draw.plot_roc([0, 1], [0.8, 0.2], target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["roc.png"]
    with pytest.raises(RuntimeError):
        draw.plot_roc([0, 1], [0.8, 0.2], tmp_path / "new.png")
    assert not (tmp_path / "new.png").exists()


def test_without_matplotlib_drawing_raises_plots_unavailable(tmp_path, monkeypatch):
    for module in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(draw.PlotsUnavailable, match="matplotlib") as caught:
        draw.plot_roc([0, 1], [0.2, 0.8], tmp_path / "roc.png")
    assert isinstance(caught.value, NncliError)
    assert not (tmp_path / "roc.png").exists()


# ---------------------------------------------------------------- the PICTURES registry


def circle_run(n_features: int = 2, kind: str = "binary", **changes) -> RunPictures:
    rng = np.random.default_rng(1)
    X = rng.uniform(-2, 2, size=(50, n_features))
    y = inside_unit_circle(X[:, :2])[:, 0].astype(int)
    soft = lambda p: 1 / (1 + np.exp(4 * (p[:, :1] ** 2 + p[:, 1:2] ** 2 - 1)))  # noqa: E731
    run = RunPictures(kind=kind, history=HISTORY, best_epoch=2, split="test", y_true=y[30:], proba=soft(X[30:]),
                      class_names=["outside", "inside"], n_features=n_features,
                      predict_fn=soft if n_features == 2 else None, X_train=X[:30], y_train=y[:30], X_test=X[30:],
                      y_test=y[30:], title="circle")
    for key, value in changes.items():
        setattr(run, key, value)
    return run


def written_names(paths: list[Path]) -> list[str]:
    for path in paths:
        assert_sensible_png(path)
    return [path.name for path in paths]


def test_every_picture_of_a_binary_run_on_two_features(tmp_path):
    paths, not_drawn = draw_all(circle_run(), tmp_path / "new" / "folder")
    assert written_names(paths) == ["curves.png", "confusion.png", "roc.png", "decision_boundary.png"]
    assert not_drawn == {"residuals": "needs a regression; this run is a classifier of 2 classes"}


def test_a_binary_run_on_many_features_has_no_boundary_and_says_why(tmp_path):
    paths, not_drawn = draw_all(circle_run(n_features=5), tmp_path)
    assert written_names(paths) == ["curves.png", "confusion.png", "roc.png"]
    assert not_drawn["boundary"] == "needs exactly 2 input features; this model has 5"


def test_a_multiclass_run_has_no_roc(tmp_path):
    rng = np.random.default_rng(2)
    run = RunPictures("multiclass", {}, None, "test", rng.integers(0, 3, 20), rng.dirichlet(np.ones(3), size=20),
                      None, 10)
    paths, not_drawn = draw_all(run, tmp_path)
    assert written_names(paths) == ["confusion.png"]  # and no curves without epochs
    assert not_drawn["roc"] == "needs exactly 2 classes; this run is a classifier of 3 classes"
    assert not_drawn["curves"] == "the run has no finished epoch yet"


def test_a_regression_run(tmp_path):
    rng = np.random.default_rng(3)
    history = {"epoch": [1, 2], "loss": [2.0, 1.0], "mae": [1.2, 0.9]}
    run = RunPictures("regression", history, 2, "test", rng.normal(size=20), rng.normal(size=20), None, 10)
    paths, not_drawn = draw_all(run, tmp_path)
    assert written_names(paths) == ["curves.png", "residuals.png"]
    assert not_drawn["confusion"] == "needs a classifier; this run is a regression"


@pytest.mark.parametrize(("what", "expected"), [({"roc"}, ["roc.png"]), ("boundary, curves", ["curves.png", "decision_boundary.png"]),
                                                ("decision_boundary", ["decision_boundary.png"])])
def test_only_what_is_asked_is_drawn(tmp_path, what, expected):
    paths, _ = draw_all(circle_run(), tmp_path, what)
    assert written_names(paths) == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(expected)


def test_an_unknown_picture_name_is_a_usage_error_with_a_suggestion(tmp_path):
    with pytest.raises(UsageError, match="did you mean 'confusion'"):
        draw_all(circle_run(), tmp_path, {"confusoin"})
    assert list(tmp_path.iterdir()) == []


def test_asking_for_a_picture_that_does_not_apply_says_why_in_a_person_s_words(tmp_path):
    paths, not_drawn = draw_all(circle_run(), tmp_path, ["residuals", "roc"])
    assert written_names(paths) == ["roc.png"]
    assert not_drawn == {"residuals": "needs a regression; this run is a classifier of 2 classes"}


# ---------------------------------------------------------------- pictures a person reads without squinting
BREAST_CANCER_HISTORY = {  # five quantities with validation: the heading that was cut on both sides
    key: list(np.linspace(start, stop, 30))
    for base, start, stop in (("loss", 0.83, 0.1), ("accuracy", 0.46, 0.98), ("precision", 0.7, 0.98),
                              ("recall", 0.22, 0.99), ("auc", 0.56, 0.996))
    for key in (base, f"val_{base}")
}
DIABETES_HISTORY = {"loss": list(np.geomspace(27_800, 2_143, 100)), "val_loss": list(np.geomspace(35_000, 3_553, 100)),
                    "mae": list(np.linspace(148, 37, 100)), "r2": list(np.linspace(-3.8, 0.63, 100))}


def _figures() -> dict[str, object]:
    """One figure of every picture, each with a long run name."""
    rng = np.random.default_rng(4)
    X = rng.uniform(-2, 2, size=(80, 2))
    y = inside_unit_circle(X)[:, 0].astype(int)
    digits = rng.integers(0, 10, 300)
    title = "breast_cancer-with-a-long-run-name"
    return {
        "curves": draw.curves_figure(BREAST_CANCER_HISTORY, title, best=30),
        "diabetes_curves": draw.curves_figure(DIABETES_HISTORY, "diabetes", best=78),
        "confusion": draw.confusion_figure(digits, np.where(rng.random(300) < 0.9, digits, rng.integers(0, 10, 300)),
                                           None, title, split="test"),
        "roc": draw.roc_figure(y, np.clip(y * 0.6 + rng.random(80) * 0.4, 0, 1), title, split="test"),
        "boundary": boundary.boundary_figure(inside_unit_circle, X[:50], y[:50], X[50:], y[50:], title, resolution=40),
        "residuals": draw.residuals_figure(rng.normal(150, 50, 111), rng.normal(150, 40, 111), title, split="test"),
    }


FIGURES = _figures()


def heading(figure) -> object:
    (text,) = [text for text in figure.texts if text.get_text()]  # the suptitle
    return text


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_the_heading_fits_inside_the_figure(name):
    figure = FIGURES[name]
    figure.canvas.draw()
    extent = heading(figure).get_window_extent()
    assert extent.x0 >= figure.bbox.x0 and extent.x1 <= figure.bbox.x1, (extent, figure.bbox)
    assert extent.y1 <= figure.bbox.y1


def test_a_heading_too_wide_for_one_line_is_wrapped_between_items():
    lines = heading(FIGURES["curves"]).get_text().splitlines()
    assert lines[0] == "breast_cancer-with-a-long-run-name"
    assert len(lines) >= 3
    assert lines[1].startswith("final: loss 0.1000") and lines[-1].endswith("best epoch 30 of 30")
    assert all(not line.startswith("·") and not line.endswith("·") for line in lines)


def test_numbers_in_headings_and_legends_have_one_format():
    assert [draw.number(value) for value in (1, 0.963, 2142.66431, 0.00686, 5.3e-05, -0.5, math.nan)] == [
        "1.0000", "0.9630", "2142.6643", "0.0069", "5.3000e-05", "-0.5000", "nan"]
    texts = [heading(figure).get_text() for figure in FIGURES.values()]
    texts += [text.get_text() for figure in FIGURES.values() for axes in figure.axes
              if axes.get_legend() for text in axes.get_legend().get_texts()]
    numbers = [number for text in texts for number in re.findall(r"\d+\.\d+(?:e-\d+)?", text)]
    assert numbers and all(re.fullmatch(r"\d+\.\d{4}|\d\.\d{4}e-\d+", number) for number in numbers), numbers
    assert not any("%" in text for text in texts)


@pytest.mark.parametrize("name", ["confusion", "roc", "residuals"])
def test_pictures_of_predictions_name_their_split(name):
    assert re.search(r"on the test split \(\d+ samples\)", heading(FIGURES[name]).get_text())


def test_a_confusion_matrix_leaves_its_empty_cells_blank():
    rng = np.random.default_rng(5)
    y_true = rng.integers(0, 10, 200)
    y_pred = np.where(rng.random(200) < 0.85, y_true, (y_true + 1) % 10)
    figure = draw.confusion_figure(y_true, y_pred, None, split="test")
    counts, _ = compute.confusion_data(y_true, y_pred, 10)
    cells = figure.axes[0].texts
    assert len(cells) == np.count_nonzero(counts) < 100
    assert all(not text.get_text().startswith("0\n") for text in cells)
    written = {(round(text.get_position()[1]), round(text.get_position()[0])): text.get_text() for text in cells}
    for (row, col), text in written.items():
        assert text.startswith(f"{counts[row, col]}\n")


def test_a_loss_falling_over_more_than_a_decade_is_drawn_on_a_log_axis():
    loss_axes, mae_axes, r2_axes = FIGURES["diabetes_curves"].axes
    assert loss_axes.get_yscale() == "log" and loss_axes.get_title() == "loss (log scale)"
    assert mae_axes.get_yscale() == "linear" and r2_axes.get_yscale() == "linear"  # 4x; and negative values
    assert FIGURES["curves"].axes[0].get_yscale() == "linear"  # breast cancer's 0.83 -> 0.1: under a decade
    labels = [label.get_text() for label in loss_axes.get_yticklabels() if label.get_text()]
    assert "2000" in labels and "10000" in labels  # plain numbers a person reads off


@pytest.mark.parametrize(("values", "expected"), [([35_000, 2_000], True), ([0.83, 0.09], False), ([1.8, 0.0166], True),
                                                  ([1.0, -0.5, 0.001], False), ([0.5, math.nan, 0.001], True),
                                                  ([7.0], False), ([], False), ([0.0, 1.0], False)])
def test_wants_log_axis(values, expected):
    assert compute.wants_log_axis(values) is expected


def test_residuals_are_drawn_against_the_predictions_beside_predicted_against_true():
    rng = np.random.default_rng(6)
    y_true, y_pred = rng.normal(size=40), rng.normal(size=40)
    residual_axes, identity_axes = draw.residuals_figure(y_true, y_pred, split="test").axes
    points = residual_axes.collections[0].get_offsets()
    np.testing.assert_allclose(points[:, 0], y_pred)
    np.testing.assert_allclose(points[:, 1], y_true - y_pred)
    assert residual_axes.get_xlabel() == "predicted value"
    np.testing.assert_allclose(identity_axes.collections[0].get_offsets(), np.column_stack([y_true, y_pred]))


def _luminance(colour) -> float:
    """WCAG relative luminance of an RGB(A) colour in [0, 1]."""
    channels = np.asarray(colour[:3], dtype=float)
    linear = np.where(channels <= 0.03928, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def contrast(first, second) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_points_keep_contrast_on_every_band_of_the_probability_map():
    axes = FIGURES["boundary"].axes[0]
    (bands,) = [artist for artist in axes.collections if getattr(artist, "filled", False)]
    darkest_blue, darkest_red = bands.get_facecolor()[0], bands.get_facecolor()[-1]
    points = {artist.get_label(): artist for artist in axes.collections if artist.get_label().endswith(")")}
    assert set(points) == {"0 (train)", "1 (train)", "0 (test)", "1 (test)"}
    for label, artist in points.items():
        seen = artist.get_facecolor()[0] if "train" in label else artist.get_edgecolor()[0]
        for background in (darkest_blue, darkest_red):  # a misclassified point sits on the other colour
            assert contrast(seen, background) >= 3.0, (label, contrast(seen, background))


def test_the_pictures_of_a_run_name_the_split_its_predictions_are_of(tmp_path, monkeypatch):
    headings = {}
    save = draw.save

    def reading_save(figure, path):
        headings[Path(path).name] = heading(figure).get_text()
        return save(figure, path)

    monkeypatch.setattr(draw, "save", reading_save)
    draw_all(circle_run(split="train"), tmp_path)
    rng = np.random.default_rng(3)
    draw_all(RunPictures("regression", {}, None, "test", rng.normal(size=20), rng.normal(size=20), None, 10), tmp_path)
    assert "on the train split (20 samples)" in headings["confusion.png"]
    assert "on the train split (20 samples)" in headings["roc.png"]
    assert "on the test split (20 samples)" in headings["residuals.png"]
