"""Metrics by name, computed on a whole epoch's (or split's) predictions.

Every entry of ``METRICS`` carries its own facts, as Keras 3's metric objects do: its
``direction`` ("max" when higher is better, "min" otherwise), whether it ``needs_classes`` (a
classification loss), and whether it is ``cheap`` (plain NumPy, fine to recompute for a live
progress display). EarlyStopping, ReduceLROnPlateau, the best epoch, ``nncli runs --sort``, the
pictures and sweeps ask ``direction(key)`` rather than guessing from the name.

``accuracy`` is chosen from the shapes as Keras 3 does (``trainers/compile_utils.py``): binary
accuracy (threshold 0.5) for one output unit, sparse categorical accuracy for integer labels,
categorical accuracy (arg-max against arg-max) otherwise; ``binary_accuracy``,
``categorical_accuracy`` and ``sparse_categorical_accuracy`` name one meaning each. Precision,
recall, F1, AUC and R² come from scikit-learn (imported only when asked for). Multi-class
precision, recall and F1 are macro averages over arg-max classes; multi-class AUC is one-vs-rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Iterable

import numpy as np

from nncli.engine.losses import TARGET_KINDS, one_hot
from nncli.errors import ConfigError, UnknownNameError
from nncli.registry import Registry

METRICS = Registry("metric")

#: Prefixes of a metric's name in logs and run tables: ``val_accuracy``, ``test_loss``.
SPLIT_PREFIXES = ("val_", "test_", "train_")


@dataclass
class Predictions:
    """Targets and predictions of one split, with the derived views metrics need.

    Parameters
    ----------
    targets : ndarray
        As the loss encodes them: (n, units) for binary/categorical/regression, (n,) for sparse.
    outputs : ndarray, shape (n_samples, units)
        Model outputs as probabilities for classification (logits already converted).
    kind : str
        The loss's target kind: "binary", "categorical", "sparse" or "regression".
    """

    targets: np.ndarray
    outputs: np.ndarray
    kind: str

    @cached_property
    def dense_targets(self) -> np.ndarray:
        """Targets with the outputs' shape (n_samples, units): one-hot rows for sparse labels."""
        if self.kind == "sparse":
            return one_hot(self.targets, self.outputs.shape[1], self.outputs.dtype)
        return self.targets.reshape(self.outputs.shape)

    @cached_property
    def labels(self) -> np.ndarray:
        """True class indices, shape (n_samples,) (binary with one unit: 0/1)."""
        if self.kind == "sparse":
            return self.targets.reshape(-1).astype(np.intp)
        if self.kind == "categorical":
            return self.targets.argmax(axis=-1)
        return (self.targets.reshape(len(self.targets), -1)[:, 0] > 0.5).astype(np.intp)

    @cached_property
    def predicted(self) -> np.ndarray:
        """Predicted class indices, shape (n_samples,)."""
        if self.kind == "binary" and self.outputs.shape[1] == 1:
            return (self.outputs[:, 0] > 0.5).astype(np.intp)
        return self.outputs.argmax(axis=-1)

    @property
    def n_classes(self) -> int:
        return 2 if self.outputs.shape[1] == 1 else self.outputs.shape[1]


@dataclass
class Metric:
    """One entry of ``METRICS``: the computation and the facts every reader asks for.

    Attributes
    ----------
    function : callable (Predictions) -> float
    direction : {"max", "min"}
        Whether a higher value is better (Keras 3's ``Metric._direction``).
    needs_classes : bool
        Only meaningful with a classification loss.
    cheap : bool
        Plain NumPy: recomputed over the batches done so far for a live progress display.
    """

    function: Callable[[Predictions], float]
    direction: str
    needs_classes: bool = False
    cheap: bool = False
    name: str = ""  # set by METRICS.register

    def __call__(self, predictions: Predictions) -> float:
        if self.needs_classes and predictions.kind not in TARGET_KINDS["classification"]:
            raise ConfigError(
                f"metric {self.name!r} needs a classification loss (binary_crossentropy, categorical_crossentropy "
                f"or sparse_categorical_crossentropy); for regression use {', '.join(regression_metrics())}"
            )
        return float(self.function(predictions))


def metric(name: str, *aliases: str, direction: str, needs_classes: bool = False,
           cheap: bool = False) -> Callable[[Callable], Callable]:
    """Decorator: register ``function(Predictions) -> float`` as the metric ``name``."""

    def add(function: Callable[[Predictions], float]) -> Callable[[Predictions], float]:
        METRICS.add(name, Metric(function, direction, needs_classes, cheap), *aliases)
        return function

    return add


def regression_metrics() -> list[str]:
    return [name for name, entry in METRICS.items() if not entry.needs_classes]


# -- classification ---------------------------------------------------------------------------
def _binary_hits(predictions: Predictions) -> np.ndarray:
    return (predictions.outputs > 0.5) == (predictions.dense_targets > 0.5)


@metric("binary_accuracy", direction="max", needs_classes=True, cheap=True)
def binary_accuracy(predictions: Predictions) -> float:
    """Share of output units on the right side of 0.5, averaged over units and samples."""
    return np.mean(_binary_hits(predictions))


