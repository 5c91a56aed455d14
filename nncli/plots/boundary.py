"""The decision-boundary picture: the model's predicted probability (or class) over the plane of
two features, with the training and test points on it (``decision_boundary.png``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nncli.errors import ShapeError, UsageError
from nncli.plots import compute
from nncli.plots.draw import (
    PredictFn,
    class_colors,
    colormap,
    heading,
    names_for,
    new_figure,
    save,
)

#: The part of the diverging map that paints probabilities behind a decision boundary: its light
#: middle, so the points, in the map's dark ends, stand out on every band (on the whole map the
#: class-0 points vanished into its dark blue).
BACKGROUND_RANGE = (0.25, 0.75)


def _paint_probability(figure: Any, axes: Any, xx: np.ndarray, yy: np.ndarray, zz: np.ndarray, positive: str) -> None:
    """Probability of class 1 on a pale diverging map, with the 0.5 contour where it crosses."""
    # 20 filled bands read as smooth and keep the PNG small (a continuous ramp compresses badly)
    from matplotlib.colors import ListedColormap

    bands = np.linspace(0.0, 1.0, 21)
    light = ListedColormap(colormap("RdBu_r")(np.linspace(*BACKGROUND_RANGE, 256)))
    image = axes.contourf(xx, yy, zz, levels=bands, cmap=light, vmin=0.0, vmax=1.0)
    if zz.min() < 0.5 < zz.max():
        axes.contour(xx, yy, zz, levels=[0.5], colors="black", linewidths=1.5)
    figure.colorbar(image, ax=axes, ticks=np.linspace(0.0, 1.0, 5), label=f"predicted probability of {positive}")


def _paint_classes(axes: Any, xx: np.ndarray, yy: np.ndarray, zz: np.ndarray, n_classes: int) -> None:
    """Predicted class as pale areas in the class colours, with lines between them."""
    from matplotlib.colors import ListedColormap

    palette = ListedColormap(class_colors(n_classes))
    extent = (xx.min(), xx.max(), yy.min(), yy.max())
    limits = {"vmin": -0.5, "vmax": n_classes - 0.5}
    axes.imshow(zz, origin="lower", extent=extent, cmap=palette, alpha=0.4, interpolation="nearest", **limits)
    if np.unique(zz).size > 1:
        axes.contour(xx, yy, zz, levels=np.arange(n_classes - 1) + 0.5, colors="black", linewidths=0.8)


def _scatter_classes(
    axes: Any, X: np.ndarray, labels: np.ndarray, colors: list[Any], names: list[str], split: str
) -> None:
    """Points coloured by class: training points filled (a white rim parts neighbours), test
    points as rings of the class colour around white, which shows on any band of the map."""
    for index, colour in enumerate(colors):
        chosen = X[labels == index]
        if chosen.shape[0] == 0:
            continue
        if split == "train":
            style = {"s": 22, "color": colour, "edgecolors": "white", "linewidths": 0.6}
        else:
            style = {"s": 34, "facecolors": "white", "edgecolors": [colour], "linewidths": 1.6}
        axes.scatter(chosen[:, 0], chosen[:, 1], label=f"{names[index]} ({split})", **style)


def boundary_figure(
    predict_fn: PredictFn,
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    title: str = "",
    *,
    class_names: Sequence[str] | None = None,
    resolution: int = 200,
) -> Any:
    """The model's output over the input plane, points on top.

    A one-unit (sigmoid) model is painted as the probability of class 1 on a pale diverging
    colormap with the 0.5 contour; a softmax model as its predicted class. Training points are
    filled, test points ringed, both in the colour of their true class.

    Parameters
    ----------
    predict_fn : callable
        ``predict_fn(points (m, 2)) -> outputs (m, k)``, for points in the same space as ``X_*``.
    X_train : array of shape (n_train, 2)
    y_train : array of shape (n_train,)
        Class indices.
    X_test, y_test : arrays of shape (n_test, 2) and (n_test,), or None
    title : str
    class_names : sequence of str, optional
    resolution : int
        Grid points along each axis.
    """
    splits = _labelled_points(X_train, y_train, X_test, y_test)
    xx, yy, outputs = compute.boundary_outputs(predict_fn, np.vstack([points for _, points, _ in splits]), resolution)
    n_classes = 2 if outputs.shape[-1] == 1 else outputs.shape[-1]
    names = names_for(class_names, n_classes)
    for split, _points, labels in splits:
        compute.check_class_range(labels, n_classes, f"y_{split}")
    figure = new_figure(8.0, 6.5)
    axes = figure.add_subplot()
    zz, _confidence = compute.surface_values(outputs)
    if outputs.shape[-1] == 1:
        _paint_probability(figure, axes, xx, yy, zz, names[1])
    else:
        _paint_classes(axes, xx, yy, zz, n_classes)
    colors = class_colors(n_classes)
    for split, points, labels in splits:
        _scatter_classes(axes, points, labels, colors, names, split)
    _frame_plane(axes, xx, yy)
    if n_classes <= 5:  # more would hide the picture; colours are explained by the map then
        axes.legend(fontsize="small", loc="upper right", framealpha=0.8)
    heading(figure, title, ["decision boundary", "filled: train", "ringed: test"] if len(splits) > 1
             else ["decision boundary", "points: train"])
    return figure


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
    """Write ``decision_boundary.png`` (see ``boundary_figure``) at ``path``."""
    figure = boundary_figure(predict_fn, X_train, y_train, X_test, y_test, title, class_names=class_names,
                             resolution=resolution)
    return save(figure, path)


def _labelled_points(X_train: Any, y_train: Any, X_test: Any, y_test: Any) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``("train", X, labels)`` and, when given, ``("test", X, labels)``, checked."""
    if (X_test is None) != (y_test is None):
        raise UsageError("give both X_test and y_test, or neither")
    splits = [("train", X_train, y_train)] + ([] if X_test is None else [("test", X_test, y_test)])
    checked = []
    for split, points, labels in splits:
        points = compute.two_features(points, f"X_{split}")
        labels = compute.class_indices(labels, f"y_{split}")
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
