"""The pictures of a run, one ``PICTURES`` entry each: its file, when it applies (and, when it
does not, why, in a person's words), and how it is drawn from a ``RunPictures``.

``train`` draws every picture that applies; ``nncli plot --what a,b`` draws those asked for and
says why each other one does not apply. Adding a picture is one entry here and its test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from nncli.errors import RunDirError
from nncli.plots import boundary, compute, draw
from nncli.registry import Registry

PICTURES = Registry("picture")


@dataclass
class RunPictures:
    """What a run's pictures are drawn from.

    Attributes
    ----------
    kind : {"binary", "multiclass", "regression"}
    history : mapping of column → per-epoch values (``history.csv``)
    best_epoch : int or None
        The run's one best epoch (``nncli.runs.best_epoch``).
    split : str
        The split the predictions are of ("test", or "train" when the run has no test part).
    y_true, proba : arrays of that split
        Class indices and probabilities ``(n, k)``, or targets and predictions for regression.
    class_names : list of str or None
    n_features : int
    predict_fn : callable ``(m, 2) -> (m, k)`` on raw 2-feature points, or None
    X_train, y_train, X_test, y_test : raw 2-feature points and class indices, or None
    title : str
        The run's name, first line of every heading.
    """

    kind: str
    history: Mapping[str, Sequence[Any]]
    best_epoch: int | None
    split: str
    y_true: Any
    proba: Any
    class_names: list[str] | None
    n_features: int
    predict_fn: Callable | None = None
    X_train: Any = None
    y_train: Any = None
    X_test: Any = None
    y_test: Any = None
    title: str = ""

    @property
    def n_classes(self) -> int:
        return 0 if self.kind == "regression" else compute.count_classes(self.class_names, self.proba, [self.y_true])

    @property
    def y_pred(self) -> Any:
        return self.proba if self.kind == "regression" else compute.predicted_classes(self.proba)


@dataclass
class Picture:
    """One entry of ``PICTURES``: the file, ``why_not(run) -> reason or None`` and ``draw(run, path)``."""

    file: str
    why_not: Callable[[RunPictures], str | None]
    draw: Callable[[RunPictures, Path], Path]
    name: str = ""


def _task_words(run: RunPictures) -> str:
    return "a regression" if run.kind == "regression" else f"a classifier of {run.n_classes} classes"


def _curves_why_not(run: RunPictures) -> str | None:
    has_epochs = bool(compute.curve_quantities(run.history)) and any(len(column) for column in run.history.values())
    return None if has_epochs else "the run has no finished epoch yet"


def _classes_why_not(run: RunPictures) -> str | None:
    return "needs a classifier; this run is a regression" if run.kind == "regression" else None


def _roc_why_not(run: RunPictures) -> str | None:
    if run.kind != "binary":
        return f"needs exactly 2 classes; this run is {_task_words(run)}"
    if np.unique(compute.class_indices(run.y_true, "y_true")).size < 2:
        return f"the {run.split} split holds only one class"
    return None


def _boundary_why_not(run: RunPictures) -> str | None:
    if run.kind == "regression":
        return "needs a classifier; this run is a regression"
    if run.n_features != 2:
        return f"needs exactly 2 input features; this model has {run.n_features}"
    return None


def _residuals_why_not(run: RunPictures) -> str | None:
    return None if run.kind == "regression" else f"needs a regression; this run is {_task_words(run)}"


def _names(run: RunPictures) -> list[str]:
    return run.class_names or [str(index) for index in range(run.n_classes)]


PICTURES.add("curves", Picture("curves.png", _curves_why_not,
                               lambda run, path: draw.plot_curves(run.history, path, run.title, run.best_epoch)))
PICTURES.add("confusion", Picture("confusion.png", _classes_why_not,
                                  lambda run, path: draw.plot_confusion(run.y_true, run.y_pred, _names(run), path,
                                                                        run.title, split=run.split)))
PICTURES.add("roc", Picture("roc.png", _roc_why_not,
                            lambda run, path: draw.plot_roc(run.y_true, compute.binary_scores(run.proba), path,
                                                            run.title, split=run.split)))
PICTURES.add("boundary", Picture("decision_boundary.png", _boundary_why_not,
                                 lambda run, path: boundary.plot_boundary(run.predict_fn, run.X_train, run.y_train,
                                                                      run.X_test, run.y_test, path, run.title,
                                                                      class_names=run.class_names)),
             "decision_boundary")
PICTURES.add("residuals", Picture("residuals.png", _residuals_why_not,
                                  lambda run, path: draw.plot_residuals(run.y_true, run.proba, path, run.title,
                                                                        split=run.split)))


def chosen(what: str | Iterable[str] | None) -> list[str] | None:
    """Canonical picture names from ``--what`` (a comma list or names; closest name suggested
    for an unknown one); None means all."""
    if what is None:
        return None
    items = what.split(",") if isinstance(what, str) else list(what)
    names = [PICTURES.canonical(str(item).strip()) for item in items if str(item).strip()]
    return [name for name in PICTURES if name in names]


def draw_all(run: RunPictures, out_dir: Path | str, what: str | Iterable[str] | None = None
             ) -> tuple[list[Path], dict[str, str]]:
    """Draw the pictures that apply (of those in ``what``); (written paths, {name: why not})
    for the asked ones that do not apply (all of them when ``what`` is None)."""
    names = chosen(what) or PICTURES.names()
    reasons = {name: PICTURES[name].why_not(run) for name in names}
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunDirError(f"cannot create picture folder {folder}: {error.strerror or error}") from error
    drawn = [PICTURES[name].draw(run, folder / PICTURES[name].file) for name in names if reasons[name] is None]
    return drawn, {name: reason for name, reason in reasons.items() if reason is not None}


def kind_of(task: str, n_classes: int | None) -> str:
    """"binary", "multiclass" or "regression" for a task and its number of classes."""
    if task == "regression":
        return "regression"
    return "binary" if n_classes == 2 else "multiclass"