@metric("categorical_accuracy", direction="max", needs_classes=True, cheap=True)
def categorical_accuracy(predictions: Predictions) -> float:
    """Arg-max of the outputs against the arg-max of the (one-hot) targets."""
    return np.mean(predictions.dense_targets.argmax(axis=-1) == predictions.outputs.argmax(axis=-1))


@metric("sparse_categorical_accuracy", direction="max", needs_classes=True, cheap=True)
def sparse_categorical_accuracy(predictions: Predictions) -> float:
    """Arg-max of the outputs against integer class labels."""
    return np.mean(predictions.labels == predictions.outputs.argmax(axis=-1))


@metric("accuracy", "acc", direction="max", needs_classes=True, cheap=True)
def accuracy(predictions: Predictions) -> float:
    """Keras 3's choice from the shapes: binary for one unit, sparse for integer labels, else
    categorical."""
    if predictions.outputs.shape[1] == 1:
        return binary_accuracy(predictions)
    if predictions.kind == "sparse":
        return sparse_categorical_accuracy(predictions)
    return categorical_accuracy(predictions)


def _average(predictions: Predictions) -> str:
    return "binary" if predictions.n_classes == 2 else "macro"


def _sklearn_score(scorer: str, predictions: Predictions) -> float:
    from sklearn import metrics as sklearn_metrics

    score = getattr(sklearn_metrics, scorer)
    return score(predictions.labels, predictions.predicted, average=_average(predictions), zero_division=0)


@metric("precision", direction="max", needs_classes=True)
def precision(predictions: Predictions) -> float:
    return _sklearn_score("precision_score", predictions)


@metric("recall", direction="max", needs_classes=True)
def recall(predictions: Predictions) -> float:
    return _sklearn_score("recall_score", predictions)


@metric("f1", "f1_score", direction="max", needs_classes=True)
def f1(predictions: Predictions) -> float:
    return _sklearn_score("f1_score", predictions)


@metric("auc", direction="max", needs_classes=True)
def auc(predictions: Predictions) -> float:
    """Area under the ROC curve (one-vs-rest macro for several classes); NaN when only one
    class is present, where it is undefined."""
    from sklearn.metrics import roc_auc_score

    labels = predictions.labels
    present = np.unique(labels)
    if len(present) < 2:
        return math.nan
    if predictions.outputs.shape[1] == 1:
        return roc_auc_score(labels, predictions.outputs[:, 0])
    if len(present) < predictions.outputs.shape[1]:
        return math.nan
    scores = predictions.outputs / predictions.outputs.sum(axis=1, keepdims=True)
    return roc_auc_score(labels, scores, multi_class="ovr")


# -- regression -------------------------------------------------------------------------------
@metric("mse", "mean_squared_error", direction="min", cheap=True)
def mse(predictions: Predictions) -> float:
    return np.mean(np.square(predictions.outputs - predictions.dense_targets))


@metric("mae", "mean_absolute_error", direction="min", cheap=True)
def mae(predictions: Predictions) -> float:
    return np.mean(np.abs(predictions.outputs - predictions.dense_targets))


@metric("r2", "r2_score", direction="max")
def r2(predictions: Predictions) -> float:
    from sklearn.metrics import r2_score

    if len(predictions.outputs) < 2:
        return math.nan
    return r2_score(predictions.dense_targets, predictions.outputs)


# -- lookups ----------------------------------------------------------------------------------
def get(identifier: str | Metric | Callable) -> Metric:
    """A metric entry from its name, an entry, or a callable ``f(Predictions) -> float``.

    A callable's direction is its ``direction`` attribute when it has one, else unknown
    (None): callbacks that monitor it then need ``mode="min"`` or ``"max"``.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        return METRICS[identifier]
    if callable(identifier):
        custom = Metric(identifier, getattr(identifier, "direction", None))
        custom.name = getattr(identifier, "__name__", "metric")
        return custom
    raise UnknownNameError(
        f"Could not interpret metric identifier: {identifier!r} (expected a name such as 'accuracy' or a function)"
    )


def base_name(key: str) -> str:
    """``val_accuracy`` → ``accuracy``: a log or table key without its split prefix."""
    for prefix in SPLIT_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def direction(key: str, compiled: Iterable[Metric] = ()) -> str:
    """"max" or "min" for a logged quantity (``loss``, ``val_accuracy``, ``test_r2``, ...).

    ``compiled`` are a model's own metric entries (custom callables among them). Raises
    ``UnknownNameError`` for a key that is neither the loss nor a metric.
    """
    base = base_name(key)
    if base == "loss":
        return "min"
    for entry in compiled:
        if entry.name == base and entry.direction:
            return entry.direction
    if base in METRICS:
        return METRICS[base].direction
    raise UnknownNameError(
        f"cannot tell whether a higher or a lower {key!r} is better: it is neither the loss nor a metric "
        f"(metrics: {', '.join(METRICS.names())}); give the mode ('min' or 'max') explicitly"
    )


def compute(entries: list[Metric], predictions: Predictions) -> dict[str, float]:
    """Every metric on one set of predictions, by name."""
    return {entry.name: entry(predictions) for entry in entries}

