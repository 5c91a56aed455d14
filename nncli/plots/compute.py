"""What the pictures show, computed on plain arrays: class indices, confusion matrices, ROC
curves, decision-boundary grids, residuals, history columns, and the runs table's sparkline.
Nothing here draws; ``nncli.plots.draw`` does, with matplotlib."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from nncli.errors import DataError, ShapeError, UsageError

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
UNPLOTTED_COLUMNS = frozenset({"epoch", "learning_rate", "lr", "seconds"})
#: A curve whose values span more than this many decades is drawn on a log axis: on a linear one
#: its first epochs flatten the rest into the bottom of the panel (diabetes' loss, 35,000 to 2,000).
LOG_AXIS_DECADES = 1.0

PredictFn = Callable[[np.ndarray], Any]




def class_indices(labels: Any, name: str) -> np.ndarray:
    """Class indices ``(n,)`` from indices ``(n,)``/``(n, 1)`` or one-hot rows ``(n, k)``."""
    array = np.asarray(labels)
    if array.ndim == 2 and array.shape[1] > 1:
        return np.argmax(array, axis=1).astype(np.int64)
    if array.ndim == 2:
        array = array[:, 0]
    if array.ndim != 1:
        raise ShapeError(f"{name} must hold class indices of shape (n_samples,); received shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        numeric = array.astype(float)
        if not np.all(np.isfinite(numeric)) or not np.all(numeric == np.round(numeric)):
            example = numeric[~(numeric == np.round(numeric))][:1]
            raise DataError(
                f"{name} must hold whole class indices; received values such as {example.tolist() or 'NaN'}"
                " (turn probabilities into classes first, e.g. with predicted_classes)"
            )
    return array.astype(np.int64)


def check_class_range(indices: np.ndarray, n_classes: int, name: str) -> None:
    outside = indices[(indices < 0) | (indices >= n_classes)]
    if outside.size:
        raise DataError(
            f"{name} holds class {int(outside[0])}, outside 0..{n_classes - 1} for {n_classes} classes"
        )


def float_column(values: Iterable[Any]) -> np.ndarray:
    """Floats from a history column; blanks and unreadable cells become NaN."""
    cells = list(values)
    column = np.full(len(cells), np.nan)
    for row, cell in enumerate(cells):
        try:
            column[row] = float(cell)
        except (TypeError, ValueError):
            pass
    return column


def two_features(points: Any, name: str) -> np.ndarray:
    array = np.asarray(points)
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] == 0:
        raise ShapeError(f"{name} must have shape (n_samples, 2) with at least one row; received shape {array.shape}")
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise DataError(f"{name} holds NaN or infinite values; a decision boundary needs finite points")
    return array


def binary_scores(scores: Any) -> np.ndarray:
    """Scores of class 1 ``(n,)`` from ``(n,)``, ``(n, 1)`` or two-column softmax ``(n, 2)``."""
    array = np.asarray(scores, dtype=float)
    if array.ndim == 2 and array.shape[1] == 2:
        array = array[:, 1]
    elif array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ShapeError(f"scores must have shape (n_samples,) or (n_samples, 1); received shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise DataError("scores hold NaN or infinite values; an ROC curve needs finite scores")
    return array


# ---------------------------------------------------------------- computations


def predicted_classes(outputs: Any) -> np.ndarray:
    """Predicted class indices from model outputs.

    Parameters
    ----------
    outputs : array of shape (n_samples, k) or (n_samples,)
        Probabilities: one sigmoid column (class 1 when above 0.5, as Keras' binary accuracy
        counts it) or ``k`` softmax columns (the arg-max).

    Returns
    -------
    ndarray of int64, shape (n_samples,)
    """
    array = np.asarray(outputs, dtype=float)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ShapeError(f"outputs must have shape (n_samples, k); received shape {array.shape}")
    if array.shape[1] == 1:
        return (array[:, 0] > 0.5).astype(np.int64)
    return np.argmax(array, axis=1).astype(np.int64)


def confusion_data(y_true: Any, y_pred: Any, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Confusion matrix as counts and row-normalised shares.

    Parameters
    ----------
    y_true, y_pred : array of shape (n_samples,)
        Class indices in ``0 .. n_classes - 1`` (one-hot rows are accepted too).
    n_classes : int
        Number of classes ``k``; classes absent from both arrays still get a row and a column.

    Returns
    -------
    counts : ndarray of int64, shape (k, k)
        ``counts[i, j]`` = samples of true class ``i`` predicted as ``j``.
    shares : ndarray of float, shape (k, k)
        Each row divided by its total; a row with no samples is all zeros.
    """
    if int(n_classes) < 1:
        raise UsageError(f"n_classes must be at least 1; received n_classes={n_classes}")
    n_classes = int(n_classes)
    true = class_indices(y_true, "y_true")
    pred = class_indices(y_pred, "y_pred")
    if true.shape != pred.shape:
        raise ShapeError(f"y_true and y_pred must have the same length; received {true.size} and {pred.size}")
    check_class_range(true, n_classes, "y_true")
    check_class_range(pred, n_classes, "y_pred")
    if true.size == 0:
        counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    else:
        from sklearn.metrics import confusion_matrix

        with warnings.catch_warnings():  # a one-class matrix is intended here: labels are explicit
            warnings.filterwarnings("ignore", message="A single label", category=UserWarning)
            counts = confusion_matrix(true, pred, labels=np.arange(n_classes)).astype(np.int64)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    return counts, shares


