"""Pictures of a run: learning curves, confusion matrix, ROC, decision boundary, residuals.

The computations behind each picture (``confusion_data``, ``roc_data``, ``boundary_grid``,
``residual_data``, ``best_epoch``, ``sparkline``) are plain functions on arrays; the drawing
functions turn them into one PNG each, and ``make_plots`` draws every picture that applies to a
run. The module knows nothing about models: a model enters as ``predict_fn``, a callable from
points ``(m, 2)`` to outputs ``(m, k)``.

matplotlib and scikit-learn are imported inside the functions that need them, so importing this
module costs nothing at start-up. Figures are built with matplotlib's object API on the Agg
canvas and never through pyplot: no GUI backend is ever chosen, no global figure list can leak
figures, and a caller's own pyplot backend (a notebook, say) is left alone.
"""

from __future__ import annotations

import math
import os
import secrets
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nncli.errors import DataError, NncliError, RunDirError, ShapeError, UsageError
from nncli.registry import closest

PLOT_FILES: dict[str, str] = {
    "curves": "curves.png",
    "confusion": "confusion.png",
    "roc": "roc.png",
    "boundary": "decision_boundary.png",
    "residuals": "residuals.png",
}
"""Picture name (as given to ``--what``) → file name, in drawing order."""

PLOT_NAME_ALIASES = {"decision_boundary": "boundary"}
TASKS = ("classification", "binary", "multiclass", "regression")
DPI = 100
SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
UNPLOTTED_COLUMNS = frozenset({"epoch", "learning_rate", "lr", "seconds"})
# A monitor whose name contains one of these is better when higher (Keras' "auto" mode idea).
HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "r2")
PLOTS_UNAVAILABLE_MESSAGE = "pictures skipped: matplotlib cannot be imported (install it with `pip install matplotlib`)"

PredictFn = Callable[[np.ndarray], Any]


class PlotsUnavailable(NncliError):
    """matplotlib cannot be imported, so no picture can be drawn (the CLI shows a notice)."""


# ---------------------------------------------------------------- input checks


def _class_indices(labels: Any, name: str) -> np.ndarray:
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


def _check_class_range(indices: np.ndarray, n_classes: int, name: str) -> None:
    outside = indices[(indices < 0) | (indices >= n_classes)]
    if outside.size:
        raise DataError(
            f"{name} holds class {int(outside[0])}, outside 0..{n_classes - 1} for {n_classes} classes"
        )


def _float_column(values: Iterable[Any]) -> np.ndarray:
    """Floats from a history column; blanks and unreadable cells become NaN."""
    cells = list(values)
    column = np.full(len(cells), np.nan)
    for row, cell in enumerate(cells):
        try:
            column[row] = float(cell)
        except (TypeError, ValueError):
            pass
    return column


def _two_features(points: Any, name: str) -> np.ndarray:
    array = np.asarray(points)
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] == 0:
        raise ShapeError(f"{name} must have shape (n_samples, 2) with at least one row; received shape {array.shape}")
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise DataError(f"{name} holds NaN or infinite values; a decision boundary needs finite points")
    return array


def _binary_scores(scores: Any) -> np.ndarray:
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
    true = _class_indices(y_true, "y_true")
    pred = _class_indices(y_pred, "y_pred")
    if true.shape != pred.shape:
        raise ShapeError(f"y_true and y_pred must have the same length; received {true.size} and {pred.size}")
    _check_class_range(true, n_classes, "y_true")
    _check_class_range(pred, n_classes, "y_pred")
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
    true = _class_indices(y_true, "y_true")
    score = _binary_scores(scores)
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
    points = _two_features(X, "X")
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
    columns = {str(key): _float_column(values) for key, values in history.items()}
    n_rows = max((column.size for column in columns.values()), default=0)
    return {
        key: np.concatenate([column, np.full(n_rows - column.size, np.nan)]) for key, column in columns.items()
    }


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


