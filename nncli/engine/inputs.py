"""Checking what ``fit``, ``evaluate`` and ``predict`` receive, with messages that say what
was received and what was expected (Keras's "Received: ..." style).

Features become a C-contiguous ``(n_samples, n_features)`` array of the model's dtype; targets
the encoding the loss expects (``Loss.target_kind``); sample and class weights one weight per
sample. Python lists work wherever arrays do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncli.engine import metrics as metrics_module
from nncli.engine.losses import Loss
from nncli.errors import ConfigError, DataError, ShapeError

#: Rows per chunk in input checks and at prediction time: bounds the temporary memory of a large
#: evaluate/predict (60,000 x 784 inputs need ~3 MB per layer, not a copy per layer).
CHUNK_ROWS = 2048


def features(x: Any, dtype: type, what: str = "x") -> np.ndarray:
    """``x`` as a finite (n_samples, n_features) array of ``dtype``."""
    try:
        array = np.asarray(x)
    except (ValueError, TypeError) as error:
        raise DataError(f"{what} could not be read as a numeric array: {error}") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise DataError(f"{what} must be numeric; got values of type {array.dtype}")
    if array.ndim == 1:
        raise ShapeError(
            f"{what} must be 2-D (n_samples, n_features); got a 1-D array of shape {array.shape}. "
            f"Use x.reshape(-1, 1) for one feature or x.reshape(1, -1) for one sample"
        )
    if array.ndim != 2:
        raise ShapeError(
            f"{what} must be 2-D (n_samples, n_features); got shape {array.shape}. Flatten images first, "
            f"e.g. x.reshape(len(x), -1)"
        )
    if array.shape[0] == 0:
        raise DataError(f"{what} has no rows")
    array = np.ascontiguousarray(array, dtype=dtype)
    # One pass without temporaries: NaN and ±inf make the sum non-finite. Only then (or when a
    # sum of finite values overflows) are the chunks searched. W2's 188 MB: 21 ms, not 34.
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(array, axis=None)
    if not np.isfinite(total):
        _check_finite_chunks(array, what)
    return array


def _check_finite_chunks(array: np.ndarray, what: str) -> None:
    for start in range(0, len(array), CHUNK_ROWS):
        finite = np.isfinite(array[start : start + CHUNK_ROWS])
        if not finite.all():
            row, col = np.argwhere(~finite)[0]
            raise DataError(
                f"{what} contains NaN or infinite values (first at row {start + row}, column {col}); "
                f"clean or impute them before training"
            )


def targets(y: Any, loss: Loss, units: int, n_samples: int, dtype: type, what: str = "y") -> np.ndarray:
    """Targets in the encoding ``loss`` expects, checked against ``units`` output units."""
    array = np.asarray(y)
    if array.dtype == object or array.dtype.kind in "USV":
        raise DataError(
            f"{what} must be numeric; got values of type {array.dtype}. Encode string labels as integers "
            f"0..n_classes-1 first (nncli's CLI does this for you)"
        )
    if len(array) != n_samples:
        raise ShapeError(f"x has {n_samples} samples but {what} has {len(array)}")
    if loss.target_kind == "sparse":
        return _sparse_labels(array, loss.name, units, n_samples, what)
    values = array.astype(dtype).reshape(n_samples, -1)
    if not np.all(np.isfinite(values)):
        raise DataError(f"{what} contains NaN or infinite values")
    if values.shape[1] != units:
        if loss.target_kind == "categorical" and values.shape[1] == 1:
            raise ShapeError(
                f"{loss.name} expects one-hot labels of shape (n_samples, {units}); got integer labels? "
                f"Use sparse_categorical_crossentropy for integer labels"
            )
        raise ShapeError(f"{what} has {values.shape[1]} columns but the last layer has {units} units")
    if loss.target_kind == "binary":
        distinct = np.unique(values)
        if np.any((distinct < 0) | (distinct > 1)):
            shown = ", ".join(f"{v:g}" for v in distinct[:6])
            raise ShapeError(
                f"{loss.name} expects labels 0 or 1; {what} has values {shown}{'...' if len(distinct) > 6 else ''}. "
                f"For {len(distinct)} classes use sparse_categorical_crossentropy with "
                f"Dense({len(distinct)}, activation='softmax')"
            )
    return values


def _sparse_labels(array: np.ndarray, name: str, units: int, n_samples: int, what: str) -> np.ndarray:
    flat = array.reshape(n_samples, -1)
    if flat.shape[1] != 1:
        raise ShapeError(
            f"{name} expects integer class labels of shape (n_samples,); got {what} of shape {array.shape}. "
            f"For one-hot labels use categorical_crossentropy"
        )
    flat = flat[:, 0]
    if not np.all(np.isfinite(flat.astype(float))) or np.any(flat != np.round(flat)):
        raise DataError(f"{name} expects integer class labels; {what} has non-integer values")
    labels = flat.astype(np.intp)
    if labels.min() < 0:
        raise ShapeError(f"{name} expects class labels 0..{units - 1}; {what} has the negative label {labels.min()}")
    if labels.max() >= units:
        raise ShapeError(
            f"{what} has class labels {labels.min()}..{labels.max()} but the last layer has {units} units; "
            f"{name} needs one softmax unit per class (Dense({int(labels.max()) + 1}, activation='softmax'))"
        )
    return labels


def sample_weights(sample_weight: Any, n_samples: int, dtype: type) -> np.ndarray | None:
    """One finite, non-negative weight per sample, or None."""
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight, dtype=dtype).reshape(-1)
    if len(weights) != n_samples:
        raise ShapeError(f"sample_weight has {len(weights)} values for {n_samples} samples")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise DataError("sample_weight must be finite and non-negative")
    return weights


def class_weights(class_weight: dict | None, labels: np.ndarray, n_classes: int, dtype: type) -> np.ndarray | None:
    """``class_weight[label]`` per sample (classes not named weigh 1), or None.

    Keys are class indices ``0 .. n_classes - 1``; any other key is an error naming it.
    """
    if not class_weight:
        return None
    table = np.ones(n_classes, dtype=dtype)
    for key, value in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or not 0 <= int(key) < n_classes:
            raise ConfigError(
                f"class_weight has the key {key!r}, but the classes are 0 to {n_classes - 1}. "
                f"Received: class_weight={_short(class_weight)}"
            )
        table[int(key)] = float(value)
    return table[labels]


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def combine(first: np.ndarray | None, second: np.ndarray | None) -> np.ndarray | None:
    """The product of two optional per-sample weights (class weights times sample weights)."""
    if first is None:
        return second
    return first if second is None else first * second


VERBOSE_CHOICES = ("auto", 0, 1, 2)


def metric_list(metrics: Any) -> list:
    """``metrics`` as a list: None → [], one name → [name]; anything else must be a list/tuple."""
    if metrics is None:
        return []
    if isinstance(metrics, str) or callable(metrics) or isinstance(metrics, metrics_module.Metric):
        return [metrics]
    if isinstance(metrics, (list, tuple)):
        return list(metrics)
    raise ConfigError(
        f"Expected `metrics` to be a metric name or a list of them, e.g. metrics=['accuracy']. "
        f"Received: metrics={metrics!r} of type {type(metrics).__name__} "
        f"(valid names: {', '.join(metrics_module.METRICS.names())})"
    )


def check_fit_arguments(batch_size: Any, epochs: Any, validation_split: Any, verbose: Any) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ConfigError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ConfigError(f"epochs must be a non-negative integer. Received: epochs={epochs!r}")
    if not 0.0 <= float(validation_split) < 1.0:
        raise ConfigError(f"validation_split must be in [0, 1). Received: validation_split={validation_split!r}")
    check_verbose(verbose)


def check_verbose(verbose: Any) -> None:
    if isinstance(verbose, bool) or verbose not in VERBOSE_CHOICES:
        raise ConfigError(f"verbose must be 'auto', 0, 1 or 2. Received: verbose={verbose!r}")