def roc_data(y_true: Any, scores: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """ROC curve and its area, from scikit-learn's ``roc_curve`` and ``auc``.

    Parameters
    ----------
    y_true : array of shape (n_samples,)
        Labels 0 and 1, both present.
    scores : array of shape (n_samples,) or (n_samples, 1)
        Score or probability of class 1 (a two-column softmax output is read as its column 1).

    Returns
    -------
    fpr, tpr : ndarray of shape (n_points,)
        False and true positive rates, increasing from 0 to 1.
    auc : float
        Area under the curve (1.0 for a perfect ranking, 0.5 for chance).
    """
    true = class_indices(y_true, "y_true")
    score = binary_scores(scores)
    if true.shape != score.shape:
        raise ShapeError(f"y_true and scores must have the same length; received {true.size} and {score.size}")
    present = np.unique(true)
    if not set(present.tolist()) <= {0, 1}:
        raise DataError(f"an ROC curve needs labels 0 and 1; received labels {present.tolist()}")
    if present.size < 2:
        raise DataError(
            f"an ROC curve needs both classes in y_true; received only class {present.tolist() or 'none'}"
        )
    from sklearn.metrics import auc, roc_curve

    fpr, tpr, _thresholds = roc_curve(true, score)
    return fpr, tpr, float(auc(fpr, tpr))


def boundary_outputs(
    predict_fn: PredictFn, X: Any, resolution: int = 200, margin: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Model outputs over a grid covering the points ``X`` plus a margin.

    Parameters
    ----------
    predict_fn : callable
        ``predict_fn(points)`` with points of shape ``(m, 2)`` returns outputs ``(m, k)``
        (or ``(m,)``). Called once with all ``resolution ** 2`` grid points.
    X : array of shape (n_samples, 2)
        Points whose bounding box, widened by ``margin`` on every side, the grid covers.
    resolution : int
        Grid points along each axis (at least 2).
    margin : float
        Widening of the bounding box, in the units of ``X`` (at least 0).

    Returns
    -------
    xx, yy : ndarray of shape (resolution, resolution)
        Grid coordinates as from ``np.meshgrid`` (``xx`` varies along columns).
    outputs : ndarray of shape (resolution, resolution, k)
    """
    points = two_features(X, "X")
    if int(resolution) < 2:
        raise UsageError(f"resolution must be at least 2; received resolution={resolution}")
    if not (math.isfinite(margin) and margin >= 0):
        raise UsageError(f"margin must be a finite number >= 0; received margin={margin}")
    resolution = int(resolution)
    low = points.min(axis=0) - margin
    high = points.max(axis=0) + margin
    xx, yy = np.meshgrid(
        np.linspace(low[0], high[0], resolution, dtype=points.dtype),
        np.linspace(low[1], high[1], resolution, dtype=points.dtype),
    )
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    outputs = np.asarray(predict_fn(grid), dtype=float)
    if outputs.ndim == 1:
        outputs = outputs[:, None]
    if outputs.ndim != 2 or outputs.shape[0] != grid.shape[0]:
        raise ShapeError(
            f"predict_fn must return shape ({grid.shape[0]}, k) for {grid.shape[0]} points;"
            f" received shape {outputs.shape}"
        )
    return xx, yy, outputs.reshape(resolution, resolution, outputs.shape[1])


def surface_values(outputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What to paint for grid outputs ``(..., k)``: the value and the model's confidence in it.

    Returns
    -------
    zz : ndarray of shape outputs.shape[:-1]
        Probability of class 1 when ``k == 1``; otherwise the predicted class index.
    confidence : ndarray of shape outputs.shape[:-1]
        Probability of the predicted class (``max(p, 1 - p)`` when ``k == 1``).
    """
    if outputs.shape[-1] == 1:
        probability = outputs[..., 0]
        return probability, np.maximum(probability, 1.0 - probability)
    return np.argmax(outputs, axis=-1), np.max(outputs, axis=-1)


def boundary_grid(
    predict_fn: PredictFn, X: Any, resolution: int = 200, margin: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The decision-boundary grid: coordinates and the painted value at each grid point.

    Parameters are those of ``boundary_outputs``.

    Returns
    -------
    xx, yy : ndarray of shape (resolution, resolution)
    zz : ndarray of shape (resolution, resolution)
        Probability of class 1 for a one-unit output, else the predicted class index.
        (``surface_values(boundary_outputs(...)[2])`` also gives the confidence.)
    """
    xx, yy, outputs = boundary_outputs(predict_fn, X, resolution, margin)
    return xx, yy, surface_values(outputs)[0]


def residual_data(y_true: Any, y_pred: Any) -> dict[str, Any]:
    """Regression predictions against targets.

    Parameters
    ----------
    y_true, y_pred : array of shape (n_samples,) or (n_samples, n_targets)

    Returns
    -------
    dict
        ``y_true``, ``y_pred``, ``residuals`` (``y_true - y_pred``): flattened arrays;
        ``r2``: scikit-learn's R² (averaged over targets; NaN with fewer than 2 samples);
        ``mae``: mean absolute error.
    """
    true = np.asarray(y_true, dtype=float)
    pred = np.asarray(y_pred, dtype=float)
    true = true[:, None] if true.ndim == 1 else true
    pred = pred[:, None] if pred.ndim == 1 else pred
    if true.ndim != 2 or true.shape != pred.shape:
        raise ShapeError(
            f"y_true and y_pred must have the same shape; received {np.shape(y_true)} and {np.shape(y_pred)}"
        )
    if true.shape[0] == 0:
        raise DataError("residuals need at least one sample; received none")
    if not (np.all(np.isfinite(true)) and np.all(np.isfinite(pred))):
        raise DataError("y_true or y_pred holds NaN or infinite values")
    from sklearn.metrics import mean_absolute_error, r2_score

    r2 = float(r2_score(true, pred)) if true.shape[0] >= 2 else float("nan")
    return {
        "y_true": true.ravel(),
        "y_pred": pred.ravel(),
        "residuals": (true - pred).ravel(),
        "r2": r2,
        "mae": float(mean_absolute_error(true, pred)),
    }


def history_arrays(history: Mapping[str, Sequence[Any]]) -> dict[str, np.ndarray]:
    """History columns as float arrays of equal length (short columns padded with NaN)."""
    columns = {str(key): float_column(values) for key, values in history.items()}
    n_rows = max((column.size for column in columns.values()), default=0)
    return {
        key: np.concatenate([column, np.full(n_rows - column.size, np.nan)]) for key, column in columns.items()
    }


def wants_log_axis(values: Any, decades: float = LOG_AXIS_DECADES) -> bool:
    """Whether a curve of ``values`` reads better on a log axis: its finite values are all
    positive and the largest is more than ``10 ** decades`` times the smallest."""
    array = np.asarray(values, dtype=float).ravel()
    finite = array[np.isfinite(array)]
    if finite.size < 2 or finite.min() <= 0:
        return False
    return bool(np.log10(finite.max()) - np.log10(finite.min()) > decades)


def curve_quantities(history: Mapping[str, Sequence[Any]]) -> list[str]:
    """Quantities with a curve: ``loss`` first, then each metric, in column order.

    ``val_x`` belongs to ``x``; ``epoch``, ``learning_rate`` and ``seconds`` are not plotted.
    """
    quantities: list[str] = []
    for key in history:
        base = key[4:] if key.startswith("val_") else key
        if base and base not in UNPLOTTED_COLUMNS and base not in quantities:
            quantities.append(base)
    return sorted(quantities, key=lambda name: name != "loss")


def _chunk_means(values: np.ndarray, width: int) -> np.ndarray:
    """Mean of the finite values in each of ``width`` consecutive chunks (NaN if none)."""
    edges = np.linspace(0, values.size, width + 1).round().astype(int)
    means = np.full(width, np.nan)
    for index in range(width):
        chunk = values[edges[index] : edges[index + 1]]
        finite = chunk[np.isfinite(chunk)]
        if finite.size:
            means[index] = finite.mean()
    return means


def sparkline(values: Iterable[Any], width: int = 20) -> str:
    """A one-line chart of ``values`` in the blocks ▁▂▃▄▅▆▇█.

    Parameters
    ----------
    values : iterable of numbers
        NaN, infinite or unreadable values show as a space.
    width : int
        Longest result; longer series are shrunk to ``width`` characters, each the mean of
        its chunk of consecutive values.

    Returns
    -------
    str
        ``min(len(values), width)`` characters: the lowest value ▁, the highest █, a constant
        series a flat line of ▄; ``""`` for no values.
    """
    if int(width) < 1:
        raise UsageError(f"sparkline width must be at least 1; received width={width}")
    series = float_column(values)
    series[~np.isfinite(series)] = np.nan
    if series.size == 0:
        return ""
    finite = np.isfinite(series)
    scale = np.max(np.abs(series[finite])) if finite.any() else 0.0
    if scale > 0:
        series = series / scale  # values in [-1, 1]: means and ranges cannot overflow
    if series.size > width:
        series = _chunk_means(series, int(width))
        finite = np.isfinite(series)
    levels = np.full(series.size, -1)
    if finite.any():
        low, high = series[finite].min(), series[finite].max()
        if high > low:
            levels[finite] = np.rint((series[finite] - low) / (high - low) * (len(SPARK_BLOCKS) - 1))
        else:
            levels[finite] = len(SPARK_BLOCKS) // 2 - 1
    return "".join(SPARK_BLOCKS[level] if level >= 0 else " " for level in levels)


def count_classes(class_names: Sequence[str] | None, proba: Any, labels: list[Any]) -> int:
    """Number of classes: from the names, else the softmax width, else the largest label + 1 (at least 2)."""
    if class_names is not None:
        return len(class_names)
    if proba is not None and np.ndim(proba) == 2 and np.shape(proba)[1] > 1:
        return int(np.shape(proba)[1])
    largest = [int(np.max(class_indices(y, "labels"), initial=0)) for y in labels if y is not None]
    return max(max(largest, default=1) + 1, 2)