def _higher_is_better(monitor: str) -> bool:
    base = monitor[4:] if monitor.startswith("val_") else monitor
    return "loss" not in base and any(hint in base for hint in HIGHER_IS_BETTER)


def best_epoch(history: Mapping[str, Sequence[Any]], monitor: str = "val_loss") -> int:
    """1-based epoch with the best ``monitor`` value (the first one on ties).

    Parameters
    ----------
    history : mapping of column name to per-epoch values
        As read from ``history.csv``; rows are epochs 1, 2, ... in order.
    monitor : str
        Column to judge by; falls back to ``loss`` when absent or never finite. Lower is
        better, except for accuracy-like names (containing acc, auc, precision, recall, f1, r2).
    """
    columns = history_arrays(history)
    for name in dict.fromkeys((monitor, "loss")):
        values = columns.get(name)
        if values is None or not np.any(np.isfinite(values)):
            continue
        if _higher_is_better(name):
            return int(np.argmax(np.where(np.isfinite(values), values, -np.inf))) + 1
        return int(np.argmin(np.where(np.isfinite(values), values, np.inf))) + 1
    raise DataError(
        f"cannot find a best epoch: the history has no finite {monitor!r} or 'loss' values"
        f" (columns: {', '.join(columns) or 'none'})"
    )


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
    series = _float_column(values)
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


# ---------------------------------------------------------------- drawing helpers


