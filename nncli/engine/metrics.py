"""Metrics by name, computed on a whole epoch's (or split's) predictions.

Which accuracy "accuracy" means follows the loss, as in Keras: binary (threshold 0.5) for
binary cross-entropy, argmax against one-hot rows for categorical, argmax against integer
labels for sparse categorical. Precision, recall, F1, AUC and R² come from scikit-learn
(imported only when one of them is asked for); the cheap ones are plain NumPy.
Multi-class precision, recall and F1 are macro averages; multi-class AUC is one-vs-rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np

from nncli.errors import ConfigError
from nncli.registry import Registry

METRICS = Registry("metric")

CLASSIFICATION_KINDS = ("binary", "categorical", "sparse")


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


def _needs_classes(name: str, predictions: Predictions) -> None:
    if predictions.kind not in CLASSIFICATION_KINDS:
        raise ConfigError(
            f"metric {name!r} needs a classification loss (binary_crossentropy, categorical_crossentropy or "
            f"sparse_categorical_crossentropy); for regression use mse, mae or r2"
        )


def _flat_regression(predictions: Predictions) -> tuple[np.ndarray, np.ndarray]:
    outputs = predictions.outputs
    if predictions.kind == "sparse":
        targets = np.zeros_like(outputs)
        targets[np.arange(len(outputs)), predictions.labels] = 1.0
    else:
        targets = predictions.targets.reshape(outputs.shape)
    return targets, outputs


@METRICS.register("accuracy", "acc")
def accuracy(predictions: Predictions) -> float:
    _needs_classes("accuracy", predictions)
    if predictions.kind == "binary" and predictions.outputs.shape[1] > 1:
        # Several independent sigmoid units: Keras's binary accuracy averages over them.
        hits = (predictions.outputs > 0.5) == (predictions.targets.reshape(predictions.outputs.shape) > 0.5)
        return float(hits.mean())
    return float(np.mean(predictions.labels == predictions.predicted))


def _average(predictions: Predictions) -> str:
    return "binary" if predictions.n_classes == 2 else "macro"


@METRICS.register("precision")
def precision(predictions: Predictions) -> float:
    _needs_classes("precision", predictions)
    from sklearn.metrics import precision_score

    return float(precision_score(predictions.labels, predictions.predicted, average=_average(predictions), zero_division=0))


@METRICS.register("recall")
def recall(predictions: Predictions) -> float:
    _needs_classes("recall", predictions)
    from sklearn.metrics import recall_score

    return float(recall_score(predictions.labels, predictions.predicted, average=_average(predictions), zero_division=0))


@METRICS.register("f1", "f1_score")
def f1(predictions: Predictions) -> float:
    _needs_classes("f1", predictions)
    from sklearn.metrics import f1_score

    return float(f1_score(predictions.labels, predictions.predicted, average=_average(predictions), zero_division=0))


@METRICS.register("auc")
def auc(predictions: Predictions) -> float:
    """Area under the ROC curve (one-vs-rest macro for several classes); NaN when only one
    class is present, where it is undefined."""
    _needs_classes("auc", predictions)
    from sklearn.metrics import roc_auc_score

    labels = predictions.labels
    present = np.unique(labels)
    if len(present) < 2:
        return math.nan
    if predictions.outputs.shape[1] == 1:
        return float(roc_auc_score(labels, predictions.outputs[:, 0]))
    if len(present) < predictions.outputs.shape[1]:
        return math.nan
    scores = predictions.outputs / predictions.outputs.sum(axis=1, keepdims=True)
    return float(roc_auc_score(labels, scores, multi_class="ovr"))


@METRICS.register("mse", "mean_squared_error")
def mse(predictions: Predictions) -> float:
    targets, outputs = _flat_regression(predictions)
    return float(np.mean(np.square(outputs - targets)))


@METRICS.register("mae", "mean_absolute_error")
def mae(predictions: Predictions) -> float:
    targets, outputs = _flat_regression(predictions)
    return float(np.mean(np.abs(outputs - targets)))


@METRICS.register("r2", "r2_score")
def r2(predictions: Predictions) -> float:
    from sklearn.metrics import r2_score

    targets, outputs = _flat_regression(predictions)
    if len(targets) < 2:
        return math.nan
    return float(r2_score(targets, outputs))


def get(identifier: str | Callable) -> tuple[str, Callable[[Predictions], float]]:
    """(name, function) for a metric name or a callable ``f(Predictions) -> float``."""
    if callable(identifier):
        return getattr(identifier, "__name__", "metric"), identifier
    name = METRICS.canonical(identifier)
    return name, METRICS[name]


def compute(functions: list[tuple[str, Callable]], predictions: Predictions) -> dict[str, float]:
    """Every metric on one set of predictions, by name."""
    return {name: function(predictions) for name, function in functions}
