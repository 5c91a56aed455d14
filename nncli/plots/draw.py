"""Drawing the pictures with matplotlib: one PNG each, written atomically.

Figures are built with matplotlib's object API on the Agg canvas and never through pyplot: no
GUI backend is ever chosen, no global figure list can leak figures, and a caller's own pyplot
backend (a notebook, say) is left alone. matplotlib is imported inside the functions.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nncli.errors import DataError, NncliError, RunDirError, ShapeError
from nncli.plots import compute

DPI = 100
HEADING_SIZE = "medium"
PLOTS_UNAVAILABLE_MESSAGE = "pictures skipped: matplotlib cannot be imported (install it with `pip install matplotlib`)"
PredictFn = compute.PredictFn


class PlotsUnavailable(NncliError):
    """matplotlib cannot be imported, so no picture can be drawn (the CLI shows a notice)."""


def new_figure(width_inches: float, height_inches: float) -> Any:
    """An empty figure on the Agg canvas; raises ``PlotsUnavailable`` without matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except Exception as error:  # ImportError, or a broken installation failing on import
        raise PlotsUnavailable(f"{PLOTS_UNAVAILABLE_MESSAGE}: {error}") from error
    figure = Figure(figsize=(width_inches, height_inches), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def colormap(name: str) -> Any:
    import matplotlib

    return matplotlib.colormaps[name]


def save(figure: Any, path: str | os.PathLike[str]) -> Path:
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


def number(value: float) -> str:
    """Numbers in headings and legends as in log lines and tables; ``nan`` when not finite."""
    from nncli.engine.progress import format_number

    return format_number(value) if math.isfinite(value) else "nan"


def _last_finite(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if finite.size else float("nan")


def _on_split(split: str | None, n_samples: int) -> str:
    return f"on the {split} split ({n_samples} samples)" if split else f"on {n_samples} samples"


def heading(figure: Any, title: str, items: Sequence[str]) -> None:
    """The figure's heading: ``title`` (the run's name), then ``items`` joined by " · ", on as
    many lines as it takes to fit the figure's width (measured, not guessed from characters)."""
    from matplotlib.font_manager import FontProperties

    font = FontProperties(size=HEADING_SIZE)
    renderer = figure.canvas.get_renderer()
    room = figure.bbox.width * 0.96

    def width(text: str) -> float:
        return renderer.get_text_width_height_descent(text, font, ismath=False)[0]

    lines: list[str] = []
    for item in items:
        joined = f"{lines[-1]} · {item}" if lines else item
        if lines and width(joined) <= room:
            lines[-1] = joined
        else:
            lines.append(item)
    text = "\n".join(([title] if title else []) + lines)
    figure.suptitle(text, fontsize=HEADING_SIZE, parse_math=False)  # a run name may hold a "$"


def names_for(class_names: Sequence[str] | None, n_classes: int) -> list[str]:
    if class_names is None:
        return [str(index) for index in range(n_classes)]
    if len(class_names) != n_classes:
        raise ShapeError(f"expected {n_classes} class names; received {len(class_names)}: {list(class_names)}")
    return [str(name) for name in class_names]


def class_colors(n_classes: int) -> list[Any]:
    if n_classes == 2:  # the ends of the probability map: dark, so they stand out on its pale bands
        diverging = colormap("RdBu_r")
        return [diverging(0.0), diverging(1.0)]
    palette = colormap("tab10" if n_classes <= 10 else "tab20")
    if n_classes <= palette.N:
        return [palette(index) for index in range(n_classes)]
    spread = colormap("turbo")
    return [spread(index / (n_classes - 1)) for index in range(n_classes)]


# ---------------------------------------------------------------- pictures
# Each picture is a ``*_figure`` function (a matplotlib Figure, for tests to read) and a
# ``plot_*`` function that writes it.


def curves_figure(history: Mapping[str, Sequence[Any]], title: str = "", best: int | None = None) -> Any:
    """The learning curves: one panel per quantity, train and validation, best epoch marked; a
    log axis where the values fall over more than ``compute.LOG_AXIS_DECADES`` decades.

    Parameters
    ----------
    history : mapping of column name to per-epoch values
        As read from ``history.csv`` (``epoch``, ``loss``, metrics, ``val_*``,
        ``learning_rate``, ``seconds``); rows are epochs 1, 2, ... in order.
    title : str
        First line of the heading (the run name); the final values follow it.
    best : int, optional
        The run's best epoch (1-based; ``nncli.runs.best_epoch``), marked on every panel.
    """
    columns = compute.history_arrays(history)
    quantities = compute.curve_quantities(history)
    n_epochs = max((columns[key].size for key in columns), default=0)
    if not quantities or n_epochs == 0:
        raise DataError("learning curves need a history with at least one epoch; received none")
    epochs = np.arange(1, n_epochs + 1)
    n_cols = min(len(quantities), 3)
    n_rows = math.ceil(len(quantities) / n_cols)
    figure = new_figure(max(8.0, 4.0 * n_cols), max(5.0, 3.6 * n_rows + 1.0))
    from matplotlib.ticker import MaxNLocator

    finals: list[str] = []
    for index, quantity in enumerate(quantities):
        axes = figure.add_subplot(n_rows, n_cols, index + 1)
        marker = "o" if n_epochs <= 30 else None
        keys = [key for key in (quantity, f"val_{quantity}") if key in columns]
        for key, label in zip(keys, ("train", "validation") if keys[0] == quantity else ("validation",)):
            axes.plot(epochs, columns[key], marker=marker, markersize=3, label=label)
            finals.append(f"{key} {number(_last_finite(columns[key]))}")
        if best is not None:
            axes.axvline(best, color="0.4", linestyle="--", linewidth=1, label=f"best epoch {best}")
        logarithmic = compute.wants_log_axis(np.concatenate([columns[key] for key in keys]))
        if logarithmic:
            _log_axis(axes)
        axes.set_title(f"{quantity} (log scale)" if logarithmic else quantity)
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3, which="both" if logarithmic else "major")
        axes.legend(fontsize="small")
    best_text = f"best epoch {best} of {n_epochs}" if best is not None else f"{n_epochs} epochs, no finite loss"
    heading(figure, title, [f"final: {finals[0]}", *finals[1:], best_text] if finals else [best_text])
    return figure


def _log_axis(axes: Any) -> None:
    """A log y axis labelled in plain numbers at 1, 2 and 5 of each decade (0.02, 0.05, 0.1, ...):
    matplotlib's default labels only the powers of ten, too few to read a value off."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axes.set_yscale("log")
    axes.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:g}"))
    axes.yaxis.set_minor_formatter(NullFormatter())


def plot_curves(history: Mapping[str, Sequence[Any]], path: str | os.PathLike[str], title: str = "",
                best: int | None = None) -> Path:
    """Write ``curves.png`` (see ``curves_figure``) at ``path``."""
    return save(curves_figure(history, title, best), path)


def confusion_figure(y_true: Any, y_pred: Any, class_names: Sequence[str] | None, title: str = "", *,
                     split: str | None = None) -> Any:
    """The confusion matrix: a heat map of row shares, each non-empty cell showing its count and
    share (an empty cell stays blank, so the mistakes stand out).

    Parameters
    ----------
    y_true, y_pred : array of shape (n_samples,)
        Class indices.
    class_names : sequence of str, or None
        One name per class, in index order; None numbers the classes from the data.
    title : str
    split : str, optional
        The split the predictions are of ("test", ...), named in the heading.
    """
    n_classes = compute.count_classes(class_names, None, [y_true, y_pred])
    names = names_for(class_names, n_classes)
    counts, shares = compute.confusion_data(y_true, y_pred, n_classes)
    side = min(max(6.0, 0.6 * n_classes + 3.0), 16.0)
    figure = new_figure(side + 1.5, side)
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
    heading(figure, title, [f"confusion matrix {_on_split(split, total)}", f"accuracy {number(accuracy)}"])
    return figure


def plot_confusion(y_true: Any, y_pred: Any, class_names: Sequence[str] | None, path: str | os.PathLike[str],
                   title: str = "", *, split: str | None = None) -> Path:
    """Write ``confusion.png`` (see ``confusion_figure``) at ``path``."""
    return save(confusion_figure(y_true, y_pred, class_names, title, split=split), path)


def _write_cells(axes: Any, counts: np.ndarray, shares: np.ndarray) -> None:
    """Count and row share in each non-empty cell, light text on dark cells."""
    n_classes = counts.shape[0]
    size = "large" if n_classes <= 4 else "medium" if n_classes <= 10 else "x-small"
    for row, col in zip(*np.nonzero(counts)):
        colour = "white" if shares[row, col] > 0.5 else "black"
        axes.text(col, row, f"{counts[row, col]}\n{shares[row, col]:.0%}", ha="center", va="center", color=colour,
                  fontsize=size)


def roc_figure(y_true: Any, scores: Any, title: str = "", *, split: str | None = None) -> Any:
    """The ROC curve with its AUC, and the chance diagonal.

    Parameters
    ----------
    y_true : array of shape (n_samples,)
        Labels 0 and 1.
    scores : array of shape (n_samples,) or (n_samples, 1)
        Probability of class 1.
    title : str
    split : str, optional
        The split the scores are of, named in the heading.
    """
    fpr, tpr, area = compute.roc_data(y_true, scores)
    figure = new_figure(7.0, 6.0)
    axes = figure.add_subplot()
    axes.plot(fpr, tpr, linewidth=2, label=f"model (AUC {number(area)})")
    axes.plot([0, 1], [0, 1], color="0.5", linestyle="--", label=f"chance (AUC {number(0.5)})")
    axes.set_xlim(-0.01, 1.01)
    axes.set_ylim(-0.01, 1.01)
    axes.set_aspect("equal")
    axes.set_xlabel("false positive rate")
    axes.set_ylabel("true positive rate")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    heading(figure, title, [f"ROC curve {_on_split(split, len(np.ravel(y_true)))}", f"AUC {number(area)}"])
    return figure


def plot_roc(y_true: Any, scores: Any, path: str | os.PathLike[str], title: str = "", *,
             split: str | None = None) -> Path:
    """Write ``roc.png`` (see ``roc_figure``) at ``path``."""
    return save(roc_figure(y_true, scores, title, split=split), path)


def residuals_figure(y_true: Any, y_pred: Any, title: str = "", *, split: str | None = None) -> Any:
    """Two panels: the residuals (true − predicted) against the predictions, with the zero line,
    where a pattern means the model misses something; and predicted against true values, with
    the identity line.

    Parameters
    ----------
    y_true, y_pred : array of shape (n_samples,) or (n_samples, n_targets)
    title : str
        First line of the heading; the split, R² and MAE follow it.
    split : str, optional
        The split the predictions are of, named in the heading.
    """
    data = compute.residual_data(y_true, y_pred)
    figure = new_figure(12.0, 5.5)
    against_predictions, against_truth = figure.subplots(1, 2)
    against_predictions.scatter(data["y_pred"], data["residuals"], s=14, alpha=0.6, label="samples")
    against_predictions.axhline(0.0, color="black", linestyle="--", linewidth=1, label="residual = 0")
    against_predictions.set_xlabel("predicted value")
    against_predictions.set_ylabel("residual (true − predicted)")
    against_predictions.set_title("residuals against predictions")
    against_truth.scatter(data["y_true"], data["y_pred"], s=14, alpha=0.6, label="samples")
    low = min(data["y_true"].min(), data["y_pred"].min())
    high = max(data["y_true"].max(), data["y_pred"].max())
    against_truth.plot([low, high], [low, high], color="black", linestyle="--", linewidth=1, label="predicted = true")
    against_truth.set_xlabel("true value")
    against_truth.set_ylabel("predicted value")
    against_truth.set_title("predicted against true")
    for axes in (against_predictions, against_truth):
        axes.grid(alpha=0.3)
        axes.legend(loc="upper left")
    n_samples = int(np.shape(np.asarray(y_true))[0])
    heading(figure, title, [f"residuals {_on_split(split, n_samples)}", f"R² {number(data['r2'])}",
                             f"MAE {number(data['mae'])}"])
    return figure


def plot_residuals(y_true: Any, y_pred: Any, path: str | os.PathLike[str], title: str = "", *,
                   split: str | None = None) -> Path:
    """Write ``residuals.png`` (see ``residuals_figure``) at ``path``."""
    return save(residuals_figure(y_true, y_pred, title, split=split), path)