def _new_figure(width_inches: float, height_inches: float) -> Any:
    """An empty figure on the Agg canvas; raises ``PlotsUnavailable`` without matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except Exception as error:  # ImportError, or a broken installation failing on import
        raise PlotsUnavailable(f"{PLOTS_UNAVAILABLE_MESSAGE}: {error}") from error
    figure = Figure(figsize=(width_inches, height_inches), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _colormap(name: str) -> Any:
    import matplotlib

    return matplotlib.colormaps[name]


def _save(figure: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``figure`` as a PNG at ``path`` through a temporary file and ``os.replace``."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "xb") as stream:
            figure.savefig(stream, dpi=DPI, format="png")
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise RunDirError(f"cannot write picture {target}: {error.strerror or error}") from error
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    finally:
        figure.clear()
    return target


def _number(value: float) -> str:
    return "nan" if not math.isfinite(value) else f"{value:.4g}"


def _last_finite(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if finite.size else float("nan")


def _heading(title: str, detail: str) -> str:
    return f"{title}\n{detail}" if title else detail


def _names_for(class_names: Sequence[str] | None, n_classes: int) -> list[str]:
    if class_names is None:
        return [str(index) for index in range(n_classes)]
    if len(class_names) != n_classes:
        raise ShapeError(f"expected {n_classes} class names; received {len(class_names)}: {list(class_names)}")
    return [str(name) for name in class_names]


def _class_colors(n_classes: int) -> list[Any]:
    if n_classes == 2:
        diverging = _colormap("RdBu_r")
        return [diverging(0.1), diverging(0.9)]
    palette = _colormap("tab10" if n_classes <= 10 else "tab20")
    if n_classes <= palette.N:
        return [palette(index) for index in range(n_classes)]
    spread = _colormap("turbo")
    return [spread(index / (n_classes - 1)) for index in range(n_classes)]


# ---------------------------------------------------------------- pictures


def plot_curves(history: Mapping[str, Sequence[Any]], path: str | os.PathLike[str], title: str = "") -> Path:
    """Draw ``curves.png``: one panel per quantity, train and validation, best epoch marked.

    Parameters
    ----------
    history : mapping of column name to per-epoch values
        As read from ``history.csv`` (``epoch``, ``loss``, metrics, ``val_*``,
        ``learning_rate``, ``seconds``); rows are epochs 1, 2, ... in order.
    path : path of the PNG to write
    title : str
        First line of the heading (the run name); the final figures follow it.
    """
    columns = history_arrays(history)
    quantities = curve_quantities(history)
    n_epochs = max((columns[key].size for key in columns), default=0)
    if not quantities or n_epochs == 0:
        raise DataError("learning curves need a history with at least one epoch; received none")
    epochs = np.arange(1, n_epochs + 1)
    try:
        best: int | None = best_epoch(history)
    except DataError:  # every loss is NaN (a diverged run): draw the curves without a best epoch
        best = None
    n_cols = min(len(quantities), 3)
    n_rows = math.ceil(len(quantities) / n_cols)
    figure = _new_figure(max(8.0, 4.0 * n_cols), max(5.0, 3.6 * n_rows + 1.0))
    from matplotlib.ticker import MaxNLocator

    finals: list[str] = []
    for index, quantity in enumerate(quantities):
        axes = figure.add_subplot(n_rows, n_cols, index + 1)
        marker = "o" if n_epochs <= 30 else None
        for key, label in ((quantity, "train"), (f"val_{quantity}", "validation")):
            if key in columns:
                axes.plot(epochs, columns[key], marker=marker, markersize=3, label=label)
                finals.append(f"{key} {_number(_last_finite(columns[key]))}")
        if best is not None:
            axes.axvline(best, color="0.4", linestyle="--", linewidth=1, label=f"best epoch {best}")
        axes.set_title(quantity)
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
        axes.legend(fontsize="small")
    best_text = f"best epoch {best} of {n_epochs}" if best is not None else f"{n_epochs} epochs, no finite loss"
    detail = f"final: {' · '.join(finals)} · {best_text}"
    figure.suptitle(_heading(title, detail), fontsize="medium")
    return _save(figure, path)


def plot_confusion(
    y_true: Any,
    y_pred: Any,
    class_names: Sequence[str] | None,
    path: str | os.PathLike[str],
    title: str = "",
) -> Path:
    """Draw ``confusion.png``: a heat map of row shares, each cell showing count and share.

    Parameters
    ----------
    y_true, y_pred : array of shape (n_samples,)
        Class indices.
    class_names : sequence of str, or None
        One name per class, in index order; None numbers the classes from the data.
    path : path of the PNG to write
    title : str
    """
    n_classes = _count_classes(class_names, None, [y_true, y_pred])
    names = _names_for(class_names, n_classes)
    counts, shares = confusion_data(y_true, y_pred, n_classes)
    side = min(max(6.0, 0.6 * n_classes + 3.0), 16.0)
    figure = _new_figure(side + 1.5, side)
    axes = figure.add_subplot()
    image = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    if n_classes <= 25:  # beyond that the numbers no longer fit their cells
        _write_cells(axes, counts, shares)
    if max(map(len, names)) > 6:
        axes.set_xticks(np.arange(n_classes), names, rotation=30, ha="right")
    else:
        axes.set_xticks(np.arange(n_classes), names)
    axes.set_yticks(np.arange(n_classes), names)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    figure.colorbar(image, ax=axes, label="share of the true class")
    total = int(counts.sum())
    accuracy = np.trace(counts) / total if total else float("nan")
    detail = f"confusion matrix · accuracy {accuracy:.1%} on {total} samples"
    figure.suptitle(_heading(title, detail), fontsize="medium")
    return _save(figure, path)


def _write_cells(axes: Any, counts: np.ndarray, shares: np.ndarray) -> None:
    """Count and row share in each cell, light text on dark cells."""
    n_classes = counts.shape[0]
    size = "large" if n_classes <= 4 else "medium" if n_classes <= 10 else "x-small"
    for row in range(n_classes):
        for col in range(n_classes):
            text = f"{counts[row, col]}\n{shares[row, col]:.0%}"
            colour = "white" if shares[row, col] > 0.5 else "black"
            axes.text(col, row, text, ha="center", va="center", color=colour, fontsize=size)


def plot_roc(y_true: Any, scores: Any, path: str | os.PathLike[str], title: str = "") -> Path:
    """Draw ``roc.png``: the ROC curve with its AUC in the legend, and the chance diagonal.

    Parameters
    ----------
    y_true : array of shape (n_samples,)
        Labels 0 and 1.
    scores : array of shape (n_samples,) or (n_samples, 1)
        Probability of class 1.
    path : path of the PNG to write
    title : str
    """
    fpr, tpr, area = roc_data(y_true, scores)
    figure = _new_figure(7.0, 6.0)
    axes = figure.add_subplot()
    axes.plot(fpr, tpr, linewidth=2, label=f"model (AUC = {area:.3f})")
    axes.plot([0, 1], [0, 1], color="0.5", linestyle="--", label="chance (AUC = 0.5)")
    axes.set_xlim(-0.01, 1.01)
    axes.set_ylim(-0.01, 1.01)
    axes.set_aspect("equal")
    axes.set_xlabel("false positive rate")
    axes.set_ylabel("true positive rate")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    figure.suptitle(_heading(title, f"ROC curve · AUC {area:.3f}"), fontsize="medium")
    return _save(figure, path)


def _paint_probability(figure: Any, axes: Any, xx: np.ndarray, yy: np.ndarray, zz: np.ndarray, positive: str) -> None:
    """Probability of class 1 on a diverging map, with the 0.5 contour where it crosses."""
    # 20 filled bands read as smooth and keep the PNG small (a continuous ramp compresses badly)
    bands = np.linspace(0.0, 1.0, 21)
    image = axes.contourf(xx, yy, zz, levels=bands, cmap="RdBu_r", vmin=0.0, vmax=1.0)
    if zz.min() < 0.5 < zz.max():
        axes.contour(xx, yy, zz, levels=[0.5], colors="black", linewidths=1.5)
    figure.colorbar(image, ax=axes, ticks=np.linspace(0.0, 1.0, 5), label=f"predicted probability of {positive}")


def _paint_classes(axes: Any, xx: np.ndarray, yy: np.ndarray, zz: np.ndarray, n_classes: int) -> None:
    """Predicted class as pale areas in the class colours, with lines between them."""
    from matplotlib.colors import ListedColormap

    palette = ListedColormap(_class_colors(n_classes))
    extent = (xx.min(), xx.max(), yy.min(), yy.max())
    limits = {"vmin": -0.5, "vmax": n_classes - 0.5}
    axes.imshow(zz, origin="lower", extent=extent, cmap=palette, alpha=0.4, interpolation="nearest", **limits)
    if np.unique(zz).size > 1:
        axes.contour(xx, yy, zz, levels=np.arange(n_classes - 1) + 0.5, colors="black", linewidths=0.8)


def _scatter_classes(
    axes: Any, X: np.ndarray, labels: np.ndarray, colors: list[Any], names: list[str], split: str
) -> None:
    """Points coloured by class: training points filled, test points outlined."""
    for index, colour in enumerate(colors):
        chosen = X[labels == index]
        if chosen.shape[0] == 0:
            continue
        if split == "train":
            style = {"s": 22, "color": colour, "edgecolors": "white", "linewidths": 0.6}
        else:
            style = {"s": 34, "facecolors": "none", "edgecolors": [colour], "linewidths": 1.3}
        axes.scatter(chosen[:, 0], chosen[:, 1], label=f"{names[index]} ({split})", **style)


def plot_boundary(
    predict_fn: PredictFn,
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    path: str | os.PathLike[str],
    title: str = "",
    *,
    class_names: Sequence[str] | None = None,
    resolution: int = 200,
) -> Path:
    """Draw ``decision_boundary.png``: the model's output over the input plane, points on top.

    A one-unit (sigmoid) model is painted as the probability of class 1 on a diverging
    colormap with the 0.5 contour; a softmax model as its predicted class. Training points are
    filled, test points outlined, both coloured by their true class.

    Parameters
    ----------
    predict_fn : callable
        ``predict_fn(points (m, 2)) -> outputs (m, k)``, for points in the same space as ``X_*``.
    X_train : array of shape (n_train, 2)
    y_train : array of shape (n_train,)
        Class indices.
    X_test, y_test : arrays of shape (n_test, 2) and (n_test,), or None
    path : path of the PNG to write
    title : str
    class_names : sequence of str, optional
    resolution : int
        Grid points along each axis.
    """
    splits = _labelled_points(X_train, y_train, X_test, y_test)
    xx, yy, outputs = boundary_outputs(predict_fn, np.vstack([points for _, points, _ in splits]), resolution)
    n_classes = 2 if outputs.shape[-1] == 1 else outputs.shape[-1]
    names = _names_for(class_names, n_classes)
    for split, _points, labels in splits:
        _check_class_range(labels, n_classes, f"y_{split}")
    figure = _new_figure(8.0, 6.5)
    axes = figure.add_subplot()
    zz, _confidence = surface_values(outputs)
    if outputs.shape[-1] == 1:
        _paint_probability(figure, axes, xx, yy, zz, names[1])
    else:
        _paint_classes(axes, xx, yy, zz, n_classes)
    colors = _class_colors(n_classes)
    for split, points, labels in splits:
        _scatter_classes(axes, points, labels, colors, names, split)
    _frame_plane(axes, xx, yy)
    if n_classes <= 5:  # more would hide the picture; colours are explained by the map then
        axes.legend(fontsize="small", loc="upper right", framealpha=0.8)
    figure.suptitle(_heading(title, "decision boundary · filled: train · outlined: test"), fontsize="medium")
    return _save(figure, path)


def _labelled_points(X_train: Any, y_train: Any, X_test: Any, y_test: Any) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``("train", X, labels)`` and, when given, ``("test", X, labels)``, checked."""
    if (X_test is None) != (y_test is None):
        raise UsageError("give both X_test and y_test, or neither")
    splits = [("train", X_train, y_train)] + ([] if X_test is None else [("test", X_test, y_test)])
    checked = []
    for split, points, labels in splits:
        points = _two_features(points, f"X_{split}")
        labels = _class_indices(labels, f"y_{split}")
        if labels.shape[0] != points.shape[0]:
            raise ShapeError(f"X_{split} has {points.shape[0]} rows but y_{split} has {labels.shape[0]} labels")
        checked.append((split, points, labels))
    return checked


def _frame_plane(axes: Any, xx: np.ndarray, yy: np.ndarray) -> None:
    """Axes limited to the grid; equal units unless the two features' ranges differ a lot."""
    width, height = np.ptp(xx), np.ptp(yy)
    axes.set_aspect("equal" if width and height and 1 / 3 <= width / height <= 3 else "auto")
    axes.set_xlim(xx.min(), xx.max())
    axes.set_ylim(yy.min(), yy.max())
    axes.set_xlabel("feature 1")
    axes.set_ylabel("feature 2")


def plot_residuals(y_true: Any, y_pred: Any, path: str | os.PathLike[str], title: str = "") -> Path:
    """Draw ``residuals.png``: predicted against true values with the identity line.

    Parameters
    ----------
    y_true, y_pred : array of shape (n_samples,) or (n_samples, n_targets)
    path : path of the PNG to write
    title : str
        First line of the heading; R² and MAE follow it.
    """
    data = residual_data(y_true, y_pred)
    figure = _new_figure(7.0, 6.0)
    axes = figure.add_subplot()
    axes.scatter(data["y_true"], data["y_pred"], s=14, alpha=0.6, label="samples")
    low = min(data["y_true"].min(), data["y_pred"].min())
    high = max(data["y_true"].max(), data["y_pred"].max())
    axes.plot([low, high], [low, high], color="black", linestyle="--", linewidth=1, label="predicted = true")
    axes.set_xlabel("true value")
    axes.set_ylabel("predicted value")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left")
    detail = f"predicted vs true · R² = {_number(data['r2'])} · MAE = {_number(data['mae'])}"
    figure.suptitle(_heading(title, detail), fontsize="medium")
    return _save(figure, path)


# ---------------------------------------------------------------- choosing pictures


def parse_what(what: str | Iterable[str] | None) -> list[str] | None:
    """Canonical picture names from ``--what`` (a comma list or names); None means all.

    Raises ``UsageError`` naming the closest valid name for an unknown one.
    """
    if what is None:
        return None
    items = what.split(",") if isinstance(what, str) else list(what)
    chosen: list[str] = []
    for item in items:
        name = str(item).strip().lower()
        if not name:
            continue
        name = PLOT_NAME_ALIASES.get(name, name)
        if name not in PLOT_FILES:
            suggestion = closest(name, list(PLOT_FILES) + list(PLOT_NAME_ALIASES))
            suggestion = PLOT_NAME_ALIASES.get(suggestion, suggestion) if suggestion else None
            hint = f"; did you mean {suggestion!r}?" if suggestion else ""
            raise UsageError(f"unknown picture {str(item).strip()!r}{hint} (choose from: {', '.join(PLOT_FILES)})")
        if name not in chosen:
            chosen.append(name)
    return [name for name in PLOT_FILES if name in chosen]


def _check_task(task: str) -> str:
    kind = str(task).strip().lower()
    if kind not in TASKS:
        suggestion = closest(kind, list(TASKS))
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        raise UsageError(f"unknown task {task!r}{hint} (choose from: {', '.join(TASKS)})")
    return kind


def _count_classes(class_names: Sequence[str] | None, proba: Any, labels: list[Any]) -> int:
    """Number of classes: from the names, else the softmax width, else the largest label + 1 (at least 2)."""
    if class_names is not None:
        return len(class_names)
    if proba is not None and np.ndim(proba) == 2 and np.shape(proba)[1] > 1:
        return int(np.shape(proba)[1])
    largest = [int(np.max(_class_indices(y, "labels"), initial=0)) for y in labels if y is not None]
    return max(max(largest, default=1) + 1, 2)


@dataclass
class _RunPictures:
    """What ``make_plots`` received, with the task resolved and predicted classes filled in."""

    kind: str  # "binary", "multiclass" or "regression"
    n_classes: int
    history: Mapping[str, Sequence[Any]]
    y_true: Any
    y_pred: Any
    proba: Any
    class_names: list[str] | None
    predict_fn: PredictFn | None
    X_train: Any
    y_train: Any
    X_test: Any
    y_test: Any
    title: str

    @property
    def is_classification(self) -> bool:
        return self.kind != "regression"

    def reasons_not_drawn(self) -> dict[str, str | None]:
        """Picture name → why it cannot be drawn from these inputs (None: it can)."""
        has_epochs = bool(curve_quantities(self.history)) and any(len(column) for column in self.history.values())
        has_predictions = self.y_true is not None and self.y_pred is not None
        reasons: dict[str, str | None] = dict.fromkeys(PLOT_FILES)
        if not has_epochs:
            reasons["curves"] = "the history has no epochs"
        if not (self.is_classification and has_predictions):
            reasons["confusion"] = "it needs a classification task with true and predicted labels"
        if self.kind != "binary" or self.y_true is None or self.proba is None:
            reasons["roc"] = "it needs a binary classification task with true labels and predicted probabilities"
        elif np.unique(_class_indices(self.y_true, "y_true")).size < 2:
            reasons["roc"] = "the true labels hold only one class"
        if not self.is_classification or self.predict_fn is None or self.X_train is None or self.y_train is None:
            reasons["boundary"] = "it needs a classification task, predict_fn, X_train and y_train"
        elif np.ndim(self.X_train) != 2 or np.shape(self.X_train)[1] != 2:
            reasons["boundary"] = f"it needs data with 2 features; received shape {np.shape(self.X_train)}"
        if not (self.kind == "regression" and has_predictions):
            reasons["residuals"] = "it needs a regression task with true and predicted values"
        return reasons

    def draw(self, name: str, target: Path) -> Path:
        """Draw the picture ``name`` at ``target``."""
        if name == "curves":
            return plot_curves(self.history, target, self.title)
        if name == "confusion":
            names = self.class_names or _names_for(None, self.n_classes)
            return plot_confusion(self.y_true, self.y_pred, names, target, self.title)
        if name == "roc":
            return plot_roc(self.y_true, _binary_scores(self.proba), target, self.title)
        if name == "boundary":
            return plot_boundary(
                self.predict_fn, self.X_train, self.y_train, self.X_test, self.y_test, target, self.title,
                class_names=self.class_names,
            )
        return plot_residuals(self.y_true, self.y_pred, target, self.title)


def make_plots(
    out_dir: str | os.PathLike[str],
    *,
    what: str | Iterable[str] | None = None,
    task: str,
    history: Mapping[str, Sequence[Any]] | None = None,
    y_true: Any = None,
    y_pred: Any = None,
    proba: Any = None,
    class_names: Sequence[str] | None = None,
    predict_fn: PredictFn | None = None,
    X_train: Any = None,
    y_train: Any = None,
    X_test: Any = None,
    y_test: Any = None,
    title: str = "",
) -> list[Path]:
    """Draw every picture that applies to a run into ``out_dir``; return the written paths.

    Curves when the history has epochs; confusion for classification; ROC for binary
    classification; the decision boundary for classification on 2 features with a
    ``predict_fn``; residuals for regression.

    Parameters
    ----------
    out_dir : folder to write into (created if missing)
    what : names among ``curves, confusion, roc, boundary, residuals`` (a set or a comma list), or None
        None draws all that apply; an unknown name, or one that does not apply, is a ``UsageError``.
    task : ``"classification"``, ``"binary"``, ``"multiclass"`` or ``"regression"``
    history : mapping of column name to per-epoch values (``history.csv``), optional
    y_true : array of shape (n_samples,) or (n_samples, n_targets), optional
        Held-out targets: class indices (or one-hot rows) for classification.
    y_pred : array, optional
        Predicted class indices for classification (derived from ``proba`` when None), or
        predicted values for regression (``proba`` is used when None).
    proba : array of shape (n_samples, k), optional
        Model outputs on the held-out split: ``k == 1`` sigmoid or ``k`` softmax columns.
    class_names : sequence of str, optional
    predict_fn : callable ``(m, 2) -> (m, k)``, optional
        The model on points in the space of ``X_train``/``X_test``; enables the boundary.
    X_train, y_train, X_test, y_test : arrays, optional
        Points drawn on the decision boundary (2 features; class indices).
    title : str
        The run name, first line of every heading.

    Returns
    -------
    list of Path
        Files written, in the order curves, confusion, roc, decision_boundary, residuals.
    """
    requested = parse_what(what)
    kind = _check_task(task)
    n_classes = 0 if kind == "regression" else _count_classes(class_names, proba, [y_true, y_pred, y_train, y_test])
    if kind == "classification":
        kind = "binary" if n_classes == 2 else "multiclass"
    if y_pred is None and proba is not None:
        y_pred = proba if kind == "regression" else predicted_classes(proba)
    run = _RunPictures(
        kind, n_classes, history or {}, y_true, y_pred, proba, None if class_names is None else list(class_names),
        predict_fn, X_train, y_train, X_test, y_test, title,
    )
    reasons = run.reasons_not_drawn()
    if requested is None:
        chosen = [name for name in PLOT_FILES if reasons[name] is None]
    else:
        refused = [f"{name}: {reasons[name]}" for name in requested if reasons[name] is not None]
        if refused:
            raise UsageError(f"cannot draw the requested pictures for this {kind} run ({'; '.join(refused)})")
        chosen = requested
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunDirError(f"cannot create picture folder {folder}: {error.strerror or error}") from error
    return [run.draw(name, folder / PLOT_FILES[name]) for name in chosen]
